"""Quantization x dtype x GPU: which kernel vLLM picks for a checkpoint or ``option.quantize``, and when it refuses.

Rule: follow vLLM 0.8.4's own order (vllm/config.py ``ModelConfig._verify_quantization``, then
``VllmConfig._get_quantization_config``): the checkpoint's method is upgraded to a Marlin kernel when the GPU and
format allow and the user did not name the plain method; the method must be one the version lists; the GPU must reach
the method's minimum capability and the activation dtype must be one the method supports. Capabilities and dtypes
come from deploy/data/vllm_0_8_4_quantization.toml and are applied to the vLLM 0.7/0.8 images (LMI v14/v15), which
share these classes; later images are checked only for the method list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploy.sizing.compat import (
    FP8_HARDWARE_CAPABILITY,
    PLATFORM_NAMES,
    SHORT_NAMES,
    LoadProblem,
    _catalog_version,
    methods_0_8_4,
    other_versions,
    tables,
)
from deploy.sizing.versions import parse_version

if TYPE_CHECKING:
    from deploy.sizing.hardware import Hardware
    from deploy.sizing.shape import Quantization

MARLIN_CAPABILITY = 8.0
CHECKED_UP_TO = (0, 9, 0)  # the 0.8.4 classes' capabilities/dtypes are applied to vLLM < 0.9
# Checkpoint formats whose vLLM method name changed: ModelOpt NVFP4 is `nvfp4` in 0.8.4 and `modelopt_fp4` from 0.10.
RENAMED = {"nvfp4": "modelopt_fp4", "compressed_tensors": "compressed-tensors"}
FP8_NO_MARLIN_ISSUES = "vllm-project/vllm#17581 (Qwen3 FP8, A10/A100), #18182 (Llama 4 Maverick FP8, A100)"


def checkpoint_method(quant: Quantization | None) -> str | None:
    """vLLM's name for the checkpoint's quant_method (``compressed-tensors W4`` -> ``compressed-tensors``)."""
    if quant is None:
        return None
    base = quant.method.split()[0].lower()
    return None if base in ("unknown", "") else base


def _marlin_ready(quant: Quantization, base: str) -> bool:
    """AWQ 4-bit and symmetric GPTQ 4/8-bit with group -1/32/64/128 convert to Marlin (is_*_marlin_compatible)."""
    group_ok = quant.group_size in (None, 32, 64, 128)
    if base == "awq":
        return quant.weight_bits == 4 and group_ok
    symmetric = quant.scale_bytes_per_group <= 2.0
    return quant.weight_bits in (4, 8) and group_ok and symmetric


def vllm_method(quant: Quantization | None, quantize: str | None, capability: float | None) -> str | None:
    """The method vLLM 0.8.4 runs: the checkpoint's (Marlin-upgraded when allowed) or the runtime ``quantize``."""
    explicit = quantize.lower() if quantize else None
    base = checkpoint_method(quant)
    if base is None or quant is None:
        return explicit
    if base in ("awq", "gptq"):
        upgraded = f"{base}_marlin"
        cc_ok = capability is None or capability >= MARLIN_CAPABILITY
        if explicit in (None, "marlin", upgraded) and cc_ok and _marlin_ready(quant, base):
            return upgraded
        return explicit or base
    return explicit or base


def marlin_notes(quant: Quantization | None, quantize: str | None, capability: float | None) -> list[str]:
    """vLLM's log line when an explicit ``quantize: gptq``/``awq`` keeps it off the faster Marlin kernel."""
    base = checkpoint_method(quant)
    if quant is None or base not in ("awq", "gptq") or not quantize or quantize.lower() != base:
        return []
    if (capability is not None and capability < MARLIN_CAPABILITY) or not _marlin_ready(quant, base):
        return []
    return [
        f'engine.quantize={base} disables Marlin: vLLM logs "Detected that the model can run with {base}_marlin, '
        f"however you specified quantization={base} explicitly, so forcing {base}. Use quantization={base}_marlin "
        'for faster inference"; remove engine.quantize to get the Marlin kernel'
    ]


