"""Performance model: tokens/s, time to first token, inter-token latency and $/M tokens, before paying for a GPU.

Pure arithmetic (no I/O). Inputs are a :class:`PerfModel` (the bytes and FLOPs of one model copy, built from a
ModelShape and the memory Estimate by ``deploy.sizing.perf_inputs.model_costs``), a :class:`GpuPerf` (catalog
figures) and a :class:`Workload` (C concurrent streams per copy, I input and O output tokens each).

Equations (B = streams that run together, ctx = I + O/2 the mean context while decoding, tp = tensor-parallel
degree, all bytes and FLOPs per GPU):

    B          = min(C, max_num_seqs, floor(KV-cache tokens / (I + O)))          (the rest queue; said so)
    W_read(B)  = dense weight bytes + expert bytes x (1 - (1 - k/E)^B)           (MoE: k of E experts per token)
    t_mem      = (W_read(B) + B x ctx x KV bytes/token) / (bandwidth x eff_mem)
    t_flop(n,m)= (2 x active params x n + 2 x layers x n x m x attn width) / tp / (TFLOPs x eff_compute)
                 (n new tokens attending to m keys on average: m = ctx when decoding, I/2 in a causal prefill)
    t_ar(n)    = 2 x layers x (alpha + 2(tp-1)/tp x n x hidden x 2 bytes / link bandwidth)     (0 when tp = 1)
    t_step     = max(t_mem, t_flop(B, ctx)) + t_ar(B) + step overhead           (one decode step of the batch)
    t_prefill  = max(t_flop(I, I/2), weight bytes / (bandwidth x eff_mem)) + t_ar(I)
    ITL        = t_step + B x t_prefill / O           (each stream's prefill stalls the batch once per O steps)
    E2E(B)     = t_prefill + t_step + (O - 1) x ITL;   requests/s = B / E2E(B);   tokens/s = requests/s x O
    TTFT       = C/B x E2E(B) - (O - 1) x ITL         (closed loop: Little's law charges the queue to TTFT)
    $/M output = price per hour / (3600 x output tokens/s per instance) x 1e6

TFLOPs are the FP8 figure when weights and activations are FP8 on an FP8 GPU (W8A8), else BF16 (int4 and
weight-only FP8 read fewer bytes but compute in 16 bit). eff_mem, eff_compute and the step overhead are fitted
on the calibration rows of ``benchmarks/data/perf_observations.jsonl`` (``benchmarks/perf_accuracy.py --fit``);
held-out rows are never used to fit. Limits: no speculative decoding, prefix caching, chunked-prefill
interleaving detail, CPU-bound tokenization or network time; one stream per request, ignore-eos lengths.
"""

from __future__ import annotations

import math
from dataclasses import asdict, field
from typing import Any

from deploy.errors import UsageError
from deploy.records import record

ACTIVATION_BYTES = 2.0  # all-reduce messages and activations travel in bf16/fp16
ALLREDUCE_LATENCY_S = {"nvlink": 8e-6, "pcie": 25e-6}  # per all-reduce launch + sync (NCCL small-message floor)
LINK_EFFICIENCY = 0.7  # NCCL ring bus bandwidth reaches ~70-80 % of the link's per-direction peak


@record
class Efficiency:
    """Fractions of datasheet peaks that vLLM reaches, plus a fixed scheduler/launch cost per decode step."""

    memory: float = 0.80
    compute: float = 0.50
    step_overhead_s: float = 0.002


# Fitted by `benchmarks/perf_accuracy.py --fit` on the calibration rows (grid search, median |log error|).
CALIBRATED = Efficiency(memory=0.80, compute=0.50, step_overhead_s=0.002)


