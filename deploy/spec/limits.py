"""Limits on spec files, so a hostile or broken file costs bounded time and memory and ends in a SpecError.

Why these numbers: a real spec is a few KB, four levels deep, with a handful of anchors. The limits sit far above
that and far below harm: a 1.2 KB "billion laughs" file expands to 10^9 nodes, 20,000 nested brackets overflow the
Python stack in any recursive parser, and a multi-GB file exhausts memory before any rule is checked.

- ``MAX_SPEC_BYTES`` (1 MiB): checked on the file's size before it is read, and on what is read.
- ``MAX_DEPTH`` (64 levels of mappings and lists), checked on the YAML event stream *before* composing (PyYAML's
  composer recurses) and on TOML data after parsing (a RecursionError from the TOML parser is reported the same way).
- ``MAX_NODES`` (10,000 values, as written and again after expanding every alias, counted with a memo so the count
  itself is linear) and ``MAX_ALIASES`` (1,000 alias uses), checked before any Python object is built; recursive
  aliases are refused. The first pass uses libyaml's C parser when PyYAML has it, so even a 1 MiB file of tiny
  values is refused in well under a second.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from deploy.errors import SpecError

MAX_SPEC_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 1_000
MAX_NODES = 10_000


def read_spec_text(path: Path) -> bytes:
    """The file's bytes, refusing a file over ``MAX_SPEC_BYTES`` without reading more than the limit."""
    size = path.stat().st_size
    if size > MAX_SPEC_BYTES:
        raise _too_big(path, size)
    with path.open("rb") as handle:
        data = handle.read(MAX_SPEC_BYTES + 1)
    if len(data) > MAX_SPEC_BYTES:  # grew while we read, or a special file
        raise _too_big(path, len(data))
    return data


def _too_big(path: Path, size: int) -> SpecError:
    return SpecError(
        f"{path}: the spec file is {size:,} bytes; specs are limited to {MAX_SPEC_BYTES:,} bytes",
        field=None,
        value=size,
        fix="a spec holds settings only: keep weights and configs in files it points to (model.id, model.config)",
    )


def check_yaml_events(text: str, path: Path, loader: type[yaml.SafeLoader]) -> None:
    """One pass over the event stream (iterative, no recursion): nesting depth, value count and alias count.

    libyaml's parser is used when available (fast); if it disagrees with the pure parser about the syntax, the pure
    one decides, so this pass never invents an error the real parse would not report.
    """
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            _scan_events(yaml.parse(text, Loader=fast), path)
            return
        except yaml.YAMLError:
            pass
    _scan_events(yaml.parse(text, Loader=loader), path)


def _scan_events(events: Iterable[yaml.Event], path: Path) -> None:
    depth = aliases = nodes = 0
    for event in events:
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent, yaml.ScalarEvent)):
            nodes += 1
            if nodes > MAX_NODES:
                raise SpecError(
                    f"{path}:{line}: more than {MAX_NODES:,} values in one spec",
                    fix="a spec holds a few dozen settings; remove the bulk data",
                )
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise SpecError(
                    f"{path}:{line}: nesting deeper than {MAX_DEPTH} levels",
                    fix="a spec is a few levels deep; remove the extra nesting",
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise SpecError(
                    f"{path}:{line}: more than {MAX_ALIASES} YAML aliases (*name)",
                    fix="write the values out, or use fewer anchors and aliases",
                )


def check_yaml_expansion(root: yaml.Node | None, path: Path) -> None:
    """Refuse a document whose aliases expand to more than ``MAX_NODES`` nodes or ``MAX_DEPTH`` levels, or that
    refers to itself.

    Each distinct node's expanded size is computed once (memo by identity), so the check is linear in the file.
    """
    if root is None:
        return
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    in_progress: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            in_progress.discard(key)
            children = _children(node)
            sizes[key] = min(1 + sum(sizes[id(c)] for c in children), MAX_NODES + 1)
            depths[key] = 1 + max((depths[id(c)] for c in children), default=0)
            if depths[key] > MAX_DEPTH + 1:  # aliases chained inside each other nest without brackets
                raise SpecError(
                    f"{path}:{node.start_mark.line + 1}: with its aliases expanded, nesting is deeper than "
                    f"{MAX_DEPTH} levels",
                    fix="write the values out, or use fewer anchors and aliases",
                )
            continue
        if key in sizes:
            continue
        if key in in_progress:
            raise SpecError(
                f"{path}:{node.start_mark.line + 1}: a YAML alias refers to the node that contains it",
                fix="remove the recursive alias",
            )
        in_progress.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    total = sizes[id(root)]
    if total > MAX_NODES:
        raise SpecError(
            f"{path}: YAML aliases expand this document to more than {MAX_NODES:,} values (an alias bomb?)",
            fix="write the values out, or use fewer anchors and aliases",
        )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_data_depth(data: Any, path: Path) -> None:
    """Iterative depth and size check of parsed data (TOML dotted headers can nest without any bracket)."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    nodes = 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH:
            raise SpecError(
                f"{path}: nesting deeper than {MAX_DEPTH} levels",
                fix="a spec is a few levels deep; remove the extra nesting",
            )
        if nodes > MAX_NODES:
            raise SpecError(
                f"{path}: more than {MAX_NODES:,} values in one spec",
                fix="a spec holds a few dozen settings; remove the bulk data",
            )
        if isinstance(item, dict):
            stack.extend((value, depth + 1) for value in item.values())
        elif isinstance(item, list):
            stack.extend((value, depth + 1) for value in item)


def yaml_error_text(exc: yaml.YAMLError) -> str:
    """PyYAML's problem and position without its snippet of the line (which may hold a secret)."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return type(exc).__name__
    parts = [part for part in (exc.context, exc.problem) if part]
    mark = exc.problem_mark or exc.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return where + ("; ".join(parts) or "syntax error")
