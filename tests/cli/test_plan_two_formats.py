"""`lmi plan --json --format markdown` asked for two formats and silently printed JSON; now exit 2 naming --format.
``--json --format json`` and ``--json --format table`` (the default) stay the JSON plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy.cli import main

SPEC = str(Path(__file__).resolve().parents[2] / "examples" / "qwen25-7b.yaml")


def lmi(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    return int(exited.value.code or 0), capsys.readouterr().out


@pytest.mark.parametrize("order", ["json-first", "format-first"])
def test_json_and_markdown_together_are_refused(order: str, capsys: pytest.CaptureFixture[str]) -> None:
    flags = ["--json", "--format", "markdown"] if order == "json-first" else ["--format", "markdown", "--json"]
    code, out = lmi(capsys, "plan", SPEC, "--local", *flags)
    assert code == 2
    error = json.loads(out)
    assert (error["field"], error["value"]) == ("--format", "markdown")


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_json_with_a_compatible_format_is_the_json_plan(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = lmi(capsys, "plan", SPEC, "--local", "--json", "--format", fmt)
    assert code == 0
    assert json.loads(out)["endpoint"] == "qwen25-7b"
