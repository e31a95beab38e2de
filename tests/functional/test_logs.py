"""The CloudWatch Logs gateway and explain_failure against moto's Logs, seeded like SageMaker seeds them.

SageMaker writes one stream per instance (``AllTraffic/<instance-id>``) into
``/aws/sagemaker/Endpoints/<name>``; moto does not create the group for an endpoint, so each test creates it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from deploy.aws import logs
from deploy.aws.session import AwsContext, make_context
from deploy.engine.diagnose import explain_failure
from deploy.errors import NotFoundError, UsageError

ENDPOINT = "qwen25-7b"
GROUP = f"/aws/sagemaker/Endpoints/{ENDPOINT}"
STREAM_A = "AllTraffic/i-0a1b2c3d4e5f60001"
STREAM_B = "AllTraffic/i-0a1b2c3d4e5f60002"
KV_ERROR = (
    "[1,0]<stderr>:ValueError: The model's max seq len (32768) is larger than the maximum number of tokens "
    "that can be stored in KV cache (21152). Try increasing `gpu_memory_utilization` or decreasing "
    "`max_model_len` when initializing the engine."
)


@pytest.fixture
def ctx() -> Iterator[AwsContext]:
    # tests/conftest.py already points AWS at fake credentials and clears AWS_PROFILE / AWS_ENDPOINT_URL
    with mock_aws():
        yield make_context(region="us-east-1")


def _now_ms() -> int:
    return int(time.time() * 1000)


def seed(ctx: AwsContext, events: dict[str, list[tuple[int, str]]]) -> None:
    """Create the endpoint's group and put ``(timestamp_ms, message)`` events into the named streams."""
    client: Any = ctx.client("logs")
    existing = {g["logGroupName"] for g in client.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"]}
    if GROUP not in existing:
        client.create_log_group(logGroupName=GROUP)
    for stream, items in events.items():
        streams = client.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=stream)["logStreams"]
        if not streams:
            client.create_log_stream(logGroupName=GROUP, logStreamName=stream)
        batch = [{"timestamp": ts, "message": message} for ts, message in sorted(items)]
        client.put_log_events(logGroupName=GROUP, logStreamName=stream, logEvents=batch)


def test_tail_merges_streams_in_time_order_and_keeps_the_newest_lines(ctx: AwsContext) -> None:
    base = _now_ms() - 60_000
    seed(
        ctx,
        {
            STREAM_A: [(base + i * 10, f"a{i}") for i in range(0, 20, 2)],
            STREAM_B: [(base + i * 10, f"b{i}") for i in range(1, 20, 2)],
        },
    )
    lines = logs.tail(ctx, ENDPOINT, lines=5)
    assert [line.message for line in lines] == ["b15", "a16", "b17", "a18", "b19"]
    assert {line.stream for line in lines} == {STREAM_A, STREAM_B}


def test_tail_filters_by_start_time(ctx: AwsContext) -> None:
    base = _now_ms() - 3_600_000
    seed(ctx, {STREAM_A: [(base, "old"), (base + 3_000_000, "recent"), (base + 3_100_000, "newest")]})
    lines = logs.tail(ctx, ENDPOINT, lines=50, start_ms=base + 1_000_000)
    assert [line.message for line in lines] == ["recent", "newest"]


@pytest.mark.parametrize(
    "message",
    [
        "Downloading with token hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "env: HF_TOKEN=hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 OPTION_DTYPE=bf16",
        "settings {'HF_TOKEN': 'secret-value-1', 'OPTION_DTYPE': 'bf16'}",
        'settings {"HUGGING_FACE_HUB_TOKEN": "secret-value-1"}',
    ],
)
def test_tokens_printed_by_the_container_are_masked(ctx: AwsContext, message: str) -> None:
    seed(ctx, {STREAM_A: [(_now_ms(), message)]})
    (line,) = logs.tail(ctx, ENDPOINT)
    assert "hf_AbCd" not in line.message and "secret-value-1" not in line.message
    assert logs.MASK in line.message
    assert "OPTION_DTYPE" in line.message or "Downloading" in line.message or "HUGGING_FACE" in line.message


def test_list_streams_and_a_missing_group(ctx: AwsContext) -> None:
    with pytest.raises(NotFoundError) as info:
        logs.tail(ctx, ENDPOINT)
    assert info.value.field == "endpoint" and info.value.fix and "does not exist" in info.value.message
    seed(ctx, {STREAM_A: [(_now_ms(), "x")], STREAM_B: [(_now_ms(), "y")]})
    assert sorted(logs.list_streams(ctx, ENDPOINT)) == [STREAM_A, STREAM_B]


def test_follow_yields_new_lines_once_and_backs_off_while_idle(ctx: AwsContext) -> None:
    base = _now_ms() - 10_000
    seed(ctx, {STREAM_A: [(base, "first"), (base + 1, "second")]})
    sleeps: list[float] = []
    polls = {"n": 0}

    def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        polls["n"] += 1
        if polls["n"] == 2:  # a new line arrives, in the same millisecond as the last one seen, plus a later one
            seed(ctx, {STREAM_A: [(base + 1, "same-ms"), (base + 5, "third")]})

    seen = [
        line.message
        for line in logs.follow(ctx, ENDPOINT, start_ms=base, sleep=fake_sleep, should_stop=lambda: polls["n"] >= 5)
    ]
    assert seen == ["first", "second", "same-ms", "third"]
    assert sleeps[0] == logs.FOLLOW_MIN_DELAY_S  # lines flowed: poll again soon
    assert sleeps[1] == 2 * logs.FOLLOW_MIN_DELAY_S  # idle: back off
    assert sleeps[2] == logs.FOLLOW_MIN_DELAY_S  # new lines: fast again
    assert sleeps[3] > sleeps[2]


