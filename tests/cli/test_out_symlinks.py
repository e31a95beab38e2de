"""Files lmi writes (render --out, schema --out, init, bench --save-result) replace a symbolic link planted where
they go instead of writing through it, and never leave half a file: a repository whose specs CI renders could
commit ``rendered/serving.properties -> ~/.bashrc``. A component directory inside --out that links elsewhere is
refused."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deploy.cli import main
from deploy.spec.paths import replace_file

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "examples" / "qwen25-7b.yaml"
COMPONENTS = REPO / "examples" / "components.yaml"
RENDERED = ["serving.properties", "environment.json", "create-model.json", "create-endpoint-config.json"]
ORIGINAL = "the victim's own content\n"


def lmi(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def victim(tmp_path: Path, name: str = "victim.txt") -> Path:
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    path = outside / name
    path.write_text(ORIGINAL)
    return path


@pytest.mark.parametrize("planted", RENDERED)
def test_render_out_replaces_a_planted_symlink_and_leaves_its_target_alone(
    planted: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = victim(tmp_path)
    out = tmp_path / "rendered"
    out.mkdir()
    (out / planted).symlink_to(target)
    code, _, err = lmi(capsys, "render", str(SPEC), "--out", str(out))
    assert code == 0, err
    assert target.read_text() == ORIGINAL
    assert not (out / planted).is_symlink()
    assert (out / planted).stat().st_size > 0
    assert not list(out.glob(".*.tmp"))


def test_a_dangling_symlink_is_replaced_not_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nowhere = tmp_path / "outside" / "created-through-the-link.json"
    (tmp_path / "outside").mkdir()
    schema = tmp_path / "schema.json"
    schema.symlink_to(nowhere)
    code, _, err = lmi(capsys, "schema", "--out", str(schema))
    assert code == 0, err
    assert not nowhere.exists()
    assert schema.is_file() and not schema.is_symlink()
    spec = tmp_path / "lmi.yaml"
    spec.symlink_to(tmp_path / "outside" / "spec-through-the-link.yaml")
    code, _, err = lmi(capsys, "init", str(spec))
    assert code == 0, err
    assert not (tmp_path / "outside" / "spec-through-the-link.yaml").exists()
    assert "name:" in spec.read_text()


def test_a_component_directory_linking_outside_out_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "rendered"
    out.mkdir()
    (out / "qwen").symlink_to(outside, target_is_directory=True)
    code, out_text, err = lmi(capsys, "render", str(COMPONENTS), "--out", str(out), "--json")
    assert code == 2, err
    assert '"field": "--out"' in out_text
    assert list(outside.iterdir()) == []


@settings(max_examples=40, deadline=None)
@given(text=st.text(max_size=2000))
def test_replace_file_writes_exactly_the_text_with_the_usual_permissions(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    directory = tmp_path_factory.mktemp("replace")
    path = directory / "file.txt"
    replace_file(path, text)
    assert path.read_bytes().decode("utf-8") == text  # as write_text writes it (no newline translation on POSIX)
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
    assert [p.name for p in directory.iterdir()] == ["file.txt"]


@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError])
def test_an_interrupted_write_keeps_the_old_file_and_leaves_no_temporary(
    failure: type[BaseException], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "serving.properties"
    path.write_text(ORIGINAL)

    def fail(*args: object) -> None:
        raise failure()

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(failure):
        replace_file(path, "new text")
    assert path.read_text() == ORIGINAL
    assert [p.name for p in tmp_path.iterdir()] == ["serving.properties"]
