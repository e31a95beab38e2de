"""What changes with the vLLM version: scheduler defaults, what the profile run measures, where CUDA graphs
go.

Rule: every version-dependent constant of the estimator lives here, keyed by the vLLM version (and V0/V1
engine), so the estimator follows the version asked for. LMI v15 ships vLLM 0.8.4 with the V1 engine
(``VLLM_USE_V1=0`` selects V0). Sources: vLLM's ``EngineArgs`` defaults,
``gpu_worker.determine_available_memory`` (V1) and ``worker.determine_num_available_blocks`` (V0) of each
line, and the calibration logs (0.6 to 0.26) for the sizes the source code cannot give (sampler workspace,
non-torch overhead, CUDA-graph pool).
"""

from __future__ import annotations

from typing import Literal

from deploy.errors import UsageError
from deploy.records import record
from deploy.sizing.engine_memory import SpeculativeParams, falls_back_to_v0

Engine = Literal["v0", "v1"]
GIB = 1024**3
DEFAULT_VLLM_VERSION = "0.8.4"
LONG_CONTEXT_TOKENS = 32 * 1024  # V0 turns chunked prefill on above this max_model_len
LARGE_GPU_BYTES = 70 * GIB
# V1 profiles a cheaper sampler (~15.4 bytes per logit) from 0.17: vLLM 0.15 and 0.16 logs (Qwen3-14B, H100) measure
# 5.64 GiB at 1024 seqs (40 bytes), 0.17-0.19 logs 2.2 GiB; 0.10-0.14 have no public log here, so they keep the
# larger figure (a false "fits" costs a failed deployment, the larger figure costs some KV cache).
SAMPLER_CHEAP_FROM = (0, 17, 0)
NON_TORCH_BASE = 0.3 * GIB  # 0.24-0.27 GiB in 0.19 logs, ~0.3 implied by a 0.8.4 log (Qwen2.5-7B, 24 GB GPU)


@record
class EngineParams:
    """The engine settings that move memory; None means "vLLM's default for that version"."""

    tensor_parallel_degree: int = 1
    max_model_len: int | None = None
    max_num_seqs: int | None = None
    max_num_batched_tokens: int | None = None
    gpu_memory_utilization: float = 0.9
    dtype: str = "auto"
    quantize: str | None = None
    kv_cache_dtype: str = "auto"
    vllm_version: str = DEFAULT_VLLM_VERSION
    engine: Engine = "v1"
    block_size: int = 16
    enforce_eager: bool = False
    enable_chunked_prefill: bool | None = None
    trust_remote_code: bool | None = None  # None: unknown (lmi size); the spec's model.trust_remote_code otherwise
    speculative: SpeculativeParams | None = None  # speculative_config (draft weights + draft KV)
    max_loras: int = 0  # enable_lora with max_loras adapter slots (0: LoRA off)
    max_lora_rank: int = 16
    enable_expert_parallel: bool = False


def parse_version(text: str) -> tuple[int, int, int]:
    """'0.8.4' -> (0, 8, 4); tolerant of suffixes like '0.8.5.post1' or '0.7.4.dev390'."""
    parts: list[int] = []
    for piece in text.strip().lstrip("v").split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    if not parts:
        raise UsageError(
            f"vllm_version={text!r} is not a version",
            field="vllm_version",
            value=text,
            fix="use a version like 0.8.4",
        )
    while len(parts) < 3:
        parts.append(0)
    return parts[0], parts[1], parts[2]


