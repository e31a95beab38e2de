"""One validator per command-line flag that several commands share, so a bad value gets the same refusal everywhere.

Rule: each ``check_*`` takes the raw value (a string from the shell or what typer already converted), returns the
normalised value, and raises :class:`deploy.errors.UsageError` (exit 2) naming the flag, the value and the fix,
with the spec's own rule where the spec has the same field (``--dtype float16`` gets the spec's ``fp16`` hint,
``--region mars-1`` the catalog's unknown-region error). :func:`callback` turns a check into a typer callback, so
every option object that carries the flag applies it before the command runs. Only the standard library and
``deploy.errors`` at module level: ``lmi --help`` must stay fast.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from deploy.errors import LmiError, UsageError

Check = Callable[..., Any]
PORT_MAX = 65535
TIME_SCALE_MAX = 100.0
SECONDS_MAX = 600.0
DTYPES = ("auto", "bf16", "fp16", "fp32")
KV_CACHE_DTYPES = ("auto", "fp8", "fp8_e4m3", "fp8_e5m2")
PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def _refuse(flag: str, value: Any, reason: str, fix: str) -> UsageError:
    """The one wording of a refused flag: the same value gets the same text whether typer converted it or not."""
    return UsageError(f"invalid {flag} {str(value)!r}: {reason}", field=flag, value=value, fix=fix)


def _number(value: Any, flag: str, cast: Callable[[Any], Any], fix: str) -> Any:
    """``value`` as an int/float; a bool, a non-number, NaN or an infinity is refused."""
    if isinstance(value, bool):
        raise _refuse(flag, value, "not a number", fix)
    try:
        number = cast(value)
    except (TypeError, ValueError, OverflowError):
        raise _refuse(flag, value, "not a number", fix) from None
    if isinstance(number, float) and not math.isfinite(number):
        raise _refuse(flag, value, "must be a finite number", fix)
    if cast is int and isinstance(value, float) and value != number:
        raise _refuse(flag, value, "must be a whole number", fix)
    return number


def _in_range(value: Any, flag: str, cast: Callable[[Any], Any], low: float, high: float, fix: str) -> Any:
    number = _number(value, flag, cast, fix)
    if not low <= number <= high:
        raise _refuse(flag, value, f"must be between {low:g} and {high:g}", fix)
    return number


def check_port(value: Any, flag: str = "--port") -> int:
    return int(_in_range(value, flag, int, 0, PORT_MAX, f"a TCP port 1-{PORT_MAX}, or 0 for a free one"))


def check_time_scale(value: Any, flag: str = "--time-scale") -> float:
    fix = f"0 (instant) to {TIME_SCALE_MAX:g}; 1 = a few seconds per lifecycle phase"
    return float(_in_range(value, flag, float, 0.0, TIME_SCALE_MAX, fix))


def check_seconds(value: Any, flag: str = "--ttft") -> float:
    return float(_in_range(value, flag, float, 0.0, SECONDS_MAX, f"seconds from 0 to {SECONDS_MAX:g}, e.g. 0.05"))


def check_positive_int(value: Any, flag: str) -> int:
    fix = "a whole number of at least 1"
    number = int(_number(value, flag, int, fix))
    if number < 1:
        raise _refuse(flag, value, "must be at least 1", fix)
    return number


def check_rate(value: Any, flag: str = "--rate") -> float:
    """A request rate in requests per second: finite and above 0."""
    number = float(_number(value, flag, float, "requests per second above 0, e.g. 2,4,8"))
    if number <= 0:
        raise _refuse(flag, value, "must be above 0", "requests per second above 0, e.g. 2,4,8")
    return number


def check_gpu_memory_utilization(value: Any, flag: str = "--gpu-memory-utilization") -> float:
    """The spec's rule for ``engine.gpu_memory_utilization``: more than 0.05, at most 1."""
    number = float(_number(value, flag, float, "a fraction above 0.05 and at most 1, e.g. 0.9"))
    if not 0.05 < number <= 1.0:
        raise _refuse(flag, value, "must be above 0.05 and at most 1", "a fraction, e.g. 0.9 (vLLM's default)")
    return number


