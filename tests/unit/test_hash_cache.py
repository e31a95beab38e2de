"""Local weights are hashed once per (path, size, mtime): planning twice reads each file once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from deploy.engine.artifacts import HASHES, HashCache, _read_sha256, build_upload, scan_directory


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    HASHES.clear()


def _model(tmp_path: Path, files: int = 3) -> Path:
    root = tmp_path / "model"
    root.mkdir()
    for i in range(files):
        (root / f"shard-{i}.safetensors").write_bytes(os.urandom(1024 + i))
    (root / "config.json").write_text("{}")
    return root


def test_scanning_twice_hashes_each_file_once(tmp_path: Path) -> None:
    root = _model(tmp_path)
    before = HASHES.hashed
    first = scan_directory(root)
    second = scan_directory(root)
    assert first == second and HASHES.hashed - before == 4


def test_a_changed_file_is_hashed_again(tmp_path: Path) -> None:
    root = _model(tmp_path, files=1)
    first = {f.key: f.sha256 for f in scan_directory(root)}
    shard = root / "shard-0.safetensors"
    shard.write_bytes(os.urandom(2048))  # new size and mtime
    os.utime(shard, ns=(1, 1))  # even a file put back to an old mtime has another size
    second = {f.key: f.sha256 for f in scan_directory(root)}
    assert second["shard-0.safetensors"] == _read_sha256(shard) != first["shard-0.safetensors"]
    assert second["config.json"] == first["config.json"]


def test_same_size_and_new_mtime_is_hashed_again(tmp_path: Path) -> None:
    cache = HashCache()
    path = tmp_path / "w.bin"
    path.write_bytes(b"a" * 100)
    os.utime(path, ns=(10**18, 10**18))
    old = cache.sha256(path)
    path.write_bytes(b"b" * 100)
    os.utime(path, ns=(2 * 10**18, 2 * 10**18))
    assert cache.sha256(path) == _read_sha256(path) != old and cache.hashed == 2


def test_build_upload_uses_the_cache(tmp_path: Path) -> None:
    root = _model(tmp_path)
    build_upload("b", "p/", root, [])
    count = HASHES.hashed
    build_upload("b", "p/", root, [])
    assert HASHES.hashed == count
