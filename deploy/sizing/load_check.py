"""One entry point for "will it load": the spec-only refusals, the GPU-dependent ones, and the warnings.

Rule: ``spec_problem`` does not depend on the GPU (architecture, remote code, a method the image lacks), so it is
raised as a SpecError wherever a model is sized; ``hardware_problem`` depends on the GPU, so the estimate reports it
as the reason a configuration does not start (``recommend`` then skips that instance type), and ``resolve_engine``
raises it with the spec field to change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploy.sizing.compat import (
    LoadProblem,
    architecture_notes,
    architecture_problem,
    checkpoint_dtype,
    dtype_problem,
    effective_dtype,
    remote_code_problem,
)
from deploy.sizing.quant_compat import (
    checkpoint_method,
    fp8_notes,
    marlin_notes,
    method_list_problem,
    mismatch_problem,
    quant_problem,
)

if TYPE_CHECKING:
    from deploy.sizing.hardware import Hardware
    from deploy.sizing.shape import ModelShape
    from deploy.sizing.versions import EngineParams


def spec_problem(shape: ModelShape, params: EngineParams) -> LoadProblem | None:
    """Refusals that hold on every GPU."""
    version = params.vllm_version
    found = architecture_problem(shape, version) or remote_code_problem(shape, version, params.trust_remote_code)
    if found is not None:
        return found
    found = mismatch_problem(shape.quantization, params.quantize, version)
    if found is not None:
        return found
    method = (params.quantize or "").lower() or checkpoint_method(shape.quantization)
    return method_list_problem(method, version, params.quantize) if method else None


def hardware_problem(shape: ModelShape, hardware: Hardware, params: EngineParams) -> LoadProblem | None:
    """Refusals that depend on the GPU: bf16 below compute capability 8.0, quantization kernels and dtypes."""
    explicit = params.dtype.lower() not in ("auto", "")
    if explicit:
        found = dtype_problem(params.dtype, hardware)
        if found is not None:
            return found
    dtype = effective_dtype(params.dtype, shape, hardware, params.vllm_version)
    return quant_problem(
        shape.quantization, params.quantize, dtype, explicit, hardware, params.vllm_version, moe=shape.moe is not None
    )


def load_problem(shape: ModelShape, hardware: Hardware, params: EngineParams) -> LoadProblem | None:
    return spec_problem(shape, params) or hardware_problem(shape, hardware, params)


def load_notes(shape: ModelShape, hardware: Hardware, params: EngineParams) -> list[str]:
    """What vLLM will do that the spec does not say: dtype chosen for the GPU, Marlin skipped, FP8 weight-only."""
    notes = architecture_notes(shape, params.vllm_version, params.trust_remote_code)
    dtype = effective_dtype(params.dtype, shape, hardware, params.vllm_version)
    checkpoint = checkpoint_dtype(shape)
    if params.dtype.lower() in ("auto", "") and checkpoint == "bfloat16" and dtype == "float16":
        notes.append(
            f"dtype=auto with a bfloat16 checkpoint on {hardware.gpu_name} (no bf16 below compute capability 8.0): "
            "sized and rendered as fp16 (option.dtype=fp16), since vLLM's worker would refuse bf16 at start"
        )
    notes += marlin_notes(shape.quantization, params.quantize, hardware.compute_capability)
    notes += fp8_notes(shape.quantization, params.quantize, hardware, dtype)
    return notes
