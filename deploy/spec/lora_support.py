"""Which LMI versions serve LoRA in async mode (the mode lmi-deploy renders): one rule for adapters and options.

Why one module: a component's adapters (``components[].adapters``, see :mod:`deploy.spec.adapter_rules`) and a
single-model spec's ``engine.options.enable_lora`` ask the same container for the same thing, so they follow the
same version rule, with the same message and fix.

From deepjavalibrary/djl-serving: the async vLLM handler (djl_python/lmi_vllm/vllm_async_service.py) has no LoRA
code in 0.33.0 (LMI v15; LoRA there only in rolling-batch mode, option.rolling_batch=vllm); 0.34.0 (LMI v16) adds
register_adapter/add_lora and reads X-Amzn-SageMaker-Adapter-Identifier (release notes: "Async vLLM handler now
supports multi-adapter (LoRA) serving"); 0.35.0 (LMI v17) adds LoRA in async mode for MoE models.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ASYNC_LORA_SINCE = 16
ASYNC_MOE_LORA_SINCE = 17

# vLLM EngineArgs that configure LoRA; all but enable_lora do nothing unless enable_lora is on (vLLM builds its
# LoRAConfig only then: EngineArgs.create_engine_config, 0.8.4 and 0.10.2 alike).
LORA_SWITCH = "enable_lora"
LORA_SETTINGS = (
    "max_loras",
    "max_lora_rank",
    "enable_lora_bias",
    "fully_sharded_loras",
    "lora_extra_vocab_size",
    "lora_dtype",
    "max_cpu_loras",
    "long_lora_scaling_factors",
)
LORA_OPTIONS = (LORA_SWITCH, *LORA_SETTINGS)
TRUE_TEXTS = frozenset({"true", "1", "yes"})


def lora_enabled(options: Mapping[str, Any]) -> bool:
    """``enable_lora`` switched on (a YAML boolean or the text LMI reads as true)."""
    value = options.get(LORA_SWITCH)
    return value is True or str(value).strip().lower() in TRUE_TEXTS


def async_lora_problem(version: int, where: str) -> str | None:
    """Why LMI ``version`` cannot serve LoRA in async mode (None when it can); ``where`` opens the message."""
    if version >= ASYNC_LORA_SINCE:
        return None
    from deploy.catalog import lmi_version

    djl = lmi_version(version).djl_version
    since = lmi_version(ASYNC_LORA_SINCE).djl_version
    return (
        f"{where}: LMI v{version} (DJL Serving {djl}) cannot serve LoRA adapters in async mode, "
        "the mode lmi-deploy renders (its async vLLM handler has no adapter support; LoRA there needs rolling-batch "
        f"mode, option.rolling_batch=vllm); set lmi.version: {ASYNC_LORA_SINCE} or later (DJL Serving {since}: its "
        "async handler serves adapters)"
    )


def moe_lora_problem(version: int, where: str, model_id: str) -> str | None:
    """LoRA on a mixture-of-experts model in async mode arrived one release later (None when ``version`` has it)."""
    if version >= ASYNC_MOE_LORA_SINCE:
        return None
    from deploy.catalog import lmi_version

    since = lmi_version(ASYNC_MOE_LORA_SINCE).djl_version
    return (
        f"{where}: {model_id} is a mixture-of-experts model; LMI v{version} serves LoRA adapters "
        f"in async mode for dense models only; set lmi.version: {ASYNC_MOE_LORA_SINCE} or later (DJL Serving {since} "
        "adds LoRA for MoE models in async mode)"
    )


def lora_options_problem(options: Mapping[str, Any], version: int) -> str | None:
    """A single-model spec's LoRA options against the version rule (None when they are fine or absent).

    ``enable_lora`` or any LoRA setting on a version whose async handler has no LoRA is refused with the version
    that has it; a LoRA setting without ``enable_lora`` is refused too, because vLLM ignores it without a word.
    """
    given = [key for key in LORA_OPTIONS if key in options]
    if not given or (given == [LORA_SWITCH] and not lora_enabled(options)):
        return None  # nothing about LoRA, or only `enable_lora: false` (omitted from the rendering)
    first = given[0]
    problem = async_lora_problem(version, f"engine.options.{first}={options[first]!r}")
    if problem is not None:
        return problem
    if not lora_enabled(options):
        return (
            f"engine.options.{first}={options[first]!r} has no effect without enable_lora (vLLM configures LoRA "
            "only when it is on); add enable_lora: true to engine.options, or remove it"
        )
    return None
