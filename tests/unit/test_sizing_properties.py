"""Properties of the estimator that must hold for any input (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from deploy.sizing import EngineParams, Hardware, estimate, load_shape
from deploy.sizing.budget import compute_budget
from deploy.sizing.versions import LARGE_GPU_BYTES

CONFIGS = Path(__file__).resolve().parents[1] / "fixtures" / "configs"
SHAPES = [
    load_shape(str(CONFIGS / f"{name}.json"))
    for name in ("llama-3.1-8b-instruct", "qwen2.5-7b-instruct", "qwen3-30b-a3b", "qwen2.5-7b-instruct-awq")
]

shapes = st.sampled_from(SHAPES)
memory = st.integers(min_value=8_000, max_value=200_000)
lengths = st.integers(min_value=256, max_value=65_536)
utils = st.floats(min_value=0.5, max_value=0.98)
versions = st.sampled_from([("0.8.4", "v1"), ("0.8.4", "v0"), ("0.6.4", "v0"), ("0.19.0", "v1"), ("0.21.0", "v1")])
FAST = settings(max_examples=60, deadline=None)


def _params(length: int, util: float, version: tuple[str, str]) -> EngineParams:
    return EngineParams(max_model_len=length, gpu_memory_utilization=util, vllm_version=version[0], engine=version[1])  # type: ignore[arg-type]


@FAST
@given(shapes, memory, st.integers(min_value=1, max_value=50_000), lengths, utils, versions)
def test_more_memory_never_turns_fits_into_does_not_fit(shape, mib, extra, length, util, version):  # type: ignore[no-untyped-def]
    params = _params(length, util, version)
    # vLLM >= 0.9 raises its scheduler defaults on GPUs of >= 70 GiB (8,192 batched tokens, 1,024 sequences), so the
    # activation peak jumps there by design; the property holds on either side of that line (found by hypothesis:
    # llama-3.1-8b, 69,270 vs 72,162 MiB, vLLM 0.19).
    small_hw, large_hw = Hardware(gpu_memory_mib=mib), Hardware(gpu_memory_mib=mib + extra)
    assume((small_hw.visible_bytes >= LARGE_GPU_BYTES) == (large_hw.visible_bytes >= LARGE_GPU_BYTES))
    small = estimate(shape, small_hw, params, with_fixes=False)
    large = estimate(shape, large_hw, params, with_fixes=False)
    assert large.kv_cache_tokens >= small.kv_cache_tokens
    assert large.fits or not small.fits


@FAST
@given(shapes, memory, lengths, utils, st.floats(min_value=0.0, max_value=0.3), versions)
def test_kv_tokens_are_monotone_in_utilization(shape, mib, length, util, more, version):  # type: ignore[no-untyped-def]
    hw = Hardware(gpu_memory_mib=mib)
    low = compute_budget(shape, hw, _params(length, util, version))
    high = compute_budget(shape, hw, _params(length, min(0.99, util + more), version))
    assert high.kv_tokens >= low.kv_tokens


v1_versions = st.sampled_from([("0.8.4", "v1"), ("0.19.0", "v1"), ("0.21.0", "v1")])


@FAST
@given(shapes, memory, lengths, v1_versions)
def test_a_shorter_max_model_len_never_hurts_in_v1(shape, mib, length, version):  # type: ignore[no-untyped-def]
    """V1 always chunks prefill; V0 does not hold this (a longer length can switch chunked prefill on)."""
    hw = Hardware(gpu_memory_mib=mib)
    long = estimate(shape, hw, _params(length, 0.9, version), with_fixes=False)
    short = estimate(shape, hw, _params(max(16, length // 2), 0.9, version), with_fixes=False)
    assert short.fits or not long.fits


@FAST
@given(shapes, st.sampled_from([1, 2, 4, 8]))
def test_kv_per_token_never_grows_with_tp(shape, tp):  # type: ignore[no-untyped-def]
    valid = [t for t in shape.valid_tp_degrees(8) if t <= tp]
    sizes = [shape.kv_bytes_per_token(t, 2) for t in valid]
    assert sizes == sorted(sizes, reverse=True)


@FAST
@given(shapes, memory, lengths)
def test_tokens_are_whole_blocks_and_concurrency_is_consistent(shape, mib, length):  # type: ignore[no-untyped-def]
    est = estimate(shape, Hardware(gpu_memory_mib=mib), EngineParams(max_model_len=length), with_fixes=False)
    assert est.kv_cache_tokens % est.block_size == 0 and est.kv_cache_tokens >= 0
    assert est.max_concurrency == est.kv_cache_tokens / length
    if est.fits:
        assert est.kv_cache_tokens >= length


@FAST
@given(shapes, memory, lengths)
def test_fixes_are_checked(shape, mib, length):  # type: ignore[no-untyped-def]
    hw = Hardware(gpu_memory_mib=mib)
    params = EngineParams(max_model_len=length)
    est = estimate(shape, hw, params)
    for fix in est.fixes:
        if fix.startswith("set max_model_len <= "):
            fixed = int(fix.split("option.max_model_len=")[1].rstrip(")"))
            assert estimate(shape, hw, replace(params, max_model_len=fixed), with_fixes=False).fits


def test_more_memory_monotone_across_the_large_gpu_line_example() -> None:
    # The example hypothesis found, pinned on each side of the 70 GiB line: monotone within a side.
    shape, params = SHAPES[0], _params(256, 0.5, ("0.19.0", "v1"))
    below = [estimate(shape, Hardware(gpu_memory_mib=m), params, with_fixes=False) for m in (60_000, 69_270)]
    above = [estimate(shape, Hardware(gpu_memory_mib=m), params, with_fixes=False) for m in (72_162, 80_000)]
    assert below[0].kv_cache_tokens <= below[1].kv_cache_tokens
    assert above[0].kv_cache_tokens <= above[1].kv_cache_tokens
    assert below[1].max_num_batched_tokens == 2048 and above[0].max_num_batched_tokens == 8192
