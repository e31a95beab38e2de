"""Model shapes from the Hugging Face Hub: model info, config.json and safetensors headers, never the weights.

Rule: this is the only module that imports ``huggingface_hub``, and only inside functions, so offline commands on
bundled models never pay for it. It is the optional ``[hub]`` extra: without it the Hub counts as unavailable (the
cache, then the bundled library answer, and an unknown model's error says ``pip install 'lmi-deploy[hub]'``).

What is read: the model info (commit sha, ``gated``, ``private``, library and pipeline tags), ``config.json``
(through huggingface_hub's file cache) and the JSON header of every safetensors file by HTTP range reads
(``parse_safetensors_file_metadata``: the first 100 kB, and one more range read only for a larger header).
The answer for one (repo, commit) is stored as a small JSON record under ``$HF_HOME/assets/lmi-deploy/hub/`` (the
assets folder huggingface_hub reserves for downstream libraries), so a repeat plan needs one model-info call online
and none offline.

Settings are read from the environment at each call (``HF_ENDPOINT``, ``HF_HUB_OFFLINE``, ``HF_HOME``,
``HF_HUB_CACHE``, ``HF_ASSETS_CACHE``), not from huggingface_hub's import-time constants, and passed explicitly.
A token is passed in by the caller and is never written to a record, a message or a log.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from deploy.errors import SpecError
from deploy.sizing.hub.errors import (
    NOT_INSTALLED,
    HubAccessError,
    HubNotFoundError,
    HubUnavailableError,
    translate,
    unavailable,
    unreachable_reason,
)
from deploy.sizing.hub.records import (
    COMMIT,
    INDEX_FILE,
    SINGLE_FILE,
    HubModel,
    HubSettings,
    HubWeights,
    cached_sha,
    load_record,
    model_page,
    save_record,
    settings,
)
from deploy.sizing.safetensors import dtype_counts, tensor_bytes

UNREACHABLE_MEMORY_S = 60.0  # a Hub that did not answer is not asked again for this long by this process
_UNREACHABLE: dict[str, tuple[float, str]] = {}

__all__ = [
    "HubAccessError",
    "HubModel",
    "HubNotFoundError",
    "HubSettings",
    "HubUnavailableError",
    "HubWeights",
    "model_page",
    "read_model",
    "settings",
]


def read_model(repo_id: str, *, revision: str | None = None, token: str | None = None) -> HubModel:
    """The Hub's answer for ``repo_id`` at ``revision`` (default: main), from the Hub or, failing that, the cache.

    Raises HubUnavailableError (offline / unreachable and nothing cached), HubAccessError (gated or private),
    or SpecError (no such model or revision, no config.json).
    """
    hub = settings()
    if hub.offline:
        return _from_cache(hub, repo_id, revision, "HF_HUB_OFFLINE=1")
    if not _library_installed():
        return _from_cache(hub, repo_id, revision, NOT_INSTALLED)
    down = _UNREACHABLE.get(hub.endpoint)
    if down is not None and time.monotonic() - down[0] < UNREACHABLE_MEMORY_S:
        return _from_cache(hub, repo_id, revision, down[1])
    try:
        info = _model_info(hub, repo_id, revision, token)
        cached = load_record(hub, repo_id, str(info.sha))
        if cached is not None:
            return _refreshed(cached, info, revision)
        model = _fetch(hub, repo_id, revision, token, info)
    except Exception as exc:  # classified below: an HTTP answer, a network failure, or a bug (re-raised)
        reason = unreachable_reason(exc, hub.endpoint)
        if reason is None:
            error = translate(exc, repo_id, revision, token is not None, model_page(repo_id, hub))
            if error is None:
                raise
            raise error from None
        if "not reachable" in reason:  # no answer at all: do not wait for it again for every model of this run
            _UNREACHABLE[hub.endpoint] = (time.monotonic(), reason)
        return _from_cache(hub, repo_id, revision, reason)
    save_record(hub, model)
    return model


def _library_installed() -> bool:
    """Whether ``huggingface_hub`` imports (the ``[hub]`` extra); a broken install counts as missing."""
    try:
        import huggingface_hub  # noqa: F401
    except ImportError:
        return False
    return True


def _api(hub: HubSettings, token: str | None) -> Any:
    from huggingface_hub import HfApi

    from deploy._version import __version__

    # token=None lets huggingface_hub use HF_TOKEN or a saved login, as its own commands do
    return HfApi(endpoint=hub.endpoint, token=token, library_name="lmi-deploy", library_version=__version__)


def _model_info(hub: HubSettings, repo_id: str, revision: str | None, token: str | None) -> Any:
    """The model info; its sha must be a commit id (it names files in the cache and is sent back in URLs)."""
    info = _api(hub, token).model_info(repo_id, revision=revision, timeout=hub.timeout_s)
    if not COMMIT.fullmatch(str(info.sha or "")):
        raise SpecError(
            f"the Hub at {hub.endpoint} gave no commit sha for {repo_id!r} (got {str(info.sha)[:60]!r})",
            field="model.id",
            value=repo_id,
            fix="check HF_ENDPOINT (a Hub mirror must serve the model info with its sha), or set model.config",
        )
    return info


def _refreshed(cached: HubModel, info: Any, revision: str | None) -> HubModel:
    """A cached record with what may change without a new commit (gated, private) taken from the fresh info."""
    return replace(
        cached,
        revision=revision,
        gated=info.gated if info.gated is not None else cached.gated,
        private=bool(info.private) if info.private is not None else cached.private,
        origin="cache",
        note=f"shape of commit {cached.sha[:12]} from the lmi-deploy cache (read {cached.fetched_at})",
    )


def _fetch(hub: HubSettings, repo_id: str, revision: str | None, token: str | None, info: Any) -> HubModel:
    sha = str(info.sha)
    config = _json_file(hub, repo_id, "config.json", sha, token)
    siblings = [s.rfilename for s in info.siblings or []] if info.siblings is not None else None
    return HubModel(
        repo_id=repo_id,
        sha=sha,
        revision=revision,
        gated=info.gated or False,
        private=bool(info.private),
        library_name=info.library_name,
        pipeline_tag=info.pipeline_tag,
        config=config,
        weights=_weights(hub, repo_id, sha, token, siblings),
        fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


def _json_file(hub: HubSettings, repo_id: str, filename: str, sha: str, token: str | None) -> dict[str, Any]:
    from huggingface_hub import hf_hub_download

    path = hf_hub_download(
        repo_id,
        filename,
        revision=sha,
        cache_dir=hub.file_cache,
        endpoint=hub.endpoint,
        token=token,
        etag_timeout=hub.timeout_s,
    )
    data = json.loads(Path(path).read_text())
    if not isinstance(data, dict):
        raise SpecError(
            f"{repo_id}@{sha[:12]}: {filename} is not a JSON object",
            field="model.id",
            value=repo_id,
            fix="set model.config to a local copy of the model's config.json",
        )
    return data


def _shard_names(hub: HubSettings, repo_id: str, sha: str, token: str | None, siblings: list[str] | None) -> list[str]:
    """The safetensors files of the checkpoint: the index's shards, or the single file; [] when there are none."""
    names = set(siblings or [])
    if siblings is None or INDEX_FILE in names:
        try:
            index = _json_file(hub, repo_id, INDEX_FILE, sha, token)
        except Exception as exc:
            if siblings is not None or not _missing_file(exc):
                raise
        else:
            weight_map = index.get("weight_map")
            if isinstance(weight_map, Mapping) and weight_map:
                return sorted({str(v) for v in weight_map.values()})
    if siblings is None or SINGLE_FILE in names:
        return [SINGLE_FILE]
    return []


