"""Which strings can be a git revision (a Hub branch, tag or commit), checked before anything is read or deployed.

Why: a revision is sent to the Hub when sizing and to the container as ``option.revision``; a value no git ref can
hold (``a b``, ``main..dev``, ``-x``) fails only there, minutes later and far from the spec. The rules follow
``git check-ref-format`` loosely but on the safe side: every branch, tag and sha the Hub serves passes (including
``refs/pr/1`` and ``v1.0``); anything git itself would refuse is refused here, with the reason. One function serves
the spec (``model.revision``) and the command line (``lmi size/recommend --revision``), so both refuse the same set.
"""

from __future__ import annotations

import unicodedata

REVISION_MAX = 255  # git stores refs as files: most file systems cap a name at 255 bytes
REVISION_FIX = "write a branch, tag or full commit sha (e.g. main, v1.0, or the 40-character commit from the Hub page)"
_FORBIDDEN = "~^:?*[\\"
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}  # controls, format marks (U+200B, U+202E), spaces


def revision_problem(value: str) -> str | None:
    """Why ``value`` can never be a git revision, or None when it can. Reasons hold no ``;`` (the fix follows one)."""
    if not value:
        return "it is empty"
    if len(value) > REVISION_MAX:
        return f"it is {len(value)} characters long, git refs are at most {REVISION_MAX}"
    odd = next((c for c in value if c.isspace() or unicodedata.category(c) in _INVISIBLE), None)
    if odd is not None:
        return f"it holds {_named(odd)} at position {value.index(odd)}, which no git ref may hold"
    bad = next((c for c in value if c in _FORBIDDEN), None)
    if bad is not None:
        return f"it holds {bad!r} at position {value.index(bad)}, which git refuses in ref names"
    return _shape_problem(value)


def _shape_problem(value: str) -> str | None:
    """The rules about where dots, slashes, dashes and ``@`` may stand."""
    if value.startswith("-"):
        return "it starts with '-', which git reads as an option"
    if value.startswith("/") or value.endswith("/") or "//" in value:
        return "it has an empty path segment (a leading, trailing or doubled '/')"
    if ".." in value:
        return "it holds '..', which git reads as a range of commits"
    if "@{" in value or value == "@":
        return "it holds '@{' or is '@', which git reads as a reflog expression"
    if value.endswith("."):
        return "it ends with '.'"
    if any(part.startswith(".") for part in value.split("/")):
        return "a path segment starts with '.'"
    if any(part.endswith(".lock") for part in value.split("/")):
        return "a path segment ends with '.lock', which git reserves for its lock files"
    return None


def check_revision(value: str) -> str:
    """``value`` if it can be a git revision; else ValueError ``'<value>' is not a git revision: <why>; <fix>``."""
    problem = revision_problem(value)
    if problem is not None:
        raise ValueError(f"{value!r} is not a git revision: {problem}; {REVISION_FIX}")
    return value


def _named(char: str) -> str:
    if char == " ":
        return "a space"
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name.lower()})" if name else "")
