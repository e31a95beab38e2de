"""Masking of secrets: which spec fields hold one, a holder that never prints its value, and scrubbing of text.

Why one leaf module (it imports nothing from the package): a secret leaks through whichever path forgets it is
secret (an error's ``value``, a pydantic message, a ``repr``, a plan). So the knowledge lives here and every
formatting path asks it: the spec models wrap raw input at :data:`SECRET_FIELDS` (and anything shaped like a
credential in any other field) in :class:`Secret` *before* pydantic sees it, :class:`deploy.errors.LmiError` scrubs
its text and values through :func:`scrub` and :func:`scrub_value`, and JSON command output through
:func:`scrub_known`. Being a leaf, ``deploy.errors`` can import it without a circle.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable
from typing import Any

MASK = "****"
SECRET_FIELDS: tuple[tuple[str, ...], ...] = (("model", "hf_token"),)
REFERENCE = re.compile(r"env:[A-Za-z_][A-Za-z0-9_]{0,255}")
# Shapes of credentials people paste: Hugging Face, AWS access keys, GitHub, OpenAI-style keys, bearer headers, PEM.
CREDENTIAL = re.compile(
    r"\b(?:hf|api_org)_[A-Za-z0-9]{20,}"
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{30,}"
    r"|\bsk-[A-Za-z0-9_-]*[A-Za-z0-9]{32}"  # an unbroken 32-character run: not a hyphenated name like sk-learn-...
    r"|(?i:\bbearer\s+)\S{8,}"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
)
_KNOWN: set[str] = set()  # values resolved in this process; scrub() hides them wherever they turn up
_MAX_SCAN_DEPTH = 64


class Secret:
    """A value that must not be printed: ``repr``/``str``/format show ``****``; :meth:`reveal` gives the value.

    Also the holder of raw spec input at a secret field while the spec is validated, so pydantic's own error text
    (``input_value=...``) and every error built from it show the mask, whatever the input was.
    """

    __slots__ = ("_value",)

    def __init__(self, value: Any) -> None:
        self._value = value

    def reveal(self) -> Any:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(repr(self._value).encode(), repr(other._value).encode())

    __hash__ = None  # type: ignore[assignment]


def looks_like_credential(text: str) -> bool:
    return CREDENTIAL.search(text) is not None


def register(value: str) -> None:
    """Remember a resolved secret so that :func:`scrub` hides it in any text this process formats later."""
    if len(value) >= 4:
        _KNOWN.add(value)


def scrub(text: str) -> str:
    """``text`` with every known secret value and every credential-shaped substring replaced by ``****``."""
    return CREDENTIAL.sub(MASK, scrub_known(text))


def scrub_known(text: str) -> str:
    """``text`` with every secret value resolved in this process replaced by ``****`` (for command output)."""
    for value in sorted(_KNOWN, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def scrub_value(value: Any, field: str | None = None) -> Any:
    """An error's ``value`` as it may be shown: at a secret field only a well-formed reference, else scrubbed."""
    if isinstance(value, Secret):
        return MASK
    if field is not None and is_secret_field(field):
        return value if isinstance(value, str) and REFERENCE.fullmatch(value) else MASK
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, (list, tuple)):
        return [scrub_value(item) for item in value]
    if isinstance(value, dict):
        return {scrub(str(k)): scrub_value(v) for k, v in value.items()}
    return value


def is_secret_field(field: str) -> bool:
    return any(field == ".".join(path) or field.startswith(".".join(path) + ".") for path in SECRET_FIELDS)


def mask_input(data: Any, prefix: tuple[str, ...] = ()) -> Any:
    """A copy of raw spec input with secret fields and credential-shaped strings wrapped in :class:`Secret`.

    Run before validation: whatever pydantic then reports (``input_value``, a ``missing`` error's whole mapping)
    holds the wrapper, not the value. The secret field's own validator unwraps it.
    """
    return _mask(data, prefix, 0)


def _mask(data: Any, path: tuple[str, ...], depth: int) -> Any:
    if path in SECRET_FIELDS and data is not None and not isinstance(data, Secret):
        return Secret(data)
    if isinstance(data, str):
        return Secret(data) if looks_like_credential(data) else data
    if depth >= _MAX_SCAN_DEPTH:
        return data
    if isinstance(data, dict):
        return {key: _mask_entry(key, value, path, depth) for key, value in data.items()}
    if isinstance(data, list):
        return [_mask(item, path, depth + 1) for item in data]
    return data


def _mask_entry(key: Any, value: Any, path: tuple[str, ...], depth: int) -> Any:
    """A credential used as a key (``tags: {hf_...: x}``) masks its entry, so the entry fails at that key."""
    if isinstance(key, str) and looks_like_credential(key):
        return Secret(value)
    return _mask(value, (*path, str(key)), depth + 1)


def find_masked(value: Any, depth: int = 0) -> tuple[str, ...] | None:
    """The path to the first :class:`Secret` inside an error's input (``()`` when it is one), else None."""
    if isinstance(value, Secret):
        return ()
    if depth >= _MAX_SCAN_DEPTH:
        return None
    items: Iterable[tuple[Any, Any]] = ()
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    for key, item in items:
        found = find_masked(item, depth + 1)
        if found is not None:
            return (str(key), *found)
    return None
