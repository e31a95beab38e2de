"""resolve_engine(): turn every ``auto`` engine setting into a number, and say why.

Rules (the task left these to us; they are documented in docs/sizing.md):
- tensor_parallel_degree: the smallest degree vLLM accepts, that divides the instance's GPU count and fits.
  Fewer GPUs per copy means more copies per instance (data parallelism beats tensor parallelism when the
  model fits).
- max_model_len: the model's maximum, capped to what fits with headroom: the KV cache must hold
  HEADROOM_REQUESTS full-length requests, rounded down to a multiple of 1024 (the block size, 16, divides
  it). Never above the model's maximum. With an automatic length, a degree only counts as fitting if it
  reaches MIN_AUTO_LEN (or the model max).
- max_rolling_batch_size: KV tokens / TYPICAL_REQUEST_TOKENS (a 1.5k-token prompt + 0.5k output), clamped to
  [1, MAX_ROLLING_BATCH] and, from 32 up, rounded down to a multiple of 8 - never LMI's silent async
  default of 32.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from deploy.errors import FitError
from deploy.records import record
from deploy.sizing.budget import compute_budget
from deploy.sizing.checks import budget_fits
from deploy.sizing.compat import auto_dtype_override
from deploy.sizing.engine_options import feature_params
from deploy.sizing.fixes import estimate, max_len_that_fits
from deploy.sizing.hardware import Hardware
from deploy.sizing.load_check import load_problem
from deploy.sizing.shape import ModelShape
from deploy.sizing.verdict import Estimate
from deploy.sizing.versions import Engine, EngineParams

HEADROOM_REQUESTS = 2
MIN_AUTO_LEN = 8192
TYPICAL_REQUEST_TOKENS = 2048
MAX_ROLLING_BATCH = 256
FALLBACK_MAX_LEN = 4096


@record
class Resolution:
    """The resolved engine settings, the estimate they give, and one note per decision."""

    tensor_parallel_degree: int
    max_model_len: int
    max_rolling_batch_size: int
    estimate: Estimate
    notes: tuple[str, ...]
    dtype: str | None = None  # the short dtype to render when `auto` would fail on this GPU (bf16 -> fp16)


def _tp_candidates(shape: ModelShape, hardware: Hardware, explicit: int | None) -> list[int]:
    if explicit is not None:
        shape.check_tp(explicit, gpu_count=hardware.gpu_count)
        return [explicit]
    return shape.valid_tp_degrees(hardware.gpu_count, gpu_count=hardware.gpu_count)


def _fits_with_headroom(shape: ModelShape, hardware: Hardware, params: EngineParams) -> bool:
    budget = compute_budget(shape, hardware, params)
    return budget_fits(budget) and budget.kv_tokens >= HEADROOM_REQUESTS * budget.max_model_len


def _auto_len(shape: ModelShape, hardware: Hardware, params: EngineParams, model_max: int) -> int:
    """Largest length <= model_max (multiple of 1024) whose KV fits HEADROOM_REQUESTS full requests."""
    if _fits_with_headroom(shape, hardware, replace(params, max_model_len=model_max)):
        return model_max
    lo, hi = 0, model_max // 1024
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _fits_with_headroom(shape, hardware, replace(params, max_model_len=mid * 1024)):
            lo = mid
        else:
            hi = mid
    if lo == 0:  # no headroom anywhere: settle for the longest length that fits at all
        return max_len_that_fits(shape, hardware, params, upper=model_max)
    return lo * 1024


def _rolling_batch(kv_tokens: int) -> int:
    raw = max(1, min(MAX_ROLLING_BATCH, kv_tokens // TYPICAL_REQUEST_TOKENS))
    return raw - raw % 8 if raw >= 32 else raw


def _try_degree(
    shape: ModelShape, hardware: Hardware, params: EngineParams, explicit_len: int | None, model_max: int
) -> int:
    """max_model_len that works at this degree, or 0 when this degree is not good enough."""
    if explicit_len is not None:
        return explicit_len if budget_fits(compute_budget(shape, hardware, params)) else 0
    length = _auto_len(shape, hardware, params, model_max)
    return length if length >= min(model_max, MIN_AUTO_LEN) else 0


def resolve_engine(
    shape: ModelShape,
    hardware: Hardware,
    *,
    tensor_parallel_degree: int | None = None,
    max_model_len: int | None = None,
    max_num_seqs: int | None = None,
    gpu_memory_utilization: float = 0.9,
    dtype: str = "auto",
    quantize: str | None = None,
    kv_cache_dtype: str = "auto",
    max_num_batched_tokens: int | None = None,
    vllm_version: str = "0.8.4",
    engine: Engine = "v1",
    trust_remote_code: bool | None = None,
    options: Mapping[str, Any] | None = None,
) -> Resolution:
    """Resolve tp, max_model_len and max_rolling_batch_size; FitError (estimate + fixes) if none fits."""
    model_max = shape.max_position_embeddings or FALLBACK_MAX_LEN
    base = EngineParams(
        max_model_len=max_model_len,
        max_num_seqs=max_num_seqs or MAX_ROLLING_BATCH,
        max_num_batched_tokens=max_num_batched_tokens,
        gpu_memory_utilization=gpu_memory_utilization,
        dtype=dtype,
        quantize=quantize,
        kv_cache_dtype=kv_cache_dtype,
        vllm_version=vllm_version,
        engine=engine,
        trust_remote_code=trust_remote_code,
    )
    if options:  # speculative decoding, LoRA slots and expert parallelism take memory too
        base = replace(base, **feature_params(options).as_kwargs())
    problem = load_problem(shape, hardware, base)
    if problem is not None:
        raise problem.error()
    override = auto_dtype_override(shape, hardware, vllm_version) if dtype == "auto" else None
    candidates = _tp_candidates(shape, hardware, tensor_parallel_degree)
    for tp in candidates:
        params = replace(base, tensor_parallel_degree=tp)
        length = _try_degree(shape, hardware, params, max_model_len, model_max)
        if length:
            params = replace(params, max_model_len=length)
            found = _finish(shape, hardware, params, max_num_seqs, model_max, tensor_parallel_degree is None)
            return replace(found, dtype=override)
    last = replace(base, tensor_parallel_degree=candidates[-1] if candidates else 1)
    _raise_fit_error(shape, hardware, last, model_max, max_model_len)
    raise AssertionError("unreachable")


def _settle_rolling_batch(shape: ModelShape, hardware: Hardware, params: EngineParams) -> tuple[int, Estimate]:
    """Rolling batch size from KV capacity; a smaller batch shrinks the sampler's activation, so re-check upward."""
    est = estimate(shape, hardware, params, with_fixes=False)
    seqs = _rolling_batch(est.kv_cache_tokens)
    for _ in range(3):
        est = estimate(shape, hardware, replace(params, max_num_seqs=seqs), with_fixes=False)
        larger = _rolling_batch(est.kv_cache_tokens)
        if larger <= seqs:
            break
        seqs = larger
    return seqs, est


