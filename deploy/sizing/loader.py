"""load_shape: find a model's config.json (bundled library, a file, a model directory) and turn it into a
shape.

Rule: no network. A Hub id resolves only through the bundled library
(deploy/sizing/library/<org>--<name>.json, the published config.json plus
``_source``/``_notes``/``_parameters``/``_aliases``), so validation works offline and in CI. A model
directory adds exact weight bytes from its safetensors headers; the library's ``_parameters`` (dtype ->
count) give exact totals otherwise. An S3 prefix needs ``config_path``.
"""

from __future__ import annotations

import difflib
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
        raw = path.read_bytes()
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
    exact = directory_weight_bytes(directory)
    if exact:
        shape = replace(shape, exact_weight_bytes=exact, weight_bytes_source="safetensors headers")
    return shape


def _unknown(ref: str) -> SpecError:
    known = bundled_ids()
    close = difflib.get_close_matches(ref.lower(), [k.lower() for k in known], n=3, cutoff=0.5)
    suggestions = [k for k in known if k.lower() in close]
    hint = f"did you mean {', '.join(suggestions)}? " if suggestions else ""
    return SpecError(
        f"model {ref!r} is not in the bundled library and is not a local path",
        field="model.id",
        value=ref,
        fix=f"{hint}or pass the model's config.json (model.config / --config)"
        if hint
        else ("pass the model's config.json (model.config / --config), or a local model directory"),
    )


def load_shape(ref: str, *, config_path: str | Path | None = None) -> ModelShape:
    """Shape of a model: ``config_path`` wins; else a local dir/file; else the bundled library (any case)."""
    if config_path is not None:
        return _from_config(_read_json(Path(config_path), "config"), ref, str(config_path))
    path = Path(ref).expanduser()
    if "://" not in ref and path.is_dir():
        return _from_directory(path, ref)
    if "://" not in ref and path.is_file():
        data = _read_json(path, "config")
        return _from_config(data, _id_for_file(path, data), str(path))
    found = _library_index().get(ref.lower().rstrip("/"))
    if found is not None:
        data = _read_json(found, "library file")
        canonical = found.stem.replace("--", "/", 1)
        return _from_config(data, canonical, f"the bundled library ({found.name})")
    if ref.startswith(("./", "../", "/", "~")):
        raise SpecError(
            f"local model {str(path)!r} does not exist (expected a model directory or a config.json)",
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
    raise _unknown(ref)
