"""Secret references resolved at plan time, and keyed fingerprints that replace comparing values.

A reference (``env:NAME``) is resolved from the deploying machine's environment before any AWS call; an unset,
empty or damaged value, or one over SageMaker's environment limits, is a SpecError (exit 2) before anything is
created. Change detection compares a keyed HMAC (:func:`fingerprint`), never the value.

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
import secrets as _random
from collections.abc import Iterable
from pathlib import Path

from deploy.errors import SpecError, UsageError
from deploy.secrets.masking import MASK, REFERENCE, Secret, register

KEY_ENV = "LMI_SECRET_KEY"
KEY_FILE = "secret-fingerprint.key"
MIN_KEY_CHARS = 16


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
