"""The per-GPU memory budget, computed the way vLLM computes it at startup.

Rule: mirror vLLM's own arithmetic, term by term, so the figures line up with its log lines:
``requested = total x gpu_memory_utilization``; ``available KV = requested - weights - activation peak -
non-torch`` (minus the CUDA-graph pool in versions that profile it first, >= 0.21); ``blocks = available //
page bytes``; "GPU KV cache size" = blocks // groups x block_size tokens (see :mod:`deploy.sizing.kv_layout`);
"Maximum concurrency" = capacity / one max_model_len request. Every rank is identical here, so the minimum
over ranks is any rank. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import replace

from deploy.records import record
from deploy.sizing.compat import effective_dtype
from deploy.sizing.engine_memory import (
    SPEC_DECODE_V0_BATCHED_TOKENS,
    cuda_graph_capture_scale,
    draft_kv_bytes_per_token,
    draft_weight_bytes,
    expert_parallel_extra_bytes,
    lora_slot_bytes,
    moe_workspace_bytes,
    multimodal_batched_tokens,
    sampler_warmup_bytes,
    sampler_warmup_rows,
    warmup_bytes_per_logit,
)
from deploy.sizing.hardware import Hardware
from deploy.sizing.kv_layout import KvLayout, kv_layout
from deploy.sizing.load_check import hardware_problem, load_notes
from deploy.sizing.quant import quantization_problem, runtime_quantization
from deploy.sizing.shape import DTYPE_BYTES, ModelShape, Quantization
from deploy.sizing.versions import LARGE_GPU_BYTES, EngineParams, VllmBehaviour, behaviour_for, v1_fallback

GIB = 1024**3
FORWARD_HIDDEN_COPIES = 3  # residual, normed input and MLP output live at the MLP peak (fit: V0 logs)


@record
class Budget:
    """Raw numbers of one (shape, hardware, params) point; :mod:`deploy.sizing.verdict` adds the verdict."""

    behaviour: VllmBehaviour
    tp: int
    dtype: str
    kv_cache_dtype: str
    runtime_quant: Quantization | None
    max_model_len: int
    max_num_seqs: int
    profiled_tokens: int
    total_bytes: int
    budget_bytes: float
    weights_bytes: float
    activation_bytes: float
    non_torch_bytes: float
    cuda_graph_bytes: float
    kv_available_bytes: float
    layout: KvLayout
    model_max_len: int | None = None
    engine_note: str | None = None
    quant_problem: str | None = None  # any load refusal vLLM would raise on this GPU (see sizing/load_check.py)
    load_notes: tuple[str, ...] = ()
    warmup_rows: int = 0  # dummy requests of the V1 sampler warm-up (after the KV cache is allocated)
    warmup_sampler_bytes: float = 0.0  # what that warm-up needs at its peak
    warmup_free_bytes: float = 0.0  # what is free for it: headroom + released profile peak - CUDA graphs
    seqs_note: str | None = None  # max_num_seqs lowered below vLLM's default so the warm-up fits
    default_seqs_fail: bool = False  # vLLM's own default max_num_seqs would die in the warm-up

    @property
    def warmup_fits(self) -> bool:
        """Whether the sampler warm-up fits in what the KV cache (and, before 0.21, the graphs) left free."""
        return self.warmup_sampler_bytes <= self.warmup_free_bytes

    @property
    def block_size(self) -> int:
        return self.layout.block_size

    @property
    def kv_bytes_per_token(self) -> int:
        return self.layout.bytes_per_token

    @property
    def headroom_bytes(self) -> float:
        """Memory outside the budget: (1 - gpu_memory_utilization) x total."""
        return self.total_bytes - self.budget_bytes

    @property
    def kv_blocks(self) -> int:
        if self.kv_available_bytes <= 0 or self.layout.page_bytes <= 0:
            return 0
        return int(self.kv_available_bytes // self.layout.page_bytes)

    @property
    def kv_tokens(self) -> int:
        """What vLLM logs as "GPU KV cache size": blocks per group x block_size."""
        return self.kv_blocks // self.layout.groups * self.block_size

    @property
    def request_blocks(self) -> int:
        return self.layout.blocks_for_request(self.max_model_len, self.profiled_tokens)

    @property
    def bytes_for_one_request(self) -> int:
        """KV bytes one max_model_len request needs (whole blocks; sliding groups capped at their window)."""
        return self.request_blocks * self.layout.page_bytes

    @property
    def max_concurrency(self) -> float:
        """vLLM's "Maximum concurrency for max_model_len tokens per request"."""
        if self.layout.sliding_groups:
            return self.kv_blocks / self.request_blocks if self.request_blocks else 0.0
        return self.kv_tokens / self.max_model_len if self.max_model_len else 0.0


