"""Flags and helpers of the performance prediction in `lmi size` and `lmi recommend`.

Rule: the workload flags (--concurrency, --input-tokens, --output-tokens) come all together or not at all, and
--rank-by cost-per-token needs them; each refusal is a UsageError (exit 2) naming the flag and the fix. Only typer,
stdlib and the shared flag validators at module level: `lmi --help` must stay fast.
"""

from __future__ import annotations

from typing import Any

import typer

from deploy.cli.flags import callback, check_positive_int, checked_option


def _count(flag: str, default: Any, text: str) -> Any:
    return typer.Option(default, flag, callback=callback(check_positive_int, flag), help=text)


PERF_CONCURRENCY_OPTION = _count("--concurrency", None, "Concurrent streams per copy for the performance prediction.")
INPUT_TOKENS_OPTION = _count("--input-tokens", None, "Input tokens per request (performance prediction).")
OUTPUT_TOKENS_OPTION = _count("--output-tokens", None, "Output tokens per request (performance prediction).")
RANK_CHOICES = ("price", "cost-per-token")


def check_rank_by(value: Any, flag: str = "--rank-by") -> str:
    """One of RANK_CHOICES (exit 2 otherwise)."""
    from deploy.errors import UsageError

    if value not in RANK_CHOICES:
        raise UsageError(
            f"invalid {flag} {str(value)!r}: not a ranking", field=flag, value=value, fix="use price or cost-per-token"
        )
    return str(value)


def check_positive_ms(value: Any, flag: str) -> float:
    """A latency limit in milliseconds: a finite number above 0 (exit 2 otherwise)."""
    import math

    from deploy.errors import UsageError

    number = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan
    if not math.isfinite(number) or number <= 0:
        raise UsageError(
            f"invalid {flag} {str(value)!r}: must be a number of milliseconds above 0",
            field=flag,
            value=value,
            fix=f"e.g. {flag} 50",
        )
    return number


RANK_BY_OPTION = checked_option(
    "price", "--rank-by", check_rank_by, "price ($/h, default) or cost-per-token ($/M output tokens)."
)
SLO_TTFT_OPTION = checked_option(None, "--slo-ttft-ms", check_positive_ms, "Drop types whose predicted TTFT is above.")
SLO_ITL_OPTION = checked_option(None, "--slo-itl-ms", check_positive_ms, "Drop types whose predicted ITL is above.")


def workload(concurrency: int | None, input_tokens: int | None, output_tokens: int | None) -> Any:
    """The workload of --concurrency/--input-tokens/--output-tokens: all three or none (else exit 2)."""
    from deploy.errors import UsageError
    from deploy.sizing.perf import Workload

    given = {"--concurrency": concurrency, "--input-tokens": input_tokens, "--output-tokens": output_tokens}
    if all(v is None for v in given.values()):
        return None
    missing = [flag for flag, value in given.items() if value is None]
    if missing:
        raise UsageError(
            f"a performance prediction needs {', '.join(missing)}",
            field=missing[0],
            value=None,
            fix="pass --concurrency C --input-tokens I --output-tokens O together",
        )
    return Workload(int(concurrency or 0), int(input_tokens or 0), int(output_tokens or 0))


def performance(shape: Any, est: Any, hardware: Any, work: Any, quantize: str | None) -> Any:
    """The predicted performance of ``work`` on a catalog instance (None without a workload or fit)."""
    from deploy.errors import UsageError

    if work is None:
        return None
    if hardware.name == "custom":
        raise UsageError(
            "a performance prediction needs a catalog instance (bandwidth, TFLOPs, interconnect)",
            field="--instance",
            value=None,
            fix="pass --instance TYPE instead of --gpu-memory-mib",
        )
    if not est.fits:
        return None
    from deploy.sizing.perf_inputs import predict_for_instance

    return predict_for_instance(
        shape, est, hardware.name, work, quantize=quantize, price_per_hour=hardware.price_per_hour
    )


def rank_workload(
    rank_by: str,
    concurrency: int | None,
    input_tokens: int | None,
    output_tokens: int | None,
    slo_ttft_ms: float | None,
    slo_itl_ms: float | None,
) -> Any:
    """The workload --rank-by cost-per-token needs (exit 2 when a flag is missing or does not apply)."""
    from deploy.errors import UsageError

    if rank_by not in RANK_CHOICES:
        raise UsageError(
            f"--rank-by={rank_by!r} is not a ranking",
            field="--rank-by",
            value=rank_by,
            fix="use price or cost-per-token",
        )
    if rank_by == "price":
        extra = [f for f, v in (("--slo-ttft-ms", slo_ttft_ms), ("--slo-itl-ms", slo_itl_ms)) if v is not None]
        if extra:
            raise UsageError(
                f"{extra[0]} needs --rank-by cost-per-token",
                field=extra[0],
                value=slo_ttft_ms if extra[0] == "--slo-ttft-ms" else slo_itl_ms,
                fix="add --rank-by cost-per-token --input-tokens I --output-tokens O",
            )
        return workload(concurrency, input_tokens, output_tokens) if input_tokens or output_tokens else None
    work = workload(concurrency, input_tokens, output_tokens)
    if work is None:
        raise UsageError(
            "--rank-by cost-per-token needs a workload",
            field="--input-tokens",
            value=None,
            fix="pass --concurrency C --input-tokens I --output-tokens O",
        )
    return work
