"""Model shape: the few numbers of a checkpoint that decide GPU memory, and the per-rank arithmetic on them.

Rule: a :class:`ModelShape` is pure data built from a config.json (see :mod:`deploy.sizing.config`);
everything here is a function of the shape and a tensor-parallel degree, with no I/O. Weights per rank
follow how vLLM shards a decoder: attention/MLP/expert matrices split by tp, embeddings and LM head split by
vocabulary padded to 64, norms and routers replicated, KV projections replicated when there are fewer KV
heads than ranks. When exact totals are known (safetensors headers or the library's ``_parameters``), they
scale the structural estimate so the split stays structural but the sum is exact.
"""

from __future__ import annotations

import math
from dataclasses import field, replace

from deploy.records import record
from deploy.sizing.parallelism import ParallelismInputs, check_tp, tp_problem, valid_tp_degrees

VOCAB_PADDING = 64
DTYPE_BYTES = {
    "float32": 4.0,
    "fp32": 4.0,
    "float16": 2.0,
    "fp16": 2.0,
    "half": 2.0,
    "bfloat16": 2.0,
    "bf16": 2.0,
    "float8": 1.0,
    "fp8": 1.0,
    "fp8_e4m3": 1.0,
    "fp8_e5m2": 1.0,
    "int8": 1.0,
    "uint8": 1.0,
    "int4": 0.5,
}


@record
class Quantization:
    """How linear-layer weights are stored: bits per weight and the per-group scale overhead."""

    method: str
    weight_bits: float
    group_size: int | None = None
    scale_bytes_per_group: float = 0.0
    note: str = ""

    def bytes_per_weight(self) -> float:
        """Average bytes per linear weight including group scales/zero points."""
        extra = self.scale_bytes_per_group / self.group_size if self.group_size else 0.0
        return self.weight_bits / 8.0 + extra


@record
class MoE:
    """Mixture-of-experts layers: all experts are resident (vLLM loads every expert on every rank's shard)."""

    num_experts: int
    expert_intermediate_size: int
    num_moe_layers: int
    shared_intermediate_size: int = 0
    top_k: int = 2


@record
class MLA:
    """Multi-head latent attention (DeepSeek V2/V3): one compressed KV head, not sharded by tp."""

    kv_lora_rank: int
    qk_rope_head_dim: int
    qk_nope_head_dim: int
    v_head_dim: int
    q_lora_rank: int | None


@record
class HubRef:
    """The Hub commit a shape was read from, and what the Hub says about access (pure data, no client types)."""

    repo_id: str
    sha: str | None
    revision: str | None = None
    gated: str | bool = False
    private: bool = False
    library_name: str | None = None
    pipeline_tag: str | None = None
    origin: str = "hub"  # hub | cache | offline-cache | refused (gated, sized from the bundled library)

    @property
    def needs_token(self) -> bool:
        """Gated or private: the container's download fails without HF_TOKEN."""
        return bool(self.gated) or self.private


