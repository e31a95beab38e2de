"""Engine parameters from LMI settings: the one mapping from what a spec or a container sets to EngineParams.

Why one place: ``lmi validate``/``lmi plan`` (from the spec) and the emulator's container (from the
serving.properties and environment it receives) must size the same deployment the same way. Each once built its
own EngineParams, and the container's forgot the prefill-token limit and the V0/V1 engine switch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from deploy.sizing.engine_options import feature_params
from deploy.sizing.versions import DEFAULT_VLLM_VERSION, Engine, EngineParams

__all__ = ["engine_params", "vllm_engine"]


def vllm_engine(env: Mapping[str, str] | None) -> Engine:
    """vLLM's engine generation: ``VLLM_USE_V1=0`` in the container environment selects V0, else V1."""
    return "v0" if (env or {}).get("VLLM_USE_V1") == "0" else "v1"


def engine_params(
    *,
    tensor_parallel_degree: int = 1,
    max_model_len: int | None = None,
    max_num_seqs: int | None = None,
    max_num_batched_tokens: int | None = None,
    gpu_memory_utilization: float = 0.9,
    dtype: str = "auto",
    quantize: str | None = None,
    kv_cache_dtype: str = "auto",
    vllm_version: str = DEFAULT_VLLM_VERSION,
    env: Mapping[str, str] | None = None,
    options: Mapping[str, Any] | None = None,
) -> EngineParams:
    """EngineParams for settings named as LMI names them (``max_num_seqs`` is LMI's ``max_rolling_batch_size``);
    ``options`` (engine options) add speculative decoding, LoRA slots and expert parallelism."""
    params = EngineParams(
        tensor_parallel_degree=tensor_parallel_degree,
        max_model_len=max_model_len,
        max_num_seqs=max_num_seqs,
        max_num_batched_tokens=max_num_batched_tokens,
        gpu_memory_utilization=gpu_memory_utilization,
        dtype=dtype,
        quantize=quantize,
        kv_cache_dtype=kv_cache_dtype,
        vllm_version=vllm_version,
        engine=vllm_engine(env),
    )
    return replace(params, **feature_params(options).as_kwargs()) if options else params
