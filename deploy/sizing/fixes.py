"""Concrete fixes for a configuration that does not fit; every suggestion is re-estimated and does fit.

Rule: never suggest something we have not checked. Fixes are tried in the order a user would prefer them:
a smaller max_num_seqs when only the sampler warm-up fails, shorter max_model_len (free), fp8 KV cache (small
quality cost), more tensor parallelism on the same instance, a higher gpu_memory_utilization, runtime fp8
weights, then another instance type from the catalog.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from deploy.sizing.budget import Budget, compute_budget
from deploy.sizing.checks import budget_fits
from deploy.sizing.hardware import Hardware
from deploy.sizing.shape import ModelShape
from deploy.sizing.verdict import Estimate, judge_with_budget
from deploy.sizing.versions import EngineParams

if TYPE_CHECKING:
    from deploy.sizing.recommend import Recommendation

LEN_STEP = 1024
MIN_USEFUL_LEN = 1024


def _fits(shape: ModelShape, hardware: Hardware, params: EngineParams) -> bool:
    return budget_fits(compute_budget(shape, hardware, params))


def max_len_that_fits(
    shape: ModelShape, hardware: Hardware, params: EngineParams, *, upper: int, step: int = LEN_STEP
) -> int:
    """Largest max_model_len <= upper (a multiple of ``step``, or ``upper`` itself) that fits; else 0."""
    if _fits(shape, hardware, replace(params, max_model_len=upper)):
        return upper
    lo, hi = 0, upper // step  # invariant: lo*step fits (or lo == 0), hi*step does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _fits(shape, hardware, replace(params, max_model_len=mid * step)):
            lo = mid
        else:
            hi = mid
    return lo * step


def _len_fix(shape: ModelShape, hardware: Hardware, params: EngineParams, budget: Budget) -> list[str]:
    length = max_len_that_fits(shape, hardware, params, upper=budget.max_model_len)
    if length >= MIN_USEFUL_LEN:
        return [f"set max_model_len <= {length:,} (option.max_model_len={length})"]
    return []


def _seqs_fix(shape: ModelShape, hardware: Hardware, params: EngineParams, budget: Budget) -> list[str]:
    """When only the sampler warm-up fails: the largest max_num_seqs (multiple of 8) whose warm-up fits."""
    if budget.warmup_fits:
        return []
    for seqs in range(budget.max_num_seqs - budget.max_num_seqs % 8 - 8, 7, -8):
        if _fits(shape, hardware, replace(params, max_num_seqs=seqs)):
            return [f"set max_rolling_batch_size <= {seqs} (max_num_seqs; the sampler warm-up then fits)"]
    return []


def _same_hardware_fixes(shape: ModelShape, hardware: Hardware, params: EngineParams) -> list[str]:
    out = []
    if params.kv_cache_dtype == "auto" and _fits(shape, hardware, replace(params, kv_cache_dtype="fp8")):
        out.append("set kv_cache_dtype: fp8 (halves the KV cache per token)")
    gpus = hardware.gpu_count
    larger = [t for t in shape.valid_tp_degrees(gpus, gpu_count=gpus) if t > params.tensor_parallel_degree]
    for tp in larger:
        if _fits(shape, hardware, replace(params, tensor_parallel_degree=tp)):
            out.append(f"use tensor_parallel_degree={tp} on {hardware.label}")
            break
    if params.gpu_memory_utilization < 0.95 and _fits(shape, hardware, replace(params, gpu_memory_utilization=0.95)):
        out.append("set gpu_memory_utilization: 0.95")
    fp8_ok = hardware.compute_capability is None or hardware.compute_capability >= 8.0
    runtime_fp8_possible = shape.quantization is None and params.quantize is None and fp8_ok
    if runtime_fp8_possible and _fits(shape, hardware, replace(params, quantize="fp8")):
        out.append("set quantize: fp8 (runtime FP8 weights, about half the weight memory)")
    return out


SHORT_LEN = 8192  # a length most chat and RAG requests fit in: worth a cheaper instance when the full one is not


def _cheapest(shape: ModelShape, params: EngineParams, length: int) -> Recommendation | None:
    from deploy.sizing.recommend import recommend  # only for a configuration that does not fit: it loads prices

    recs = recommend(shape, max_model_len=length, limit=1, base_params=params)
    return recs[0] if recs else None


def _describe(rec: Recommendation, longest: int | None = None) -> str:
    where = f", priced in {rec.price.region}" if rec.price is not None else ""  # recommend()'s region, named
    price = f"{where} at ${rec.price_per_hour:.2f}/h" if rec.price_per_hour is not None else ""
    head = f"{rec.instance_type} fits with tp={rec.tensor_parallel_degree}"
    if longest is not None:
        return f"{head} and max_model_len <= {longest:,}{price}"
    return f"{head} and {rec.headroom:.1f}x headroom{price}"


def _cheaper(a: Recommendation, b: Recommendation | None) -> bool:
    if b is None:
        return True
    return a.price_per_hour is not None and (b.price_per_hour is None or a.price_per_hour < b.price_per_hour)


def _instance_fix(shape: ModelShape, hardware: Hardware, params: EngineParams, length: int) -> list[str]:
    """The cheapest catalog type at the full length, and a cheaper one at a shorter length when there is one."""
    full = _cheapest(shape, params, length)
    out = [_describe(full)] if full is not None and full.instance_type != hardware.name else []
    short = _cheapest(shape, params, SHORT_LEN) if length > SHORT_LEN else None
    if short is not None and short.instance_type != hardware.name and _cheaper(short, full):
        other = Hardware.from_instance(short.instance_type)
        tp_params = replace(params, tensor_parallel_degree=short.tensor_parallel_degree)
        longest = max_len_that_fits(shape, other, tp_params, upper=length)
        out.insert(0, _describe(short, longest))
    return out


def estimate(shape: ModelShape, hardware: Hardware, params: EngineParams, *, with_fixes: bool = True) -> Estimate:
    """Budget, KV capacity and verdict for one configuration; checked fixes are added when it does not fit."""
    est, budget = judge_with_budget(shape, hardware, params)
    if with_fixes and not est.fits:
        est = replace(est, fixes=suggest_fixes(shape, hardware, params, budget))
    return est


def suggest_fixes(shape: ModelShape, hardware: Hardware, params: EngineParams, budget: Budget) -> list[str]:
    """Checked alternatives that fit, best first."""
    fixes = _seqs_fix(shape, hardware, params, budget) + _len_fix(shape, hardware, params, budget)
    fixes += _same_hardware_fixes(shape, hardware, params)
    fixes += _instance_fix(shape, hardware, params, budget.max_model_len)
    if not fixes:
        fixes.append("no single change fits on this hardware; use a larger GPU or a quantized checkpoint")
    return fixes
