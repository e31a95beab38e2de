"""Regression against public vLLM start-up logs outside the calibration folder.

Source: llm-d-incubation/llm-d-planner, accuracy/results/v0.19.0/logs (vLLM 0.19.0, one H100 80GB, torch total
79.19 GiB, gpu_memory_utilization 0.95, default scheduler budgets). Each row is (model, tp, extra flags, the
"GPU KV cache size" vLLM printed, or None when vLLM refused to start). The estimator must land within 10 % of
every printed figure and must never say "fits" where vLLM refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from deploy.errors import SpecError
from deploy.sizing import EngineParams, Hardware, estimate, load_shape

GIB = 1024**3
CONFIGS = Path(__file__).resolve().parents[1] / "fixtures" / "configs"
H100 = Hardware(gpu_memory_mib=81559, gpu_count=8, gpu_name="H100", torch_total_bytes=int(79.19 * GIB))

CASES: list[tuple[str, int, dict[str, Any], int | None]] = [
    ("meta-llama/Llama-3.1-8B-Instruct", 1, {}, 476_016),
    ("meta-llama/Llama-3.1-8B-Instruct", 2, {}, 1_044_688),
    ("meta-llama/Llama-3.1-8B-Instruct", 4, {}, 2_209_792),
    ("meta-llama/Llama-3.1-8B-Instruct", 1, {"dtype": "float32"}, 175_296),
    ("meta-llama/Llama-3.1-8B-Instruct", 1, {"kv_cache_dtype": "fp8"}, 952_032),
    ("meta-llama/Llama-3.1-8B-Instruct", 1, {"quantize": "fp8"}, 529_248),
    ("meta-llama/Llama-3.1-8B-Instruct", 1, {"max_model_len": 32768}, 476_016),
    ("Qwen/Qwen2.5-7B-Instruct", 4, {}, 5_043_280),
    ("Qwen/Qwen2.5-72B-Instruct", 2, {}, 19_920),
    ("Qwen/Qwen3-8B", 1, {}, 418_688),
    ("mistralai/Mixtral-8x7B-Instruct-v0.1", 2, {}, 465_936),
    ("google/gemma-2-9b-it", 1, {}, 168_880),
    ("google/gemma-2-27b-it", 1, {}, 58_672),
    ("google/gemma-3-4b-it", 1, {}, 468_144),  # hybrid KV manager: 7 layer groups of 5
    ("google/gemma-3-27b-it", 1, {}, 36_560),  # hybrid KV manager: 7 layer groups of 10
    (str(CONFIGS / "phi-2.json"), 1, {"max_model_len": 2048}, 226_112),
    (str(CONFIGS / "phi-2.json"), 1, {"max_model_len": 8192}, None),  # above the model's 2,048 positions
    ("Qwen/Qwen3-14B", 5, {}, None),  # "151936 is not divisible by 5"
]


def _predict(model: str, tp: int, flags: dict[str, Any]) -> tuple[bool, int]:
    params = EngineParams(
        tensor_parallel_degree=tp,
        max_model_len=flags.pop("max_model_len", 8192),
        gpu_memory_utilization=0.95,
        vllm_version="0.19.0",
        **flags,
    )
    try:
        est = estimate(load_shape(model), H100, params, with_fixes=False)
    except SpecError:
        return False, 0
    return est.fits, est.kv_cache_tokens


@pytest.mark.parametrize(("model", "tp", "flags", "observed"), CASES)
def test_public_vllm_logs(model: str, tp: int, flags: dict[str, Any], observed: int | None) -> None:
    fits, tokens = _predict(model, tp, dict(flags))
    if observed is None:
        assert not fits  # a false "fits" would be a failed deployment
    else:
        assert fits and tokens == pytest.approx(observed, rel=0.10)


@pytest.mark.parametrize(("tp", "util", "observed"), [(1, 0.9, 97_680), (2, 0.8, 359_328)])
def test_vllm_0_8_4_v1_logs(tp: int, util: float, observed: int) -> None:
    """vLLM 0.8.4 V1 (LMI v15's version), Qwen2.5-7B, LLM class (8192 batched tokens), max_model_len 4096.

    Source: a public vLLM tutorial log (04-18, "Initializing a V1 LLM engine (v0.8.4)", "FlashInfer is not
    available", custom all-reduce disabled: no P2P). The post does not name the GPU: four 24 GB cards (torch total
    23.58 GiB) are the only size consistent with 14.27 GiB of weights and the printed token counts.
    """
    hw = Hardware(gpu_memory_mib=24576, gpu_count=4, gpu_name="RTX", torch_total_bytes=int(23.58 * GIB), nvlink=False)
    params = EngineParams(
        tensor_parallel_degree=tp, max_model_len=4096, max_num_batched_tokens=8192, gpu_memory_utilization=util
    )
    est = estimate(load_shape("Qwen/Qwen2.5-7B-Instruct"), hw, params, with_fixes=False)
    assert est.fits and est.kv_cache_tokens == pytest.approx(observed, rel=0.10)