@record
class GpuPerf:
    """Per-GPU peaks the model needs: memory bandwidth (GB/s), dense TFLOPs, GPU-to-GPU link per direction."""

    name: str
    bandwidth_gbps: float
    bf16_tflops: float
    fp8_tflops: float = 0.0
    interconnect: str = "pcie"
    link_gbps: float = 32.0

    @classmethod
    def from_catalog(cls, gpu: Any) -> GpuPerf:
        """From a :class:`deploy.catalog.GpuModel` row."""
        return cls(
            name=gpu.name,
            bandwidth_gbps=float(gpu.memory_bandwidth_gbps),
            bf16_tflops=float(gpu.bf16_tflops),
            fp8_tflops=float(gpu.fp8_tflops),
            interconnect=str(gpu.interconnect),
            link_gbps=float(gpu.interconnect_gbps),
        )


@record
class PerfModel:
    """What one model copy costs per token on one of its GPUs (bytes, FLOPs) and how many streams fit."""

    weight_bytes_per_gpu: float
    active_params: float
    hidden_size: int
    num_layers: int
    attention_width: int  # num_attention_heads x head_dim: the attention FLOPs per token pair and layer / 2
    kv_bytes_per_token_per_gpu: float
    kv_cache_tokens: int
    tp: int = 1
    copies: int = 1
    max_num_seqs: int = 256
    expert_bytes_per_gpu: float = 0.0
    num_experts: int = 0
    experts_per_token: int = 0
    fp8_compute: bool = False


@record
class Workload:
    """C concurrent streams per copy, each I input tokens and O output tokens (ignore-eos lengths)."""

    concurrency: int
    input_tokens: int
    output_tokens: int

    def __post_init__(self) -> None:
        for flag, value in (
            ("--concurrency", self.concurrency),
            ("--input-tokens", self.input_tokens),
            ("--output-tokens", self.output_tokens),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UsageError(
                    f"{flag}={value!r} must be a whole number >= 1",
                    field=flag,
                    value=value,
                    fix=f"pass {flag} N with N >= 1",
                )


@record
class Performance:
    """Predicted speed and cost of one copy and of the whole instance for a workload."""

    concurrency: int
    batch: int
    output_tokens_per_s: float
    output_tokens_per_s_per_instance: float
    ttft_ms: float
    itl_ms: float
    requests_per_s: float
    requests_per_s_per_instance: float
    decode_step_ms: float
    prefill_ms: float
    price_per_hour: float | None
    cost_per_million_output_tokens: float | None
    cost_per_million_total_tokens: float | None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, float):
                out[key] = round(value, 3)
        return out


def running_batch(model: PerfModel, work: Workload) -> int:
    """Streams that decode together: C, capped by max_num_seqs and by the KV-cache tokens (I + O each)."""
    fits = model.kv_cache_tokens // (work.input_tokens + work.output_tokens)
    return max(0, min(work.concurrency, model.max_num_seqs, fits))


def weight_bytes_read(model: PerfModel, batch: int) -> float:
    """Weight bytes one decode step reads: dense weights always, routed experts only when some token picks them."""
    if not model.num_experts or not model.expert_bytes_per_gpu:
        return model.weight_bytes_per_gpu
    untouched = (1.0 - model.experts_per_token / model.num_experts) ** max(batch, 1)
    dense = model.weight_bytes_per_gpu - model.expert_bytes_per_gpu
    return dense + model.expert_bytes_per_gpu * (1.0 - untouched)


def allreduce_s(model: PerfModel, gpu: GpuPerf, tokens: int) -> float:
    """Two ring all-reduces per layer of ``tokens x hidden`` activations over the GPU-to-GPU link."""
    if model.tp <= 1:
        return 0.0
    message = tokens * model.hidden_size * ACTIVATION_BYTES
    ring = 2.0 * (model.tp - 1) / model.tp * message / (gpu.link_gbps * 1e9 * LINK_EFFICIENCY)
    alpha = ALLREDUCE_LATENCY_S.get(gpu.interconnect, ALLREDUCE_LATENCY_S["pcie"])
    return 2.0 * model.num_layers * (alpha + ring)


