"""``lmi bench`` over the OpenAI-compatible route, with a tokenizer built here, ShareGPT replay and the
vLLM-style result files, against the embedded emulator (library calls and the real CLI entry point)."""

from __future__ import annotations

import io
import json
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("tokenizers", reason="the [tokenizers] extra is not installed")

from deploy.bench import BenchConfig, run_bench
from deploy.bench.tokens import HubTokenizer
from deploy.bench.vllm_result import result_paths, write_results
from deploy.cli import main
from deploy.invoke.endpoint import Endpoint
from deploy.local import Emulator
from deploy.local.testing import deploy
from tests.unit.tokenizer_hub import build_tokenizer, write_tokenizer

# The keys vLLM's benchmarks/benchmark_serving.py writes with --save-result --save-detailed (vllm-project/vllm,
# read at commit 0049e29c41fd383bda519a3f250e3227713081ef), with the default percentile metrics and p99.
VLLM_KEYS = {
    "date", "backend", "model_id", "tokenizer_id", "num_prompts", "request_rate", "burstiness", "max_concurrency",
    "duration", "completed", "total_input_tokens", "total_output_tokens", "request_throughput",
    "output_throughput", "total_token_throughput", "input_lens", "output_lens", "ttfts", "itls",
    "generated_texts", "errors",
    *(f"{stat}_{metric}_ms" for stat in ("mean", "median", "std", "p99") for metric in ("ttft", "tpot", "itl")),
}  # fmt: skip


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(time_scale=0, ttft_s=0.002, itl_s=0.001) as emu:
        deploy(emu.context(), "bench-ep")
        yield emu


@pytest.fixture(scope="module")
def counter() -> HubTokenizer:
    return HubTokenizer(build_tokenizer("bpe"), "test-org/tiny-bpe")


def _run(emulator: Emulator, counter: HubTokenizer, **config: Any) -> Any:
    endpoint = Endpoint("bench-ep", context=emulator.context(), max_attempts=1, max_pool_connections=16)
    return run_bench(endpoint, BenchConfig(**config), counter=counter)


@pytest.mark.parametrize("api", ["openai", "invoke"])
def test_bench_counts_tokens_with_the_tokenizer(emulator: Emulator, counter: HubTokenizer, api: str) -> None:
    report = _run(emulator, counter, concurrency=(2,), requests=4, input_tokens=24, output_tokens=6, api=api, chat=True)
    level = report.levels[0]
    assert (level.completed, level.input_tokens) == (4, 4 * 24)
    # the route sends usage in its last chunk (the server's count: 6 each); LMI's chat stream does not, so our
    # tokenizer counts the answer's text (the emulator's words are several tokens each for it)
    assert [r.server_counted for r in level.records] == [api == "openai"] * 4
    if api == "openai":
        assert level.output_tokens == 4 * 6
    else:
        assert level.output_tokens == sum(counter.count(r.text) for r in level.records) > 4 * 6
    assert report.token_counting == {"tokenizer": "test-org/tiny-bpe", "exact": True, "note": counter.note}


def test_result_files_have_vllms_keys_and_consistent_values(
    emulator: Emulator, counter: HubTokenizer, tmp_path: Path
) -> None:
    report = _run(emulator, counter, concurrency=(1, 3), requests=6, input_tokens=16, output_tokens=5, api="openai")
    written = write_results(tmp_path / "run.json", report, date="20261201-090000")
    assert [p.name for p in written] == ["run-concurrency1.json", "run-concurrency3.json"]
    for path, level in zip(written, report.levels, strict=True):
        data = json.loads(path.read_text())
        assert set(data) >= VLLM_KEYS, VLLM_KEYS - set(data)
        assert data["num_prompts"] == len(data["input_lens"]) == len(data["ttfts"]) == 6
        assert data["completed"] == 6 and data["total_output_tokens"] == sum(data["output_lens"]) == 30
        assert data["total_input_tokens"] == sum(data["input_lens"]) == 6 * 16
        assert data["max_concurrency"] == int(level.level) and data["request_rate"] == "inf"
        assert data["mean_ttft_ms"] == pytest.approx(statistics.fmean(data["ttfts"]) * 1000)
        assert data["median_itl_ms"] == pytest.approx(statistics.median([g for r in data["itls"] for g in r]) * 1000)
        assert data["request_throughput"] == pytest.approx(data["completed"] / data["duration"])
        total = data["total_input_tokens"] + data["total_output_tokens"]
        assert data["total_token_throughput"] == pytest.approx(total / data["duration"])
        assert data["lmi_deploy"]["api"] == "openai" and data["lmi_deploy"]["output_tokens_from_server"] == 6


