"""Pydantic's validation errors as one SpecError: each field with its file line, the value (never a mapping, never
a secret) and a fix.

Kept apart from the models and from file reading so both can use it: ``DeploymentSpec(...)`` and ``parse_spec``
raise the same SpecError, and neither module imports the other's internals.
"""

from __future__ import annotations

import math
import re
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from deploy.errors import SpecError
from deploy.secrets.masking import MASK, find_masked, is_secret_field, scrub, scrub_value

Lines = dict[tuple[str | int, ...], int]


def spec_error_from(
    exc: ValidationError, *, source: str, lines: Lines, root: type[BaseModel] | None = None
) -> SpecError:
    """Turn pydantic's errors into one SpecError listing each field, value, line and fix.

    ``root``: the model that was validated (default: the error's own), so an unknown key gets "did you mean".
    """
    model: Any = root
    if model is None:
        from pydantic import BaseModel as _Base

        model = _Base
    errors = [_unmask(_locate(err, model)) for err in exc.errors()]
    problems = [_describe(err, source, lines, model) for err in errors[:MAX_PROBLEMS]]
    if len(errors) > MAX_PROBLEMS:
        problems.append(f"... and {len(errors) - MAX_PROBLEMS} more")
    first = errors[0]
    field = ".".join(str(p) for p in first["loc"]) or None
    value = first["ctx"]["value"] if first["type"] == TEXT_ERROR else _safe_value(first.get("input"))
    return SpecError(
        "invalid spec:\n  " + "\n  ".join(problems),
        field=field,
        value=scrub_value(value, field),
        fix=_fix_for(first, model),
    )


MAX_PROBLEMS = 20  # a hostile spec can hold thousands of wrong keys; the first ones say what is wrong
CREDENTIAL_MESSAGE = (
    "looks like a credential (value hidden); never put secrets in the spec; give a Hugging Face token as "
    "model.hf_token: env:HF_TOKEN"
)


def _unmask(err: Any) -> Any:
    """An error whose input holds a masked credential outside a secret field: report it at the credential.

    The models wrap secret-field input and credential-shaped values in :class:`deploy.secrets.masking.Secret` before
    validation (so pydantic's own text shows the mask); here the error is moved to where the credential is.
    """
    inner = None if err["type"] == "missing" else find_masked(err.get("input"))
    loc = tuple(str(p) if not isinstance(p, int) else p for p in err["loc"])
    if inner is None or is_secret_field(".".join(str(p) for p in loc)):
        return err
    return {**err, "loc": (*loc, *inner), "type": "credential", "msg": CREDENTIAL_MESSAGE, "input": MASK}


# Raised by the spec models (deploy.spec.text) for a line break, control character or non-finite number; its
# context holds the member path inside a mapping field (tags.<key>), the refused value (None for secrets), the fix.
TEXT_ERROR = "spec_text"
_MESSAGE_ONLY = {"value_error", "assertion_error", TEXT_ERROR, "credential"}
_NAMED_FIELD = re.compile(r"([a-z_]+(?:\.[a-z_0-9]+)*)(?=[:=\s])")


def _locate(err: Any, root: Any) -> Any:
    """A cross-field rule fails at the top level; when its message starts with the field it is about
    (``engine.tensor_parallel_degree=3: ...``, ``role is in partition ...``), report it at that field, so it gets a
    line and ``field``. A text error is reported at the mapping member it is about (``tags.team``)."""
    if err["type"] == TEXT_ERROR:
        return {**err, "loc": (*err["loc"], *err["ctx"]["subpath"])}
    if err["loc"] or err["type"] != "value_error":
        return err
    found = _NAMED_FIELD.match(str(err["msg"]).removeprefix("Value error, "))
    if found is None or found.group(1).split(".")[0] not in getattr(root, "model_fields", {}):
        return err
    return {**err, "loc": tuple(int(p) if p.isdigit() else p for p in found.group(1).split("."))}  # components.0