# Explicit `quantize` values vLLM 0.8.4 accepts for a checkpoint of each method: the method itself and the kernels
# its override_quantization_method hooks convert to (awq_marlin.py, gptq_marlin.py, gptq_marlin_24.py, marlin.py,
# moe_wna16.py); anything else fails in ModelConfig._verify_quantization. fbgemm_fp8 is allowed for every FP8
# checkpoint because the shape does not keep the two apart.
ALLOWED_EXPLICIT = {
    "awq": {"awq", "awq_marlin", "marlin", "moe_wna16"},
    "gptq": {"gptq", "gptq_marlin", "marlin", "moe_wna16", "gptq_marlin_24"},
    "gptq_marlin_24": {"gptq", "gptq_marlin_24"},
    "fp8": {"fp8", "fbgemm_fp8"},
    "compressed-tensors": {"compressed-tensors"},
    "bitsandbytes": {"bitsandbytes"},
}


def mismatch_problem(quant: Quantization | None, quantize: str | None, vllm_version: str) -> LoadProblem | None:
    """An explicit ``quantize`` the checkpoint's own method cannot become: vLLM refuses before loading."""
    base = checkpoint_method(quant)
    if not quantize or base is None or parse_version(vllm_version) >= CHECKED_UP_TO:
        return None
    allowed = ALLOWED_EXPLICIT.get(base)
    explicit = quantize.lower()
    if allowed is None or explicit in allowed:
        return None
    return LoadProblem(
        field="engine.quantize",
        value=quantize,
        message=f"Quantization method specified in the model config ({base}) does not match the quantization "
        f"method specified in the `quantization` argument ({explicit}).",
        fix="remove engine.quantize: vLLM reads the method from the checkpoint's quantization_config",
    )


def _field(quantize: str | None) -> str:
    return "engine.quantize" if quantize else "model.id"


def method_list_problem(method: str, vllm_version: str, quantize: str | None) -> LoadProblem | None:
    """A method the image's vLLM does not list: "Unknown quantization method: ..." (with the first LMI that has it)."""
    column = _catalog_version(vllm_version)
    if column is None:
        return None
    listed = tables()["quantization"][column]
    if method in listed or RENAMED.get(method) in listed:
        return None
    where, fix = other_versions(lambda v: method in tables()["quantization"][v], column)
    return LoadProblem(
        field=_field(quantize),
        value=quantize or method,
        message=f'vLLM {column} stops with "Unknown quantization method: {method}. Must be one of {listed}."'
        + (f" ({where})" if where else ""),
        fix=fix or "use a method the image lists, or none",
    )


def quant_problem(
    quant: Quantization | None,
    quantize: str | None,
    dtype: str,
    explicit_dtype: bool,
    hardware: Hardware,
    vllm_version: str,
    moe: bool,
) -> LoadProblem | None:
    """The first refusal vLLM would raise for this quantization on this GPU and dtype, or None."""
    cc = hardware.compute_capability
    method = vllm_method(quant, quantize, cc)
    if method is None:
        return None
    listed = method_list_problem(method, vllm_version, quantize)
    if listed is not None or parse_version(vllm_version) >= CHECKED_UP_TO:
        return listed
    info = methods_0_8_4().get(method)
    if info is None:
        return None
    if info["platform"] != "cuda":
        return LoadProblem(
            field="engine.quantize",
            value=method,
            message=f"{method} is a quantization method for {PLATFORM_NAMES[info['platform']]}, not NVIDIA GPUs",
            fix="use a CUDA method (fp8, awq, gptq, bitsandbytes, ...) or none",
        )
    return (
        _capability_problem(method, info, cc, hardware)
        or _dtype_problem(method, info, dtype, explicit_dtype, quantize)
        or _fp8_kernel_problem(method, quant, cc, hardware, moe)
    )