@record
class VllmBehaviour:
    """Memory-relevant behaviour of one vLLM version + engine."""

    version: tuple[int, int, int]
    engine: Engine

    @property
    def label(self) -> str:
        return f"vLLM {'.'.join(map(str, self.version))} {self.engine.upper()}"

    @property
    def large_gpu_defaults(self) -> bool:
        """>= 0.9: 8192 batched tokens / 1024 seqs on >= 70 GiB GPUs that are not A100."""
        return self.engine == "v1" and self.version >= (0, 9, 0)

    @property
    def cuda_graphs_in_budget(self) -> bool:
        """>= 0.21 profiles CUDA-graph memory before sizing the KV cache; older versions capture after."""
        return self.version >= (0, 21, 0)

    @property
    def hybrid_kv(self) -> bool:
        """>= 0.10 V1 groups sliding-window/chunked layers apart (hybrid KV-cache manager); before, all are full."""
        return self.engine == "v1" and self.version >= (0, 10, 0)

    @property
    def sampler_bytes_per_logit(self) -> float:
        """Peak bytes per (row x vocab) element of the profile run's dummy sampler.

        V0 from 0.7 and V1 before 0.10 profile a top-k/top-p sampler that sorts the fp32 logits (values + int64
        indices + softmax/cumsum copies; V1 0.8.x also builds an int64 prompt_token_ids of the same shape).
        V0 before 0.7 did not profile the sampler (only the bf16 logits); V1 from 0.17 profiles without the sort.
        Calibrated: V0 0.7.2 9.65 x 4 bytes, V1 0.19 3.86 x 4 bytes, V0 0.6.4 below 0.06 GiB in total.
        """
        if self.engine == "v0":
            return 38.6 if self.version >= (0, 7, 0) else 4.0
        return 40.0 if self.version < SAMPLER_CHEAP_FROM else 15.4

    def non_torch_bytes(self, tp: int, nvlink: bool | None) -> float:
        """cuBLAS workspaces etc. (0.3 GiB), plus communication buffers per GPU at tp > 1 (see
        :func:`deploy.sizing.interconnect.comm_buffer_bytes`: NVLink vs PCIe, custom all-reduce on or off)."""
        from deploy.sizing.interconnect import comm_buffer_bytes

        return NON_TORCH_BASE + comm_buffer_bytes(tp, nvlink)

    def default_max_num_seqs(self, gpu_bytes: float, gpu_name: str) -> int:
        if self.large_gpu_defaults and gpu_bytes >= LARGE_GPU_BYTES and "A100" not in gpu_name.upper():
            return 1024
        return 256

    def chunked_prefill(self, params: EngineParams, max_model_len: int, *, auto_ok: bool = True) -> bool:
        """Whether chunked prefill is on. V0 turns it on by itself above 32K tokens of the *effective*
        ``max_model_len`` (the model's own maximum when none is set), except for multimodal, MLA and
        sliding-window models (``auto_ok`` False), as vLLM's ``EngineArgs._set_default_args_v0`` does."""
        if self.engine == "v1":
            return True
        if params.enable_chunked_prefill is not None:
            return params.enable_chunked_prefill
        return auto_ok and max_model_len > LONG_CONTEXT_TOKENS

    def profiled_tokens(
        self, params: EngineParams, max_model_len: int, gpu_bytes: float, gpu_name: str, *, auto_chunk_ok: bool = True
    ) -> int:
        """Tokens of the profile run's forward pass (the activation peak scales with it)."""
        batched = params.max_num_batched_tokens
        if batched is None:
            large = self.large_gpu_defaults and gpu_bytes >= LARGE_GPU_BYTES and "A100" not in gpu_name.upper()
            batched = 8192 if large else 2048
        if not self.chunked_prefill(params, max_model_len, auto_ok=auto_chunk_ok):
            return max(max_model_len, batched)
        if params.max_num_batched_tokens is None and self.engine == "v0" and self.version < (0, 7, 0):
            return 512  # V0 0.6.x default chunk when it turned chunked prefill on by itself
        return batched

    def cuda_graph_bytes(self, num_layers: int, moe: bool, enforce_eager: bool) -> float:
        """CUDA-graph pool estimate: grows with layer count (piecewise graphs keep per-layer buffers).

        Fitted on vLLM 0.19 logs (0.76-1.61 GiB for 28-80 layers); V0 captures fewer, smaller graphs.
        """
        if enforce_eager:
            return 0.0
        per_layer = 0.0165 * (1.5 if moe else 1.0)
        scale = 0.4 if self.engine == "v0" else 1.0
        return (0.35 + per_layer * num_layers) * scale * GIB


def behaviour_for(params: EngineParams) -> VllmBehaviour:
    version = parse_version(params.vllm_version)
    if params.engine not in ("v0", "v1"):
        raise UsageError(
            f"engine={params.engine!r} is not a vLLM engine",
            field="vllm_engine",
            value=params.engine,
            fix="use v0 or v1",
        )
    if params.engine == "v0" and version >= (0, 11, 0):
        raise UsageError(
            f"vLLM {params.vllm_version} has no V0 engine",
            field="vllm_engine",
            value="v0",
            fix="use --vllm-engine v1 (V0 was removed in vLLM 0.11)",
        )
    return VllmBehaviour(version, params.engine)


def v1_fallback(params: EngineParams, compute_capability: float | None) -> str | None:
    """Why vLLM would silently run the V0 engine although V1 is the default, or None.

    vLLM 0.8.x-0.10.x fall back to V0 on GPUs below compute capability 8.0 (T4, V100); 0.8.x-0.9.x also fall back
    for an fp8 KV cache without FlashAttention 3 (compute capability 9.0, Hopper).
    """
    if params.engine != "v1" or compute_capability is None:
        return None
    version = parse_version(params.vllm_version)
    if version < (0, 11, 0) and compute_capability < 8.0:
        return f"compute capability {compute_capability} < 8.0: vLLM {params.vllm_version} falls back to the V0 engine"
    if falls_back_to_v0(params.speculative, version):
        return (
            f"speculative_config (method {params.speculative.method if params.speculative else ''}) is not supported "
            f"by the V1 engine of vLLM {params.vllm_version}: it falls back to the V0 engine"
        )
    fp8_kv = params.kv_cache_dtype.lower().startswith("fp8")
    if version < (0, 10, 0) and fp8_kv and compute_capability < 9.0:
        return (
            f"kv_cache_dtype={params.kv_cache_dtype} needs FlashAttention 3 (Hopper) in V1: vLLM "
            f"{params.vllm_version} falls back to the V0 engine"
        )
    return None
