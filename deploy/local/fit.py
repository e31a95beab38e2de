"""Would vLLM start? The emulated container asks the project's fit estimator and words the answer as vLLM does.

Rule: the emulator never invents its own memory model; it calls ``deploy.sizing`` (the same estimate ``lmi size``
prints) and only translates the verdict into the log text vLLM 0.8.4 (V1 engine) writes when it refuses to start.
When the model's shape or the instance is unknown, the container starts anyway and the log says why no check ran.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.local.settings import EngineSettings

GIB = 1024**3
MIB = 1024**2
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FitOutcome:
    """The verdict plus the numbers the container prints when it starts."""

    checked: bool
    fits: bool
    max_model_len: int
    kv_cache_tokens: int | None = None
    max_concurrency: float | None = None
    error_lines: tuple[str, ...] = ()
    warning: str | None = None


def _construct(cls: Any, **candidates: Any) -> Any:
    """Build ``cls`` with the keyword arguments it accepts (the sizing API may grow fields)."""
    params = inspect.signature(cls).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return cls(**candidates)
    return cls(**{k: v for k, v in candidates.items() if k in params and v is not None})


def _engine_params(cls: Any, engine: EngineSettings, max_model_len: int) -> Any:
    return _construct(
        cls,
        tensor_parallel_degree=engine.tensor_parallel_degree,
        max_model_len=max_model_len,
        max_rolling_batch_size=engine.max_rolling_batch_size,
        max_num_seqs=engine.max_rolling_batch_size,
        dtype=engine.dtype,
        quantize=engine.quantize,
        kv_cache_dtype=engine.kv_cache_dtype,
        gpu_memory_utilization=engine.gpu_memory_utilization,
    )


def assess(model_ref: str, config_path: Path | None, instance_type: str, engine: EngineSettings) -> FitOutcome:
    """Run the estimator; any missing piece (shape, instance, estimator) gives an unchecked, starting outcome."""
    fallback = engine.max_model_len or 4096
    try:
        from deploy.sizing import EngineParams, Hardware, estimate, load_shape
    except ImportError as exc:  # the estimator is an optional collaborator of the emulator
        return FitOutcome(False, True, fallback, warning=f"fit estimator unavailable ({exc}); starting anyway")
    try:
        shape = load_shape(str(config_path) if config_path else model_ref)
        hardware = Hardware.from_instance(instance_type)
    except Exception as exc:
        return FitOutcome(False, True, fallback, warning=f"no fit check: {exc}; starting anyway")
    problem = shape.tp_problem(engine.tensor_parallel_degree)
    if problem:
        return FitOutcome(True, False, fallback, error_lines=(f"ValueError: {problem}.",))
    max_model_len = engine.max_model_len or shape.max_position_embeddings or fallback
    result = estimate(shape, hardware, _engine_params(EngineParams, engine, max_model_len))
    return _outcome(result, hardware, engine, max_model_len)


def _outcome(result: Any, hardware: Any, engine: EngineSettings, max_model_len: int) -> FitOutcome:
    tokens = int(getattr(result, "kv_cache_tokens", 0) or 0)
    per_token = int(getattr(result, "kv_cache_bytes_per_token", 0) or 0)
    concurrency = getattr(result, "max_concurrency", None)
    if concurrency is None and max_model_len:
        concurrency = tokens / max_model_len
    if getattr(result, "fits", True):
        return FitOutcome(True, True, max_model_len, tokens, float(concurrency or 0.0))
    weights = int(getattr(result, "weights_bytes_per_gpu", 0) or 0)
    total = int(getattr(hardware, "gpu_memory_mib", 0) or 0) * MIB
    if total and weights > total:  # weights cannot even be loaded
        lines = (_cuda_oom(weights, total),)
    elif tokens <= 0:
        lines = (
            "ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` "
            "when initializing the engine.",
        )
    else:
        available = int(getattr(result, "kv_cache_bytes_per_gpu", 0) or tokens * per_token)
        lines = (_kv_too_small(max_model_len, per_token, available),)
    return FitOutcome(True, False, max_model_len, tokens, float(concurrency or 0.0), error_lines=lines)


def _cuda_oom(weights: int, total: int) -> str:
    free = max(total - min(weights, total) - 512 * MIB, 0)
    return (
        f"torch.OutOfMemoryError: CUDA out of memory. Tried to allocate {min(weights, 1024 * MIB) / MIB:.2f} MiB. "
        f"GPU 0 has a total capacity of {total / GIB:.2f} GiB of which {free / MIB:.2f} MiB is free. "
        f"Of the allocated memory {min(weights, total) / GIB:.2f} GiB is allocated by PyTorch."
    )


def _kv_too_small(max_model_len: int, per_token: int, available_bytes: int) -> str:
    needed = max_model_len * per_token / GIB
    available = available_bytes / GIB
    return (
        f"ValueError: To serve at least one request with the models's max seq len ({max_model_len}), "
        f"({needed:.2f} GiB KV cache is needed, which is larger than the available KV cache memory "
        f"({available:.2f} GiB). Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when "
        "initializing the engine."
    )
