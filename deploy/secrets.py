"""Secrets: which spec fields hold one, a masked holder for values, scrubbing of text, and keyed fingerprints.

Why one module: a secret leaks through whichever path forgets it is secret (an error's ``value``, a pydantic message,
a ``repr``, a plan). So the knowledge lives here and every formatting path asks it: the spec loader masks raw input
at :data:`SECRET_FIELDS` (and anything shaped like a credential in any other field) *before* pydantic sees it,
:class:`deploy.errors.LmiError` scrubs its text and values through :func:`scrub`, and change detection compares a
keyed HMAC (:func:`fingerprint`), never the value.

Fingerprint key (a decision, see the README's "Security and failure behaviour"): HMAC-SHA256 with a per-install key,
``LMI_SECRET_KEY`` when set (CI: keep it in the same secret store as the token, so every runner computes the same
names), else a random 32-byte key created once in ``$LMI_CONFIG_DIR`` (default ``~/.config/lmi-deploy``) with mode
0600. A key the readers of plans and resource names do not have means a short token cannot be guessed offline from a
model name; an unkeyed hash would allow exactly that.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets as _random
from collections.abc import Iterable
from pathlib import Path
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
KEY_ENV = "LMI_SECRET_KEY"
KEY_FILE = "secret-fingerprint.key"
MIN_KEY_CHARS = 16
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


# -- keyed fingerprints -----------------------------------------------------------------------------------------
def fingerprint(value: str, *, endpoint: str, name: str, environ: dict[str, str] | None = None) -> str:
    """HMAC-SHA256 of a secret under the install's key, bound to the endpoint and variable name (hex, 32 chars)."""
    message = "\0".join(("lmi-deploy/secret/v1", endpoint, name, value)).encode()
    return hmac.new(fingerprint_key(environ), message, hashlib.sha256).hexdigest()[:32]


def fingerprint_key(environ: dict[str, str] | None = None) -> bytes:
    """``LMI_SECRET_KEY``, else the install's key file (created once, mode 0600)."""
    env = dict(os.environ) if environ is None else environ
    configured = env.get(KEY_ENV)
    if configured is not None:
        if len(configured) < MIN_KEY_CHARS:
            from deploy.errors import UsageError

            raise UsageError(
                f"{KEY_ENV} is {len(configured)} characters; at least {MIN_KEY_CHARS} are needed",
                field=KEY_ENV,
                value=MASK,
                fix=f"export {KEY_ENV}=$(python -c 'import secrets; print(secrets.token_hex(32))')",
            )
        return configured.encode()
    return _key_file(config_dir(env) / KEY_FILE)


def config_dir(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("LMI_CONFIG_DIR"):
        return Path(env["LMI_CONFIG_DIR"]).expanduser()
    base = Path(env["XDG_CONFIG_HOME"]).expanduser() if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "lmi-deploy"


def _key_file(path: Path) -> bytes:
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return _read_key(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(_random.token_hex(32) + "\n")
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    text = path.read_text(encoding="ascii").strip()
    if len(text) < MIN_KEY_CHARS:
        from deploy.errors import UsageError

        raise UsageError(
            f"the fingerprint key file {path} is damaged ({len(text)} characters)",
            field=KEY_ENV,
            value=str(path),
            fix=f"delete {path} (a new key is made; the next deploy replaces the model once) or set {KEY_ENV}",
        )
    return text.encode()


# -- references resolved before anything is created ----------------------------------------------------------------
ENV_VALUE_LIMIT = 1024  # SageMaker CreateModel: each Environment value is at most 1024 characters
ENV_TOTAL_LIMIT = 32 * 1024


def resolve_reference(ref: str, environ: dict[str, str] | None = None, *, field: str = "model.hf_token") -> Secret:
    """The value behind ``env:NAME`` as a :class:`Secret` (registered for scrubbing); a SpecError when unusable."""
    from deploy.errors import SpecError

    env = os.environ if environ is None else environ
    if not REFERENCE.fullmatch(ref):
        raise SpecError(f"{field} is not a reference", field=field, value=MASK, fix="write env:<VARIABLE>")
    name = ref.removeprefix("env:")
    value = env.get(name)
    if not value:
        state = "is empty" if value == "" else "is not set"
        raise SpecError(
            f"{field} refers to ${name}, which {state}; nothing was created",
            field=field,
            value=ref,
            fix=f"export {name}=... (the token) before planning or deploying",
        )
    register(value)
    if value != value.strip() or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise SpecError(
            f"{field}: ${name} holds whitespace or control characters (a trailing newline from a file?)",
            field=field,
            value=ref,
            fix=f'export {name}="$(tr -d "[:space:]" < token-file)"',
        )
    return Secret(value)


def check_environment_size(environment: dict[str, str], secret_env: dict[str, Secret], *, field: str) -> None:
    """Refuse a secret that pushes the container environment over SageMaker's per-value or total limit."""
    from deploy.errors import SpecError

    for name, secret in secret_env.items():
        size = len(str(secret.reveal()))
        if size > ENV_VALUE_LIMIT:
            raise SpecError(
                f"{field}: the value of {name} is {size} characters; SageMaker allows {ENV_VALUE_LIMIT} per "
                "environment value (CreateModel would fail)",
                field=field,
                value=MASK,
                fix="check the variable holds only the token",
            )
    plain = sum(len(k.encode()) + len(v.encode()) for k, v in environment.items() if k not in secret_env)
    total = plain + sum(len(k.encode()) + len(str(s.reveal()).encode()) for k, s in secret_env.items())
    if total > ENV_TOTAL_LIMIT:
        raise SpecError(
            f"{field}: with the token the container environment is {total} bytes; SageMaker allows {ENV_TOTAL_LIMIT}",
            field=field,
            value=MASK,
            fix="use delivery: properties and fewer or shorter engine.env values",
        )


def resolve_references(refs: Iterable[str | None], environ: dict[str, str] | None = None) -> dict[str, Secret]:
    """``{reference: Secret}`` for every reference given (None skipped); SpecError for an unusable one."""
    return {ref: resolve_reference(ref, environ) for ref in refs if ref}


def secret_fingerprints(
    secret_env: dict[str, str],
    resolved: dict[str, Secret],
    *,
    endpoint: str,
    environment: dict[str, str],
    environ: dict[str, str] | None = None,
) -> dict[str, str]:
    """``{variable: keyed fingerprint}`` for the container's secret variables (``secret_env``: variable -> reference),
    after checking SageMaker's environment limits with the real values; the values stay in ``resolved``."""
    values = {
        name: resolved[ref] if ref in resolved else resolve_reference(ref, environ) for name, ref in secret_env.items()
    }
    check_environment_size(environment, values, field="model.hf_token")
    return {
        name: fingerprint(str(secret.reveal()), endpoint=endpoint, name=name, environ=environ)
        for name, secret in values.items()
    }
