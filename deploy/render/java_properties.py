"""Java ``.properties`` text, written and read the way ``java.util.Properties`` does.

Why: DJL Serving (the LMI front end) reads ``serving.properties`` with ``Properties.load`` from a byte stream
(``Files.newInputStream`` in its ``ModelInfo``; the file it generates itself for Hub models is written with
``Properties.store``, escapes included). That decodes ISO-8859-1, treats ``\\`` as an escape (``\\uXXXX``, ``\\t``,
``\\n``, ...), joins lines that end in an odd number of backslashes, and ends a key at the first unescaped ``=``,
``:`` or whitespace. A value written verbatim can therefore change meaning: ``qwen-modèle`` arrives as
``qwen-modÃ¨le`` (UTF-8 bytes read as Latin-1), a trailing backslash swallows the next line, and a line break starts
a new key. So the writer escapes exactly like ``Properties.store`` (non-ASCII as ``\\uXXXX``, so the file is pure
ASCII and every decoder reads it alike), and the emulator reads with :func:`load`, which follows ``Properties.load``
of JDK 9 and later, so it sees what the container would. Spec validation refuses control and line-break characters
before they get here; the escaping still covers them, so nothing that reaches this module can add a key.
"""

from __future__ import annotations

import re

_WHITESPACE = " \t\f"
_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f"}
_DECODED_ESCAPES = {"t": "\t", "r": "\r", "n": "\n", "f": "\f"}
_NATURAL_LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|\Z)")


class PropertiesSyntaxError(ValueError):
    """The text is not loadable by ``Properties.load`` (it throws ``IllegalArgumentException`` on a bad ``\\u``)."""


def _utf16_units(text: str) -> list[str]:
    """Java strings are UTF-16: a character outside the BMP is two ``char`` units, each escaped on its own."""
    data = text.encode("utf-16-be", "surrogatepass")
    return [chr(int.from_bytes(data[i : i + 2], "big")) for i in range(0, len(data), 2)]


def _escape(text: str, *, escape_every_space: bool) -> str:
    out: list[str] = []
    for index, unit in enumerate(_utf16_units(text)):
        if unit == "\\":
            out.append("\\\\")
        elif unit == " ":
            out.append("\\ " if index == 0 or escape_every_space else " ")
        elif unit in _NAMED_ESCAPES:
            out.append(_NAMED_ESCAPES[unit])
        elif unit in "=:#!":
            out.append("\\" + unit)
        elif not " " <= unit <= "~":
            out.append(f"\\u{ord(unit):04X}")
        else:
            out.append(unit)
    return "".join(out)


def escape_key(key: str) -> str:
    """A key as ``Properties.store`` writes it (every space escaped, since a space would end the key)."""
    return _escape(key, escape_every_space=True)


def escape_value(value: str) -> str:
    """A value as ``Properties.store`` writes it (only a leading space escaped; load would strip it)."""
    return _escape(value, escape_every_space=False)


def property_line(key: str, value: str) -> str:
    """One ``key=value`` line, pure ASCII."""
    return f"{escape_key(key)}={escape_value(value)}"


def comment_text(text: str) -> str:
    """``text`` made safe inside a ``#`` comment line: line breaks would end the comment and start a key, so they
    are refused; anything outside printable ASCII is written as ``\\uXXXX`` (as ``Properties.store`` does)."""
    if any(ch in "\r\n" for ch in text):
        raise ValueError(f"a comment line cannot contain a line break: {text!r}")
    return "".join(u if " " <= u <= "~" else f"\\u{ord(u):04X}" for u in _utf16_units(text))


def load(text: str) -> dict[str, str]:
    """Parse like ``Properties.load``; ``text`` is the file already decoded (ISO-8859-1 for a byte stream).

    Later keys replace earlier ones (``Properties`` is a hash table). Raises :class:`PropertiesSyntaxError` on a
    malformed ``\\uXXXX`` escape, as Java does.
    """
    out: dict[str, str] = {}
    for line in _logical_lines(text):
        key, value = _split_key_value(line)
        out[_unescape(key)] = _unescape(value)
    return out


def _logical_lines(text: str) -> list[str]:
    """Natural lines joined at an odd number of trailing backslashes; comments and blank lines dropped.

    Mirrors JDK 9+ ``LineReader`` including its end-of-file cases: a continuation backslash right before the end
    (``\\`` + ``\n`` or ``\r`` + EOF, or ``\\`` + EOF) still yields the line read so far, even an empty one.
    """
    lines: list[str] = []
    pending: str | None = None  # the logical line so far, while a continuation is open
    segments = _natural_lines(text)
    for index, (content, ending) in enumerate(segments):
        stripped = content.lstrip(_WHITESPACE)
        if pending is None and (not stripped or stripped[0] in "#!"):
            continue
        if pending is not None and not stripped:  # a line break right after a continuation ends the line
            if pending:
                lines.append(pending)
            pending = None
            continue
        if pending == "" and stripped[0] in "#!":  # nothing read yet: still a new line, so a comment
            pending = None
            continue
        so_far = (pending or "") + stripped
        if (len(stripped) - len(stripped.rstrip("\\"))) % 2 == 0:
            lines.append(so_far)
            pending = None
            continue
        pending = so_far[:-1]
        if index == len(segments) - 1 and ending != "\r\n":
            lines.append(pending)
            pending = None
    if pending:
        lines.append(pending)
    return lines


def _natural_lines(text: str) -> list[tuple[str, str]]:
    """``(content, line ending)`` pairs; ending is ``\n``, ``\r``, ``\r\n`` or ``""`` (end of file)."""
    pairs = [(m.group(1), m.group(2)) for m in _NATURAL_LINE.finditer(text)]
    return [pair for pair in pairs if pair != ("", "")]


def _split_key_value(line: str) -> tuple[str, str]:
    """The key ends at the first unescaped ``=``, ``:`` or whitespace; one ``=``/``:`` and whitespace around it
    are skipped before the value."""
    index, escaped = 0, False
    while index < len(line):
        char = line[index]
        if not escaped and char in "=:" + _WHITESPACE:
            break
        escaped = char == "\\" and not escaped
        index += 1
    key, rest = line[:index], line[index:]
    rest = rest.lstrip(_WHITESPACE)
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(_WHITESPACE)
    return key, rest


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    units: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        index += 1
        if char != "\\":
            units.append(char)
            continue
        char = text[index] if index < len(text) else ""
        index += 1
        if char == "u":
            digits = text[index : index + 4]
            if len(digits) < 4 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise PropertiesSyntaxError("Malformed \\uxxxx encoding.")
            units.append(chr(int(digits, 16)))
            index += 4
        else:
            units.append(_DECODED_ESCAPES.get(char, char))
    return "".join(units).encode("utf-16-be", "surrogatepass").decode("utf-16-be", "surrogatepass")