def resolve_dtype(dtype: str, shape: ModelShape, hardware: Hardware, vllm_version: str = "0.8.4") -> str:
    """The activation dtype vLLM runs (what sizing uses); the rule per version lives in sizing/compat.py."""
    return effective_dtype(dtype, shape, hardware, vllm_version)


def kv_dtype_bytes(kv_cache_dtype: str, dtype: str) -> float:
    """Bytes per KV element: the model dtype for 'auto', 1 for the fp8 variants."""
    name = kv_cache_dtype.lower()
    if name in ("auto", ""):
        return DTYPE_BYTES[dtype]
    return DTYPE_BYTES.get(name, 1.0 if name.startswith("fp8") else DTYPE_BYTES[dtype])


def activation_bytes(
    shape: ModelShape,
    tp: int,
    tokens: int,
    rows: int,
    dtype_bytes: float,
    behaviour: VllmBehaviour,
    *,
    expert_parallel: bool = False,
) -> float:
    """Peak of the profile run: the larger of the forward pass and the dummy sampler, plus MoE workspaces.

    The forward peak sits in the MLP (gate/up output of 2 x intermediate/tp plus the activated half) with a
    few hidden-size tensors alive; the sampler works on rows x padded vocab logits in fp32 (sorted for
    top-k/top-p in older versions). Fused-MoE workspaces (top_k copies of each token) stay allocated, so
    they add on top (whole experts, not 1/tp slices, under expert parallelism).
    """
    h = shape.hidden_size
    inter = shape.intermediate_size / tp
    forward = tokens * (3 * inter + FORWARD_HIDDEN_COPIES * h) * dtype_bytes
    sampler = rows * shape.padded_vocab() * behaviour.sampler_bytes_per_logit
    moe = moe_workspace_bytes(shape, tp, tokens, dtype_bytes, expert_parallel=expert_parallel)
    return max(forward, sampler) + moe


def default_batched_tokens(
    shape: ModelShape, params: EngineParams, behaviour: VllmBehaviour, *, fallback: bool, large_gpu: bool
) -> int | None:
    """The batched tokens vLLM picks when the spec names none: 8,192 for a V0 speculative-decoding fallback,
    at least 5,120 for multimodal models (``SchedulerConfig``); None leaves the version's own default."""
    if params.max_num_batched_tokens is not None:
        return params.max_num_batched_tokens
    if fallback and params.speculative is not None:
        return SPEC_DECODE_V0_BATCHED_TOKENS
    if shape.vision_params and not (behaviour.large_gpu_defaults and large_gpu):
        return multimodal_batched_tokens(shape, 2048)
    return None


def _extra_weight_bytes(shape: ModelShape, params: EngineParams, tp: int, dtype_bytes: float, linear: float) -> float:
    """Draft model, LoRA slots and the expert-parallel imbalance, on one rank (see sizing/engine_memory.py)."""
    draft = draft_weight_bytes(params.speculative, tp, dtype_bytes)
    lora = lora_slot_bytes(shape, tp, params.max_loras, params.max_lora_rank, dtype_bytes)
    ep = expert_parallel_extra_bytes(shape, tp, linear) if params.enable_expert_parallel else 0.0
    return draft + lora + ep


