"""Engine options that move memory, read from ``engine.options`` as LMI forwards them to vLLM.

Why here: the estimator's :class:`~deploy.sizing.versions.EngineParams` carries speculative decoding, LoRA slots and
expert parallelism, and the spec, the emulator's container and the component/adapter work all hold them as LMI
option strings (``speculative_config`` as JSON, ``enable_lora``/``max_loras``/``max_lora_rank``,
``enable_expert_parallel``). One parser turns them into EngineParams fields, so every caller sizes them the same way.
The defaults are vLLM 0.8.4's ``EngineArgs``: ``max_loras`` 1 and ``max_lora_rank`` 16 once ``enable_lora`` is on.
A draft model is sized when the bundled library knows it (no network here); otherwise the draft's weights are
unknown and :func:`speculative_params` says so in its note.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from deploy.errors import SpecError
from deploy.records import record
from deploy.sizing.engine_memory import SpeculativeParams
from deploy.sizing.shape import ModelShape

DEFAULT_MAX_LORAS = 1
DEFAULT_MAX_LORA_RANK = 16
TRUE_TEXTS = frozenset({"true", "1", "yes"})


@record
class FeatureParams:
    """The EngineParams fields engine options set (keyword arguments for ``dataclasses.replace``)."""

    speculative: SpeculativeParams | None = None
    max_loras: int = 0
    max_lora_rank: int = DEFAULT_MAX_LORA_RANK
    enable_expert_parallel: bool = False
    note: str | None = None

    def as_kwargs(self) -> dict[str, Any]:
        return {
            "speculative": self.speculative,
            "max_loras": self.max_loras,
            "max_lora_rank": self.max_lora_rank,
            "enable_expert_parallel": self.enable_expert_parallel,
        }


def _flag(value: Any) -> bool:
    return value is True or str(value).strip().lower() in TRUE_TEXTS


def _int(options: Mapping[str, Any], key: str, default: int) -> int:
    value = options.get(key)
    if value is None or value == "":
        return default
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if number < 1:
        raise SpecError(
            f"engine.options.{key}={value!r} is not a positive integer",
            field=f"engine.options.{key}",
            value=value,
            fix=f"set {key} to a whole number >= 1",
        )
    return number


def _draft_shape(model: str | None) -> ModelShape | None:
    """The draft model's shape when the bundled library has it (never the network)."""
    from deploy.sizing.loader import bundled_ids, load_shape

    if not model or model.lower() not in {m.lower() for m in bundled_ids()}:
        return None
    return load_shape(model)


def speculative_params(value: Any) -> tuple[SpeculativeParams | None, str | None]:
    """``speculative_config`` (JSON text or a mapping) -> SpeculativeParams, and a note when the draft is unknown."""
    if value is None or value == "":
        return None, None
    config = value
    if isinstance(value, str):
        try:
            config = json.loads(value)
        except json.JSONDecodeError as exc:
            raise SpecError(
                f"engine.options.speculative_config is not JSON ({exc.msg})",
                field="engine.options.speculative_config",
                value=value,
                fix='pass a JSON object, e.g. {"method": "ngram", "num_speculative_tokens": 3}',
            ) from exc
    if not isinstance(config, Mapping):
        raise SpecError(
            "engine.options.speculative_config must be a JSON object",
            field="engine.options.speculative_config",
            value=value,
            fix='pass a JSON object, e.g. {"model": "meta-llama/Llama-3.2-1B-Instruct", "num_speculative_tokens": 4}',
        )
    model = config.get("model")
    method = str(config.get("method") or ("ngram" if model in ("ngram", "[ngram]") else "draft_model"))
    draft = None if method == "ngram" else _draft_shape(str(model) if model else None)
    tokens = int(config.get("num_speculative_tokens") or 1)
    draft_tp = config.get("draft_tensor_parallel_size")
    spec = SpeculativeParams(method, tokens, draft, int(draft_tp) if draft_tp else None)
    note = None
    if method != "ngram" and draft is None:
        note = f"speculative draft {model!r} is not in the bundled library: its weights and KV cache are not counted"
    return spec, note


def feature_params(options: Mapping[str, Any] | None) -> FeatureParams:
    """Speculative decoding, LoRA slots and expert parallelism from LMI/vLLM engine options."""
    options = options or {}
    spec, note = speculative_params(options.get("speculative_config"))
    lora = _flag(options.get("enable_lora"))
    return FeatureParams(
        speculative=spec,
        max_loras=_int(options, "max_loras", DEFAULT_MAX_LORAS) if lora else 0,
        max_lora_rank=_int(options, "max_lora_rank", DEFAULT_MAX_LORA_RANK),
        enable_expert_parallel=_flag(options.get("enable_expert_parallel")),
        note=note,
    )