def _finish(
    shape: ModelShape,
    hardware: Hardware,
    params: EngineParams,
    explicit_seqs: int | None,
    model_max: int,
    auto_tp: bool,
) -> Resolution:
    if explicit_seqs:
        seqs = explicit_seqs
    else:
        seqs, _ = _settle_rolling_batch(shape, hardware, params)
    final = estimate(shape, hardware, replace(params, max_num_seqs=seqs))
    tp, length = params.tensor_parallel_degree, params.max_model_len or model_max
    copies = hardware.gpu_count // tp
    notes = [
        f"tensor_parallel_degree={tp}: "
        + ("the smallest valid degree that fits" if auto_tp else "as set")
        + f" ({copies} {'copy' if copies == 1 else 'copies'} per instance)",
        f"max_model_len={length:,}: "
        + (
            f"the model maximum {model_max:,}"
            if length == model_max
            else f"model maximum {model_max:,} capped so that {HEADROOM_REQUESTS} full-length requests fit"
        ),
        f"max_rolling_batch_size={seqs}: "
        + (
            "as set"
            if explicit_seqs
            else f"{final.kv_cache_tokens:,} KV tokens / {TYPICAL_REQUEST_TOKENS:,}"
            f"-token typical request, capped at {MAX_ROLLING_BATCH}"
        ),
    ]
    return Resolution(tp, length, seqs, final, tuple(notes + final.warnings))


def _raise_fit_error(
    shape: ModelShape, hardware: Hardware, params: EngineParams, model_max: int, explicit_len: int | None
) -> None:
    shown = replace(params, max_model_len=explicit_len or model_max)
    est = estimate(shape, hardware, shown)
    reason = est.reasons[0] if est.reasons else "does not fit"
    raise FitError(
        f"{shape.model_id} does not fit {hardware.label} at tensor_parallel_degree="
        f"{params.tensor_parallel_degree}: {reason}",
        estimate=est,
        field="instance.type",
        value=hardware.name,
        fix="; or ".join(est.fixes) if est.fixes else None,
    )
