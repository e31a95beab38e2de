"""A reference reader of Java ``.properties`` text for the tests: a character-level model of JDK 9+
``java.util.Properties.load`` (its ``LineReader.readLine``, ``load0`` and ``loadConvert``).

Deliberately written as a state machine over characters, unlike the production reader in
``deploy/render/java_properties.py`` (which works on natural lines), so the two can be compared on arbitrary text:
two different derivations of the same Java behaviour that agree are far likelier to be right than one.

Java rules modelled here:
- natural lines end at ``\\n``, ``\\r`` or ``\\r\\n`` (nothing else: ``\\f`` is whitespace, U+2028 is a character);
- leading `` ``/``\\t``/``\\f`` is skipped; blank lines are skipped; a line whose first character is ``#``/``!`` is
  a comment, also right after a continuation that has read nothing yet;
- an odd number of backslashes before a line end joins the next line, whose leading whitespace is skipped;
- the key ends at the first unescaped ``=``, ``:`` or whitespace; whitespace and one ``=``/``:`` follow it;
- ``\\uXXXX`` (exactly four hex digits, else IllegalArgumentException), ``\\t \\n \\r \\f``, ``\\x`` -> ``x``;
- Java chars are UTF-16 code units: two escaped surrogates form one character.
"""

from __future__ import annotations

WHITESPACE = (" ", "\t", "\f")
LINE_ENDS = ("\r", "\n")


class MalformedEscape(ValueError):
    """Java's ``IllegalArgumentException: Malformed \\uxxxx encoding.``"""


class _LineReader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _next(self) -> str | None:
        if self.pos >= len(self.text):
            return None
        char = self.text[self.pos]
        self.pos += 1
        return char

    def _peek(self) -> str | None:
        return self.text[self.pos] if self.pos < len(self.text) else None

    def read_line(self) -> list[str] | None:
        buf: list[str] = []
        skip_white = True
        appended_line_begin = False
        preceding_backslash = False
        while True:
            char = self._next()
            if char is None:
                if not buf:
                    return None
                return buf[:-1] if preceding_backslash else buf
            if skip_white:
                if char in WHITESPACE:
                    continue
                if not appended_line_begin and char in LINE_ENDS:
                    continue
                skip_white = False
                appended_line_begin = False
            if not buf and char in ("#", "!"):
                while True:  # the comment runs to the end of the natural line
                    rest = self._next()
                    if rest is None or rest in LINE_ENDS:
                        break
                skip_white = True
                continue
            if char not in LINE_ENDS:
                buf.append(char)
                preceding_backslash = (not preceding_backslash) if char == "\\" else False
                continue
            if not buf:
                skip_white = True
                continue
            if self._peek() is None:
                return buf[:-1] if preceding_backslash else buf
            if not preceding_backslash:
                return buf
            buf.pop()
            skip_white = True
            appended_line_begin = True
            preceding_backslash = False
            if char == "\r":
                if self._peek() is None:
                    return buf
                if self._peek() == "\n":
                    self.pos += 1


def _convert(chars: list[str]) -> str:
    units: list[str] = []
    index = 0
    while index < len(chars):
        char = chars[index]
        index += 1
        if char != "\\":
            units.append(char)
            continue
        char = chars[index] if index < len(chars) else ""
        index += 1
        if char == "u":
            hex_digits = chars[index : index + 4]
            if len(hex_digits) != 4:
                raise MalformedEscape("Malformed \\uxxxx encoding.")
            value = 0
            for digit in hex_digits:
                if digit not in "0123456789abcdefABCDEF":
                    raise MalformedEscape("Malformed \\uxxxx encoding.")
                value = value * 16 + int(digit, 16)
            units.append(chr(value))
            index += 4
        else:
            units.append({"t": "\t", "r": "\r", "n": "\n", "f": "\f"}.get(char, char))
    return "".join(units).encode("utf-16-be", "surrogatepass").decode("utf-16-be", "surrogatepass")


def load(text: str) -> dict[str, str]:
    """``Properties.load`` of ``text`` (already decoded; ISO-8859-1 for a file read as a stream)."""
    reader = _LineReader(text)
    out: dict[str, str] = {}
    while (line := reader.read_line()) is not None:
        key_len, value_start, has_sep, preceding_backslash = 0, len(line), False, False
        while key_len < len(line):
            char = line[key_len]
            if char in ("=", ":") and not preceding_backslash:
                value_start, has_sep = key_len + 1, True
                break
            if char in WHITESPACE and not preceding_backslash:
                value_start = key_len + 1
                break
            preceding_backslash = (not preceding_backslash) if char == "\\" else False
            key_len += 1
        while value_start < len(line):
            char = line[value_start]
            if char not in WHITESPACE:
                if not has_sep and char in ("=", ":"):
                    has_sep = True
                else:
                    break
            value_start += 1
        out[_convert(line[:key_len])] = _convert(line[value_start:])
    return out
