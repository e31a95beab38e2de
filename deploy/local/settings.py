"""How the LMI v15 container reads its configuration: serving.properties first, then environment variables.

Rule: reproduce the container's own merge (``serving.properties`` wins; ``OPTION_*`` and the TGI/SageMaker aliases
fill in what is absent; the recommender fills tensor parallelism and batch size) and the checks that make it refuse
to start, with the container's wording. Pure: the inputs are the model's environment and the properties text.
"""

from __future__ import annotations

import re

from deploy.records import record
from deploy.render import java_properties

_ALIASES = {  # applied only when the LMI name is absent
    "HF_MODEL_ID": "option.model_id",
    "HF_REVISION": "option.revision",
    "TENSOR_PARALLEL_DEGREE": "option.tensor_parallel_degree",
    "SM_NUM_GPUS": "option.tensor_parallel_degree",
    "PIPELINE_PARALLEL_DEGREE": "option.pipeline_parallel_degree",
    "HF_MODEL_QUANTIZE": "option.quantize",
    "HF_MODEL_TRUST_REMOTE_CODE": "option.trust_remote_code",
    "MAX_BATCH_SIZE": "option.max_rolling_batch_size",
    "MAX_BATCH_PREFILL_TOKENS": "option.max_rolling_batch_prefill_tokens",
    "CUDA_MEMORY_FRACTION": "option.gpu_memory_utilization",
}
_VALID_DTYPES = ("fp32", "fp16", "bf16", "int8", "auto")
_CONFLICTS = (
    ("tensor_parallel_degree", "tensor_parallel_size"),
    ("pipeline_parallel_degree", "pipeline_parallel_size"),
    ("max_rolling_batch_size", "max_num_seqs"),
)


class StartupError(Exception):
    """The container refuses to start; ``lines`` are what it writes to its log before exiting."""

    def __init__(self, *lines: str) -> None:
        super().__init__(lines[-1] if lines else "startup failed")
        self.lines = lines


def parse_properties(text: str | None) -> dict[str, str]:
    """Read serving.properties as the container does: Java ``Properties.load`` semantics (escapes, ``\\uXXXX``,
    line continuations, ``=``/``:``/whitespace separators, ``#``/``!`` comments), not a Python line split."""
    try:
        return java_properties.load(text or "")
    except java_properties.PropertiesSyntaxError as exc:
        raise StartupError(f"java.lang.IllegalArgumentException: {exc} (serving.properties)") from exc


def _env_key(name: str) -> str | None:
    if name == "OPTION_ENGINE":
        return "engine"
    if name == "OPTION_ENTRYPOINT":
        return "option.entryPoint"
    if name.startswith("OPTION_") and re.fullmatch(r"[A-Z_0-9]+", name):
        return "option." + name[len("OPTION_") :].lower()
    return None


def merge_settings(environment: dict[str, str], properties_text: str | None) -> dict[str, str]:
    """The effective LMI settings: serving.properties, then OPTION_* (putIfAbsent), then the aliases."""
    merged = parse_properties(properties_text)
    for name, value in environment.items():
        key = _env_key(name)
        if key and value != "":
            merged.setdefault(key, value)
    for name, key in _ALIASES.items():
        alias = environment.get(name)
        if alias:
            merged.setdefault(key, alias)
    return merged


@record
class EngineSettings:
    """The numbers the engine starts with once LMI has filled its defaults."""

    model_id: str
    tensor_parallel_degree: int
    max_rolling_batch_size: int
    max_model_len: int | None
    dtype: str
    gpu_memory_utilization: float
    quantize: str | None
    kv_cache_dtype: str
    async_mode: bool
    served_model_name: str
    max_num_batched_tokens: int | None = None  # LMI's option.max_rolling_batch_prefill_tokens


def _int(settings: dict[str, str], key: str) -> int | None:
    value = settings.get(key)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise StartupError(f"ValueError: invalid literal for int() with base 10: '{value}' ({key})") from exc


def _tp_degree(settings: dict[str, str], gpu_count: int) -> int:
    raw = settings.get("option.tensor_parallel_degree", "max")
    tp = gpu_count if raw == "max" else _int(settings, "option.tensor_parallel_degree") or 1
    if tp > gpu_count:
        raise StartupError(f"ai.djl.engine.EngineException: GPU devices are not enough to run {tp} partitions.")
    return tp


def check_conflicts(settings: dict[str, str]) -> None:
    """LMI v15 refuses vLLM-native names next to its own (the check compares a string with an int)."""
    for lmi_name, vllm_name in _CONFLICTS:
        value = settings.get(f"option.{vllm_name}")
        if value is not None:
            raise StartupError(
                f"ValueError: Both the DJL {lmi_name} and vLLM {vllm_name}={value} configs have been set with "
                f"conflicting values. We currently only accept the DJL config {lmi_name}, please remove the vllm "
                f"{vllm_name} configuration."
            )
    pp = settings.get("option.pipeline_parallel_degree", "1")
    if pp != "1":
        raise StartupError(
            "ValueError: Pipeline parallelism is not supported in vLLM's LLMEngine. "
            f"Set option.pipeline_parallel_degree=1 (got {pp})."
        )


def engine_settings(settings: dict[str, str], gpu_count: int) -> EngineSettings:
    """Validate like the container and fill LMI's defaults; raises :class:`StartupError`."""
    engine = settings.get("engine", "Python")
    if engine != "Python":
        raise StartupError(f"ValueError: engine={engine} is not supported by the vLLM backend; use engine=Python")
    check_conflicts(settings)
    dtype = settings.get("option.dtype", "auto")
    if dtype not in _VALID_DTYPES:
        raise StartupError(f"ValueError: Invalid data type: {dtype}")
    async_mode = settings.get("option.async_mode", "false").lower() == "true"
    rolling = settings.get("option.rolling_batch", "disable" if async_mode else "auto")
    if async_mode and rolling not in ("disable",):
        raise StartupError(f"ValueError: option.async_mode=true needs option.rolling_batch=disable (got {rolling})")
    default_batch = 256 if rolling in ("auto", "vllm", "lmi-dist") else 32
    utilization = settings.get("option.gpu_memory_utilization", "0.9")
    try:
        gpu_memory_utilization = float(utilization)
    except ValueError as exc:
        raise StartupError(f"ValueError: could not convert string to float: '{utilization}'") from exc
    return EngineSettings(
        model_id=settings.get("option.model_id", "/opt/ml/model"),
        tensor_parallel_degree=_tp_degree(settings, gpu_count),
        max_rolling_batch_size=_int(settings, "option.max_rolling_batch_size") or default_batch,
        max_model_len=_int(settings, "option.max_model_len"),
        dtype=dtype,
        gpu_memory_utilization=gpu_memory_utilization,
        quantize=settings.get("option.quantize") or settings.get("option.quantization"),
        kv_cache_dtype=settings.get("option.kv_cache_dtype", "auto"),
        async_mode=async_mode,
        served_model_name=settings.get("option.served_model_name", "lmi"),
        max_num_batched_tokens=_int(settings, "option.max_rolling_batch_prefill_tokens"),
    )
