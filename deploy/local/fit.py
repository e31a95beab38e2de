"""Would vLLM start? The emulated container asks the project's fit estimator and words the answer as vLLM does.

Rule: the emulator never invents its own memory model; it calls ``deploy.sizing`` (the same estimate ``lmi size``
prints) and only translates the verdict into the log text vLLM 0.8.4 (V1 engine) writes when it refuses to start.
When the model's shape or the instance is unknown, the container starts anyway and the log says why no check ran.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy.local.settings import EngineSettings
from deploy.records import record

if TYPE_CHECKING:
    from deploy.sizing import Estimate

GIB = 1024**3
MIB = 1024**2
log = logging.getLogger(__name__)


@record
class FitOutcome:
    """The verdict plus the numbers the container prints when it starts."""

    checked: bool
    fits: bool
    max_model_len: int
    kv_cache_tokens: int | None = None
    max_concurrency: float | None = None
    error_lines: tuple[str, ...] = ()
    warning: str | None = None
    shape: Any = None  # the ModelShape and Estimate the verdict came from (the latency model reuses them)
    estimate: Any = None


def assess(
    model_ref: str,
    config_path: Path | None,
    instance_type: str,
    engine: EngineSettings,
    env: Mapping[str, str] | None = None,
) -> FitOutcome:
    """Run the estimator; an unknown shape or instance gives an unchecked outcome that starts anyway.

    ``env``: the container environment (``VLLM_USE_V1=0`` selects the V0 engine, as in ``lmi validate``).
    """
    from deploy.errors import SpecError
    from deploy.sizing import Hardware, estimate, load_shape
    from deploy.sizing.params import engine_params

    fallback = engine.max_model_len or 4096
    try:
        shape = load_shape(str(config_path) if config_path else model_ref)
        hardware = Hardware.from_instance(instance_type)
    except SpecError as exc:
        return FitOutcome(False, True, fallback, warning=f"no fit check: {exc.message}; starting anyway")
    problem = shape.tp_problem(engine.tensor_parallel_degree)
    if problem:
        return FitOutcome(True, False, fallback, error_lines=(f"ValueError: {problem}.",))
    max_model_len = engine.max_model_len or shape.max_position_embeddings or fallback
    params = engine_params(
        tensor_parallel_degree=engine.tensor_parallel_degree,
        max_model_len=max_model_len,
        max_num_seqs=engine.max_rolling_batch_size,
        max_num_batched_tokens=engine.max_num_batched_tokens,
        dtype=engine.dtype,
        quantize=engine.quantize,
        kv_cache_dtype=engine.kv_cache_dtype,
        gpu_memory_utilization=engine.gpu_memory_utilization,
        env=env,
    )
    result = estimate(shape, hardware, params, with_fixes=False)
    return replace(_outcome(result, hardware.gpu_memory_mib * MIB), shape=shape, estimate=result)


def _outcome(result: Estimate, total_bytes: int) -> FitOutcome:
    """Translate the estimate into what the container prints: start-up figures, or vLLM's refusal."""
    tokens, length = result.kv_cache_tokens, result.max_model_len
    if result.fits:
        return FitOutcome(True, True, length, tokens, result.max_concurrency)
    if result.weights_bytes_per_gpu > total_bytes:  # weights cannot even be loaded
        lines = (_cuda_oom(result.weights_bytes_per_gpu, total_bytes),)
    elif tokens <= 0:
        lines = (
            "ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` "
            "when initializing the engine.",
        )
    else:
        lines = (_kv_too_small(length, result.kv_cache_bytes_per_token, result.kv_cache_bytes_per_gpu),)
    return FitOutcome(True, False, length, tokens, result.max_concurrency, error_lines=lines)


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
