"""judge(): the budget plus a verdict in vLLM's own words (the fixes are added by ``deploy.sizing.fixes``).

Rule: "fits" means vLLM 0.8.4 (or the version asked for) would start: the weights load, the KV cache holds one
request of max_model_len with a safety margin for the estimate's own error, and (before vLLM 0.21, where CUDA
graphs are captured after the KV cache is allocated) the graph pool fits in the (1 - gpu_memory_utilization)
headroom. A borderline case is reported as "does not fit": a false "fits" costs a 30-minute failed deployment,
a false "does not fit" costs one flag. Fixes are computed, never guessed: each one is re-estimated and fits.
"""

from __future__ import annotations

from dataclasses import asdict, field, replace
from typing import Any

from deploy.records import record
from deploy.sizing.budget import Budget, compute_budget
from deploy.sizing.checks import budget_fits, failure_reasons
from deploy.sizing.hardware import Hardware
from deploy.sizing.shape import ModelShape
from deploy.sizing.versions import EngineParams

GIB = 1024**3


@record
class Estimate:
    """What one GPU of the deployment holds, the KV capacity, and the verdict. Bytes are per GPU (rank)."""

    model_id: str
    hardware: str
    instance_type: str | None
    gpu_count: int
    tensor_parallel_degree: int
    copies_per_instance: int
    vllm: str
    dtype: str
    kv_cache_dtype: str
    max_model_len: int
    max_num_seqs: int
    max_num_batched_tokens: int
    gpu_memory_utilization: float
    total_bytes_per_gpu: int
    budget_bytes_per_gpu: int
    weights_bytes_per_gpu: int
    activation_bytes_per_gpu: int
    non_torch_bytes_per_gpu: int
    cuda_graph_bytes_per_gpu: int
    cuda_graph_in_budget: bool
    kv_cache_bytes_per_gpu: int
    kv_cache_bytes_per_token: int
    kv_cache_blocks: int
    kv_cache_tokens: int
    block_size: int
    bytes_per_max_len_request: int
    max_concurrency: float
    fits: bool
    reasons: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    price_per_hour: float | None = None
    sources: list[str] = field(default_factory=list)  # where the shape came from (Hub sha, headers, bundled, file)
    model_sha: str | None = None  # the Hub commit sized, when the shape came from the Hub
    default_max_num_seqs_fails: bool = False  # vLLM's default max_num_seqs dies in the sampler warm-up (lowered)

    @property
    def kv_cache_gib(self) -> float:
        return max(0, self.kv_cache_bytes_per_gpu) / GIB

    def _repr_html_(self) -> str:
        """The verdict and the numbers vLLM prints at start-up, as a table in Jupyter."""
        from html import escape

        verdict = "fits" if self.fits else "does not fit"
        rows = [
            ("model", self.model_id),
            ("hardware", f"{self.hardware}, tp={self.tensor_parallel_degree}"),
            ("verdict", verdict),
            ("KV cache", f"{self.kv_cache_tokens:,} tokens ({self.kv_cache_gib:.2f} GiB per GPU)"),
            ("max concurrency", f"{self.max_concurrency:.2f}x at max_model_len {self.max_model_len:,}"),
            *(("reason", r) for r in self.reasons),
            *(("fix", f) for f in self.fixes),
        ]
        body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in rows)
        return f"<table>{body}</table>"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kv_cache_gib"] = round(self.kv_cache_gib, 2)
        out["max_concurrency"] = round(self.max_concurrency, 2)
        return out


def _gib(value: float) -> str:
    return f"{value / GIB:.2f} GiB"


def _warnings(budget: Budget, shape: ModelShape) -> list[str]:
    out = list(shape.warnings) + list(budget.load_notes)
    if budget.seqs_note:
        out.append(budget.seqs_note)
    if not budget.behaviour.cuda_graphs_in_budget and budget.cuda_graph_bytes > 0.6 * budget.headroom_bytes:
        out.append(
            f"CUDA graphs (~{_gib(budget.cuda_graph_bytes)}) use most of the {_gib(budget.headroom_bytes)} "
            "headroom outside gpu_memory_utilization; lower it or set enforce_eager if startup OOMs"
        )
    if budget.kv_tokens and budget.max_num_seqs > budget.kv_tokens // 16:
        out.append(
            f"max_num_seqs {budget.max_num_seqs} is far above what {budget.kv_tokens:,} KV tokens can hold; "
            "requests will queue or be preempted"
        )
    return out


