"""Paths that exist but are not regular files (a FIFO, a character device, /dev/stdin) given as the spec or as a
local model: refused at once as "not a regular file" (exit 2, the path, the fix), never "does not exist", and
never read (a FIFO with no writer would block forever)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from deploy.cli import main

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"


def lmi(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    return int(exited.value.code or 0), json.loads(capsys.readouterr().out)


def fifo(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("command", ["validate", "render"])
@pytest.mark.parametrize("kind", ["fifo", "dev-null", "dev-stdin"])
def test_a_spec_that_is_not_a_regular_file_is_refused(
    kind: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = {"fifo": lambda: fifo(tmp_path, "spec.yaml"), "dev-null": lambda: Path("/dev/null")}.get(
        kind, lambda: Path("/dev/stdin")
    )()
    code, error = lmi(capsys, command, str(path), "--json")
    assert code == 2
    assert "is not a regular file" in str(error["message"])
    assert error["fix"]


@pytest.mark.parametrize("model", ["/dev/null", "/dev/zero", "FIFO"])
def test_a_local_model_that_is_not_a_file_or_directory_is_refused(
    model: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model_path = str(fifo(tmp_path, "model")) if model == "FIFO" else model
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"name: odd\nregion: us-east-1\nrole: {ROLE}\nmodel: {{id: {model_path}}}\n")
    code, error = lmi(capsys, "validate", str(spec), "--json")
    assert code == 2
    assert error["field"] == "model.id"
    assert "is not a regular file or directory" in str(error["message"])
