"""``lmi size/recommend --revision`` refuse what ``model.revision`` refuses, before any Hub read, with exit 2."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from deploy.cli import build_app, main

runner = CliRunner()
MODEL = "meta-llama/Llama-3.1-8B-Instruct"  # in the bundled library: no network either way


@pytest.mark.parametrize("command", ["size", "recommend"])
@pytest.mark.parametrize("revision", ["a b", "main..dev", "-x", "x.lock", "a//b", "ma\u200bin", "v*"])
def test_a_revision_no_git_ref_can_hold_is_a_usage_error(
    command: str, revision: str, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = ["--instance", "ml.g6e.2xlarge"] if command == "size" else []
    with pytest.raises(SystemExit) as exit_info:
        main([command, MODEL, *extra, f"--revision={revision}", "--json"])
    assert exit_info.value.code == 2
    error = json.loads(capsys.readouterr().out)
    assert error["field"] == "--revision" and error["value"] == revision
    assert "not a git revision" in error["message"] and "branch, tag or full commit sha" in error["fix"]


@pytest.mark.parametrize("revision", ["main", "refs/pr/1", "v1.0", "0123456789abcdef0123456789abcdef01234567"])
def test_a_real_revision_shape_passes_the_check(revision: str) -> None:
    args = ["size", MODEL, "--instance", "ml.g6e.2xlarge", "--revision", revision, "--json"]
    result = runner.invoke(build_app(), args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["fits"] is True
