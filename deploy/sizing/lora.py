"""GPU memory of vLLM's LoRA slots, counted with the weights so the KV cache (and the fit) shrink by it.

Rule: with ``enable_lora``, vLLM allocates at start-up, for every one of ``max_loras`` slots, the A and B matrices
of the largest adapter it accepts (``max_lora_rank`` r) on every LoRA-capable layer, in the model's dtype, before
it profiles memory: they are resident like weights whether or not an adapter is loaded. Per decoder layer and slot
(vLLM's packed layers, tensor parallelism without ``fully_sharded_loras``, the default):

- q/k/v (column-parallel, packed): three A of h x r (replicated on every rank), one B of r x (q + 2 kv)/tp
- o (row-parallel): A of r x (heads x head_dim)/tp, B of h x r (replicated)
- gate/up (column-parallel, packed): two A of h x r, B of r x 2 intermediate/tp
- down (row-parallel): A of r x intermediate/tp, B of h x r

that is ``r x (7 h + (2 heads x head_dim + 2 kv_heads x head_dim + 3 intermediate) / tp)`` elements; plus the
LoRA logits head (A of r x h, B of (vocab + 256 extra) x r / tp) and the LoRA embedding ((vocab + 256) x r +
256 x h + h x r, counted unsharded). MoE experts are counted as one dense MLP of ``intermediate_size`` (vLLM's LoRA
on expert weights is version-dependent); this is an estimate of vLLM's allocation, not a measurement.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from deploy.sizing.shape import ModelShape, Quantization

LORA_EXTRA_VOCAB = 256  # vLLM's lora_extra_vocab_size default


@dataclass(frozen=True)
class LoraSlots:
    """vLLM's ``max_loras`` slots of rank ``max_lora_rank``, in ``dtype_bytes`` per element."""

    max_loras: int
    max_lora_rank: int
    dtype_bytes: float = 2.0

    def bytes_per_rank(self, shape: ModelShape, tp: int) -> float:
        """Bytes one tensor-parallel rank holds for all the slots."""
        r, h = self.max_lora_rank, shape.hidden_size
        attention = 2 * shape.num_attention_heads * shape.head_dim + 2 * shape.num_kv_heads * shape.head_dim
        per_layer = r * (7 * h + (attention + 3 * shape.intermediate_size) / tp)
        vocab = shape.vocab_size + LORA_EXTRA_VOCAB
        head = r * h + vocab * r / tp
        embedding = vocab * r + LORA_EXTRA_VOCAB * h + h * r
        elements = shape.num_layers * per_layer + head + embedding
        return self.max_loras * elements * self.dtype_bytes

    def note(self, shape: ModelShape, tp: int) -> str:
        mib = self.bytes_per_rank(shape, tp) / 1024**2
        return (
            f"LoRA: {self.max_loras} slot(s) of rank {self.max_lora_rank} take {mib:,.0f} MiB per GPU, counted with "
            "the weights (vLLM allocates them at start-up)"
        )


@dataclass(frozen=True)
class LoraShape(ModelShape):
    """A model shape whose per-rank weights include vLLM's LoRA slots (see the module rule)."""

    lora: LoraSlots | None = None

    def weight_bytes_per_rank(self, tp: int, *, dtype_bytes: float, runtime: Quantization | None = None) -> float:
        base = super().weight_bytes_per_rank(tp, dtype_bytes=dtype_bytes, runtime=runtime)
        return base + (self.lora.bytes_per_rank(self, tp) if self.lora is not None else 0.0)


def with_lora(shape: ModelShape, slots: LoraSlots) -> LoraShape:
    """``shape`` with ``slots`` counted in its weights (a copy; the shape itself is unchanged)."""
    values = {f.name: getattr(shape, f.name) for f in fields(shape) if f.init}
    return LoraShape(**values, lora=slots)
