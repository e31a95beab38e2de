"""Reading spec files: YAML (with duplicate-key detection and line numbers) or TOML, and error translation.

Why not ``yaml.safe_load``: it silently keeps the last of two duplicate keys, and it forgets where each value was
written. Here every mapping key records its line so a pydantic error can be reported as ``qwen.yaml:12 engine.dtype``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import yaml
from pydantic import ValidationError

from deploy.errors import SpecError
from deploy.spec.limits import (
    MAX_DEPTH,
    check_data_depth,
    check_yaml_events,
    check_yaml_expansion,
    read_spec_text,
    yaml_error_text,
)
from deploy.spec.model import DeploymentSpec
from deploy.spec.scalars import unbuildable_scalar

if TYPE_CHECKING:
    from deploy.spec.components import ComponentEndpointSpec

Lines = dict[tuple[str | int, ...], int]
PATH_FIELDS = (("model", "config"),)


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate keys and remembers each key's line."""


# The same loader on libyaml's C parser, when PyYAML was built with it: parsing and composing run in C, building
# the values stays in Python (the same constructors, so the same duplicate-key and scalar rules). Only a document
# both parsers accept is read this way; on a syntax error the pure parser reads it again, so every error message
# (and the decision itself) stays PyYAML's.
_FastLineLoader: type[yaml.CSafeLoader] | None = None
if getattr(yaml, "CSafeLoader", None) is not None:

    class _CLineLoader(yaml.CSafeLoader):
        """:class:`_LineLoader` on libyaml's parser."""

    _FastLineLoader = _CLineLoader


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    # YAML merge keys (`<<: *anchor`): PyYAML's flatten_mapping puts the merged pairs first; the mapping's own keys
    # follow and may override them. Only a key written twice in the mapping itself is a duplicate.
    own = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
    loader.flatten_mapping(node)
    merged = node.value[: len(node.value) - own]
    mapping: dict[Any, Any] = {
        loader.construct_object(key_node, deep=True): loader.construct_object(value_node, deep=True)
        for key_node, value_node in merged
    }
    seen: set[Any] = set()
    for key_node, value_node in node.value[len(merged) :]:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise SpecError(
                f"{key_node.start_mark.line + 1}: duplicate key {key!r} (first written above)",
                field=str(key),
                fix="keep one of the two entries",
            )
        seen.add(key)
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
if _FastLineLoader is not None:
    _FastLineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _key_lines(node: yaml.Node, prefix: tuple[str | int, ...], out: Lines, seen: set[int]) -> None:
    """Record each key's line; a node reached again through an alias is not walked again (its lines are known)."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, str(key_node.value))
            out[path] = key_node.start_mark.line + 1
            _key_lines(value_node, path, out, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            item_path = (*prefix, index)
            out[item_path] = item.start_mark.line + 1
            _key_lines(item, item_path, out, seen)


def read_document(path: Path) -> tuple[Any, Lines]:
    """Parse ``path`` by extension (.yaml/.yml/.toml); return the data and a map of field path -> line."""
    if path.is_dir():
        raise SpecError(f"spec file {str(path)!r} is a directory", fix="pass the spec file itself (a .yaml or .toml)")
    if path.exists() and not path.is_file():  # a FIFO, a device, a socket: reading could block or never end
        raise SpecError(
            f"spec file {str(path)!r} is not a regular file", fix="pass the spec file itself (a .yaml or .toml)"
        )
    if not path.is_file():
        raise SpecError(f"spec file {str(path)!r} does not exist", fix="check the path, or create one with `lmi init`")
    try:
        raw = read_spec_text(path)
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SpecError(
            f"{path}:{line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})",
            fix="save the spec as UTF-8",
        ) from None
    except OSError as exc:
        raise SpecError(
            f"cannot read spec file {str(path)!r}: {exc.strerror}", fix="check the path and its permissions"
        ) from None
    if path.suffix.lower() == ".toml":
        return _read_toml(text, path), _toml_key_lines(text)
    if path.suffix.lower() not in {".yaml", ".yml"}:
        raise SpecError(f"{path}: unknown spec format {path.suffix!r}", fix="use a .yaml, .yml or .toml file")
    return read_yaml_text(text, path)


def _read_toml(text: str, path: Path) -> Any:
    import sys  # tomllib only for a .toml spec: it is pure Python and slow to import

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: invalid TOML: {exc}", fix="fix the TOML syntax at the position shown") from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise SpecError(
            f"{path}: nesting deeper than {MAX_DEPTH} levels",
            fix="a spec is a few levels deep; remove the extra nesting",
        ) from None
    check_data_depth(data, path)
    return data


_TOML_KEY_PART = r'(?:[A-Za-z0-9_-]+|"[^"\n]*"|\'[^\'\n]*\')'
_TOML_KEY = rf"{_TOML_KEY_PART}(?:\s*\.\s*{_TOML_KEY_PART})*"
# Only TOML specs use these: strings that `re` compiles on first use, not on every start-up.
_TOML_TABLE = rf"\s*\[\[?\s*({_TOML_KEY})\s*\]\]?\s*(?:#.*)?"  # fullmatch, like every validating pattern
_TOML_ASSIGN = rf"^\s*({_TOML_KEY})\s*="


def _toml_key_lines(text: str) -> Lines:
    """Line of each table header and ``key =`` of a (valid) TOML document, for error messages.

    tomllib keeps no positions; a line scan finds headers and assignments, which is where a wrong or unknown key is.
    Keys inside inline tables take their table's line. Lines inside multi-line strings are skipped.
    """
    out: Lines = {}
    table: tuple[str, ...] = ()
    in_string: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string is not None:
            if line.count(in_string) % 2:
                in_string = None
            continue
        header = re.fullmatch(_TOML_TABLE, line)
        if header:
            table = _toml_key_path(header.group(1))
            out.setdefault(table, number)
            continue
        assign = re.match(_TOML_ASSIGN, line)
        if assign:
            out.setdefault((*table, *_toml_key_path(assign.group(1))), number)
            rest = line[assign.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) % 2:
                    in_string = quote
    return out


def _toml_key_path(key: str) -> tuple[str, ...]:
    parts = re.findall(_TOML_KEY_PART, key)
    return tuple(part[1:-1] if part[:1] in {'"', "'"} else part for part in parts)


def _construct(loader: _LineLoader | yaml.CSafeLoader, node: yaml.Node) -> Any:
    try:
        return loader.construct_document(node)
    except SpecError:
        raise
    except (ValueError, OverflowError):  # a typed scalar PyYAML cannot build (e.g. the date 2024-02-30)
        raise unbuildable_scalar(node) from None


def _compose_and_construct(
    text: str, path: Path, loader_class: type[_LineLoader] | type[yaml.CSafeLoader]
) -> tuple[Any, yaml.Node | None]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        check_yaml_expansion(node, path)
        return (_construct(loader, node) if node is not None else None), node
    finally:
        loader.dispose()


def _read_yaml(text: str, path: Path) -> tuple[Any, yaml.Node | None]:
    """The document and its root node: libyaml's parser first when there is one, PyYAML's on a syntax error."""
    check_yaml_events(text, path, _LineLoader)
    if _FastLineLoader is not None:
        try:
            return _compose_and_construct(text, path, _FastLineLoader)
        except yaml.YAMLError:
            pass  # the pure parser below reports it in PyYAML's words (or, where the parsers differ, accepts it)
    return _compose_and_construct(text, path, _LineLoader)


def read_yaml_text(text: str, path: Path) -> tuple[Any, Lines]:
    """Parse YAML within the limits of :mod:`deploy.spec.limits`; return the data and each key's line."""
    try:
        data, node = _read_yaml(text, path)
    except SpecError as exc:
        message = exc.message if exc.message.startswith(str(path)) else f"{path}:{exc.message}"
        raise SpecError(message, field=exc.field, fix=exc.fix) from None
    except yaml.YAMLError as exc:
        raise SpecError(
            f"{path}: invalid YAML at {yaml_error_text(exc)}", fix="fix the YAML syntax at the line shown"
        ) from None
    lines: Lines = {}
    if node is not None:
        _key_lines(node, (), lines, set())
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
            model[key] = _expand_home(value)
    return {**data, "model": model}


