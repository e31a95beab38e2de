"""Pytest fixtures and helpers around the fake Hub: start it, point HF_ENDPOINT at it, build model repos."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakehub import Content, FakeHub, FakeRepo, commit_sha
from tests.fakehub.checkpoints import VirtualFile, decoder_tensors, header_bytes, shard

LIBRARY = Path(__file__).resolve().parents[2] / "deploy" / "sizing" / "library"
TOKEN = "hf_fakeTOKENfakeTOKENfakeTOKEN1234"  # only the fake Hub knows it; it must never be printed


def library_config(file_stem: str, **changes: Any) -> dict[str, Any]:
    """A bundled config.json without the library's provenance keys, with ``changes`` applied."""
    data = json.loads((LIBRARY / f"{file_stem}.json").read_text())
    config = {k: v for k, v in data.items() if not k.startswith("_")}
    config.update(changes)
    return config


def checkpoint(config: dict[str, Any], *, shards: int = 1, dtype: str = "BF16") -> dict[str, Content]:
    """config.json plus safetensors files (single or sharded with an index) whose headers match the config."""
    tensors = decoder_tensors(config, dtype)
    files: dict[str, Content] = {"config.json": json.dumps(config).encode()}
    if shards == 1:
        files["model.safetensors"] = header_bytes(tensors)
    elif shards > 1:
        files.update(shard(tensors, shards))
    return files


def repo(repo_id: str, files: dict[str, Content], *, label: str = "v1", **access: Any) -> FakeRepo:
    """A repo with one commit on main (sha derived from ``repo_id`` and ``label``)."""
    sha = commit_sha(f"{repo_id}:{label}")
    return FakeRepo(repo_id, {sha: files}, {"main": sha}, **access)


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """A running fake Hub that HF_ENDPOINT points at (HF_HOME is already a fresh temp dir: tests/conftest.py)."""
    hub = FakeHub().start()
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    yield hub
    hub.stop()


def weight_downloads(hub: FakeHub) -> list[str]:
    """Requests that read a safetensors file past its header (none may exist: headers only, never weights)."""
    bad = []
    for request in hub.log:
        if request.method != "GET" or not request.path.endswith(".safetensors"):
            continue
        repo_id, _, rest = request.path.lstrip("/").partition("/resolve/")
        fake = hub.repos[repo_id]
        rev, _, name = rest.partition("/")
        content = fake.commits[fake.refs.get(rev, rev)][name]
        assert isinstance(content, VirtualFile)
        if request.range is None:
            bad.append(f"{request.path} without Range")
            continue
        end = request.range.removeprefix("bytes=").partition("-")[2]
        if not end or int(end) >= max(content.header_length, 100_001):
            bad.append(f"{request.path} {request.range} (header ends at {content.header_length})")
    return bad
