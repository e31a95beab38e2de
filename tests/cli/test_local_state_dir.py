"""`lmi local start` with an LMI_LOCAL_DIR it cannot use (a file, a path under a file, a missing mount, a
read-only directory) is exit 2 naming LMI_LOCAL_DIR and the fix, never a FileExistsError traceback, and starts
nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from deploy.cli import main


def _unusable(tmp_path: Path, kind: str) -> Path:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory\n")
    return {
        "a-file": a_file,
        "under-a-file": a_file / "state",
        "missing-mount": Path("/proc/lmi-deploy-no-such-dir"),
    }[kind]


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize("kind", ["a-file", "under-a-file", "missing-mount"])
def test_an_unusable_state_directory_is_a_usage_error(
    kind: str, as_json: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = _unusable(tmp_path, kind)
    monkeypatch.setenv("LMI_LOCAL_DIR", str(directory))
    with pytest.raises(SystemExit) as exited:
        main(["local", "start", *(["--json"] if as_json else [])])
    out, err = capsys.readouterr()
    assert exited.value.code == 2
    assert "Traceback" not in out + err
    if as_json:
        error = json.loads(out)
        assert error["field"] == "LMI_LOCAL_DIR"
        assert error["value"] == str(directory)
        assert "LMI_LOCAL_DIR" in error["fix"]
    else:
        assert str(directory) in err and "LMI_LOCAL_DIR" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_state_directory_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "read-only"
    directory.mkdir()
    directory.chmod(0o555)
    monkeypatch.setenv("LMI_LOCAL_DIR", str(directory))
    with pytest.raises(SystemExit) as exited:
        main(["local", "start"])
    assert exited.value.code == 2
    assert "LMI_LOCAL_DIR" in capsys.readouterr().err
