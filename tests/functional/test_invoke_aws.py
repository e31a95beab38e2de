"""Opt-in checks against a real LMI v15 endpoint (``pytest -m aws``; needs LMI_AWS_TESTS=1 and LMI_ENDPOINT).

These are the paths no fake can prove: the real response-stream framing, real container errors, real timing.
They create nothing (the endpoint must already be InService) and send a handful of short requests.
"""

from __future__ import annotations

import os

import pytest

from deploy.bench import BenchConfig, run_bench
from deploy.invoke import Endpoint
from deploy.invoking.errors import EndpointNotFoundError, PromptTooLongError

pytestmark = [
    pytest.mark.aws,
    pytest.mark.skipif(
        os.environ.get("LMI_AWS_TESTS") != "1" or not os.environ.get("LMI_ENDPOINT"),
        reason="set LMI_AWS_TESTS=1 and LMI_ENDPOINT=<an InService LMI v15 endpoint> to run",
    ),
]


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Endpoint:
    # the suite's autouse fixture points AWS at fake credentials; real runs use the caller's profile
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE",
                 "AWS_SHARED_CREDENTIALS_FILE"):  # fmt: skip
        if os.environ.get(f"LMI_REAL_{name}"):
            monkeypatch.setenv(name, os.environ[f"LMI_REAL_{name}"])
        else:
            monkeypatch.delenv(name, raising=False)
    return Endpoint(os.environ["LMI_ENDPOINT"], region=os.environ.get("LMI_REGION"))


def test_generate_chat_and_streams(endpoint: Endpoint) -> None:
    assert endpoint.generate("The capital of France is", max_new_tokens=8).text
    assert endpoint.chat("Say hello", max_tokens=8).text
    stream = endpoint.chat_stream("Count to five", max_tokens=16)
    assert "".join(stream) == stream.result.text and stream.ttft_s is not None


def test_real_errors_are_typed(endpoint: Endpoint) -> None:
    with pytest.raises(EndpointNotFoundError):
        Endpoint("lmi-deploy-no-such-endpoint", region=os.environ.get("LMI_REGION")).generate("x")
    with pytest.raises(PromptTooLongError):
        endpoint.generate("word " * 300_000, max_new_tokens=4)


def test_a_small_benchmark_completes(endpoint: Endpoint) -> None:
    report = run_bench(endpoint, BenchConfig(concurrency=(1, 2), requests=4, output_tokens=16, input_tokens=32))
    assert all(level.completed == 4 for level in report.levels)
