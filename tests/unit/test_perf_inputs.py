"""From real shapes and estimates to the performance model: active params, MoE share, FP8, catalog GPUs, ranking."""

from __future__ import annotations

import pytest

from deploy import catalog
from deploy.sizing import EngineParams, Hardware, estimate, load_shape
from deploy.sizing.perf import GpuPerf, Workload
from deploy.sizing.perf_inputs import active_params, fp8_compute, model_costs, predict_for_instance
from deploy.sizing.perf_rank import Slo, rank_by_cost
from deploy.sizing.recommend import recommend

LLAMA_8B = "meta-llama/Llama-3.1-8B-Instruct"
MIXTRAL = "mistralai/Mixtral-8x7B-Instruct-v0.1"


def _est(model: str, instance: str, **params: object):  # type: ignore[no-untyped-def]
    shape = load_shape(model)
    settings = EngineParams(max_model_len=4096, **params)  # type: ignore[arg-type]
    return shape, estimate(shape, Hardware.from_instance(instance), settings, with_fixes=False)


@pytest.mark.parametrize("gpu", catalog.gpus(), ids=lambda g: g.name)
def test_every_catalog_gpu_has_cited_performance_figures(gpu: catalog.GpuModel) -> None:
    assert gpu.memory_bandwidth_gbps > 0 and gpu.bf16_tflops > 0 and gpu.interconnect_gbps > 0
    assert gpu.interconnect in {"pcie", "nvlink"}
    assert gpu.perf_source.startswith("https://")
    assert (gpu.fp8_tflops > 0) == gpu.fp8  # FP8 tensor throughput exactly where the GPU has FP8 tensor cores
    perf = GpuPerf.from_catalog(gpu)
    assert perf.bandwidth_gbps == gpu.memory_bandwidth_gbps and perf.link_gbps == gpu.interconnect_gbps


def test_sxm_parts_are_nvlink_and_pcie_cards_are_pcie() -> None:
    links = {gpu.name: gpu.interconnect for gpu in catalog.gpus()}
    assert {name for name, link in links.items() if link == "nvlink"} == {
        "V100",
        "A100-40GB",
        "A100-80GB",
        "H100",
        "H200",
    }


def test_dense_active_params_exclude_only_the_input_embedding() -> None:
    shape = load_shape(LLAMA_8B)
    assert active_params(shape) == pytest.approx(shape.total_params() - shape.vocab_size * shape.hidden_size)
    assert 7.0e9 < active_params(shape) < 7.6e9


def test_moe_active_params_count_top_k_experts_only() -> None:
    shape = load_shape(MIXTRAL)  # 46.7 B total, ~12.9 B active per token (2 of 8 experts)
    assert 12e9 < active_params(shape) < 13.5e9
    _, est = _est(MIXTRAL, "ml.p4de.24xlarge", tensor_parallel_degree=2)
    model = model_costs(shape, est, gpu_has_fp8=False)
    assert model.num_experts == 8 and model.experts_per_token == 2
    assert 0.9 < model.expert_bytes_per_gpu / model.weight_bytes_per_gpu < 1.0


@pytest.mark.parametrize(
    ("quantize", "gpu_has_fp8", "expected"),
    [("fp8", True, True), ("fp8", False, False), (None, True, False), ("bitsandbytes", True, False)],
)
def test_fp8_compute_needs_fp8_weights_and_an_fp8_gpu(quantize: str | None, gpu_has_fp8: bool, expected: bool) -> None:
    assert fp8_compute(load_shape(LLAMA_8B), quantize, gpu_has_fp8) is expected


def test_awq_checkpoint_computes_in_16_bit() -> None:
    shape = load_shape("Qwen/Qwen2.5-7B-Instruct-AWQ")
    assert shape.quantization is not None and fp8_compute(shape, None, True) is False


def test_runtime_fp8_on_l40s_decodes_faster_than_bf16() -> None:
    work = Workload(8, 1000, 200)
    shape, bf16 = _est(LLAMA_8B, "ml.g6e.xlarge")
    _, fp8 = _est(LLAMA_8B, "ml.g6e.xlarge", quantize="fp8")
    slow = predict_for_instance(shape, bf16, "ml.g6e.xlarge", work)
    fast = predict_for_instance(shape, fp8, "ml.g6e.xlarge", work, quantize="fp8")
    assert fast.itl_ms < slow.itl_ms and fast.output_tokens_per_s > slow.output_tokens_per_s
    assert fast.prefill_ms < slow.prefill_ms  # W8A8 on Ada: FP8 tensor cores for prefill too


def test_faster_memory_gpu_is_faster_for_the_same_model() -> None:
    work = Workload(4, 500, 200)
    shape, a100 = _est(LLAMA_8B, "ml.p4d.24xlarge")
    _, h100 = _est(LLAMA_8B, "ml.p5.48xlarge")
    slow = predict_for_instance(shape, a100, "ml.p4d.24xlarge", work)
    fast = predict_for_instance(shape, h100, "ml.p5.48xlarge", work)
    assert fast.itl_ms < slow.itl_ms and fast.ttft_ms < slow.ttft_ms


def test_instance_price_gives_cost_per_million_tokens() -> None:
    shape, est = _est(LLAMA_8B, "ml.g6e.xlarge")
    perf = predict_for_instance(shape, est, "ml.g6e.xlarge", Workload(16, 1000, 200))
    price = catalog.get_instance("ml.g6e.xlarge").price_per_hour
    assert price is not None and perf.price_per_hour == price
    assert perf.cost_per_million_output_tokens == pytest.approx(
        price / (perf.output_tokens_per_s_per_instance * 3600) * 1e6
    )


def test_cost_ranking_is_sorted_by_cost_and_honours_the_slo() -> None:
    shape = load_shape(LLAMA_8B)
    recs = recommend(shape, max_model_len=4096, concurrency=16)
    work = Workload(16, 1000, 200)
    ranked, missed = rank_by_cost(shape, recs, work, Slo())
    costs = [r.performance.cost_per_million_output_tokens for r in ranked if r.performance]
    priced = [c for c in costs if c is not None]
    assert missed == 0 and len(ranked) == len(recs) and priced == sorted(priced)
    assert costs[len(priced) :] == [None] * (len(costs) - len(priced))  # unpriced types last
    itls = sorted(r.performance.itl_ms for r in ranked if r.performance)
    limit = itls[len(itls) // 2]
    strict, strict_missed = rank_by_cost(shape, recs, work, Slo(itl_ms=limit))
    assert strict and strict_missed > 0
    assert all(r.performance and r.performance.itl_ms <= limit for r in strict)
