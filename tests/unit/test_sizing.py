"""The memory budget and verdict: vLLM's arithmetic, its error texts, version behaviour, fixes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from deploy.errors import SpecError, UsageError
from deploy.sizing import EngineParams, Hardware, estimate, load_shape
from deploy.sizing.budget import compute_budget
from deploy.sizing.fixes import max_len_that_fits
from deploy.sizing.shape import ModelShape
from deploy.sizing.versions import behaviour_for, parse_version

CONFIGS = Path(__file__).resolve().parents[1] / "fixtures" / "configs"
GIB = 1024**3
H100 = Hardware(gpu_memory_mib=81559, gpu_count=8, gpu_name="H100", torch_total_bytes=int(79.19 * GIB))
A10G = Hardware(gpu_memory_mib=23028, gpu_count=1, gpu_name="A10G")
RTX3090 = Hardware(gpu_memory_mib=24576, gpu_name="RTX 3090", torch_total_bytes=int(23.58 * GIB))


def shape(name: str) -> ModelShape:
    return load_shape(str(CONFIGS / f"{name}.json"))


LLAMA = shape("llama-3.1-8b-instruct")


def test_budget_follows_vllm_arithmetic() -> None:
    params = EngineParams(max_model_len=8192, gpu_memory_utilization=0.95, vllm_version="0.19.0")
    budget = compute_budget(LLAMA, H100, params)
    expected_kv = budget.total_bytes * 0.95 - budget.weights_bytes - budget.activation_bytes - budget.non_torch_bytes
    assert budget.kv_available_bytes == pytest.approx(expected_kv)
    assert budget.kv_tokens == budget.kv_blocks * 16
    assert budget.kv_blocks == int(budget.kv_available_bytes // (128 * 1024 * 16))


def test_matches_a_real_vllm_log_within_two_percent() -> None:
    # llm-d-planner sweep, vLLM 0.19.0, H100: "GPU KV cache size: 476,016 tokens"
    est = estimate(LLAMA, H100, EngineParams(max_model_len=8192, gpu_memory_utilization=0.95, vllm_version="0.19.0"))
    assert est.kv_cache_tokens == pytest.approx(476_016, rel=0.02)
    assert est.max_concurrency == pytest.approx(est.kv_cache_tokens / 8192)


def test_v0_profile_without_chunked_prefill_uses_max_model_len_tokens() -> None:
    # vllm issue #10517 (RTX 3090, V0): 20k starts, 29k fails (23,648 tokens), 35k starts (chunked prefill)
    def run(length: int) -> bool:
        params = EngineParams(max_model_len=length, vllm_version="0.6.4", engine="v0")
        return estimate(LLAMA, RTX3090, params, with_fixes=False).fits

    assert run(20_000) and not run(29_000) and run(35_000)
    failed = estimate(LLAMA, RTX3090, EngineParams(max_model_len=29_000, vllm_version="0.6.4", engine="v0"))
    assert failed.kv_cache_tokens == pytest.approx(23_648, rel=0.05)
    assert failed.reasons[0].startswith("The model's max seq len (29000) is larger than the maximum number")


def test_v0_chunked_prefill_follows_the_models_default_length() -> None:
    # No max_model_len: the model's 131,072 tokens are > 32K, so V0 turns chunked prefill on by itself and profiles
    # 2,048 tokens, exactly as with max_model_len=131072 written out (it used to profile all 131,072 tokens).
    implicit = estimate(LLAMA, A10G, EngineParams(engine="v0"), with_fixes=False)
    explicit = estimate(LLAMA, A10G, EngineParams(engine="v0", max_model_len=131_072), with_fixes=False)
    assert implicit.max_num_batched_tokens == explicit.max_num_batched_tokens == 2048
    assert implicit.kv_cache_tokens == explicit.kv_cache_tokens


def test_v0_does_not_chunk_sliding_window_or_multimodal_models_by_itself() -> None:
    # vLLM 0.8.4 EngineArgs._set_default_args_v0 keeps chunked prefill off for these even above 32K tokens.
    sliding = replace(LLAMA, sliding_window=4096, num_sliding_layers=LLAMA.num_layers)
    multimodal = replace(LLAMA, vision_params=400_000_000)
    for model in (sliding, multimodal):
        budget = compute_budget(model, H100, EngineParams(engine="v0", max_model_len=65_536))
        assert budget.profiled_tokens == 65_536


def test_v1_failure_uses_vllm_wording_and_offers_checked_fixes() -> None:
    est = estimate(LLAMA, A10G, EngineParams())  # 131,072 tokens on a 24 GB GPU
    assert not est.fits
    assert "To serve at least one request with the models's max seq len (131072)" in est.reasons[0]
    assert est.fixes and est.fixes[0].startswith("set max_model_len <= ")
    length = int(est.fixes[0].split("option.max_model_len=")[1].rstrip(")"))
    assert estimate(LLAMA, A10G, EngineParams(max_model_len=length)).fits
    assert not estimate(LLAMA, A10G, EngineParams(max_model_len=length + 1024)).fits


def test_weights_larger_than_the_gpu_fail_at_load() -> None:
    est = estimate(shape("mixtral-8x7b"), A10G, EngineParams(max_model_len=4096))
    assert not est.fits and "CUDA out of memory" in est.reasons[0]


def test_no_memory_left_for_the_cache() -> None:
    tight = Hardware(gpu_memory_mib=17000, gpu_name="custom")
    est = estimate(LLAMA, tight, EngineParams(max_model_len=4096), with_fixes=False)
    assert not est.fits and "No available memory for the cache blocks" in est.reasons[0]


def test_kv_fp8_doubles_tokens() -> None:
    base = estimate(LLAMA, H100, EngineParams(max_model_len=8192))
    fp8 = estimate(LLAMA, H100, EngineParams(max_model_len=8192, kv_cache_dtype="fp8"))
    assert fp8.kv_cache_tokens == pytest.approx(2 * base.kv_cache_tokens, rel=0.001)


def test_tp_two_halves_weights_and_adds_communication_buffers() -> None:
    one = estimate(LLAMA, H100, EngineParams(max_model_len=8192))
    two = estimate(LLAMA, H100, EngineParams(max_model_len=8192, tensor_parallel_degree=2))
    assert two.weights_bytes_per_gpu < 0.51 * one.weights_bytes_per_gpu
    assert two.non_torch_bytes_per_gpu > one.non_torch_bytes_per_gpu
    assert two.copies_per_instance == 4 and two.kv_cache_tokens > 2 * one.kv_cache_tokens


def test_tp_larger_than_the_gpu_count_is_refused() -> None:
    with pytest.raises(SpecError) as err:
        estimate(LLAMA, A10G, EngineParams(tensor_parallel_degree=2))
    assert err.value.field == "tensor_parallel_degree" and err.value.fix


def test_cuda_graphs_live_in_the_headroom_before_0_21() -> None:
    params = EngineParams(max_model_len=4096, gpu_memory_utilization=0.99)
    old = estimate(LLAMA, A10G, params, with_fixes=False)
    assert not old.cuda_graph_in_budget and not old.fits
    assert "captured after the KV cache is allocated" in old.reasons[0]
    new = estimate(LLAMA, A10G, replace(params, vllm_version="0.21.0"), with_fixes=False)
    assert new.cuda_graph_in_budget and new.fits
    eager = estimate(LLAMA, A10G, replace(params, enforce_eager=True), with_fixes=False)
    assert eager.cuda_graph_bytes_per_gpu == 0


def test_scheduler_defaults_follow_the_version_and_gpu() -> None:
    lmi15 = compute_budget(LLAMA, H100, EngineParams(max_model_len=8192))
    assert (lmi15.max_num_seqs, lmi15.profiled_tokens) == (256, 2048)
    newer = compute_budget(LLAMA, H100, EngineParams(max_model_len=8192, vllm_version="0.19.0"))
    assert (newer.max_num_seqs, newer.profiled_tokens) == (1024, 8192)
    a100 = Hardware(gpu_memory_mib=81920, gpu_name="A100-80GB")
    on_a100 = compute_budget(LLAMA, a100, EngineParams(max_model_len=8192, vllm_version="0.19.0"))
    assert (on_a100.max_num_seqs, on_a100.profiled_tokens) == (256, 2048)


def test_more_batched_tokens_means_more_activation() -> None:
    small = compute_budget(LLAMA, H100, EngineParams(max_model_len=32768, max_num_batched_tokens=2048))
    large = compute_budget(LLAMA, H100, EngineParams(max_model_len=32768, max_num_batched_tokens=32768))
    assert large.activation_bytes > small.activation_bytes


def test_version_parsing_and_engine_checks() -> None:
    assert parse_version("0.8.5.post1") == (0, 8, 5)
    assert parse_version("v0.7.4.dev390") == (0, 7, 4)
    with pytest.raises(UsageError):
        parse_version("latest")
    with pytest.raises(UsageError):
        behaviour_for(EngineParams(vllm_version="0.12.0", engine="v0"))


def test_estimate_json_has_the_contract_keys() -> None:
    data = estimate(LLAMA, A10G, EngineParams(max_model_len=8192)).to_dict()
    for key in (
        "weights_bytes_per_gpu",
        "kv_cache_bytes_per_token",
        "kv_cache_tokens",
        "max_concurrency",
        "tensor_parallel_degree",
        "fits",
        "reasons",
    ):
        assert key in data
    assert data["fits"] is True and isinstance(data["reasons"], list)


def test_max_len_that_fits_is_a_boundary() -> None:
    params = EngineParams()
    length = max_len_that_fits(LLAMA, A10G, params, upper=131072)
    assert length % 1024 == 0
    assert compute_budget(LLAMA, A10G, replace(params, max_model_len=length)).kv_tokens >= length
    assert max_len_that_fits(LLAMA, A10G, params, upper=4096) == 4096


def test_old_gpus_fall_back_to_v0_and_refuse_fp8() -> None:
    t4 = Hardware(gpu_memory_mib=15360, gpu_name="T4", compute_capability=7.5, bf16=False)
    small = shape("llama-3.2-1b-instruct")
    est = estimate(small, t4, EngineParams(max_model_len=4096), with_fixes=False)
    assert est.vllm == "vLLM 0.8.4 V0" and est.dtype == "float16"
    assert any("falls back to the V0 engine" in note for note in est.notes)
    fp8 = estimate(small, t4, EngineParams(max_model_len=4096, quantize="fp8"), with_fixes=False)
    assert not fp8.fits and "Minimum capability: 80" in fp8.reasons[0]


def test_max_model_len_above_the_model_maximum_is_refused() -> None:
    est = estimate(shape("qwen2.5-7b-instruct"), H100, EngineParams(max_model_len=65536), with_fixes=False)
    assert not est.fits and "VLLM_ALLOW_LONG_MAX_MODEL_LEN" in est.reasons[0]


def test_invalid_tp_fix_lists_only_degrees_the_hardware_has() -> None:
    # 32 heads on a 4-GPU box: the fix used to offer 8 as well.
    four = Hardware(gpu_memory_mib=46068, gpu_count=4, gpu_name="L40S")
    with pytest.raises(SpecError) as info:
        estimate(LLAMA, four, EngineParams(tensor_parallel_degree=3, max_model_len=4096))
    assert info.value.fix == "use one of: 1, 2, 4"
