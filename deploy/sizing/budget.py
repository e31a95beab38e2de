"""The per-GPU memory budget, computed the way vLLM computes it at startup.

Rule: mirror vLLM's own arithmetic, term by term, so the figures line up with its log lines:
``requested = total x gpu_memory_utilization``; ``available KV = requested - weights - activation peak -
non-torch`` (minus the CUDA-graph pool in versions that profile it first, >= 0.21); ``blocks = available //
page bytes``; "GPU KV cache size" = blocks // groups x block_size tokens (see :mod:`deploy.sizing.kv_layout`);
"Maximum concurrency" = capacity / one max_model_len request. Every rank is identical here, so the minimum
over ranks is any rank. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from deploy.sizing.compat import effective_dtype
from deploy.sizing.hardware import Hardware
from deploy.sizing.kv_layout import KvLayout, kv_layout
from deploy.sizing.load_check import hardware_problem, load_notes
from deploy.sizing.quant import quantization_problem, runtime_quantization
from deploy.sizing.shape import DTYPE_BYTES, ModelShape, Quantization
from deploy.sizing.versions import EngineParams, VllmBehaviour, behaviour_for, v1_fallback

GIB = 1024**3
FORWARD_HIDDEN_COPIES = 3  # residual, normed input and MLP output live at the MLP peak (fit: V0 logs)


@dataclass(frozen=True)
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
    shape: ModelShape, tp: int, tokens: int, rows: int, dtype_bytes: float, behaviour: VllmBehaviour
) -> float:
    """Peak of the profile run: the larger of the forward pass and the dummy sampler, plus MoE workspaces.

    The forward peak sits in the MLP (gate/up output of 2 x intermediate/tp plus the activated half) with a
    few hidden-size tensors alive; the sampler works on rows x padded vocab logits in fp32 (sorted for
    top-k/top-p in older versions). Fused-MoE workspaces (top_k copies of each token) stay allocated, so
    they add on top.
    """
    h = shape.hidden_size
    inter = shape.intermediate_size / tp
    forward = tokens * (3 * inter + FORWARD_HIDDEN_COPIES * h) * dtype_bytes
    sampler = rows * shape.padded_vocab() * behaviour.sampler_bytes_per_logit
    moe = 0.0
    if shape.moe:
        moe = tokens * shape.moe.top_k * (3 * shape.moe.expert_intermediate_size / tp + h) * dtype_bytes
    return max(forward, sampler) + moe


def compute_budget(shape: ModelShape, hardware: Hardware, params: EngineParams) -> Budget:
    """Every number of the budget for one tensor-parallel degree (``params.tensor_parallel_degree``)."""
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
    tokens = behaviour.profiled_tokens(params, max_len, total, gpu, auto_chunk_ok=auto_chunk_ok)
    seqs = params.max_num_seqs or behaviour.default_max_num_seqs(total, gpu)
    weights = shape.weight_bytes_per_rank(tp, dtype_bytes=dtype_bytes, runtime=runtime)
    activation = activation_bytes(shape, tp, tokens, min(seqs, tokens), dtype_bytes, behaviour)
    non_torch = behaviour.non_torch_bytes(tp, hardware.nvlink)
    graphs = behaviour.cuda_graph_bytes(shape.num_layers, shape.moe is not None, params.enforce_eager)
    budget = total * params.gpu_memory_utilization
    kv = budget - weights - activation - non_torch - (graphs if behaviour.cuda_graphs_in_budget else 0.0)
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
        layout=kv_layout(
            shape,
            tp,
            kv_dtype_bytes(params.kv_cache_dtype, dtype),
            hybrid=behaviour.hybrid_kv,
            block_size=params.block_size,
        ),
        model_max_len=shape.max_position_embeddings,
        engine_note=fallback,
        quant_problem=_load_problem_text(shape, hardware, params, runtime),
        load_notes=tuple(load_notes(shape, hardware, params)),
    )


def _load_problem_text(
    shape: ModelShape, hardware: Hardware, params: EngineParams, runtime: Quantization | None
) -> str | None:
    """vLLM's refusal of this dtype/quantization on this GPU; the generic capability rule where no table applies."""
    problem = hardware_problem(shape, hardware, params)
    if problem is not None:
        return problem.message
    return quantization_problem(shape.quantization or runtime, hardware.compute_capability)