@record
class ModelShape:
    """Architecture numbers of one model, already unwrapped from any ``text_config``."""

    model_id: str
    architecture: str
    hidden_size: int
    num_layers: int
    num_attention_heads: int
    num_kv_heads: int
    head_dim: int
    intermediate_size: int
    vocab_size: int
    max_position_embeddings: int | None
    torch_dtype: str = "bfloat16"
    tie_word_embeddings: bool = False
    attention_bias: bool = False
    gated_mlp: bool = True
    moe: MoE | None = None
    mla: MLA | None = None
    sliding_window: int | None = None
    num_sliding_layers: int = 0
    vision_params: int = 0
    quantization: Quantization | None = None
    exact_weight_bytes: int | None = None
    weight_bytes_source: str = "config"
    dtype_in_config: bool = True  # False: config.json states no torch_dtype (vLLM then reads float32)
    auto_map: bool = False  # config.json names custom code (auto_map): a trust_remote_code model
    notes: tuple[str, ...] = field(default_factory=tuple)
    sources: tuple[str, ...] = field(default_factory=tuple)  # where the numbers came from: hub, headers, bundled, file
    warnings: tuple[str, ...] = field(default_factory=tuple)
    hub: HubRef | None = None

    # ---- constraints ---------------------------------------------------------------------------------------

    def parallelism(self, gpus: int | None = None) -> ParallelismInputs:
        """The inputs of :mod:`deploy.sizing.parallelism` for this model (and ``gpus``, when known)."""
        return ParallelismInputs(
            gpus=gpus,
            heads=self.num_attention_heads,
            kv_heads=self.num_kv_heads,
            vocab=self.padded_vocab(),
            mla=self.mla is not None,
        )

    def tp_problem(self, tp: int, gpu_count: int | None = None) -> str | None:
        """Why vLLM (or the instance) would refuse this tensor-parallel degree, or None when it is valid."""
        return tp_problem(tp, self.parallelism(gpu_count))

    def valid_tp_degrees(self, limit: int, gpu_count: int | None = None) -> list[int]:
        """Every tp in 1..limit that vLLM accepts for this model (and that divides ``gpu_count``, when given)."""
        return valid_tp_degrees(self.parallelism(gpu_count), limit)

    def check_tp(self, tp: int, *, field_name: str = "tensor_parallel_degree", gpu_count: int | None = None) -> None:
        """Refuse a degree vLLM or the instance would refuse; the message states GPUs, heads, KV heads, vocab."""
        check_tp(tp, self.parallelism(gpu_count), field=field_name, what=self.model_id)

    # ---- KV cache ------------------------------------------------------------------------------------------

    def kv_heads_per_rank(self, tp: int) -> int:
        return 1 if self.mla else max(1, self.num_kv_heads // tp)

    def kv_bytes_per_token(self, tp: int, kv_dtype_bytes: float) -> int:
        """KV-cache bytes per token on one rank; every layer charged as full attention (vLLM 0.8.4)."""
        if self.mla:
            per_layer = (self.mla.kv_lora_rank + self.mla.qk_rope_head_dim) * kv_dtype_bytes
        else:
            per_layer = 2 * self.kv_heads_per_rank(tp) * self.head_dim * kv_dtype_bytes
        return round(self.num_layers * per_layer)

    # ---- weights -------------------------------------------------------------------------------------------

    def padded_vocab(self) -> int:
        return math.ceil(self.vocab_size / VOCAB_PADDING) * VOCAB_PADDING

    def _attention_params(self, tp: int) -> tuple[float, float]:
        """(sharded params per rank, replicated params) of one attention block."""
        h, heads = self.hidden_size, self.num_attention_heads
        if self.mla:
            m = self.mla
            qk = m.qk_nope_head_dim + m.qk_rope_head_dim
            q = (h * m.q_lora_rank + m.q_lora_rank * heads * qk) if m.q_lora_rank else h * heads * qk
            kv_b = m.kv_lora_rank * heads * (m.qk_nope_head_dim + m.v_head_dim)
            sharded = (q + kv_b + heads * m.v_head_dim * h) / tp
            replicated = h * (m.kv_lora_rank + m.qk_rope_head_dim) + m.kv_lora_rank + (m.q_lora_rank or 0)
            return sharded, replicated
        q_and_o = 2 * h * heads * self.head_dim / tp
        kv = 2 * h * self.kv_heads_per_rank(tp) * self.head_dim
        bias = (
            (heads * self.head_dim / tp + 2 * self.kv_heads_per_rank(tp) * self.head_dim) if self.attention_bias else 0
        )
        return q_and_o + kv + bias, 0.0

    def _mlp_params(self, tp: int) -> tuple[float, float]:
        """(sharded per rank, replicated) params summed over all MLP/MoE layers."""
        h = self.hidden_size
        dense_layers = self.num_layers - (self.moe.num_moe_layers if self.moe else 0)
        matrices = 3 if self.gated_mlp else 2
        sharded = dense_layers * matrices * h * self.intermediate_size / tp
        replicated = 0.0
        if self.moe:
            m = self.moe
            per_layer = m.num_experts * 3 * h * m.expert_intermediate_size + 3 * h * m.shared_intermediate_size
            sharded += m.num_moe_layers * per_layer / tp
            replicated += m.num_moe_layers * h * m.num_experts
        return sharded, replicated

    def linear_params_per_rank(self, tp: int) -> float:
        """Params of the quantizable linear layers (attention, MLP, experts) on one rank."""
        attn_sharded, attn_rep = self._attention_params(tp)
        mlp_sharded, _ = self._mlp_params(tp)
        return self.num_layers * (attn_sharded + attn_rep) + mlp_sharded

    def other_params_per_rank(self, tp: int) -> float:
        """Embeddings, LM head, norms, routers and the vision tower on one rank (kept in the model dtype).

        Vision towers are counted whole on every rank: some vLLM models shard them, others (Llama 4) replicate
        them; replicating is the side that never under-counts.
        """
        vocab_rows = self.padded_vocab() / tp
        embeddings = vocab_rows * self.hidden_size * (1 if self.tie_word_embeddings else 2)
        norms = (2 * self.num_layers + 1) * self.hidden_size
        _, routers = self._mlp_params(tp)
        return embeddings + norms + routers + self.vision_params  # vision towers: counted on every rank

    def total_params(self) -> float:
        """Parameters of the whole checkpoint (tp=1), vocabulary unpadded."""
        padded_excess = (self.padded_vocab() - self.vocab_size) * self.hidden_size
        padded_excess *= 1 if self.tie_word_embeddings else 2
        return self.linear_params_per_rank(1) + self.other_params_per_rank(1) - padded_excess

    def weight_bytes_per_rank(self, tp: int, *, dtype_bytes: float, runtime: Quantization | None = None) -> float:
        """Weight bytes one rank holds; scaled to the exact checkpoint total when that is known.

        ``runtime`` is a load-time quantization (``quantize: fp8``) of an unquantized checkpoint.
        """
        linear_bytes = self._linear_bytes_per_param(dtype_bytes, runtime)
        per_rank = self.linear_params_per_rank(tp) * linear_bytes + self.other_params_per_rank(tp) * dtype_bytes
        if self.exact_weight_bytes:
            stored = DTYPE_BYTES.get(self.torch_dtype, 2.0)
            stored_linear = self._linear_bytes_per_param(stored, None)
            whole = self.linear_params_per_rank(1) * stored_linear + self.other_params_per_rank(1) * stored
            per_rank *= self.exact_weight_bytes / whole
        return per_rank

    def _linear_bytes_per_param(self, dtype_bytes: float, runtime: Quantization | None) -> float:
        if self.quantization is not None:
            return self.quantization.bytes_per_weight()
        return runtime.bytes_per_weight() if runtime else dtype_bytes

    def with_notes(self, *extra: str) -> ModelShape:
        return replace(self, notes=self.notes + tuple(extra))

    def with_sources(self, *extra: str) -> ModelShape:
        return replace(self, sources=self.sources + tuple(extra))