def _flops_s(model: PerfModel, gpu: GpuPerf, eff: Efficiency, tokens: int, context: float) -> float:
    tflops = gpu.fp8_tflops if model.fp8_compute and gpu.fp8_tflops > 0 else gpu.bf16_tflops
    linear = 2.0 * model.active_params * tokens
    attention = 2.0 * model.num_layers * tokens * context * model.attention_width
    return (linear + attention) / model.tp / (tflops * 1e12 * eff.compute)


def decode_step_s(model: PerfModel, gpu: GpuPerf, work: Workload, batch: int, eff: Efficiency) -> float:
    """One decode step of ``batch`` streams at the mean context I + O/2."""
    context = work.input_tokens + work.output_tokens / 2.0
    kv = batch * context * model.kv_bytes_per_token_per_gpu
    memory = (weight_bytes_read(model, batch) + kv) / (gpu.bandwidth_gbps * 1e9 * eff.memory)
    compute = _flops_s(model, gpu, eff, batch, context)
    return max(memory, compute) + allreduce_s(model, gpu, batch) + eff.step_overhead_s


def prefill_s(model: PerfModel, gpu: GpuPerf, work: Workload, eff: Efficiency) -> float:
    """Prefill of one request: compute-bound (I tokens at once), never faster than reading the weights once."""
    tokens = work.input_tokens
    compute = _flops_s(model, gpu, eff, tokens, tokens / 2.0)  # causal: mean key length I/2
    weights = model.weight_bytes_per_gpu / (gpu.bandwidth_gbps * 1e9 * eff.memory)
    return max(compute, weights) + allreduce_s(model, gpu, tokens)


def predict(
    model: PerfModel,
    gpu: GpuPerf,
    work: Workload,
    *,
    price_per_hour: float | None = None,
    efficiency: Efficiency = CALIBRATED,
) -> Performance:
    """The speed and cost of ``work`` on one copy of ``model`` (see the module docstring for the equations)."""
    batch = running_batch(model, work)
    notes: list[str] = []
    if batch == 0:
        raise UsageError(
            f"one request of {work.input_tokens + work.output_tokens:,} tokens does not fit the "
            f"{model.kv_cache_tokens:,} KV-cache tokens of a copy",
            field="--input-tokens",
            value=work.input_tokens,
            fix="lower --input-tokens/--output-tokens or pick a larger instance",
        )
    if batch < work.concurrency:
        notes.append(
            f"concurrency {work.concurrency} clipped to {batch} running streams per copy (KV cache / "
            f"max_num_seqs); the other {work.concurrency - batch} queue, which shows in TTFT"
        )
    step = decode_step_s(model, gpu, work, batch, efficiency)
    prefill = prefill_s(model, gpu, work, efficiency)
    itl = step + batch * prefill / work.output_tokens
    e2e = prefill + step + (work.output_tokens - 1) * itl
    requests = batch / e2e
    ttft = work.concurrency / batch * e2e - (work.output_tokens - 1) * itl
    tokens = requests * work.output_tokens
    return Performance(
        concurrency=work.concurrency,
        batch=batch,
        output_tokens_per_s=tokens,
        output_tokens_per_s_per_instance=tokens * model.copies,
        ttft_ms=ttft * 1e3,
        itl_ms=itl * 1e3,
        requests_per_s=requests,
        requests_per_s_per_instance=requests * model.copies,
        decode_step_ms=step * 1e3,
        prefill_ms=prefill * 1e3,
        price_per_hour=price_per_hour,
        cost_per_million_output_tokens=_per_million(price_per_hour, tokens * model.copies),
        cost_per_million_total_tokens=_per_million(
            price_per_hour, requests * model.copies * (work.input_tokens + work.output_tokens)
        ),
        notes=notes,
    )


def _per_million(price_per_hour: float | None, tokens_per_s: float) -> float | None:
    if price_per_hour is None or tokens_per_s <= 0 or not math.isfinite(tokens_per_s):
        return None
    return price_per_hour / (tokens_per_s * 3600.0) * 1e6