def _describe(err: Any, source: str, lines: Lines, root: Any) -> str:
    loc = tuple(err["loc"])
    field = ".".join(str(p) for p in loc) or "(top level)"
    line = _line_for(loc, lines)
    where = f"{source}:{line}" if line else source
    message = str(err["msg"]).removeprefix("Value error, ").removeprefix(f"{field}: ")
    if err["type"] == "extra_forbidden":
        message = f"unknown key {loc[-1]!r}; remove it or check the spelling (see `lmi schema`)"
        close = _close_keys(loc, root)
        if close:
            message = f"unknown key {loc[-1]!r}; did you mean {' or '.join(map(repr, close))}?"
    elif err["type"] == "missing":
        message = "required field is missing"
    elif "input" in err and err["type"] not in _MESSAGE_ONLY:
        message += f" (got {scrub_value(_safe_value(err['input']), field)!r})"
    return scrub(f"{where} {field}: {message}")


def _line_for(loc: tuple[Any, ...], lines: Lines) -> int | None:
    for end in range(len(loc), 0, -1):
        found = lines.get(tuple(str(p) if isinstance(p, str) else p for p in loc[:end]))
        if found:
            return found
    return None


def _safe_value(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return "<mapping>" if isinstance(value, dict) else "<list>"
    return value


def _close_keys(loc: tuple[Any, ...], root: Any) -> list[str]:
    """Valid keys next to an unknown one that look like it (``tensor_paralel_degree`` -> ``tensor_parallel_degree``)."""
    model: Any = root
    for part in loc[:-1]:
        if isinstance(part, int):  # an item of a list of models (components.0.copys): the item's own model
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        candidates = [t for t in (field.annotation, *get_args(field.annotation)) if isinstance(t, type)]
        model = next((t for t in candidates if issubclass(t, BaseModel)), None)
        if model is None:
            return []
    import difflib  # only on the error path: it is slow to import

    return difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=2, cutoff=0.6)


def _fix_for(err: Any, root: Any) -> str:
    if err["type"] == "credential":
        return "remove the secret from the spec (and rotate it if the file was shared); reference it as env:NAME"
    if err["type"] == "extra_forbidden":
        close = _close_keys(tuple(err["loc"]), root)
        if close:
            return f"rename {err['loc'][-1]!r} to {close[0]!r}"
        return "remove the unknown key (run `lmi schema` for every valid field)"
    if err["type"] == "missing":
        return "add the field (see `lmi init` for a commented starter spec)"
    if err["type"] == TEXT_ERROR:
        return str(err["ctx"]["fix"])
    message = str(err["msg"]).removeprefix("Value error, ")
    quoted = _number_written_as_text(err)
    if quoted is not None:
        return quoted
    if err["type"] not in {"value_error", "assertion_error"}:
        field = ".".join(str(p) for p in err["loc"]) or "the spec"
        if message.startswith("Input should be "):
            return f"write {field} as {message.removeprefix('Input should be ')} (see `lmi schema`)"
        return f"change {field}: {message[:1].lower()}{message[1:]} (see `lmi schema`)"
    return message.rsplit("; ", 1)[1] if "; " in message else message


def _number_written_as_text(err: Any) -> str | None:
    """The fix for a number the file holds as text: quoted (``"0.9"``), or an exponent without a dot (``1e-3``),
    which YAML 1.1 (PyYAML) reads as a string where TOML, JSON and YAML 1.2 read a number."""
    text = err.get("input")
    if err["type"] not in {"float_type", "int_type"} or not isinstance(text, str):
        return None
    try:
        number = float(text.replace("_", "x"))  # underscores: not a number here
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    field = ".".join(str(p) for p in err["loc"])
    if "e" in text.lower() and "." not in text and err["type"] == "float_type":
        mantissa, _, exponent = text.lower().partition("e")
        plain = f"{mantissa}.0e{exponent if exponent[:1] in '+-' else '+' + exponent}"
        return f"YAML reads {text} as text (an exponent needs a dot there): write {field}: {plain} or the plain number"
    return f"write {field} as a number without quotes ({field}: {text.strip()})"
