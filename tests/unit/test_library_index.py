"""The bundled library's two indexes (deploy/sizing/loader.py) answer alike for every key the cheap one holds.

Why: ``_bundled`` asks the file-name index (no file read) before the full index (every file read for its aliases),
which is only correct if a canonical id wins in the full index too. Checked on the shipped library and on made-up
libraries where aliases, bare names and canonical ids collide, in both file orders.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy.sizing import loader


def _both(directory: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Path], dict[str, Path]]:
    monkeypatch.setattr(loader, "LIBRARY_DIR", directory)
    loader._canonical_index.cache_clear()
    loader._library_index.cache_clear()
    try:
        return loader._canonical_index(), loader._library_index()
    finally:
        loader._canonical_index.cache_clear()
        loader._library_index.cache_clear()


def test_the_shipped_library_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    canonical, full = _both(loader.LIBRARY_DIR, monkeypatch)
    assert len(canonical) >= 40
    assert all(full[key] == path for key, path in canonical.items())
    assert set(canonical) < set(full)  # aliases and bare names exist only in the full index


COLLISIONS = [
    # (file stem, aliases): an alias naming another file's canonical id, earlier and later in sorted order
    [("a--one", ["b/two"]), ("b--two", [])],
    [("a--one", []), ("b--two", ["a/one"])],
    [("a--one", ["one"]), ("c--one", [])],  # bare name "one" is ambiguous, and an alias of a
    [("Org--Model", []), ("org--model", ["x"])],  # two files, one lower-case id: the later file wins in both
    [("x--m", ["Y/M"]), ("y--m", ["x/m"])],
]


@pytest.mark.parametrize("files", COLLISIONS, ids=[str(i) for i in range(len(COLLISIONS))])
def test_colliding_names_resolve_alike(
    files: list[tuple[str, list[str]]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for stem, aliases in files:
        (tmp_path / f"{stem}.json").write_text(json.dumps({"_aliases": aliases}), encoding="utf-8")
    canonical, full = _both(tmp_path, monkeypatch)
    assert canonical, "no library files were indexed"
    for key, path in canonical.items():
        assert full[key] == path, key
