"""Quantization: how many bytes a linear-layer weight takes in a pre-quantized checkpoint or a runtime mode.

Rule: only linear layers (attention, MLP, experts) are quantized; embeddings, the LM head and norms stay in
the model dtype, as vLLM's AWQ/GPTQ/FP8/compressed-tensors loaders do. Group-wise formats pay for one fp16
scale (and a packed zero point when asymmetric) per group of weights; block-wise FP8 pays one fp32 scale per
128x128 block.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from deploy.errors import SpecError
from deploy.sizing.shape import Quantization

RUNTIME_QUANTIZE = {
    "fp8": Quantization("fp8", 8.0, note="runtime FP8 (weights cast to fp8 at load)"),
    "bitsandbytes": Quantization("bitsandbytes", 4.0, 64, 4.0, note="runtime bitsandbytes 4-bit"),
}
PREQUANTIZED = {"awq", "gptq", "awq_marlin", "gptq_marlin", "compressed-tensors", "fp8", "marlin", "modelopt"}


def _group_quant(method: str, bits: float, group: int | None, zero_point: bool) -> Quantization:
    if group is None or group <= 0:
        return Quantization(method, bits, note=f"{method} {bits:g}-bit, per-channel scales")
    scale = 2.0 + (bits / 8.0 if zero_point else 0.0)
    return Quantization(method, bits, group, scale, note=f"{method} {bits:g}-bit, group size {group}")


def _fp8(cfg: Mapping[str, Any]) -> Quantization:
    block = cfg.get("weight_block_size")
    if isinstance(block, list) and len(block) == 2:
        group = int(block[0]) * int(block[1])
        return Quantization("fp8", 8.0, group, 4.0, note=f"FP8 block-wise {block[0]}x{block[1]}")
    return Quantization("fp8", 8.0, note="FP8 per-tensor/per-channel")


def _compressed_tensors(cfg: Mapping[str, Any]) -> Quantization:
    groups = cfg.get("config_groups") or {}
    for group in groups.values():
        weights = (group or {}).get("weights") or {}
        bits = float(weights.get("num_bits", 8))
        size = weights.get("group_size")
        kind = str(weights.get("type", "int"))
        method = f"compressed-tensors {'FP' if kind == 'float' else 'W'}{bits:g}"
        q = _group_quant(method, bits, int(size) if size else None, not weights.get("symmetric", True))
        return q
    return Quantization("compressed-tensors", 8.0, note="compressed-tensors (no config_groups; assumed 8-bit)")


def _marlin_24(cfg: Mapping[str, Any]) -> Quantization:
    """2:4-sparse GPTQ (gptq_marlin_24): half the weights at ``bits`` plus 1 bit of sparsity metadata per weight
    (qweight in/32 x out*16*bits/32 int32, B_meta in/32 x 2*out int16 in vLLM 0.8.4's create_weights)."""
    bits = float(cfg.get("bits", 4))
    group = int(cfg.get("group_size", 128))
    size = group if group > 0 else None
    return Quantization("gptq_marlin_24", bits / 2 + 1.0, size, 2.0 if size else 0.0, f"gptq 2:4 sparse {bits:g}-bit")


def _aqlm(cfg: Mapping[str, Any]) -> Quantization:
    """AQLM: num_codebooks codes of nbits_per_codebook bits per in_group_size x out_group_size block."""
    block = int(cfg.get("in_group_size", 8)) * int(cfg.get("out_group_size", 1))
    bits = int(cfg.get("num_codebooks", 1)) * int(cfg.get("nbits_per_codebook", 16)) / block
    return Quantization("aqlm", bits, note=f"AQLM {bits:g} bits/weight (codebooks not counted)")


def _torchao(cfg: Mapping[str, Any]) -> Quantization:
    text = str(cfg.get("quant_type", cfg)).lower()
    if "int4" in text:
        return Quantization("torchao", 4.0, 128, 4.0, note="torchao int4 weight-only (bf16 scale + zero per 128)")
    return Quantization("torchao", 8.0, note="torchao 8-bit")


def _mxfp4(cfg: Mapping[str, Any]) -> Quantization:
    """MXFP4 (gpt-oss; vLLM >= 0.10.2): 4-bit E2M1 values + one E8M0 (1-byte) scale per 32 = 4.25 bits/weight."""
    return Quantization("mxfp4", 4.0, 32, 1.0, note="MXFP4 (4-bit, 1-byte scale per 32 weights)")


NEWER_FORMATS: dict[str, Callable[[Mapping[str, Any]], Quantization]] = {
    "aqlm": _aqlm,
    "qqq": lambda cfg: _group_quant("qqq", float(cfg.get("wbits", 4)), int(cfg.get("group_size", 128)), False),
    "hqq": lambda cfg: _group_quant("hqq", float(cfg.get("nbits", 4)), int(cfg.get("group_size", 64)), True),
    "torchao": _torchao,
    "mxfp4": _mxfp4,
    "gguf": lambda cfg: Quantization("gguf", 8.0, note="GGUF (bits vary per tensor; assumed 8-bit)"),
}


def parse_quantization(cfg: Mapping[str, Any] | None) -> Quantization | None:
    """Read a config.json ``quantization_config``; None for an unquantized checkpoint."""
    if not cfg:
        return None
    method = str(cfg.get("quant_method") or cfg.get("quant_algo") or "").lower()
    if method in ("awq", "awq_marlin"):
        return _group_quant(
            "awq",
            float(cfg.get("bits", cfg.get("w_bit", 4))),
            int(cfg.get("group_size", cfg.get("q_group_size", 128))),
            bool(cfg.get("zero_point", True)),
        )
    if method == "gptq" and cfg.get("checkpoint_format") == "marlin_24":
        return _marlin_24(cfg)
    if method in ("gptq", "gptq_marlin"):
        return _group_quant(
            "gptq", float(cfg.get("bits", 4)), int(cfg.get("group_size", 128)), not cfg.get("sym", True)
        )
    if method in ("fp8", "fbgemm_fp8") or method.startswith("fp8"):
        return _fp8(cfg)
    if method == "compressed-tensors":
        return _compressed_tensors(cfg)
    if method == "modelopt" or method.startswith("nvfp4"):
        if "fp4" in str(cfg).lower():  # NVFP4: 4-bit values + one FP8 scale per 16 (vLLM 0.8.4 name: nvfp4)
            return Quantization("nvfp4", 4.0, 16, 1.0, note="NVFP4 (4-bit, FP8 scale per 16 weights)")
        return Quantization("modelopt", 8.0, note="ModelOpt FP8")
    if method in NEWER_FORMATS:
        return NEWER_FORMATS[method](cfg)
    if method == "bitsandbytes":
        return RUNTIME_QUANTIZE["bitsandbytes"] if cfg.get("load_in_4bit") else Quantization("bitsandbytes", 8.0)
    return Quantization(method or "unknown", 8.0, note=f"unrecognised quant_method {method!r}: assumed 8-bit")


def runtime_quantization(quantize: str | None, existing: Quantization | None) -> Quantization | None:
    """Combine the checkpoint's quantization with ``option.quantize`` (runtime fp8/bitsandbytes only)."""
    if not quantize:
        return existing
    name = quantize.lower()
    if existing is not None:
        return existing  # vLLM uses the checkpoint's method; option.quantize just names it
    if name in RUNTIME_QUANTIZE:
        return RUNTIME_QUANTIZE[name]
    if _other_platform(name):
        return None  # refused with the reason by the load check (sizing/quant_compat.py)
    if name in PREQUANTIZED or _vllm_method(name):
        raise SpecError(
            f"quantize={quantize}: the checkpoint has no quantization_config, and {quantize} needs a "
            "pre-quantized checkpoint",
            field="engine.quantize",
            value=quantize,
            fix="use a pre-quantized checkpoint or quantize: fp8 (runtime)",
        )
    raise SpecError(
        f"quantize={quantize}: unknown quantization method",
        field="engine.quantize",
        value=quantize,
        fix="use fp8, awq, gptq, compressed-tensors or bitsandbytes",
    )


def _vllm_method(name: str) -> bool:
    from deploy.sizing.compat import tables

    return any(name in methods for methods in tables()["quantization"].values())


def _other_platform(name: str) -> bool:
    from deploy.sizing.compat import methods_0_8_4

    platform = str(methods_0_8_4().get(name, {}).get("platform", "cuda"))
    return platform != "cuda"


MIN_CAPABILITY = {"fp8": 8.0, "awq": 7.5, "gptq": 6.0, "bitsandbytes": 7.0}


def quantization_problem(quant: Quantization | None, compute_capability: float | None) -> str | None:
    """vLLM's refusal when the GPU is too old for the weight format (FP8 needs 8.0 via Marlin, AWQ 7.5)."""
    if quant is None or compute_capability is None:
        return None
    method = quant.method.split()[0].lower()
    if method.startswith("compressed-tensors") and "FP8" in quant.method:
        method = "fp8"
    need = MIN_CAPABILITY.get(method)
    if need is None or compute_capability >= need:
        return None
    return (
        f"The quantization method {method} is not supported for the current GPU. Minimum capability: "
        f"{int(need * 10)}. Current capability: {int(compute_capability * 10)}."
    )
