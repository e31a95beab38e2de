"""A profile the AWS config files lack (``--profile typo`` or ``AWS_PROFILE=typo``) is exit 2 naming it and the fix,
on every AWS command, with or without a region: it was a botocore ProfileNotFound traceback (or, without a region,
"no AWS region given"). ``--local`` never reads a profile, so there it changes nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from deploy.cli import main

REPO = Path(__file__).resolve().parents[2]
SPEC = str(REPO / "examples" / "qwen25-7b.yaml")
COMMANDS = [
    ["status", "qwen25-7b"],
    ["list"],
    ["plan", SPEC],
    ["invoke", "qwen25-7b", "--prompt", "hi"],
    ["logs", "qwen25-7b"],
]


def lmi(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


@pytest.mark.parametrize("with_region", [True, False])
@pytest.mark.parametrize("how", ["flag", "env"])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_missing_profile_is_named(
    command: list[str],
    how: str,
    with_region: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    args = [*command, "--json"]
    if how == "flag":
        args += ["--profile", "typo-profile"]
    else:
        monkeypatch.setenv("AWS_PROFILE", "typo-profile")
    if with_region and command[0] != "plan":  # the example spec names its region itself
        args += ["--region", "us-east-1"]
    code, out, err = lmi(capsys, *args)
    assert code == 2, out + err
    assert "Traceback" not in out + err
    error = json.loads(out)
    assert error["field"] == ("--profile" if how == "flag" else "AWS_PROFILE")
    assert error["value"] == "typo-profile"
    assert "aws configure" in error["fix"]


def test_a_profile_the_config_defines_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    from deploy.aws.session import require_profile

    Path(os.environ["AWS_CONFIG_FILE"]).write_text("[default]\nregion = us-east-1\n[profile ml]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_PROFILE", "ml")
    require_profile(None)
    require_profile("ml")
    require_profile("default")


@pytest.mark.parametrize("command", [["status", "qwen25-7b"], ["list"]], ids=lambda c: c[0])
def test_local_runs_ignore_a_missing_profile(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "typo-profile")
    code, out, err = lmi(capsys, *command, "--local", "--json")
    assert "Traceback" not in out + err
    assert "typo-profile" not in out
    assert code in {0, 1}  # status of an endpoint the fresh emulator lacks is 1 (not found), never 2
