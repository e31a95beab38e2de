"""The typer-free fast path of `lmi render` / `lmi validate` must answer exactly as the typer app does.

Why: the fast path (deploy.cli.fast) exists only for start-up time; an argument list it accepts must give the same
stdout, stderr and exit code as typer, and every list whose meaning is not certain must go to typer untouched.
Each case runs twice, once through ``main`` (fast path when it applies) and once through the typer app alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploy.cli import _run_typer, main
from deploy.cli.fast import parse

ROOT = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"
SPECS = {
    "example": (ROOT / "examples" / "qwen25-7b.yaml").read_text(),
    "golden-toml": (ROOT / "tests" / "golden" / "cases" / "china-async.toml").read_text(),
    "golden-s3": (ROOT / "tests" / "golden" / "cases" / "large-8gpu-s3.yaml").read_text(),
    "unknown-model": f"name: ep\nrole: {ROLE}\nmodel: {{id: org/unknown-model}}\ninstance: {{type: ml.g5.xlarge}}\n",
    "bad-field": f"name: ep\nrole: {ROLE}\nmodel: {{id: org/m}}\nengine: {{max_model_len: -3}}\n",
    "unknown-key": f"name: ep\nrole: {ROLE}\nmodel: {{id: org/m}}\nengnie: {{}}\n",
    "does-not-fit": f"name: ep\nrole: {ROLE}\nmodel: {{id: meta-llama/Llama-3.1-70B-Instruct}}\n"
    "instance: {type: ml.g5.xlarge}\n",
    "not-yaml": "name: [unclosed\n",
    "components": (ROOT / "examples" / "components.yaml").read_text(),
    "components-refused": f"name: ep\nrole: {ROLE}\ninstance: {{type: ml.g6e.12xlarge}}\ncomponents:\n"
    "  - {name: q, model: {id: Qwen/Qwen2.5-7B-Instruct}, engine: {tensor_parallel_degree: 2}, copies: 4}\n",
}


def _spec_file(tmp_path: Path, key: str) -> str:
    suffix = ".toml" if key == "golden-toml" else ".yaml"
    path = tmp_path / f"{key}{suffix}"
    path.write_text(SPECS[key])
    return str(path)


def _outcome(capsys: pytest.CaptureFixture[str], entry: object, args: list[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        entry(args)  # type: ignore[operator]
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


ARGUMENT_FORMS = [
    ["render"],
    ["render", "--json"],
    ["validate"],
    ["validate", "--json"],
    ["render", "--out", "OUT"],
    ["render", "--out=OUT", "--json"],
]


@pytest.mark.parametrize("spec", sorted(SPECS))
@pytest.mark.parametrize("extra", ARGUMENT_FORMS)
def test_fast_path_answers_as_typer_does(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, spec: str, extra: list[str]
) -> None:
    path = _spec_file(tmp_path, spec)
    outs = {side: str(tmp_path / side) for side in ("fast", "typer")}

    def argv(side: str) -> list[str]:
        return [extra[0], path, *(a.replace("OUT", outs[side]) for a in extra[1:])]

    def same_names(outcome: tuple[int, str, str], side: str) -> tuple[int, str, str]:
        return outcome[0], outcome[1].replace(outs[side], "OUT"), outcome[2].replace(outs[side], "OUT")

    assert parse(argv("fast")) is not None, "this list should take the fast path"
    fast = same_names(_outcome(capsys, main, argv("fast")), "fast")
    slow = same_names(_outcome(capsys, _run_typer, argv("typer")), "typer")
    assert fast == slow
    if "OUT" in " ".join(extra) and fast[0] == 0:
        written = {side: sorted(p.read_text() for p in Path(outs[side]).rglob("*") if p.is_file()) for side in outs}
        assert written["fast"] == written["typer"]


@pytest.mark.parametrize(
    "args",
    [
        ["render"],  # no SPEC
        ["validate"],
        ["render", "--help"],
        ["validate", "-h"],
        ["render", "a.yaml", "b.yaml"],  # two SPECs
        ["render", "a.yaml", "--json", "--json"],
        ["render", "a.yaml", "--out"],  # option without its value
        ["render", "a.yaml", "--out", "--json"],
        ["render", "a.yaml", "--out="],
        ["render", "a.yaml", "--out", "x", "--out", "y"],
        ["validate", "a.yaml", "--out", "x"],  # validate has no --out
        ["render", "--", "a.yaml"],
        ["render", "-"],
        ["render", ""],
        ["render", "a.yaml", "--jsn"],
        ["render", "a.yaml", "--json=1"],
        ["size", "a.yaml"],  # other commands are typer's
        ["--version"],
        [],
    ],
)
def test_ambiguous_argument_lists_go_to_typer(args: list[str]) -> None:
    assert parse(args) is None


@given(
    tokens=st.lists(
        st.sampled_from(["--json", "--out", "--out=d", "d", "s.yaml", "-x", "--", "--help", "-h", "=", ""]),
        max_size=6,
    ),
    command=st.sampled_from(["render", "validate", "plan"]),
)
def test_parse_accepts_only_one_spec_and_known_flags_once(tokens: list[str], command: str) -> None:
    parsed = parse([command, *tokens])
    if parsed is None:
        return
    assert command in ("render", "validate")
    assert isinstance(parsed["spec"], str) and parsed["spec"] and not parsed["spec"].startswith("-")
    assert set(parsed) <= {"command", "spec", "--json", "--out"}
    assert tokens.count("--json") == (1 if "--json" in parsed else 0)
    if command == "validate":
        assert "--out" not in parsed