def test_follow_waits_for_a_group_that_does_not_exist_yet(ctx: AwsContext) -> None:
    polls = {"n": 0}
    start = _now_ms() - 1000

    def fake_sleep(_: float) -> None:
        polls["n"] += 1
        if polls["n"] == 1:
            seed(ctx, {STREAM_A: [(start + 10, "container started")]})

    out = list(logs.follow(ctx, ENDPOINT, start_ms=start, sleep=fake_sleep, should_stop=lambda: polls["n"] >= 3))
    assert [line.message for line in out] == ["container started"]


def test_follow_skips_lines_the_caller_already_printed(ctx: AwsContext) -> None:
    seed(ctx, {STREAM_A: [(_now_ms() - 100, "shown by tail"), (_now_ms() - 50, "new")]})
    shown = logs.tail(ctx, ENDPOINT, lines=1)
    first = logs.tail(ctx, ENDPOINT, lines=2)[0]
    out = logs.follow(
        ctx,
        ENDPOINT,
        start_ms=first.timestamp_ms,
        sleep=lambda _: None,
        should_stop=lambda: False,
        already_seen=(first.content_key,),
    )
    assert next(out).message == shown[0].message


@pytest.mark.parametrize("text", ["10m", "1h", "30s", "2d", "1.5h"])
def test_parse_since_durations_are_in_the_past(text: str) -> None:
    from datetime import datetime, timezone

    now = datetime(2026, 11, 27, 20, 0, tzinfo=timezone.utc)
    value = logs.parse_since(text, now=now)
    assert value < int(now.timestamp() * 1000)


def test_parse_since_iso_and_errors() -> None:
    assert logs.parse_since("2026-11-27T20:00:00Z") == logs.parse_since("2026-11-27T20:00:00+00:00")
    assert logs.parse_since("2026-11-27T20:00:00") == logs.parse_since("2026-11-27T20:00:00Z")
    with pytest.raises(UsageError) as info:
        logs.parse_since("yesterday")
    assert info.value.field == "since" and info.value.fix


def test_explain_failure_reads_the_log_tail_and_recognises_the_error(ctx: AwsContext) -> None:
    base = _now_ms() - 30_000
    startup = [(base + i, f"INFO  ModelServer: loading step {i}") for i in range(10)]
    seed(ctx, {STREAM_A: [*startup, (base + 100, KV_ERROR), (base + 101, "INFO  ModelServer: Stopping")]})
    reason = (
        "The primary container for production variant AllTraffic did not pass the ping health check. "
        "Please check CloudWatch logs for this endpoint."
    )
    diagnosis = explain_failure(ctx, ENDPOINT, reason, lines=3)
    assert diagnosis.failure_reason == reason
    assert diagnosis.log_tail == [
        "INFO  ModelServer: loading step 9",
        KV_ERROR,
        "INFO  ModelServer: Stopping",
    ]
    fields = [hint.field for hint in diagnosis.hints]
    assert fields == ["engine.max_model_len"], "the cause, not the failed ping it led to"
    assert diagnosis.log_error is None


def test_explain_failure_without_a_recognised_cause_hints_at_the_health_check(ctx: AwsContext) -> None:
    seed(ctx, {STREAM_A: [(_now_ms() - 1000, "INFO  Downloading model weights: 41%")]})
    reason = "The primary container for production variant AllTraffic did not pass the ping health check."
    diagnosis = explain_failure(ctx, ENDPOINT, reason)
    assert [hint.field for hint in diagnosis.hints] == ["instance.startup_health_check_timeout_s"]


def test_follow_de_duplicates_by_event_id(ctx: AwsContext) -> None:
    base = _now_ms() - 5000
    seed(ctx, {STREAM_A: [(base, "same text"), (base, "same text")]})  # two events, same ms, same message
    polls = {"n": 0}

    def count(_: float) -> None:
        polls["n"] += 1

    out = list(logs.follow(ctx, ENDPOINT, start_ms=base, sleep=count, should_stop=lambda: polls["n"] >= 3))
    assert [line.message for line in out] == ["same text", "same text"]
    assert len({line.event_id for line in out}) == 2


def test_explain_failure_finds_an_error_older_than_the_lines_shown(ctx: AwsContext) -> None:
    base = _now_ms() - 30_000
    noise = [(base + 10 + i, f"INFO  shutdown {i}") for i in range(60)]
    seed(ctx, {STREAM_A: [(base, KV_ERROR), *noise]})
    diagnosis = explain_failure(ctx, ENDPOINT, None, lines=5)
    assert len(diagnosis.log_tail) == 5 and KV_ERROR not in diagnosis.log_tail
    assert [hint.field for hint in diagnosis.hints] == ["engine.max_model_len"]


def test_explain_failure_without_a_log_group_still_returns_a_diagnosis(ctx: AwsContext) -> None:
    reason = "ResourceLimitExceeded: The account-level service limit 'ml.g6e.2xlarge for endpoint usage' is 0 Instances"
    diagnosis = explain_failure(ctx, "never-started", reason)
    assert diagnosis.log_tail == []
    assert diagnosis.log_error and "does not exist" in diagnosis.log_error
    assert [hint.field for hint in diagnosis.hints] == ["instance.type"]
    assert "container logs unavailable" in diagnosis.render()