def _notes(budget: Budget, shape: ModelShape) -> list[str]:
    notes = list(shape.notes)
    if budget.engine_note:
        notes.append(budget.engine_note)
    notes.append(f"weights from {shape.weight_bytes_source}")
    if budget.runtime_quant:
        notes.append(budget.runtime_quant.note)
    elif shape.quantization:
        notes.append(f"checkpoint quantization: {shape.quantization.note or shape.quantization.method}")
    if not budget.behaviour.cuda_graphs_in_budget:
        notes.append(
            f"{budget.behaviour.label} captures CUDA graphs after sizing the KV cache: they live in the "
            "(1 - gpu_memory_utilization) headroom, not in the budget"
        )
    if shape.mla:
        notes.append("MLA: one latent KV head (kv_lora_rank + qk_rope_head_dim) per layer, not sharded by tp")
    return notes


def _to_estimate(shape: ModelShape, hardware: Hardware, budget: Budget) -> Estimate:
    return Estimate(
        model_id=shape.model_id,
        hardware=hardware.label,
        instance_type=None if hardware.name == "custom" else hardware.name,
        gpu_count=hardware.gpu_count,
        tensor_parallel_degree=budget.tp,
        copies_per_instance=hardware.gpu_count // budget.tp,
        vllm=budget.behaviour.label,
        dtype=budget.dtype,
        kv_cache_dtype=budget.kv_cache_dtype,
        max_model_len=budget.max_model_len,
        max_num_seqs=budget.max_num_seqs,
        max_num_batched_tokens=budget.profiled_tokens,
        gpu_memory_utilization=round(budget.budget_bytes / budget.total_bytes, 4) if budget.total_bytes else 0.0,
        total_bytes_per_gpu=budget.total_bytes,
        budget_bytes_per_gpu=int(budget.budget_bytes),
        weights_bytes_per_gpu=int(budget.weights_bytes),
        activation_bytes_per_gpu=int(budget.activation_bytes),
        non_torch_bytes_per_gpu=int(budget.non_torch_bytes),
        cuda_graph_bytes_per_gpu=int(budget.cuda_graph_bytes),
        cuda_graph_in_budget=budget.behaviour.cuda_graphs_in_budget,
        kv_cache_bytes_per_gpu=int(budget.kv_available_bytes),
        kv_cache_bytes_per_token=budget.kv_bytes_per_token,
        kv_cache_blocks=budget.kv_blocks,
        kv_cache_tokens=budget.kv_tokens,
        block_size=budget.block_size,
        bytes_per_max_len_request=budget.bytes_for_one_request,
        max_concurrency=budget.max_concurrency,
        fits=budget_fits(budget),
        reasons=failure_reasons(budget),
        warnings=_warnings(budget, shape),
        notes=_notes(budget, shape),
        price_per_hour=hardware.price_per_hour,
        sources=list(shape.sources),
        default_max_num_seqs_fails=budget.default_seqs_fail,
        model_sha=shape.hub.sha if shape.hub is not None else None,
    )


def judge(shape: ModelShape, hardware: Hardware, params: EngineParams) -> Estimate:
    """Budget, KV capacity and verdict for one configuration, without fixes (see ``deploy.sizing.fixes.estimate``)."""
    return judge_with_budget(shape, hardware, params)[0]


def judge_with_budget(shape: ModelShape, hardware: Hardware, params: EngineParams) -> tuple[Estimate, Budget]:
    """:func:`judge` plus the budget it was computed from (what the fixes start from)."""
    shape.check_tp(params.tensor_parallel_degree, gpu_count=hardware.gpu_count)
    from deploy.sizing.load_check import spec_problem

    problem = spec_problem(shape, params)
    if problem is not None:
        raise problem.error()
    budget = compute_budget(shape, hardware, params)
    est = _to_estimate(shape, hardware, budget)
    if est.fits:
        est = replace(
            est,
            reasons=[
                f"fits: {est.kv_cache_tokens:,} KV-cache tokens = {est.max_concurrency:.2f}x "
                f"the {est.max_model_len:,}-token max_model_len per copy"
            ],
        )
    return est, budget