def check_dtype(value: str, flag: str = "--dtype") -> str:
    """The spec's rule for ``engine.dtype``: LMI's short names; long names get the short one as the fix."""
    from deploy.spec.rules import DTYPE_ALIASES

    short = DTYPE_ALIASES.get(str(value).lower())
    if short is not None:
        raise _refuse(flag, value, "LMI v15 does not accept it (Invalid data type at startup)", f"use {short!r}")
    if value not in DTYPES:
        raise _refuse(flag, value, "unknown dtype", f"use one of: {', '.join(DTYPES)}")
    return value


def check_kv_cache_dtype(value: str, flag: str = "--kv-cache-dtype") -> str:
    if value not in KV_CACHE_DTYPES:
        raise _refuse(flag, value, "unknown KV-cache dtype", f"use one of: {', '.join(KV_CACHE_DTYPES)}")
    return value


def check_quantize(value: str, flag: str = "--quantize") -> str:
    """The spec's rule for ``engine.quantize``."""
    from deploy.spec.rules import check_quantize as spec_rule

    try:
        return spec_rule(value)
    except ValueError as exc:
        text = str(exc)
        reason, _, fix = text.partition("; ")
        raise _refuse(flag, value, reason.replace(f" {value!r}", ""), fix or "see `lmi size --help`") from None


def _catalog_name(lookup: Callable[[str], Any], value: str, flag: str) -> str:
    try:
        lookup(value)
    except LmiError as exc:  # the catalog's unknown-name error: keep its reason and its "did you mean" fix
        reason = exc.message.removeprefix(f"{exc.field}={value!r}: ")  # the value itself may hold ": "
        raise _refuse(flag, value, reason, exc.fix or "see `lmi catalog`") from None
    return value


def check_region(value: str, flag: str = "--region") -> str:
    """A region that hosts the LMI image (the catalog's list), as the spec's ``region`` requires."""
    from deploy.catalog import region_info

    return _catalog_name(region_info, value, flag)


def check_instance(value: str, flag: str = "--instance") -> str:
    """A GPU instance type from the catalog (``g6e.2xlarge`` is accepted for ``ml.g6e.2xlarge``)."""
    from deploy.catalog import get_instance

    return _catalog_name(get_instance, value, flag)


def check_plot_path(value: str, flag: str = "--plot") -> str:
    """An image path whose type matplotlib writes, checked before a long run rather than after it."""
    import os

    suffix = os.path.splitext(value)[1].lower()
    if suffix not in PLOT_SUFFIXES:
        raise _refuse(flag, value, "not an image file type lmi bench writes", f"end it in {', '.join(PLOT_SUFFIXES)}")
    return value


def check_output_path(value: Any, flag: str = "--out") -> str:
    """A path to write to: an empty or blank one is refused (it would silently mean the current directory, or
    stdout on another code path), and so is one with a control character (a typo, or an attempt to forge output)."""
    text = str(value)
    if not text.strip():
        raise _refuse(flag, value, "an empty path", "name the file or directory to write (use . for here)")
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise _refuse(flag, value, "the path holds a control character", "remove it (paste the path again)")
    return text


def callback(check: Check, flag: str) -> Callable[[Any], Any]:
    """A typer option callback applying ``check`` (``None``, an option left out, passes through)."""

    def apply(value: Any) -> Any:
        return None if value is None else check(value, flag=flag)

    return apply


def checked_option(default: Any, flag: str, check: Check, help_text: str) -> Any:
    """A typer option whose value ``check`` validates (the same check on every command that has ``flag``)."""
    import typer

    return typer.Option(default, flag, callback=callback(check, flag), help=help_text)
