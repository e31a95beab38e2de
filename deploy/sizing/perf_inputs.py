"""From a ModelShape and its memory Estimate to the inputs of the performance model (:mod:`deploy.sizing.perf`).

Rule: reuse what the estimator already computed (weight bytes per GPU, KV bytes per token, KV-cache tokens,
copies per instance) so speed and fit can never disagree about a configuration; only the per-token compute
(active parameters) and the MoE expert share are derived here from the shape.
"""

from __future__ import annotations

from typing import Any

from deploy.sizing.perf import GpuPerf, PerfModel, Performance, Workload, predict
from deploy.sizing.shape import ModelShape
from deploy.sizing.verdict import Estimate

W8A8_FP8 = ("fp8", "fbgemm_fp8", "modelopt")


def active_params(shape: ModelShape) -> float:
    """Parameters one token multiplies: all but the input embedding, the vision tower and unrouted experts."""
    total = shape.total_params()
    if not shape.tie_word_embeddings:
        total -= shape.vocab_size * shape.hidden_size  # the input embedding is a gather, not a matmul
    total -= shape.vision_params
    if shape.moe:
        m = shape.moe
        total -= m.num_moe_layers * (m.num_experts - m.top_k) * 3 * shape.hidden_size * m.expert_intermediate_size
    return max(total, 1.0)


def _expert_share(shape: ModelShape, tp: int) -> float:
    """Fraction of one rank's weight parameters that are routed experts (0 for a dense model)."""
    if not shape.moe:
        return 0.0
    m = shape.moe
    experts = m.num_moe_layers * m.num_experts * 3 * shape.hidden_size * m.expert_intermediate_size / tp
    whole = shape.linear_params_per_rank(tp) + shape.other_params_per_rank(tp)
    return min(1.0, experts / whole) if whole else 0.0


def fp8_compute(shape: ModelShape, quantize: str | None, gpu_has_fp8: bool) -> bool:
    """True when weights and activations run as FP8 (W8A8) on tensor cores: FP8 weights on an FP8 GPU."""
    if not gpu_has_fp8:
        return False
    method = (shape.quantization.method if shape.quantization else quantize or "").lower()
    return method.startswith(W8A8_FP8) or (method.startswith("compressed-tensors") and "fp8" in method)


def model_costs(shape: ModelShape, est: Estimate, *, gpu_has_fp8: bool, quantize: str | None = None) -> PerfModel:
    """The :class:`PerfModel` of one copy of ``shape`` sized as ``est`` (weights, KV bytes, KV-cache tokens)."""
    tp = est.tensor_parallel_degree
    moe = shape.moe
    return PerfModel(
        weight_bytes_per_gpu=float(est.weights_bytes_per_gpu),
        active_params=active_params(shape),
        hidden_size=shape.hidden_size,
        num_layers=shape.num_layers,
        attention_width=shape.num_attention_heads * shape.head_dim,
        kv_bytes_per_token_per_gpu=float(est.kv_cache_bytes_per_token),
        kv_cache_tokens=int(est.kv_cache_tokens),
        tp=tp,
        copies=max(1, est.copies_per_instance),
        max_num_seqs=est.max_num_seqs,
        expert_bytes_per_gpu=est.weights_bytes_per_gpu * _expert_share(shape, tp),
        num_experts=moe.num_experts if moe else 0,
        experts_per_token=moe.top_k if moe else 0,
        fp8_compute=fp8_compute(shape, quantize, gpu_has_fp8),
    )


def predict_for_instance(
    shape: ModelShape, est: Estimate, instance_type: str, work: Workload, *, quantize: str | None = None, **kw: Any
) -> Performance:
    """:func:`deploy.sizing.perf.predict` for a catalog instance type, priced at ``price_per_hour`` (default: the
    bundled table's price in ``region``, default us-east-1; unknown there -> no cost figures)."""
    from deploy import catalog
    from deploy.catalog.prices import table_price

    inst = catalog.get_instance(instance_type)
    model = model_costs(shape, est, gpu_has_fp8=inst.gpu.fp8, quantize=quantize)
    region = kw.pop("region", catalog.DEFAULT_SPEC_REGION)
    price = kw.pop("price_per_hour") if "price_per_hour" in kw else table_price(inst.name, region).usd_per_hour
    return predict(model, GpuPerf.from_catalog(inst.gpu), work, price_per_hour=price, **kw)
