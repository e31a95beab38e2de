"""Hub settings, the answer for one (repo, commit), and the small record cache that makes repeat plans offline.

Rule: pure data and files, no network and no huggingface_hub import. Records live under
``$HF_ASSETS_CACHE/lmi-deploy/hub/<org>--<name>/<sha>.json`` (default ``$HF_HOME/assets/...``, the folder
huggingface_hub reserves for downstream libraries) with ``refs/<revision>`` files naming the sha a revision
pointed at. A record holds the model info fields, config.json and the safetensors summary, never a token.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import quote

from deploy.records import record

DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_TIMEOUT_S = 10.0
INDEX_FILE = "model.safetensors.index.json"
SINGLE_FILE = "model.safetensors"
RECORD_VERSION = 1
COMMIT = re.compile(r"[0-9a-f]{40}")  # used with fullmatch: a trailing newline is not a sha
TRUE_WORDS = {"1", "on", "yes", "true"}
NETWORK_MODULES = {"httpx", "httpx2", "httpcore", "requests", "urllib3", "ssl", "socket"}


@record
class HubSettings:
    """Where the Hub is and where its answers are cached, as the environment says right now."""

    endpoint: str
    offline: bool
    file_cache: Path
    record_cache: Path
    timeout_s: float


@record
class HubWeights:
    """What the safetensors headers of one commit say: files, tensor count, elements per dtype, exact bytes."""

    files: tuple[str, ...]
    tensors: int
    dtypes: dict[str, int]
    bytes: int


@record
class HubModel:
    """One commit of one Hub model as lmi-deploy needs it; ``origin`` says how this answer was obtained."""

    repo_id: str
    sha: str
    revision: str | None
    gated: str | bool
    private: bool
    library_name: str | None
    pipeline_tag: str | None
    config: dict[str, Any]
    weights: HubWeights | None
    fetched_at: str
    origin: str = "hub"  # "hub" (read now), "cache" (same sha, read before), "offline-cache"
    note: str = ""


def settings() -> HubSettings:
    """The Hub settings of this process's environment, read now (tests and users may change them between calls)."""
    env = os.environ
    home = Path(env.get("HF_HOME") or Path(env.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "huggingface")
    home = home.expanduser()
    assets = Path(env.get("HF_ASSETS_CACHE") or home / "assets").expanduser()
    offline = any(env.get(k, "").strip().lower() in TRUE_WORDS for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))
    return HubSettings(
        endpoint=(env.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/"),
        offline=offline,
        file_cache=Path(env.get("HF_HUB_CACHE") or home / "hub").expanduser(),
        record_cache=assets / "lmi-deploy" / "hub",
        timeout_s=float(env.get("LMI_HUB_TIMEOUT_S") or DEFAULT_TIMEOUT_S),
    )


def model_page(repo_id: str, hub: HubSettings | None = None) -> str:
    """The model's page on the Hub, where its licence is accepted."""
    return f"{(hub or settings()).endpoint}/{repo_id}"


# -- the record cache (ours) ---------------------------------------------------------------------------------
def _repo_dir(hub: HubSettings, repo_id: str) -> Path:
    return hub.record_cache / repo_id.replace("/", "--")


def _ref_file(hub: HubSettings, repo_id: str, revision: str | None) -> Path:
    return _repo_dir(hub, repo_id) / "refs" / quote(revision or "main", safe="")


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as handle:
        handle.write(text)
    os.replace(handle.name, path)


def save_record(hub: HubSettings, model: HubModel) -> None:
    """Store the answer for (repo, sha) and point the asked revision at it. Best effort: a read-only cache is fine."""
    entry = asdict(model)
    for transient in ("origin", "note", "revision"):
        entry.pop(transient)
    entry["record_version"] = RECORD_VERSION
    try:
        _write_atomic(_repo_dir(hub, model.repo_id) / f"{model.sha}.json", json.dumps(entry, sort_keys=True))
        for ref in {model.revision or "main", model.sha}:
            _write_atomic(_ref_file(hub, model.repo_id, ref), model.sha)
    except OSError:
        pass


def load_record(hub: HubSettings, repo_id: str, sha: str) -> HubModel | None:
    """The cached answer for (repo, sha), or None when there is none (or it is unreadable / of another format)."""
    path = _repo_dir(hub, repo_id) / f"{sha}.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.pop("record_version", None) != RECORD_VERSION:
        return None
    weights = data.pop("weights", None)
    try:
        return HubModel(**data, revision=None, weights=_weights_of(weights))
    except TypeError:
        return None


def _weights_of(data: Any) -> HubWeights | None:
    if not isinstance(data, dict):
        return None
    return HubWeights(**{**data, "files": tuple(data.get("files") or ())})


def cached_sha(hub: HubSettings, repo_id: str, revision: str | None) -> str | None:
    """The commit a revision pointed at when it was last read (a full sha points at itself)."""
    if revision and COMMIT.fullmatch(revision):
        return revision
    try:
        sha = _ref_file(hub, repo_id, revision).read_text().strip()
    except OSError:
        return None
    return sha if COMMIT.fullmatch(sha) else None