def _missing_file(exc: Exception) -> bool:
    from huggingface_hub.errors import EntryNotFoundError

    return isinstance(exc, EntryNotFoundError)


def _weights(
    hub: HubSettings, repo_id: str, sha: str, token: str | None, siblings: list[str] | None
) -> HubWeights | None:
    """Exact bytes and dtypes from the headers of every shard (range reads, a few in parallel)."""
    from concurrent.futures import ThreadPoolExecutor  # only when the Hub is read: offline commands skip it

    shards = _shard_names(hub, repo_id, sha, token, siblings)
    if not shards:
        return None
    api = _api(hub, token)

    def header(name: str) -> dict[str, Any]:
        meta = api.parse_safetensors_file_metadata(repo_id, name, revision=sha, timeout=hub.timeout_s)
        return {key: {"dtype": t.dtype, "shape": list(t.shape)} for key, t in meta.tensors.items()}

    try:
        with ThreadPoolExecutor(max_workers=min(8, len(shards))) as pool:
            headers = list(pool.map(header, shards))
    except Exception as exc:
        if siblings is None and _missing_file(exc):
            return None
        raise
    counts: dict[str, int] = {}
    for one in headers:
        for dtype, count in dtype_counts(one).items():
            counts[dtype] = counts.get(dtype, 0) + count
    return HubWeights(
        files=tuple(shards),
        tensors=sum(len(h) for h in headers),
        dtypes=dict(sorted(counts.items())),
        bytes=sum(tensor_bytes(h) for h in headers),
    )


# -- offline -------------------------------------------------------------------------------------------------
def _from_cache(hub: HubSettings, repo_id: str, revision: str | None, reason: str) -> HubModel:
    sha = cached_sha(hub, repo_id, revision)
    cached = load_record(hub, repo_id, sha) if sha else None
    if cached is None:
        raise unavailable(repo_id, revision, reason)
    return replace(
        cached,
        revision=revision,
        origin="offline-cache",
        note=f"{reason}: shape of commit {cached.sha[:12]} from the lmi-deploy cache (read {cached.fetched_at})",
    )