def _expand_home(value: str) -> str:
    """As written when there is no such home (``~0``), so the spec's own rules refuse it by name."""
    from deploy.spec.paths import expand_home

    return str(expand_home(value))


def _is_relative(value: Any) -> bool:
    return isinstance(value, str) and not value.startswith(("/", "~", "s3://")) and bool(value)


def load_spec(path: str | Path) -> DeploymentSpec:
    """Read a YAML or TOML spec file and validate it; errors name file, line, field, value and fix."""
    path = Path(path)
    data, lines = read_document(path)
    return parse_spec(data, source=str(path), lines=lines, base_dir=path.parent)


def parse_spec(
    data: Any,
    *,
    source: str = "<spec>",
    lines: dict[tuple[str | int, ...], int] | None = None,
    base_dir: Path | None = None,
) -> DeploymentSpec:
    """Validate a parsed document; relative local paths are made relative to ``base_dir``."""
    if not isinstance(data, dict):
        raise SpecError(f"{source}: the spec must be a mapping of fields", fix="start from `lmi init`")
    if base_dir is not None:
        data = absolutize_paths(data, base_dir)
    try:
        return DeploymentSpec.model_validate(data)
    except ValidationError as exc:
        from deploy.spec.explain import spec_error_from  # the error path only: not at start-up

        raise spec_error_from(exc, source=source, lines=lines or {}, root=DeploymentSpec) from None


AnySpec: TypeAlias = "DeploymentSpec | ComponentEndpointSpec"


def load_any_spec(path: str | Path) -> DeploymentSpec | ComponentEndpointSpec:
    """Like :func:`load_spec`, but a document with ``components`` becomes a :class:`ComponentEndpointSpec`."""
    path = Path(path)
    data, lines = read_document(path)
    return parse_any_spec(data, source=str(path), lines=lines, base_dir=path.parent)


def parse_any_spec(
    data: Any,
    *,
    source: str = "<spec>",
    lines: dict[tuple[str | int, ...], int] | None = None,
    base_dir: Path | None = None,
) -> DeploymentSpec | ComponentEndpointSpec:
    """Dispatch on the document's shape: ``model`` (one model per endpoint) or ``components`` (never both)."""
    if not isinstance(data, dict) or "components" not in data:
        return parse_spec(data, source=source, lines=lines, base_dir=base_dir)
    from deploy.spec.components import ComponentEndpointSpec  # only here: a one-model spec never builds its schema

    if "model" in data:
        raise SpecError(
            f"{source}: the spec has both `model` and `components`",
            field="components",
            fix="keep `model` for one model per endpoint, or move it into a `components` entry",
        )
    components = data.get("components")
    if base_dir is not None and isinstance(components, list):
        data = {**data, "components": [_absolutize_component(c, base_dir) for c in components]}
    try:
        return ComponentEndpointSpec.model_validate(data)
    except ValidationError as exc:
        from deploy.spec.explain import spec_error_from  # the error path only: not at start-up

        raise spec_error_from(exc, source=source, lines=lines or {}, root=ComponentEndpointSpec) from None


def _absolutize_component(component: Any, base_dir: Path) -> Any:
    return absolutize_paths(component, base_dir) if isinstance(component, dict) else component