def test_one_level_writes_the_named_file(tmp_path: Path) -> None:
    report: Any = type("R", (), {"levels": [object()]})()
    assert result_paths(tmp_path / "x.json", report) == [tmp_path / "x.json"]


# -- the CLI ------------------------------------------------------------------------------------------------


@pytest.fixture
def local_endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An endpoint in the process's --local emulator (no background server: LMI_LOCAL_DIR is empty)."""
    from deploy.local.background import connect

    monkeypatch.setenv("LMI_LOCAL_DIR", str(tmp_path / "local"))
    monkeypatch.setenv("COLUMNS", "120")
    name = "cli-" + "".join(c for c in tmp_path.name if c.isalnum())[-24:]
    ctx = connect("us-east-1")
    deploy(ctx, name)
    sagemaker, deadline = ctx.client("sagemaker"), time.monotonic() + 30
    while sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] != "InService":
        assert time.monotonic() < deadline, "the --local emulator did not bring the endpoint InService"
        time.sleep(0.05)
    return name


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    sys.stdin = io.StringIO("")
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_bench_over_the_route_saves_a_result(
    local_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tokenizer = write_tokenizer(tmp_path, "wordpiece")
    out_file = tmp_path / "result.json"
    args = ["bench", local_endpoint, "--local", "--api", "openai", "--tokenizer", str(tokenizer),
            "--concurrency", "2", "--requests", "4", "--input-tokens", "12", "--output-tokens", "3",
            "--save-result", str(out_file)]  # fmt: skip
    code, _, err = _cli(args, capsys)
    assert code == 0, err
    data = json.loads(out_file.read_text())
    assert data["input_lens"] == [12] * 4 and data["output_lens"] == [3] * 4
    assert data["tokenizer_id"] == str(tokenizer) and "approximate" not in err


def test_cli_bench_says_when_it_approximates(local_endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["bench", local_endpoint, "--local", "--concurrency", "1", "--requests", "2", "--output-tokens", "2",
            "--tokenizer", "approx"]  # fmt: skip
    code, _, err = _cli(args, capsys)
    assert code == 0 and "note: approximate token counts" in err


def test_without_tokenizer_flag_the_endpoints_model_id_is_used(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The served model's Hub id is read from the endpoint; its tokenizer is loaded (here: a stand-in loader)."""
    from deploy.bench import inputs
    from deploy.errors import UsageError

    endpoint = Endpoint("bench-ep", context=emulator.context())
    assert endpoint.gateway.model_id("bench-ep") == "Qwen/Qwen2.5-7B-Instruct"
    asked: list[str | None] = []
    monkeypatch.setattr(inputs, "load_counter", lambda tok: asked.append(tok) or HubTokenizer(build_tokenizer(), tok))
    counter, replay = inputs.bench_inputs(endpoint, None, None, seed=0)
    assert asked == ["Qwen/Qwen2.5-7B-Instruct"] and counter.exact and replay is None

    def unreachable(tok: str | None) -> Any:
        raise UsageError(f"cannot fetch the tokenizer of {tok!r}", field="--tokenizer", value=tok, fix="-")

    monkeypatch.setattr(inputs, "load_counter", unreachable)
    counter, _ = inputs.bench_inputs(endpoint, None, None, seed=0)
    assert not counter.exact and "cannot fetch the tokenizer of 'Qwen/Qwen2.5-7B-Instruct'" in counter.note
    with pytest.raises(UsageError):  # a tokenizer the user named must load, or the run stops
        inputs.bench_inputs(endpoint, "Qwen/Qwen2.5-7B-Instruct", None, seed=0)


def test_cli_bench_replays_sharegpt(local_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conversations = [
        {"conversations": [{"from": "human", "value": f"question number {i} about the model and the endpoint"},
                           {"from": "gpt", "value": " ".join(["answer"] * (5 + i))}]}
        for i in range(3)
    ]  # fmt: skip
    dataset = tmp_path / "sharegpt.json"
    dataset.write_text(json.dumps(conversations))
    args = ["bench", local_endpoint, "--local", "--chat", "--dataset", "sharegpt", str(dataset), "--tokenizer",
            "approx", "--concurrency", "1", "--requests", "3", "--json"]  # fmt: skip
    code, out, err = _cli(args, capsys)
    assert code == 0, err
    report = json.loads(out)
    assert report["config"]["dataset"] == ["sharegpt", str(dataset)]
    assert report["levels"][0]["input_tokens"] == sum(
        len(c["conversations"][0]["value"].split()) for c in conversations
    )
    assert report["levels"][0]["output_tokens"] == 5 + 6 + 7


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--api", "bedrock"], "--api"),
        (["--tokenizer", "./no/such/tokenizer.json"], "--tokenizer"),
        (["--dataset", "alpaca", "x.json"], "--dataset"),
        (["--dataset", "sharegpt", "/no/such/file.json"], "--dataset"),
    ],
)
def test_cli_bench_bad_flags_exit_2(
    local_endpoint: str, capsys: pytest.CaptureFixture[str], args: list[str], field: str
) -> None:
    base = ["bench", local_endpoint, "--local", "--requests", "1", "--json"]
    extra = [] if "--tokenizer" in args else ["--tokenizer", "approx"]
    code, out, _ = _cli([*base, *extra, *args], capsys)
    assert code == 2 and json.loads(out)["field"] == field


def test_cli_openai_prints_exports_and_json(local_endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    import shlex

    import openai

    code, out, err = _cli(["openai", local_endpoint, "--local", "--hours", "1"], capsys)
    assert code == 0 and "expires at" in err
    env = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in out.splitlines())
    assert set(env) == {"OPENAI_BASE_URL", "OPENAI_API_KEY"}
    client = openai.OpenAI(base_url=env["OPENAI_BASE_URL"], api_key=env["OPENAI_API_KEY"], max_retries=0)
    answer = client.chat.completions.create(model="", messages=[{"role": "user", "content": "hi"}], max_tokens=2)
    assert answer.usage.completion_tokens == 2
    code, out, _ = _cli(["openai", local_endpoint, "--local", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and set(data) == {"base_url", "api_key", "expires_at", "model"}
    assert data["base_url"].endswith(f"/endpoints/{local_endpoint}/openai/v1")
    assert data["model"] == "" and data["expires_at"].endswith("Z")
    # A single-model endpoint has no components: naming one is refused (the component route is tested with the
    # component endpoints in test_component_ops_emulator.py).
    code, out, _ = _cli(["openai", local_endpoint, "--local", "--json", "--component", "ic-a"], capsys)
    assert (
        code == 2
        and json.loads(out)["field"] == "component"
        and "no inference components" in json.loads(out)["message"]
    )


@pytest.mark.parametrize("hours", ["0", "-1", "12.5", "100"])
def test_cli_openai_refuses_lifetimes_aws_refuses(
    local_endpoint: str, capsys: pytest.CaptureFixture[str], hours: str
) -> None:
    code, out, _ = _cli(["openai", local_endpoint, "--local", "--hours", hours, "--json"], capsys)
    assert code == 2 and json.loads(out)["field"] == "--hours"


def test_cli_chat_over_the_route(local_endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    sys.stdin = io.StringIO("hello\n/exit\n")
    try:
        main(["chat", local_endpoint, "--local", "--api", "openai", "-p", "max_tokens=3"])
    except SystemExit as exc:
        assert not exc.code
    out, _ = capsys.readouterr()
    assert out.startswith("[emulated]")


@pytest.mark.parametrize("stream", [False, True])
def test_cli_invoke_over_the_route(local_endpoint: str, capsys: pytest.CaptureFixture[str], stream: bool) -> None:
    args = ["invoke", local_endpoint, "--local", "--api", "openai", "--prompt", "Hi", "-p", "max_tokens=4", "--json"]
    code, out, err = _cli([*args, "--stream"] if stream else args, capsys)
    assert code == 0, err
    result = json.loads(out)
    assert result["text"].startswith("[emulated]") and result["completion_tokens"] == 4
