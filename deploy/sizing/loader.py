"""load_shape: find a model's config.json (bundled library, a file, a model directory) and turn it into a
shape.

Rule: ``config_path`` > a local directory or file > (for a Hub id) the Hugging Face Hub, read by
:mod:`deploy.sizing.hub_shape` (model info, config.json, safetensors headers; cached per commit, so offline
works after one read) > the bundled library (deploy/sizing/library/<org>--<name>.json, the published
config.json plus ``_source``/``_notes``/``_parameters``/``_aliases``), which stays the offline default and is
checked against the Hub when both answer. A model directory adds exact weight bytes from its safetensors
headers; the library's ``_parameters`` (dtype -> count) give exact totals otherwise. An S3 prefix needs
``config_path``. Every shape names its sources (``ModelShape.sources``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from deploy.errors import SpecError
from deploy.sizing.config import checked_shape
from deploy.sizing.config_check import MAX_CONFIG_BYTES, config_too_big, parse_config_text
from deploy.sizing.safetensors import directory_weight_bytes, parameter_count_bytes
from deploy.sizing.shape import ModelShape

LIBRARY_DIR = Path(__file__).parent / "library"


@lru_cache(maxsize=1)
def _canonical_index() -> dict[str, Path]:
    """Lower-case canonical id -> library file, from the file names alone (no file is read).

    Why: a spec names a bundled model by its id far more often than by an alias, and the full index reads every
    library file for its aliases. A canonical id always wins in the full index too (aliases and bare names are
    only set where nothing is), so this answers the same for every key it holds.
    """
    return {path.stem.replace("--", "/", 1).lower(): path for path in sorted(LIBRARY_DIR.glob("*.json"))}


@lru_cache(maxsize=1)
def _library_index() -> dict[str, Path]:
    """Lower-case id (and alias, and bare name) -> library file."""
    index: dict[str, Path] = {}
    bare: dict[str, list[Path]] = {}
    for path in sorted(LIBRARY_DIR.glob("*.json")):
        model_id = path.stem.replace("--", "/", 1)
        index[model_id.lower()] = path
        bare.setdefault(model_id.split("/")[-1].lower(), []).append(path)
        try:
            aliases = json.loads(path.read_text()).get("_aliases") or []
        except (OSError, ValueError):
            continue
        for alias in aliases:
            index.setdefault(str(alias).lower(), path)
    for name, paths in bare.items():
        if len(paths) == 1:
            index.setdefault(name, paths[0])
    return index


def bundled_ids() -> list[str]:
    """Model ids of the bundled library (canonical spelling)."""
    return sorted(p.stem.replace("--", "/", 1) for p in LIBRARY_DIR.glob("*.json"))


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise config_too_big(f"{what} {path}", size)
        with path.open("rb") as handle:  # bounded: /dev/zero or a FIFO reports size 0 and never ends
            raw = handle.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            raise config_too_big(f"{what} {path}", len(raw))
    except OSError as exc:
        raise SpecError(
            f"cannot read {what} {path}: {exc.strerror}",
            field="model.config",
            value=str(path),
            fix="check the path",
        ) from None
    return parse_config_text(raw, f"{what} {path}")


def shape_from_document(data: dict[str, Any], model_id: str, source: str) -> ModelShape:
    """Shape from an already-read config.json document (e.g. fetched from an S3 prefix by the caller)."""
    return _from_config(data, model_id, source)


def _from_config(data: dict[str, Any], model_id: str, source: str) -> ModelShape:
    shape = checked_shape(data, model_id, source)
    counts = data.get("_parameters")
    if isinstance(counts, dict) and counts:
        shape = replace(shape, exact_weight_bytes=parameter_count_bytes(counts), weight_bytes_source="_parameters")
    return shape.with_notes(f"shape from {source}")


def _id_for_file(path: Path, data: dict[str, Any]) -> str:
    """A readable model id for a config file: its ``_name_or_path``, else the file (or folder) name."""
    named = data.get("_name_or_path")
    if isinstance(named, str) and named:
        return named
    return path.parent.name if path.stem == "config" and path.parent.name else path.stem


def _from_directory(directory: Path, ref: str) -> ModelShape:
    config = directory / "config.json"
    if not config.is_file():
        raise SpecError(
            f"model directory {directory} has no config.json",
            field="model.id",
            value=ref,
            fix="point at a Hugging Face model directory (config.json + *.safetensors)",
        )
    shape = _from_config(_read_json(config, "config"), directory.name, str(config))
    shape = shape.with_sources(f"file {config}")
    exact = directory_weight_bytes(directory)
    if exact:
        shape = replace(shape, exact_weight_bytes=exact, weight_bytes_source="safetensors headers")
        count = len(list(directory.glob("*.safetensors")))
        shape = shape.with_sources(f"headers {count} local safetensors file(s), {exact:,} bytes")
    return shape


def _bundled(ref: str) -> tuple[ModelShape, str] | None:
    """The bundled shape for an id, alias or bare name (any case), and its file name; None when not bundled."""
    key = ref.lower().rstrip("/")
    found = _canonical_index().get(key) or _library_index().get(key)
    if found is None:
        return None
    data = _read_json(found, "library file")
    canonical = found.stem.replace("--", "/", 1)
    shape = _from_config(data, canonical, f"the bundled library ({found.name})")
    return shape.with_sources(f"bundled {found.name}"), found.name


def suggestions(ref: str) -> str:
    """``did you mean A, B?`` from the bundled ids close to ``ref`` (empty when none is close)."""
    import difflib  # an unknown id only: not at every start-up

    known = bundled_ids()
    close = difflib.get_close_matches(ref.lower(), [k.lower() for k in known], n=3, cutoff=0.5)
    found = [k for k in known if k.lower() in close]
    return f"did you mean {', '.join(found)}? " if found else ""


def _from_hub(ref: str, revision: str | None, token: str | None) -> ModelShape:
    """A Hub id: the Hub (or its cache) first, the bundled library when the Hub cannot be read."""
    from deploy.sizing import hub, hub_shape

    bundled = _bundled(ref)
    hub_id = ref if "/" in ref or bundled is None else bundled[0].model_id
    try:
        shape = hub_shape.shape_from_hub(hub.read_model(hub_id, revision=revision, token=token))
    except hub.HubUnavailableError as exc:
        if bundled is None:
            hint = suggestions(ref)
            raise (_unknown(ref, exc.reason, exc.remedy) if hint else exc) from None
        return hub_shape.bundled_fallback(bundled[0], f"Hub not read ({exc.reason})")
    except hub.HubAccessError as exc:
        if bundled is None or exc.had_token:
            raise
        return hub_shape.bundled_fallback(bundled[0], exc.message, gated=True, ref=hub_id)
    except hub.HubNotFoundError as exc:
        if bundled is None:
            raise
        return hub_shape.bundled_fallback(bundled[0], exc.message, missing=True)
    if bundled is not None:
        shape = hub_shape.checked_against_bundled(shape, bundled[0], bundled[1])
    return shape


def _unknown(ref: str, why: str, remedy: str = "connect to the Hub") -> SpecError:
    return SpecError(
        f"model {ref!r} is not in the bundled library, and the Hub could not be read ({why}) nor is it cached",
        field="model.id",
        value=ref,
        fix=f"{suggestions(ref)}or pass the model's config.json (model.config / --config), or {remedy}",
    )


def _local_path(ref: str) -> Path:
    """``ref`` as a local path; as written when there is no such home (``~0``), so it is refused below as a local
    model that does not exist instead of a traceback."""
    from deploy.spec.paths import expand_home

    return expand_home(ref)


def load_shape(
    ref: str, *, config_path: str | Path | None = None, revision: str | None = None, token: str | None = None
) -> ModelShape:
    """Shape of a model: ``config_path`` wins; else a local dir/file; else the Hub, else the bundled library.

    ``revision`` pins the Hub commit (branch, tag or sha); ``token`` is used for the Hub reads only.
    """
    if config_path is not None:
        shape = _from_config(_read_json(Path(config_path), "config"), ref, str(config_path))
        return shape.with_sources(f"file {config_path}")
    path = _local_path(ref)
    if "://" not in ref and path.is_dir():
        return _from_directory(path, ref)
    if "://" not in ref and path.is_file():
        data = _read_json(path, "config")
        return _from_config(data, _id_for_file(path, data), str(path)).with_sources(f"file {path}")
    if ref.startswith(("./", "../", "/", "~")):
        problem = "is not a regular file or directory" if path.exists() else "does not exist"  # /dev/zero, a FIFO
        raise SpecError(
            f"local model {str(path)!r} {problem} (expected a model directory or a config.json)",
            field="model.id",
            value=ref,
            fix="check the path (relative paths in a spec are relative to the spec file)",
        )
    if ref.startswith("s3://"):
        raise SpecError(
            f"model {ref}: the shape of an S3 model needs its config.json",
            field="model.config",
            value=ref,
            fix="set model.config (or --config) to a local copy of the model's config.json",
        )
    return _from_hub(ref, revision, token)
