"""Under ``--json`` the command line's own parse errors (unknown option or command, missing argument, a value of
the wrong type, an option without its value) are one JSON object on stdout that a CI step can read: ``error``,
``message``, ``field`` (the option or argument click blames), ``fix`` (the command's ``--help``), ``exit_code`` 2.
Without ``--json`` click's usage text on stderr is unchanged."""

from __future__ import annotations

import json

import pytest

from deploy.cli import main

CASES = [
    (["size", "org/m", "--bogus", "x"], "--bogus", "lmi size"),  # unknown option
    (["size", "org/m", "--tp", "abc"], "--tp", "lmi size"),  # not an int
    (["scale", "ep", "--min", "z"], "--min", "lmi scale"),
    (["plan"], "spec", "lmi plan"),  # missing argument
    (["validate"], "SPEC", "lmi validate"),
    (["render", "x.yaml", "--out"], "--out", "lmi render"),  # an option without its value
    (["size", "org/m", "--tp"], "--tp", "lmi size"),
    (["nosuch"], None, "lmi"),  # unknown command: click names no field
    (["--bogus"], "--bogus", "lmi"),  # unknown option of lmi itself
]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    captured = capsys.readouterr()
    return int(done.value.code or 0), captured.out, captured.err


PLACES = [(*case, where) for case in CASES for where in ("end", "start") if where == "end" or case[2] != "lmi"]


@pytest.mark.parametrize(("argv", "field", "command", "where"), PLACES)
def test_a_parse_error_under_json_is_one_error_object_on_stdout(
    argv: list[str], field: str | None, command: str, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # "start": --json right after the command (the root command has no --json of its own).
    # After an option that lacks its value, --json would be that value: it goes just before it instead.
    last = len(argv) - 1 if argv[-1] in {"--out", "--tp"} else len(argv)
    args = [*argv[:last], "--json", *argv[last:]] if where == "end" else [argv[0], "--json", *argv[1:]]
    code, out, err = run(args, capsys)
    assert code == 2
    assert len(out.splitlines()) == 1 and "Usage:" not in err
    error = json.loads(out)
    assert set(error) == {"error", "message", "field", "fix", "exit_code"}
    assert (error["error"], error["field"], error["fix"], error["exit_code"]) == (
        "usage_error",
        field,
        f"run {command} --help",
        2,
    )
    assert error["message"]


@pytest.mark.parametrize(("argv", "field", "command"), CASES)
def test_without_json_the_usage_text_is_unchanged(
    argv: list[str], field: str | None, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert err.startswith(("Usage: lmi", "Error: ")) and "Error: " in err and '"error"' not in err
