"""GPU memory of vLLM's LoRA slots on a component with adapters, counted with the weights so the KV cache (and the
fit) shrink by it.

Rule: with ``enable_lora``, vLLM allocates at start-up, for every one of ``max_loras`` slots, the A and B matrices
of the largest adapter it accepts (``max_lora_rank`` r) on every LoRA-capable layer, in the model's dtype, before
it profiles memory: they are resident like weights whether or not an adapter is loaded. The bytes come from
:func:`deploy.sizing.engine_memory.lora_slot_bytes`, the formula a single-model spec's ``enable_lora`` is sized
with, so both modes count the same memory; this module only carries the slots in the shape's weights, because a
component's slots come from ``components[].lora``, not from its engine options.
"""

from __future__ import annotations

from dataclasses import fields

from deploy.records import record
from deploy.sizing.shape import ModelShape, Quantization


@record
class LoraSlots:
    """vLLM's ``max_loras`` slots of rank ``max_lora_rank``, in ``dtype_bytes`` per element."""

    max_loras: int
    max_lora_rank: int
    dtype_bytes: float = 2.0

    def bytes_per_rank(self, shape: ModelShape, tp: int) -> float:
        """Bytes one tensor-parallel rank holds for all the slots."""
        from deploy.sizing.engine_memory import lora_slot_bytes

        return lora_slot_bytes(shape, tp, self.max_loras, self.max_lora_rank, self.dtype_bytes)

    def note(self, shape: ModelShape, tp: int) -> str:
        mib = self.bytes_per_rank(shape, tp) / 1024**2
        return (
            f"LoRA: {self.max_loras} slot(s) of rank {self.max_lora_rank} take {mib:,.0f} MiB per GPU, counted with "
            "the weights (vLLM allocates them at start-up)"
        )


@record
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