def _capability_problem(
    method: str, info: dict[str, object], cc: float | None, hardware: Hardware
) -> LoadProblem | None:
    need = int(str(info["min_capability"]))
    if cc is None or round(cc * 10) >= need:
        return None
    return LoadProblem(
        field="instance.type",
        value=hardware.name,
        message=f"The quantization method {method} is not supported for the current GPU. Minimum capability: "
        f"{need}. Current capability: {round(cc * 10)}.",
        fix=f"an instance whose GPU has compute capability >= {need / 10:.1f}, or another quantization",
    )


def _dtype_problem(
    method: str, info: dict[str, object], dtype: str, explicit_dtype: bool, quantize: str | None
) -> LoadProblem | None:
    supported = [str(d) for d in info["act_dtypes"]]  # type: ignore[attr-defined]
    if dtype in supported:
        return None
    shown = ", ".join(f"torch.{d}" for d in supported)
    marlin = f" or remove engine.quantize so vLLM can pick {method}_marlin" if method in ("awq", "gptq") else ""
    return LoadProblem(
        field="engine.dtype" if explicit_dtype or not quantize else "engine.quantize",
        value=SHORT_NAMES.get(dtype, dtype) if explicit_dtype or not quantize else quantize,
        message=f"torch.{dtype} is not supported for quantization method {method}. Supported dtypes: [{shown}] "
        "(vLLM's check when it builds the engine)",
        fix=f"set engine.dtype: {SHORT_NAMES.get(supported[0], supported[0])}{marlin}",
    )


def _fp8_kernel_problem(
    method: str, quant: Quantization | None, cc: float | None, hardware: Hardware, moe: bool
) -> LoadProblem | None:
    """FP8 below 8.9: linear layers fall back to weight-only Marlin, but block-wise FP8 and FP8 MoE have no Marlin
    path in vLLM 0.8.x; their Triton kernels need hardware FP8 (fp8e4nv)."""
    if not _is_fp8(method, quant) or cc is None or cc >= FP8_HARDWARE_CAPABILITY:
        return None
    block = quant is not None and quant.group_size is not None and "block" in quant.note.lower()
    if not (block or moe):
        return None
    what = "block-wise FP8 weights" if block else "FP8 mixture-of-experts layers"
    return LoadProblem(
        field="instance.type",
        value=hardware.name,
        message=f"{what} need hardware FP8 (compute capability >= 8.9) in vLLM 0.8.x: Marlin covers only "
        f"per-tensor/per-channel linear layers, and the Triton kernel fails on {hardware.gpu_name} (compute "
        f'capability {cc}): "type fp8e4nv not supported in this architecture. The supported fp8 dtypes are '
        f"('fp8e4b15', 'fp8e5')\" (reports: {FP8_NO_MARLIN_ISSUES})",
        fix="an instance with L4, L40S or H100 GPUs (ml.g6, ml.g6e, ml.p5), or a BF16/AWQ/GPTQ checkpoint",
    )


def _is_fp8(method: str, quant: Quantization | None) -> bool:
    if method in ("fp8", "fbgemm_fp8"):
        return True
    return method == "compressed-tensors" and quant is not None and "FP8" in quant.method


def fp8_notes(quant: Quantization | None, quantize: str | None, hardware: Hardware, dtype: str) -> list[str]:
    cc = hardware.compute_capability
    method = vllm_method(quant, quantize, cc)
    if method is None or not _is_fp8(method, quant) or cc is None or not MARLIN_CAPABILITY <= cc < 8.9:
        return []
    return [
        f"FP8 on {hardware.gpu_name} (compute capability {cc} < 8.9): vLLM runs weight-only FP8 through Marlin "
        f"(w8a16): weights stay 1 byte per parameter, activations in {dtype}, no FP8 compute speed-up"
    ]
