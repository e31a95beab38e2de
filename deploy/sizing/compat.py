"""Will it load? The checks vLLM makes before it sizes anything: architecture, dtype and quantization on this GPU.

Rule: each refusal is one vLLM start-up error predicted from data compiled out of vLLM's own source
(``deploy/data/vllm_architectures.toml``: the model registry and quantization list at every catalog version;
``deploy/data/vllm_0_8_4_quantization.toml``: each method's minimum compute capability and activation dtypes), and
is reported with vLLM's own words, the spec field to change and the fix. Warnings say what vLLM will do differently
from what the spec suggests (Marlin kernels skipped, FP8 as weight-only, remote code).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from deploy.catalog.tables import PACKAGE_DIR, load_table
from deploy.errors import SpecError
from deploy.records import record
from deploy.sizing.versions import parse_version

if TYPE_CHECKING:
    from deploy.sizing.hardware import Hardware
    from deploy.sizing.shape import ModelShape

TORCH_NAMES = {"bf16": "bfloat16", "fp16": "float16", "half": "float16", "fp32": "float32", "float": "float32"}
SHORT_NAMES = {"bfloat16": "bf16", "float16": "fp16", "float32": "fp32"}
BF16_MIN_CAPABILITY = 8.0
FP8_HARDWARE_CAPABILITY = 8.9
PLATFORM_NAMES = {"tpu": "Google TPUs", "neuron": "AWS Neuron", "xpu": "Intel GPUs", "rocm": "AMD ROCm GPUs"}
# vLLM < 0.10 picks float16 for an fp32 checkpoint under dtype=auto and keeps bf16 even where the GPU lacks it;
# from 0.10 on it picks the platform's preferred supported dtype (vllm/config: _resolve_auto_dtype).
PLATFORM_AUTO_DTYPE_SINCE = (0, 10, 0)


@record
class LoadProblem:
    """Why vLLM would refuse to load: the spec field to change, its value, vLLM's words and the fix."""

    field: str
    value: Any
    message: str
    fix: str

    def error(self) -> SpecError:
        return SpecError(self.message, field=self.field, value=self.value, fix=self.fix)


@lru_cache(maxsize=1)
def tables() -> dict[str, Any]:
    return load_table(PACKAGE_DIR / "data" / "vllm_architectures.toml")


@lru_cache(maxsize=1)
def methods_0_8_4() -> dict[str, dict[str, Any]]:
    methods: dict[str, dict[str, Any]] = load_table(PACKAGE_DIR / "data" / "vllm_0_8_4_quantization.toml")["methods"]
    return methods


def _catalog_version(vllm_version: str) -> str | None:
    """The table column for ``vllm_version`` (same major.minor.patch), or None if the table has no such column."""
    key = parse_version(vllm_version)
    found: str | None = next((v for v in tables()["versions"] if parse_version(v) == key), None)
    return found


def _first_with(present: Any, after: str) -> str | None:
    for version in tables()["versions"]:
        if parse_version(version) > parse_version(after) and present(version):
            return str(version)
    return None


def _lmi(version: str) -> str:
    return f"LMI v{tables()['versions'][version]['lmi']} (vLLM {version})"


def architecture_present(architecture: str, version: str) -> bool:
    entry = tables()["architectures"].get(architecture)
    if entry is None:
        return False
    key = parse_version(version)
    return any(parse_version(a) <= key <= parse_version(b) for a, b in entry["present"])


def _last_before(present: Any, before: str) -> str | None:
    found = [v for v in tables()["versions"] if parse_version(v) < parse_version(before) and present(v)]
    return str(found[-1]) if found else None


def other_versions(present: Any, column: str) -> tuple[str, str]:
    """Where a missing entry can be had instead: ("First loadable in ...", fix) or ("Last loadable in ...", fix)."""
    later = _first_with(present, column)
    if later is not None:
        lmi = tables()["versions"][later]["lmi"]
        return f"First loadable in {_lmi(later)}", f"use lmi.version: {lmi} or later"
    earlier = _last_before(present, column)
    if earlier is not None:
        lmi = tables()["versions"][earlier]["lmi"]
        return f"Removed after vLLM {earlier}: last loadable in {_lmi(earlier)}", f"use lmi.version: {lmi} or earlier"
    return "", ""


def architecture_problem(shape: ModelShape, vllm_version: str) -> LoadProblem | None:
    """An architecture the image's vLLM registry lacks but another catalog version has: refuse, naming that one."""
    column = _catalog_version(vllm_version)
    arch = shape.architecture
    if column is None or architecture_present(arch, column):
        return None
    where, fix = other_versions(lambda v: architecture_present(arch, v), column)
    if not where:
        return None  # in no registry: vLLM may still load it through its Transformers backend (a warning)
    return LoadProblem(
        field="lmi.version",
        value=tables()["versions"][column]["lmi"],
        message=f"{shape.model_id}: architecture {arch} is not in vLLM {column}'s model registry: vLLM stops with "
        f"\"Model architectures ['{arch}'] are not supported for now.\" or, when the image's transformers knows the "
        'class, tries its Transformers fallback ("... has no vLLM implementation and the Transformers '
        f'implementation is not compatible with vLLM."). {where}',
        fix=f"{fix}, or a model of a supported architecture",
    )


