"""``lmi invoke``, ``lmi chat`` and ``lmi bench`` end to end: real CLI entry point, real botocore, a local stub.

The stub (``deploy.bench.stub``) answers like an LMI v15 endpoint over HTTP, including the event-stream framing
of response streaming; ``AWS_ENDPOINT_URL`` points the CLI's clients at it, as it would at any endpoint.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.bench.stub import StubReply, StubRuntime, lmi_token_lines
from deploy.cli import main

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stub() -> Iterator[StubRuntime]:
    with StubRuntime() as server:
        yield server


@pytest.fixture(autouse=True)
def _point_at_stub(stub: StubRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", stub.url)
    monkeypatch.setenv("COLUMNS", "120")


def _run(args: list[str], capsys: pytest.CaptureFixture[str], stdin: str = "") -> tuple[int, str, str]:
    sys.stdin = io.StringIO(stdin)
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.stdin = sys.__stdin__
    out, err = capsys.readouterr()
    return code, out, err


def test_invoke_prints_the_generated_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["invoke", "qwen", "--prompt", "Hello", "--param", "max_new_tokens=3"], capsys)
    assert (code, out) == (0, " tok0 tok1 tok2\n")


def test_invoke_stream_prints_text_as_it_arrives(capsys: pytest.CaptureFixture[str], stub: StubRuntime) -> None:
    code, out, _ = _run(["invoke", "qwen", "--prompt", "Hello", "-p", "max_new_tokens=2", "--stream"], capsys)
    assert (code, out) == (0, " tok0 tok1\n")
    assert stub.requests[-1][0].endswith("/invocations-response-stream")


def test_invoke_json_prints_the_parsed_chat_response(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["invoke", "qwen", "--prompt", "Hi", "--system", "Be brief", "-p", "max_tokens=2", "--json"]
    code, out, _ = _run(args, capsys)
    data = json.loads(out)
    assert code == 0 and data["text"] == " tok0 tok1" and data["completion_tokens"] == 2
    assert data["raw"]["object"] == "chat.completion"


@pytest.mark.parametrize(
    ("param", "needle"),
    [('stop_sequences=["x"]', "use stop="), ("temprature=1", "temperature"), ("max_new_tokens", "e.g. --param")],
)
def test_bad_parameters_exit_2_with_a_fix(param: str, needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["invoke", "qwen", "--prompt", "Hi", "-p", param, "--json"], capsys)
    data = json.loads(out)
    assert code == 2 and data["error"] == "usage_error" and needle in data["fix"]


def test_container_errors_exit_1_with_the_cause(stub: StubRuntime, capsys: pytest.CaptureFixture[str]) -> None:
    body = json.dumps({"Message": "x", "OriginalStatusCode": 507, "OriginalMessage": "CUDA out of memory"})
    previous = stub.responder
    stub.responder = lambda path, request: StubReply(status=424, body=body.encode(), error_type="ModelError")
    try:
        code, _, err = _run(["invoke", "qwen", "--prompt", "Hi"], capsys)
    finally:
        stub.responder = previous
    assert code == 1 and "out of GPU memory" in err and "max_rolling_batch_size" in err


def test_chat_keeps_history_resets_and_exits(stub: StubRuntime, capsys: pytest.CaptureFixture[str]) -> None:
    before = len(stub.requests)
    code, out, err = _run(["chat", "qwen", "--system", "Be brief", "-p", "max_tokens=2"], capsys,
                          stdin="first\nsecond\n/reset\nthird\n/exit\nnever sent\n")  # fmt: skip
    sent = [request["messages"] for _, request in stub.requests[before:]]
    assert code == 0 and out.count(" tok0 tok1\n") == 3 and "history cleared" in err
    assert [len(messages) for messages in sent] == [2, 4, 2]  # system+user, +assistant+user, reset
    assert sent[1][2] == {"role": "assistant", "content": " tok0 tok1"}


def test_chat_with_a_bad_parameter_exits_2_before_reading_input(
    stub: StubRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    before = len(stub.requests)
    code, _, err = _run(["chat", "qwen", "-p", "max_new_tokens=2"], capsys, stdin="first\nsecond\n")
    assert code == 2 and "use max_tokens=2" in err and "you>" not in err
    assert len(stub.requests) == before


def test_a_stream_that_fails_midway_ends_its_line_and_chat_goes_on(
    stub: StubRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    previous = stub.responder
    stub.responder = lambda path, request: StubReply(
        parts=lmi_token_lines(2)[:1], stream_failure=("ModelStreamError", "engine died")
    )
    try:
        code, out, err = _run(["invoke", "qwen", "--prompt", "Hi", "--stream"], capsys)
        chat_code, chat_out, chat_err = _run(["chat", "qwen"], capsys, stdin="one\ntwo\n")
    finally:
        stub.responder = previous
    assert (code, out) == (1, " tok0\n") and "engine died" in err
    assert (chat_code, chat_out) == (0, " tok0\n tok0\n") and chat_err.count("engine died") == 2


def test_bench_json_reports_every_level(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["bench", "qwen", "--concurrency", "1,2", "--requests", "4", "--output-tokens", "4",
            "--instance-type", "ml.g6e.xlarge", "--instance-count", "2", "--slo-ttft-ms", "1000", "--json"]  # fmt: skip
    code, out, _ = _run(args, capsys)
    report = json.loads(out)
    assert code == 0 and [level["level"] for level in report["levels"]] == [1, 2]
    assert all(level["completed"] == 4 and level["output_tokens"] == 16 for level in report["levels"])
    assert report["config"]["instance_count"] == 2 and report["config"]["slo"]["ttft_ms"] == 1000


def test_bench_table_and_rate_mode(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["bench", "qwen", "--rate", "50", "--requests", "5", "--output-tokens", "3"], capsys)
    assert code == 0 and "50/s" in out and "TTFT" in out


def test_bench_plot_into_a_missing_directory_fails_before_the_run(
    stub: StubRuntime, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    before = len(stub.requests)
    target = str(tmp_path / "missing" / "bench.png")
    code, out, _ = _run(["bench", "qwen", "--concurrency", "1", "--requests", "2", "--plot", target, "--json"], capsys)
    assert code == 2 and json.loads(out)["field"] == "--plot"
    assert len(stub.requests) == before


def test_bench_says_why_requests_failed(stub: StubRuntime, capsys: pytest.CaptureFixture[str]) -> None:
    """The warm-up asks for at most 8 tokens; a level asking for more than the model allows fails every request."""
    too_long = json.dumps({"Message": "x", "OriginalStatusCode": 424,
                           "OriginalMessage": "This model's maximum context length is 16 tokens."})  # fmt: skip
    previous = stub.responder

    def responder(path: str, request: dict[str, object]) -> StubReply:
        params = request.get("parameters") or {}
        if isinstance(params, dict) and params.get("max_new_tokens", 0) > 8:
            return StubReply(status=424, body=too_long.encode(), error_type="ModelError")
        return previous(path, request)

    stub.responder = responder
    try:
        code, out, err = _run(
            ["bench", "qwen", "--concurrency", "1", "--requests", "2", "--output-tokens", "32"], capsys
        )
        json_code, json_out, _ = _run(
            ["bench", "qwen", "--concurrency", "1", "--requests", "2", "--output-tokens", "32", "--json"], capsys
        )
    finally:
        stub.responder = previous
    assert code == 1 and json_code == 1 and "100.0%" in out  # every request failed: the run measured nothing
    assert "all 2 request(s) failed" in err
    assert "errors at 1: 2 x prompt_too_long: endpoint 'qwen': the prompt is too long" in err
    level = json.loads(json_out)["levels"][0]
    assert (
        level["errors"] == {"prompt_too_long": 2}
        and "maximum context length" in level["error_examples"]["prompt_too_long"]
    )


def test_bench_rejects_bad_levels(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["bench", "qwen", "--concurrency", "1,x", "--json"], capsys)
    assert code == 2 and json.loads(out)["field"] == "--concurrency"


def test_bench_rejects_a_zero_instance_count_instead_of_pricing_one(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["bench", "qwen", "--concurrency", "1", "--requests", "2", "--instance-type", "ml.g6e.xlarge",
            "--instance-count", "0", "--json"]  # fmt: skip
    code, out, _ = _run(args, capsys)
    assert code == 2 and json.loads(out)["field"] == "--instance-count"


def test_local_invoke_of_a_missing_endpoint_in_a_real_process() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "LMI_LOCAL": "1"}
    env.pop("AWS_ENDPOINT_URL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "deploy.cli", "invoke", "nope", "--prompt", "hi", "--json"],
        capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["error"] == "endpoint_not_found"
