"""Tensor-parallel validity: the one rule for which degrees can run, and the one message that explains a refusal.

Why one place: the spec (GPUs only, before the model is known), sizing (with the model's shape), recommendations and
fixes all ask "can tp=N run here?". Answered in several places, the answers drifted and each message named a
different subset of the reasons. A degree must be at least 1, divide the instance's GPUs (LMI starts GPUs / tp
copies), divide the attention heads and the padded vocabulary, and divide the KV heads or be a multiple of them
(vLLM replicates KV heads when tp exceeds them; MLA models have no KV-head split). The message of a refusal states
every input: GPUs, heads, KV heads and vocabulary, with ``unknown`` for what is not known yet.
"""

from __future__ import annotations

from deploy.errors import SpecError
from deploy.records import record

__all__ = ["ParallelismInputs", "check_tp", "tp_problem", "valid_tp_degrees"]


@record
class ParallelismInputs:
    """What decides the valid degrees; ``None`` when not known (the spec before the model's shape is read)."""

    gpus: int | None = None
    heads: int | None = None
    kv_heads: int | None = None
    vocab: int | None = None  # already padded the way vLLM pads it
    mla: bool = False

    def describe(self) -> str:
        def show(value: int | None) -> str:
            return "unknown" if value is None else str(value)

        kv = "not split (MLA)" if self.mla else show(self.kv_heads)
        return (
            f"{show(self.gpus)} GPU(s), {show(self.heads)} attention heads, {kv} KV heads, "
            f"vocabulary {show(self.vocab)} (padded)"
        )


def tp_problem(tp: int, inputs: ParallelismInputs) -> str | None:
    """Why ``tp`` cannot run with ``inputs``, or None when it can."""
    if tp < 1:
        return "the degree must be at least 1"
    if inputs.gpus is not None and (tp > inputs.gpus or inputs.gpus % tp):
        return f"it must divide the instance's {inputs.gpus} GPU(s)"
    if inputs.heads is not None and inputs.heads % tp:
        # vLLM's own words (the container prints this line), so the two can be matched in logs
        return f"Total number of attention heads ({inputs.heads}) must be divisible by tensor parallel size ({tp})"
    if inputs.vocab is not None and inputs.vocab % tp:
        return f"the padded vocabulary of {inputs.vocab} is not divisible by {tp}"
    kv = inputs.kv_heads
    if not inputs.mla and kv is not None and kv % tp and tp % kv:
        return f"{tp} must divide the {kv} KV heads or be a multiple of them"
    return None


def valid_tp_degrees(inputs: ParallelismInputs, limit: int | None = None) -> list[int]:
    """Every degree from 1 to ``limit`` (default: the GPUs, else 8) that can run."""
    top = limit if limit is not None else (inputs.gpus or 8)
    return [tp for tp in range(1, top + 1) if tp_problem(tp, inputs) is None]


def check_tp(tp: int, inputs: ParallelismInputs, *, field: str = "tensor_parallel_degree", what: str = "") -> None:
    """Raise a SpecError when ``tp`` cannot run; the message states every input and the fix lists valid degrees."""
    problem = tp_problem(tp, inputs)
    if problem is None:
        return
    valid = valid_tp_degrees(inputs, None if inputs.gpus else max(8, tp))
    subject = f" for {what}" if what else ""
    raise SpecError(
        f"{field}={tp} cannot run{subject}: {problem} ({inputs.describe()})",
        field=field,
        value=tp,
        fix=f"use one of: {', '.join(map(str, valid))}" if valid else "use a larger instance type",
    )
