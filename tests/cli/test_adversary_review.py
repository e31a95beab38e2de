"""Findings of an adversarial review of the real CLI, one class per test, each with several members.

Run through ``deploy.cli.main`` (its error-to-exit-code mapping included): no traceback, exit 2, the field named,
valid JSON on stdout with ``--json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / "examples" / "qwen25-7b.yaml").read_text()

# Plain or tagged scalars that PyYAML's resolver types (date, int, float) but cannot build: a bare ValueError.
UNBUILDABLE = {
    "impossible date": ("tags", "  team: 2024-02-30\n", "tags.team"),
    "month 13": ("tags", "  team: 2024-13-01\n", "tags.team"),
    "explicit int tag": ("tags", "  team: !!int abc\n", "tags.team"),
    "explicit float tag": ("tags", "  team: !!float abc\n", "tags.team"),
    "explicit timestamp tag": ("tags", "  team: !!timestamp 2024-13-45\n", "tags.team"),
    "int over 4300 digits": ("tags", "  team: 1" + "0" * 5000 + "\n", "tags.team"),
    "inside a list": ("tags", "  team: [1, 2024-99-01]\n", "tags.team[1]"),
}


def _spec_with(tmp_path: Path, section: str, body: str) -> Path:
    lines = [line for line in EXAMPLE.splitlines() if not line.startswith(f"{section}:")]
    path = tmp_path / "spec.yaml"
    path.write_text("\n".join(lines) + f"\n{section}:\n{body}")
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


@pytest.mark.parametrize("case", sorted(UNBUILDABLE))
@pytest.mark.parametrize("command", ["validate", "render", "plan"])
def test_a_typed_scalar_yaml_cannot_build_is_a_spec_error_naming_the_field(
    case: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    section, body, field = UNBUILDABLE[case]
    spec = _spec_with(tmp_path, section, body)
    extra = ["--local"] if command == "plan" else []
    code, out, err = _run(capsys, command, str(spec), "--json", *extra)
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    body_json = json.loads(out)
    assert body_json["field"] == field and "quote the value" in body_json["fix"], body_json
    assert "2024-02-30" in body_json["message"] or field in body_json["message"]


# Endpoint NAME arguments: SageMaker's name rule is checked offline by deploy.Client, for every command that takes
# one, so a bad NAME is a usage error (exit 2, field "name") and never an AWS "not found" (exit 1) or "absent" (0).
BAD_NAMES = ["", "a b", "a\nb", "../x", "a_b", "-x", "x-", "é", "a" * 64, "name\u2028x"]
NAME_COMMANDS: dict[str, tuple[list[str], list[str]]] = {  # (options, positionals after NAME)
    "status": ([], []),
    "scale": (["--min", "1", "--max", "2"], []),
    "destroy": (["--yes"], []),
    "logs": ([], []),
    "invoke": (["--prompt", "hello"], []),
    "bench": (["--requests", "1"], []),
    "openai": ([], []),
}


@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize("command", sorted(NAME_COMMANDS))
def test_an_invalid_endpoint_name_is_refused_offline_on_every_command(
    command: str, name: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LMI_LOCAL_DIR", str(tmp_path / "local"))
    monkeypatch.chdir(tmp_path)  # "../x" must not resolve to a spec file by accident
    options, positionals = NAME_COMMANDS[command]
    code, out, err = _run(capsys, command, *options, "--local", "--json", "--", name, *positionals)
    assert code == 2, (out, err)
    assert "Traceback" not in out + err and "does not exist" not in out + err
    body = json.loads(out)
    assert body["field"] == "name" and "1-63 letters" in body["fix"], body


# Durations so long that "now minus it" is before the year 1: datetime raised OverflowError (a traceback).
@pytest.mark.parametrize("since", ["99999999999d", "9999999999999w", "1" + "0" * 30 + "s", "20000000000h"])
def test_a_logs_since_before_the_year_one_is_a_usage_error(
    since: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deploy.aws.logs import parse_since
    from deploy.errors import UsageError

    with pytest.raises(UsageError) as refused:
        parse_since(since)
    assert refused.value.field == "since" and "shorter duration" in (refused.value.fix or "")
    monkeypatch.setenv("LMI_LOCAL_DIR", str(tmp_path / "local"))
    code, out, err = _run(capsys, "logs", "some-endpoint", "--since", since, "--local", "--json")
    assert code == 2 and "Traceback" not in out + err
    assert json.loads(out)["field"] == "since"


# Files whose size says 0 but whose read never ends: the config reader read them whole (killed for memory).
ENDLESS = ["/dev/zero", "/dev/urandom"]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize("device", ENDLESS)
@pytest.mark.parametrize("how", ["size --config", "spec model.config"])
def test_an_endless_config_file_is_refused_after_the_size_limit(
    device: str, how: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    if how == "size --config":
        args = ["size", "Qwen/Qwen2.5-7B-Instruct", "--instance", "ml.g6e.2xlarge", "--config", device, "--json"]
    else:
        spec = tmp_path / "spec.yaml"
        spec.write_text(
            EXAMPLE.replace("  id: Qwen/Qwen2.5-7B-Instruct", f"  id: Qwen/Qwen2.5-7B-Instruct\n  config: {device}")
        )
        args = ["validate", str(spec), "--json"]
    code, out, err = _run(capsys, *args)
    assert code == 2, (out[:300], err[:300])
    body = json.loads(out)
    assert body["field"] == "model.config", body
    if how == "size --config":  # the spec path refuses a non-regular file earlier, as "does not exist"
        assert "limited to" in body["message"], body


# Output paths: "" became Path(".") on the typer path (files written into the current directory) and "no --out" on
# the fast path (stdout); a blank or control-character path is refused the same way on every writing flag.
BAD_OUTPUT_PATHS = ["", " ", "\t", "a\nb", "out\x00dir", "x\x1b[2J"]


def _writing_commands(tmp_path: Path) -> dict[str, list[str]]:
    spec = tmp_path / "spec.yaml"
    spec.write_text(EXAMPLE)
    return {
        "render --out": ["render", str(spec), "--out"],
        "render --json --out": ["render", str(spec), "--json", "--out"],
        "schema --out": ["schema", "--out"],
        "init PATH": ["init", "--"],
        "bench --save-result": ["bench", "x", "--local", "--requests", "1", "--save-result"],
    }


@pytest.mark.parametrize("value", BAD_OUTPUT_PATHS)
@pytest.mark.parametrize(
    "command", ["render --out", "render --json --out", "schema --out", "init PATH", "bench --save-result"]
)
def test_a_blank_or_control_character_output_path_is_refused_and_nothing_is_written(
    command: str, value: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = _writing_commands(tmp_path)[command]
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("LMI_LOCAL_DIR", str(tmp_path / "local"))
    code, out, err = _run(capsys, *args, value)
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    assert ("empty path" in out + err) or ("control character" in out + err), (out, err)
    assert list(work.iterdir()) == [], "nothing may be written into the current directory"


def test_the_default_and_plain_output_paths_still_write(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _run(capsys, "init")[0] == 0 and (tmp_path / "lmi.yaml").is_file()
    assert _run(capsys, "schema", "--out", "s.json")[0] == 0 and json.loads((tmp_path / "s.json").read_text())
    assert _run(capsys, "render", "lmi.yaml", "--out", ".")[0] == 0 and (tmp_path / "serving.properties").is_file()
