"""`lmi init --ci github` writes the spec and the workflow, or neither: a workflow that already exists used to be
refused only after the spec had been written (exit 2 with a new file on disk)."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.cli import main

WORKFLOW = Path(".github/workflows/lmi-deploy.yml")


def lmi(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    return int(exited.value.code or 0), capsys.readouterr().err


@pytest.mark.parametrize("existing", ["workflow", "spec", "both"])
def test_an_existing_file_leaves_everything_as_it_was(
    existing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    kept = {"workflow": [WORKFLOW], "spec": [Path("lmi.yaml")], "both": [WORKFLOW, Path("lmi.yaml")]}[existing]
    for path in kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("mine\n")
    code, err = lmi(capsys, "init", "--ci", "github")
    assert code == 2
    assert "already exists" in err and "--force" in err
    assert sorted(str(p) for p in (Path("lmi.yaml"), WORKFLOW) if p.exists()) == sorted(str(p) for p in kept)
    assert all(path.read_text() == "mine\n" for path in kept)


def test_force_rewrites_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for path in (WORKFLOW, Path("lmi.yaml")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("mine\n")
    code, err = lmi(capsys, "init", "--ci", "github", "--force")
    assert code == 0, err
    assert "name:" in Path("lmi.yaml").read_text()
    assert "lmi" in WORKFLOW.read_text()


def test_an_unknown_ci_system_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _ = lmi(capsys, "init", "--ci", "jenkins")
    assert code == 2
    assert list(tmp_path.iterdir()) == []
