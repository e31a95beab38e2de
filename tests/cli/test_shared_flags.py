"""A flag that several commands share gets the same check, the same error text and exit 2 in every one of them.

Each case feeds one bad value to every command that has the flag (through the real entry point, with ``--json``)
and compares the errors; where the spec has the same field, the flag's fix says what the spec's error says.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deploy.cli import main

try:
    from tests.unit.spec_helpers import base, error_of
except ImportError:  # rootdir not on sys.path
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
    from spec_helpers import base, error_of  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / "tests" / "fixtures" / "configs" / "llama-3.1-8b-instruct.json")
SPEC = str(REPO / "examples" / "qwen25-7b.yaml")

# Every command that has the flag, with the other arguments it needs to get as far as parsing the flag.
REGION_COMMANDS = [
    ["plan", SPEC],
    ["plan", SPEC, "--local"],
    ["deploy", SPEC, "--yes"],
    ["status", "ep"],
    ["status", "ep", "--local"],
    ["list"],
    ["list", "--local"],
    ["destroy", "ep", "--yes"],
    ["destroy", "ep", "--yes", "--local"],
    ["scale", "ep", "--min", "1", "--max", "2"],
    ["logs", "ep"],
    ["logs", "ep", "--local"],
    ["invoke", "ep", "--prompt", "hi"],
    ["invoke", "ep", "--prompt", "hi", "--local"],
    ["chat", "ep"],
    ["bench", "ep"],
    ["bench", "ep", "--local"],
    ["recommend", CONFIG],
    ["init", "/nonexistent/dir/lmi.yaml"],
]
SIZE = ["size", CONFIG, "--instance", "ml.g6e.2xlarge"]
SHARED: dict[str, tuple[list[list[str]], list[str]]] = {
    "--region": (REGION_COMMANDS, ["mars-1", "US-EAST-1", "us-east-1 ", "", "eu-west-9"]),
    "--max-model-len": ([SIZE, ["recommend", CONFIG]], ["0", "-5", "-1"]),
    "--gpu-memory-utilization": ([SIZE, ["recommend", CONFIG]], ["1.5", "0.05", "nan", "0", "-0.3", "inf"]),
    "--kv-cache-dtype": ([SIZE, ["recommend", CONFIG]], ["fp4", "float8", "FP8"]),
    "--concurrency": ([["recommend", CONFIG], ["bench", "ep", "--local"]], ["0", "-1", "-64"]),
    "--instance": ([["size", CONFIG], ["init", "/nonexistent/dir/lmi.yaml"]], ["ml.g99.huge", "g6e", "", "ml.t3"]),
}


NO_JSON = {"chat", "init"}  # no --json; their error is read from the text on stderr


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    """Exit code and error object of ``lmi ARGS --json`` (for commands without --json: parsed from stderr)."""
    with_json = args[0] not in NO_JSON
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--json"] if with_json else args)
    out, err = capsys.readouterr()
    code = int(exit_info.value.code or 0)
    if with_json:
        return code, json.loads(out)
    lines = err.splitlines()
    message = lines[0].removeprefix("error: ")
    fix = next((line.removeprefix("  fix: ") for line in lines if line.startswith("  fix: ")), None)
    field = message.split(" ")[1] if message.startswith("invalid ") else None
    return code, {"message": message, "fix": fix, "field": field, "exit_code": code}


CASES = [(flag, value) for flag, (_, values) in SHARED.items() for value in values]


@pytest.mark.parametrize(("flag", "value"), CASES)
def test_a_shared_flag_is_refused_alike_by_every_command(
    flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    commands, _ = SHARED[flag]
    errors = []
    for command in commands:
        code, body = run([*command, flag, value], capsys)
        assert code == 2, (command, body)
        assert body["field"] == flag and body["exit_code"] == 2, (command, body)
        errors.append((body["message"], body.get("fix")))
    assert len(set(errors)) == 1, dict(zip((" ".join(c[:1]) for c in commands), errors, strict=True))
    assert errors[0][0].startswith(f"invalid {flag} '")  # a float flag shows the number typer read: '0.0'
    assert "Traceback" not in errors[0][0]


@pytest.mark.parametrize("value", ["ml.g99.huge", "p4d.24xl", ""])
def test_instance_and_instance_type_share_one_check(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, size = run(["size", CONFIG, "--instance", value], capsys)
    _, bench = run(["bench", "ep", "--local", "--instance-type", value], capsys)
    assert size["message"].replace("--instance", "--instance-type") == bench["message"]
    assert size["fix"] == bench["fix"]


@pytest.mark.parametrize(
    ("flag", "value", "spec_field", "hint"),
    [
        ("--dtype", "float16", {"engine": {"dtype": "float16"}}, "'fp16'"),
        ("--dtype", "bfloat16", {"engine": {"dtype": "bfloat16"}}, "'bf16'"),
        ("--dtype", "half", {"engine": {"dtype": "half"}}, "'fp16'"),
        ("--dtype", "float32", {"engine": {"dtype": "float32"}}, "'fp32'"),
        ("--quantize", "awqq", {"engine": {"quantize": "awqq"}}, "awq"),
        ("--region", "us-east-3", {"region": "us-east-3"}, "us-east-1"),
        ("--region", "mars-1", {"region": "mars-1"}, "use one of: af-south-1"),
    ],
)
def test_a_flag_gives_the_hint_the_spec_gives(
    flag: str, value: str, spec_field: dict[str, Any], hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec_error = error_of(base(**spec_field))
    assert hint in f"{spec_error.message} {spec_error.fix or ''}"
    command = [*SIZE, flag, value] if flag != "--region" else ["recommend", CONFIG, flag, value]
    code, body = run(command, capsys)
    assert code == 2 and body["field"] == flag
    assert hint in f"{body['message']} {body.get('fix') or ''}"


@pytest.mark.parametrize("value", ["int4", "FP16", "auto "])
def test_unknown_dtypes_are_refused_with_the_list(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, body = run([*SIZE, "--dtype", value], capsys)
    assert code == 2 and "auto, bf16, fp16, fp32" in body["fix"]


@pytest.mark.parametrize("value", ["bench.txt", "bench", "out.jpeg.zip", "plot.PNG.bak"])
def test_bench_plot_checks_the_file_type_before_the_run(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, body = run(["bench", "never-created", "--local", "--plot", value], capsys)
    assert code == 2 and body["field"] == "--plot" and ".png" in body["fix"]


@pytest.mark.parametrize("levels", ["1,0", "4,-1", "1,x", "0"])
def test_bench_concurrency_members_get_the_single_value_check(levels: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, body = run(["bench", "ep", "--local", "--concurrency", levels], capsys)
    assert code == 2 and body["field"] == "--concurrency" and body["message"].startswith("invalid --concurrency")


@pytest.mark.parametrize("rates", ["nan", "inf", "0", "-2", "1,abc"])
def test_bench_rates_are_finite_and_positive(rates: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, body = run(["bench", "ep", "--local", "--rate", rates], capsys)
    assert code == 2 and body["field"] == "--rate"