def architecture_notes(shape: ModelShape, vllm_version: str, trust_remote_code: bool | None) -> list[str]:
    column = _catalog_version(vllm_version)
    arch = shape.architecture
    notes = []
    if column is not None and arch not in tables()["architectures"]:
        notes.append(
            f"architecture {arch} is in no vLLM model registry from {next(iter(tables()['versions']))} to "
            f"{list(tables()['versions'])[-1]}: vLLM {column} can only try its Transformers backend "
            "(model_impl=auto), which works for models transformers implements with vLLM-compatible attention; "
            "unverified"
        )
    if shape.auto_map:
        state = "on" if trust_remote_code else "off" if trust_remote_code is False else "unknown"
        notes.append(
            f"the checkpoint ships its own code (auto_map in config.json); model.trust_remote_code is {state}: "
            + (
                "vLLM uses its registered implementation of the architecture and the repo's code only for "
                "config/tokenizer classes"
                if column and architecture_present(arch, column)
                else "vLLM would run the repo's Python code"
            )
        )
    return notes


def remote_code_problem(shape: ModelShape, vllm_version: str, trust_remote_code: bool | None) -> LoadProblem | None:
    """A model whose architecture exists only as the repo's own code, with trust_remote_code off: transformers stops."""
    column = _catalog_version(vllm_version)
    if not shape.auto_map or trust_remote_code is not False or column is None:
        return None
    if architecture_present(shape.architecture, column):
        return None
    return LoadProblem(
        field="model.trust_remote_code",
        value=False,
        message=f"{shape.model_id}: architecture {shape.architecture} is not in vLLM {column}'s registry and the "
        "checkpoint brings it as custom code (auto_map); without trust_remote_code transformers refuses: "
        '"... requires you to execute the configuration file in that repo on your local machine. Make sure you '
        "have read the code there to avoid malicious use, then set the option `trust_remote_code=True` to remove "
        'this error."',
        fix="set model.trust_remote_code: true after reading the repo's code, or pick a natively supported model",
    )


def checkpoint_dtype(shape: ModelShape) -> str:
    """The dtype vLLM reads from config.json: its torch_dtype, or float32 when it states none."""
    if not shape.dtype_in_config:
        return "float32"
    declared = shape.torch_dtype.lower()
    return TORCH_NAMES.get(declared, declared)


def _auto_dtype(shape: ModelShape, hardware: Hardware, vllm_version: str) -> str:
    name = checkpoint_dtype(shape)
    no_bf16 = not _bf16_ok(hardware)
    platform_picks = parse_version(vllm_version) >= PLATFORM_AUTO_DTYPE_SINCE
    if name == "float32":
        return "bfloat16" if platform_picks and not no_bf16 else "float16"
    if name == "bfloat16" and no_bf16:
        return "float16"  # vLLM < 0.10 would keep bf16 and fail; the resolver renders option.dtype=fp16
    return name if name in ("float16", "bfloat16") else "bfloat16"


def _bf16_ok(hardware: Hardware) -> bool:
    if hardware.bf16 is False:
        return False
    cc = hardware.compute_capability
    return cc is None or cc >= BF16_MIN_CAPABILITY


def effective_dtype(dtype: str, shape: ModelShape, hardware: Hardware, vllm_version: str) -> str:
    """The torch dtype vLLM runs with (what sizing must use): ``auto`` follows vLLM's rule for the version."""
    name = dtype.lower()
    if name in ("auto", ""):
        return _auto_dtype(shape, hardware, vllm_version)
    name = TORCH_NAMES.get(name, name)
    return name if name in ("float16", "bfloat16", "float32") else "bfloat16"


def auto_dtype_override(shape: ModelShape, hardware: Hardware, vllm_version: str) -> str | None:
    """The short dtype to render for ``dtype: auto`` when vLLM's own auto would fail (bf16 checkpoint, no bf16)."""
    if checkpoint_dtype(shape) == "bfloat16" and not _bf16_ok(hardware):
        return "fp16"
    return None


def dtype_problem(dtype: str, hardware: Hardware) -> LoadProblem | None:
    """An explicit bf16 on a GPU below compute capability 8.0: the worker refuses at start (every vLLM version)."""
    if TORCH_NAMES.get(dtype.lower(), dtype.lower()) != "bfloat16" or _bf16_ok(hardware):
        return None
    cc = hardware.compute_capability
    return LoadProblem(
        field="engine.dtype",
        value=dtype,
        message=f"Bfloat16 is only supported on GPUs with compute capability of at least 8.0. Your "
        f"{hardware.gpu_name} GPU has compute capability {cc if cc is not None else 'below 8.0'}. You can use "
        "float16 instead by explicitly setting the `dtype` flag in CLI, for example: --dtype=half. "
        f"(vLLM's worker, at start, on {hardware.label})",
        fix="set engine.dtype: fp16 (or auto: lmi-deploy then renders fp16 for this GPU), or a GPU with bf16 "
        "(compute capability >= 8.0: A10G, L4, L40S, A100, H100)",
    )