def _layout(shape: ModelShape, params: EngineParams, tp: int, dtype: str, behaviour: VllmBehaviour) -> KvLayout:
    """The KV layout, with the draft model's KV side by side in every block when speculative decoding is on."""
    kv_bytes = kv_dtype_bytes(params.kv_cache_dtype, dtype)
    layout = kv_layout(shape, tp, kv_bytes, hybrid=behaviour.hybrid_kv, block_size=params.block_size)
    draft = draft_kv_bytes_per_token(params.speculative, tp, kv_bytes)
    if draft:
        layout = replace(layout, page_bytes=layout.page_bytes + draft * layout.block_size // layout.groups)
    return layout


def compute_budget(shape: ModelShape, hardware: Hardware, params: EngineParams) -> Budget:
    """Every number of the budget for one tensor-parallel degree (``params.tensor_parallel_degree``).

    When the sampler warm-up (after the KV cache) would not fit with vLLM's default ``max_num_seqs``, the
    default is lowered until it does and the budget says so; an explicit ``max_num_seqs`` is kept (the verdict
    then refuses it with vLLM's warm-up error).
    """
    budget = budget_as_given(shape, hardware, params)
    if params.max_num_seqs is not None or budget.warmup_fits:
        return budget
    seqs = _largest_warmup_seqs(shape, hardware, params, budget.max_num_seqs)
    if seqs is None:
        return budget
    lowered = budget_as_given(shape, hardware, replace(params, max_num_seqs=seqs))
    note = (
        f"max_num_seqs lowered from vLLM's default {budget.max_num_seqs} to {seqs}: with the default, vLLM sizes "
        f'its KV cache and then fails "CUDA out of memory occurred when warming up sampler with '
        f'{budget.warmup_rows} dummy requests" (it needs ~{budget.warmup_sampler_bytes / GIB:.2f} GiB after the '
        f"KV cache, ~{budget.warmup_free_bytes / GIB:.2f} GiB is left); set max_num_seqs "
        f"(max_rolling_batch_size) <= {seqs}"
    )
    return replace(lowered, seqs_note=note, default_seqs_fail=True)


def _largest_warmup_seqs(shape: ModelShape, hardware: Hardware, params: EngineParams, start: int) -> int | None:
    """The largest multiple of 8 below ``start`` whose warm-up fits, or None when even 8 does not."""
    for seqs in range(start - start % 8 - (8 if start % 8 == 0 else 0), 7, -8):
        if budget_as_given(shape, hardware, replace(params, max_num_seqs=seqs)).warmup_fits:
            return seqs
    return None


def budget_as_given(shape: ModelShape, hardware: Hardware, params: EngineParams) -> Budget:
    """The budget exactly at ``params`` (vLLM's own defaults where None; never lowers ``max_num_seqs``)."""
    fallback = v1_fallback(params, hardware.compute_capability)
    if fallback:
        params = replace(params, engine="v0")
    behaviour = behaviour_for(params)
    tp = params.tensor_parallel_degree
    dtype = resolve_dtype(params.dtype, shape, hardware, params.vllm_version)
    dtype_bytes = DTYPE_BYTES[dtype]
    runtime = None if shape.quantization else runtime_quantization(params.quantize, None)
    max_len = params.max_model_len or shape.max_position_embeddings or 4096
    total = hardware.visible_bytes
    gpu = hardware.gpu_name
    auto_chunk_ok = shape.mla is None and not shape.vision_params and shape.sliding_window is None
    large = total >= LARGE_GPU_BYTES and "A100" not in gpu.upper()
    batched = default_batched_tokens(shape, params, behaviour, fallback=fallback is not None, large_gpu=large)
    scheduling = replace(params, max_num_batched_tokens=batched)
    tokens = behaviour.profiled_tokens(scheduling, max_len, total, gpu, auto_chunk_ok=auto_chunk_ok)
    seqs = params.max_num_seqs or behaviour.default_max_num_seqs(total, gpu)
    linear = (
        shape.quantization.bytes_per_weight()
        if shape.quantization
        else (runtime.bytes_per_weight() if runtime else dtype_bytes)
    )
    weights = shape.weight_bytes_per_rank(tp, dtype_bytes=dtype_bytes, runtime=runtime)
    weights += _extra_weight_bytes(shape, params, tp, dtype_bytes, linear)
    ep = params.enable_expert_parallel
    activation = activation_bytes(shape, tp, tokens, min(seqs, tokens), dtype_bytes, behaviour, expert_parallel=ep)
    non_torch = behaviour.non_torch_bytes(tp, hardware.nvlink)
    graphs = behaviour.cuda_graph_bytes(shape.num_layers, shape.moe is not None, params.enforce_eager)
    graphs *= cuda_graph_capture_scale(shape, behaviour.version)
    budget = total * params.gpu_memory_utilization
    kv = budget - weights - activation - non_torch - (graphs if behaviour.cuda_graphs_in_budget else 0.0)
    rows = sampler_warmup_rows(seqs, tokens)
    warmup = _warmup(shape, behaviour, rows, tp, tokens, dtype_bytes, ep)
    after_kv = total - budget + activation - warmup[1] - (0.0 if behaviour.cuda_graphs_in_budget else graphs)
    return Budget(
        behaviour=behaviour,
        tp=tp,
        dtype=dtype,
        kv_cache_dtype=params.kv_cache_dtype,
        runtime_quant=runtime,
        max_model_len=max_len,
        max_num_seqs=seqs,
        profiled_tokens=tokens,
        total_bytes=total,
        budget_bytes=budget,
        weights_bytes=weights,
        activation_bytes=activation,
        non_torch_bytes=non_torch,
        cuda_graph_bytes=graphs,
        kv_available_bytes=kv,
        layout=_layout(shape, params, tp, dtype, behaviour),
        model_max_len=shape.max_position_embeddings,
        engine_note=fallback,
        quant_problem=_load_problem_text(shape, hardware, params, runtime),
        load_notes=tuple(load_notes(shape, hardware, params)),
        warmup_rows=rows,
        warmup_sampler_bytes=warmup[0],
        warmup_free_bytes=after_kv,
    )


def _warmup(
    shape: ModelShape, behaviour: VllmBehaviour, rows: int, tp: int, tokens: int, dtype_bytes: float, ep: bool
) -> tuple[float, float]:
    """(bytes the V1 sampler warm-up needs, profile bytes that stay reserved) - (0, 0) on V0, which has none.

    From vLLM 0.10 the fused-MoE workspaces are persistent buffers (``modular_kernel.py``), so the part of the
    profile peak they account for is not free again when the warm-up runs.
    """
    if behaviour.engine != "v1":
        return 0.0, 0.0
    per_logit = warmup_bytes_per_logit(behaviour.version, behaviour.sampler_bytes_per_logit)
    need = sampler_warmup_bytes(rows, shape.padded_vocab(), per_logit)
    kept = (
        moe_workspace_bytes(shape, tp, tokens, dtype_bytes, expert_parallel=ep)
        if behaviour.version >= (0, 10, 0)
        else 0.0
    )
    return need, kept


def _load_problem_text(
    shape: ModelShape, hardware: Hardware, params: EngineParams, runtime: Quantization | None
) -> str | None:
    """vLLM's refusal of this dtype/quantization on this GPU; the generic capability rule where no table applies."""
    problem = hardware_problem(shape, hardware, params)
    if problem is not None:
        return problem.message
    return quantization_problem(shape.quantization or runtime, hardware.compute_capability)
