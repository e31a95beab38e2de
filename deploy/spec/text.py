"""Rules every string and number of a spec obeys, wherever it is written.

Why: spec values travel into line-oriented text (serving.properties, its header comment, container logs) and into
AWS names, tags, ARNs and the container environment. A line break there starts a new line, and readers disagree on
what a line break is: Java's ``Properties.load`` splits on ``\\n`` and ``\\r`` only, Python's ``str.splitlines`` also
on ``\\v \\f \\x1c \\x1d \\x1e \\x85 U+2028 U+2029``. A value holding any of these (or another control character) could
add a key in one reader and not in another (U+2028 in ``model.revision`` once turned ``trust_remote_code`` on), so
such characters are refused in every field, with the field and the position named. Non-finite numbers (YAML
``.inf``/``.nan``) are refused too: every request body is JSON, which has no Infinity or NaN.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from deploy.records import record

# Every character Python's str.splitlines splits on (Java's LineReader: \n and \r only).
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
_NAMES = {
    "\t": "a tab",
    "\n": "a line feed (\\n)",
    "\r": "a carriage return (\\r)",
    "\v": "a vertical tab (\\v)",
    "\f": "a form feed (\\f)",
    "\x00": "a NUL byte",
    "\x7f": "a DEL character",
    "\x85": "a next-line character (U+0085)",
    "\u2028": "a line separator (U+2028)",
    "\u2029": "a paragraph separator (U+2029)",
}
# Fields whose value is a secret reference: their value is never repeated in a message.
SECRET_FIELDS = {"hf_token"}


@record
class TextProblem:
    """One refused value: where it is (a field path), what is wrong with it, and how to fix it."""

    path: tuple[str | int, ...]
    message: str
    fix: str
    value: Any


def forbidden_character(text: str) -> tuple[int, str] | None:
    """The first control, line-break or lone-surrogate character of ``text`` and its index, or None."""
    for index, char in enumerate(text):
        if char in LINE_BREAKS or unicodedata.category(char) in {"Cc", "Cs"}:
            return index, char
    return None


def describe_character(char: str) -> str:
    """``a line feed (\\n)``, ``a line separator (U+2028)``, ``control character U+001B`` ..."""
    if char in _NAMES:
        return _NAMES[char]
    kind = "a lone surrogate" if unicodedata.category(char) == "Cs" else "a control character"
    return f"{kind} (U+{ord(char):04X})"


def text_problem(path: tuple[str | int, ...], text: str, *, what: str | None = None) -> TextProblem | None:
    """A :class:`TextProblem` when ``text`` (at ``path``; ``what`` names it, default the field) holds a character no
    spec field may hold."""
    found = forbidden_character(text)
    if found is None:
        return None
    index, char = found
    secret = bool(path) and path[-1] in SECRET_FIELDS
    shown = "" if secret else f" {text!r}"
    return TextProblem(
        path=path,
        message=f"{what or 'the value'}{shown} contains {describe_character(char)} at position {index}; spec values "
        "are single lines of text (a line break or control character would start a new line in serving.properties, "
        "logs or AWS names)",
        fix="remove the character: write the value on one line, without line breaks or control characters",
        value=None if secret else _printable_value(text),
    )


def _printable_value(text: str) -> str:
    """``text`` itself, or with lone surrogates as ``\\udXXX`` (they cannot be encoded, so nothing could print them)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def number_problem(path: tuple[str | int, ...], number: float) -> TextProblem | None:
    """A :class:`TextProblem` when ``number`` is infinite or NaN (YAML ``.inf``, ``.nan``)."""
    if math.isfinite(number):
        return None
    return TextProblem(
        path=path,
        message=f"the value {number!r} is not a finite number; AWS request bodies are JSON, which has no Infinity "
        "or NaN",
        fix="write a finite number",
        value=str(number),
    )


# No spec field nests deeper than a few levels; deeper values are refused by their type, so the walk stops here
# (and never recurses towards Python's limit on a hostile document).
MAX_DEPTH = 16


def find_problems(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[TextProblem]:
    """Every refused string or number in a parsed document, dict keys included, in document order."""
    if len(path) > MAX_DEPTH:
        return
    if isinstance(value, str):
        problem = text_problem(path, value)
        if problem:
            yield problem
    elif isinstance(value, float):
        number = number_problem(path, value)
        if number:
            yield number
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                key_problem = text_problem(path, key, what="a key")
                if key_problem:
                    yield key_problem
            yield from find_problems(item, (*path, key if isinstance(key, (str, int)) else str(key)))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from find_problems(item, (*path, index))


def first_problem(value: Any, path: tuple[str | int, ...] = ()) -> TextProblem | None:
    """The first refused value of ``value`` (see :func:`find_problems`), or None."""
    return next(find_problems(value, path), None)


def refuse_field_input(model: type[BaseModel], name: str, value: Any) -> None:
    """The spec models' check of every field's raw input, before its own validators: a boolean where a number is
    read, and (outside nested settings blocks, which check their own fields) any refused text or number.

    The error is a custom pydantic type whose context carries the member path (``tags.<key>``), the value (None
    for secrets) and the fix, which ``deploy.spec.loader.spec_error_from`` turns into the SpecError's fields.
    """
    from pydantic_core import PydanticCustomError

    annotation = model.model_fields[name].annotation
    if isinstance(value, bool) and is_number_field(annotation):
        raise ValueError(f"{name} is {str(value).lower()}, a boolean, not a number; write a number such as 1")
    if isinstance(value, (dict, BaseModel)) and _is_settings_block(annotation):
        return
    problem = first_problem(value, (name,))
    if problem:
        context = {"message": problem.message, "fix": problem.fix, "subpath": list(problem.path[1:])}
        raise PydanticCustomError("spec_text", "{message}", {**context, "value": problem.value})


def _is_settings_block(annotation: Any) -> bool:
    from typing import get_args

    return any(isinstance(t, type) and issubclass(t, BaseModel) for t in (annotation, *get_args(annotation)))


def is_number_field(annotation: Any) -> bool:
    """True for ``int``/``float`` annotations (also ``Annotated`` and ``| None``), but not for ``bool`` or ``str``."""
    from typing import get_args

    kinds = {t for t in (annotation, *get_args(annotation)) if isinstance(t, type)}
    inner = {t for a in get_args(annotation) for t in get_args(a) if isinstance(t, type)}
    kinds |= inner
    return bool(kinds & {int, float}) and not kinds & {bool, str}


def dotted(path: tuple[str | int, ...]) -> str:
    """``("engine", "options", "x")`` -> ``engine.options.x``; list indexes as ``[0]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
