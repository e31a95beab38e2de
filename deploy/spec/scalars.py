"""Find the YAML scalar that PyYAML's resolver typed but cannot build, so the refusal names its field and line.

PyYAML resolves plain scalars by pattern before building them: ``2024-02-30`` matches the timestamp pattern and
then fails in ``datetime.date`` with a bare ``ValueError``; an integer with more than 4300 digits fails Python's
int-conversion limit; ``!!int abc`` / ``!!float abc`` fail the same way. Those are not ``yaml.YAMLError`` and would
escape as a traceback, so the loader asks this module which scalar it was.
"""

from __future__ import annotations

import yaml

from deploy.errors import SpecError

_KINDS = {
    "tag:yaml.org,2002:timestamp": ("a date", "date"),
    "tag:yaml.org,2002:int": ("an integer", "integer"),
    "tag:yaml.org,2002:float": ("a number", "number"),
}


def unbuildable_scalar(root: yaml.Node) -> SpecError:
    """The refusal for the first scalar under ``root`` that cannot be built (the value is never echoed)."""
    builder = yaml.SafeLoader("")
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    while stack:
        node, field = stack.pop()
        if isinstance(node, yaml.MappingNode):
            stack.extend((value, _join(field, key)) for key, value in reversed(node.value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, f"{field}[{index}]") for index, item in reversed(list(enumerate(node.value))))
        elif isinstance(node, yaml.ScalarNode) and node.tag in _KINDS:
            try:
                builder.construct_object(node)
            except (ValueError, OverflowError):
                return _refusal(node, field)
    return SpecError(" a value cannot be read as YAML typed it", fix="quote values that are meant as text")


def _join(field: str, key: yaml.Node) -> str:
    name = key.value if isinstance(key, yaml.ScalarNode) else "?"
    return f"{field}.{name}" if field else str(name)


def _refusal(node: yaml.ScalarNode, field: str) -> SpecError:
    mark = node.start_mark
    article, kind = _KINDS[node.tag]
    return SpecError(
        f"{mark.line + 1}: {field or 'the document'}: YAML reads this value as {article}, "
        f"but it is not a valid one (e.g. a date like 2024-02-30, or an integer of more than 4300 digits)",
        field=field or None,
        value="<unreadable>",
        fix=f"write a valid {kind}, or quote the value to keep it as text",
    )
