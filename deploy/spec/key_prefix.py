"""``artifacts.prefix``: the S3 key prefix lmi-deploy uploads under, kept to keys every tool shows the same way.

Why: S3 takes any UTF-8 key, but a key with a ``.`` or ``..`` segment, an empty segment (``a//b``, a leading ``/``)
or characters S3's guide says to avoid is surprising: the console shows folders that cannot be opened, ``aws s3
sync`` and SDKs that normalise paths read ``a/../b`` as ``b``, and ``*``, ``?`` or ``$`` would be read as wildcards
or variables in the IAM policy that grants the prefix. Such a prefix is refused at validation; every plain prefix
(``team/llm``, ``a-b_c.d/e``, ``lmi/qwen-chat/``, Hive-style ``team=ml``) is kept, one trailing ``/`` included.
"""

from __future__ import annotations

import re

PREFIX_MAX_BYTES = 512  # S3 keys are at most 1,024 bytes; the keys under the prefix need the rest
PREFIX_FIX = (
    "write folder names of letters, digits, '.', '_', '-' or '=' separated by single '/' (e.g. team/llm), "
    "or remove artifacts.prefix to use lmi-deploy/<endpoint name>"
)
_SEGMENT = re.compile(r"[A-Za-z0-9._=-]+")


def prefix_problem(value: str) -> str | None:
    """Why ``value`` is no clean S3 key prefix, or None. Reasons hold no ``;`` (the fix follows one)."""
    if not value:
        return "it is empty"
    if len(value.encode()) > PREFIX_MAX_BYTES:
        return f"it is {len(value.encode())} bytes, at most {PREFIX_MAX_BYTES} leave room for the keys under it"
    if value.startswith("/"):
        return "it starts with '/', which makes an empty first folder"
    segments = value.removesuffix("/").split("/")
    for index, segment in enumerate(segments):
        if not segment:
            return f"folder {index + 1} is empty (a doubled '/')"
        if segment in {".", ".."}:
            return f"folder {index + 1} is {segment!r}, which tools read as a relative path"
        odd = next((c for c in segment if not _SEGMENT.fullmatch(c)), None)
        if odd is not None:
            return f"folder {index + 1} holds {odd!r}, not read literally by every S3 console, CLI and IAM policy"
    return None


def check_prefix(value: str) -> str:
    """``value`` if it is a clean prefix; else ValueError ``'<value>' is not a clean S3 key prefix: <why>; <fix>``."""
    problem = prefix_problem(value)
    if problem is not None:
        raise ValueError(f"{value!r} is not a clean S3 key prefix: {problem}; {PREFIX_FIX}")
    return value
