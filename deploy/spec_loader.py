"""Reading spec files: YAML (with duplicate-key detection and line numbers) or TOML, and error translation.

Why not ``yaml.safe_load``: it silently keeps the last of two duplicate keys, and it forgets where each value was
written. Here every mapping key records its line so a pydantic error can be reported as ``qwen.yaml:12 engine.dtype``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from deploy.errors import SpecError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

Lines = dict[tuple[str | int, ...], int]
PATH_FIELDS = (("model", "config"),)


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate keys and remembers each key's line."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise SpecError(
                f"{key_node.start_mark.line + 1}: duplicate key {key!r} (first written above)",
                field=str(key),
                fix="keep one of the two entries",
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _key_lines(node: yaml.Node, prefix: tuple[str | int, ...], out: Lines) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, str(key_node.value))
            out[path] = key_node.start_mark.line + 1
            _key_lines(value_node, path, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            item_path = (*prefix, index)
            out[item_path] = item.start_mark.line + 1
            _key_lines(item, item_path, out)


def read_document(path: Path) -> tuple[Any, Lines]:
    """Parse ``path`` by extension (.yaml/.yml/.toml); return the data and a map of field path -> line."""
    if not path.is_file():
        raise SpecError(f"spec file {str(path)!r} does not exist", fix="check the path, or create one with `lmi init`")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".toml":
        return _read_toml(text, path), {}
    if path.suffix.lower() not in {".yaml", ".yml"}:
        raise SpecError(f"{path}: unknown spec format {path.suffix!r}", fix="use a .yaml, .yml or .toml file")
    return _read_yaml(text, path)


def _read_toml(text: str, path: Path) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: invalid TOML: {exc}", fix="fix the TOML syntax at the position shown") from None


def _read_yaml(text: str, path: Path) -> tuple[Any, Lines]:
    try:
        node = yaml.compose(text, Loader=_LineLoader)
        data = yaml.load(text, Loader=_LineLoader)  # _LineLoader is a SafeLoader
    except SpecError as exc:
        raise SpecError(f"{path}:{exc.message}", field=exc.field, fix=exc.fix) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: invalid YAML: {exc}", fix="fix the YAML syntax at the line shown") from None
    lines: Lines = {}
    if node is not None:
        _key_lines(node, (), lines)
    return data, lines


def absolutize_paths(data: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    """Make relative local paths (model.id, model.config) relative to the spec file, not the shell's cwd."""
    model = data.get("model")
    if not isinstance(model, dict):
        return data
    model = dict(model)
    for key in ("id", "config"):
        value = model.get(key)
        if (isinstance(value, str) and value.startswith(("./", "../"))) or (key == "config" and _is_relative(value)):
            model[key] = str((base_dir / str(value)).resolve())
        elif isinstance(value, str) and value.startswith("~"):
            model[key] = str(Path(value).expanduser())
    return {**data, "model": model}


def _is_relative(value: Any) -> bool:
    return isinstance(value, str) and not value.startswith(("/", "~", "s3://")) and bool(value)


def spec_error_from(exc: ValidationError, *, source: str, lines: Lines) -> SpecError:
    """Turn pydantic's errors into one SpecError listing each field, value, line and fix."""
    problems = [_describe(err, source, lines) for err in exc.errors()]
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or None
    return SpecError(
        "invalid spec:\n  " + "\n  ".join(problems),
        field=field,
        value=_safe_value(first.get("input")),
        fix=_fix_for(first),
    )


def _describe(err: Any, source: str, lines: Lines) -> str:
    loc = tuple(err["loc"])
    field = ".".join(str(p) for p in loc) or "(top level)"
    line = _line_for(loc, lines)
    where = f"{source}:{line}" if line else source
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = f"unknown key {loc[-1]!r}; remove it or check the spelling (see `lmi schema`)"
    elif err["type"] == "missing":
        message = "required field is missing"
    elif "input" in err and err["type"] not in {"value_error", "assertion_error"}:
        message += f" (got {_safe_value(err['input'])!r})"
    return f"{where} {field}: {message}"


def _line_for(loc: tuple[Any, ...], lines: Lines) -> int | None:
    for end in range(len(loc), 0, -1):
        found = lines.get(tuple(str(p) if isinstance(p, str) else p for p in loc[:end]))
        if found:
            return found
    return None


def _safe_value(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return "<mapping>" if isinstance(value, dict) else "<list>"
    return value


def _fix_for(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "remove the unknown key (run `lmi schema` for every valid field)"
    if err["type"] == "missing":
        return "add the field (see `lmi init` for a commented starter spec)"
    message = str(err["msg"]).removeprefix("Value error, ")
    return message.rsplit("; ", 1)[1] if "; " in message else message
