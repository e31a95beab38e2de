"""Checks on a config.json before its numbers are used: types and ranges of every field the estimator reads.

Why: config.json comes from wherever the model came from (a Hub repo, an S3 prefix, a pull request). A field of the
wrong type (``"32"``, ``true``, ``[32]``), an impossible value (0 heads, negative sizes), ``NaN``/``Infinity`` (Python's
JSON reader accepts them) or an absurd size must end in one SpecError naming the field, not in a traceback deep in
the arithmetic and never in a "fits" verdict computed from nonsense. Fields the estimator does not read are not
checked (a config carries dozens of them that vLLM ignores too).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from deploy.errors import SpecError
from deploy.secrets.masking import scrub

MAX_DIMENSION = 2**31 - 1  # larger than any real size or count; keeps the arithmetic finite and exact
REQUIRED_POSITIVE = frozenset(
    {
        "hidden_size",
        "n_embd",
        "d_model",
        "num_hidden_layers",
        "n_layer",
        "num_layers",
        "num_attention_heads",
        "n_head",
        "num_key_value_heads",
        "n_kv_heads",
        "num_kv_heads",
        "vocab_size",
        "padded_vocab_size",
    }
)
# Every name a config.json may give its position limit under; config.py takes the smallest of those present.
POSITION_KEYS = (
    "max_position_embeddings",
    "n_positions",
    "max_seq_len",
    "seq_length",
    "max_sequence_length",
    "max_seq_length",
    "seq_len",
)
OPTIONAL_COUNTS = frozenset(
    {
        "head_dim",
        "intermediate_size",
        "intermediate_size_mlp",
        "ffn_dim",
        *POSITION_KEYS,
        "sliding_window",
        "attention_chunk_size",
        "sliding_window_pattern",
        "num_local_experts",
        "n_routed_experts",
        "num_routed_experts",
        "num_experts",
        "moe_num_experts",
        "moe_intermediate_size",
        "expert_intermediate_size",
        "shared_expert_intermediate_size",
        "n_shared_experts",
        "num_shared_experts",
        "num_experts_per_tok",
        "moe_topk",
        "top_k",
        "first_k_dense_replace",
        "moe_layer_freq",
        "interleave_moe_layer_step",
        "decoder_sparse_step",
        "kv_lora_rank",
        "qk_rope_head_dim",
        "qk_nope_head_dim",
        "v_head_dim",
        "q_lora_rank",
    }
)
MAPPINGS = ("quantization_config", "rope_scaling", "text_config", "vision_config")
INT_LISTS = ("mlp_only_layers",)
LISTS = ("architectures", "layer_types", "no_rope_layers", *INT_LISTS)
QUANT_COUNTS = ("bits", "w_bit", "group_size", "q_group_size")
VISION_COUNTS = ("hidden_size", "width", "intermediate_size", "num_hidden_layers", "depth", "patch_size")


def check_config(cfg: Any, source: str) -> None:
    """Refuse a config.json the estimator cannot trust; the error names ``source``, the field and the value."""
    if not isinstance(cfg, Mapping):
        raise _bad(source, "(document)", type(cfg).__name__, "must be a JSON object")
    _check_level(cfg, source, "")
    text = cfg.get("text_config")
    if isinstance(text, Mapping):
        _check_level(text, source, "text_config.")
    vision = cfg.get("vision_config")
    if isinstance(vision, Mapping):
        for key in VISION_COUNTS:
            _count(vision, key, source, "vision_config.", minimum=0)
    quant = cfg.get("quantization_config")
    if isinstance(quant, Mapping):
        _check_quantization(quant, source)


def _check_level(cfg: Mapping[str, Any], source: str, prefix: str) -> None:
    for key in MAPPINGS:
        if key in cfg and cfg[key] is not None and not isinstance(cfg[key], Mapping):
            raise _bad(source, prefix + key, cfg[key], "must be a JSON object (or null)")
    for key in LISTS:
        if key in cfg and cfg[key] is not None and not isinstance(cfg[key], list):
            raise _bad(source, prefix + key, cfg[key], "must be a JSON list (or null)")
    for key in INT_LISTS:
        for item in cfg.get(key) or []:
            if not _is_int(item):
                raise _bad(source, f"{prefix}{key}", item, "must hold layer numbers (integers)")
    for key in REQUIRED_POSITIVE:
        _count(cfg, key, source, prefix, minimum=1)
    for key in OPTIONAL_COUNTS:
        _count(cfg, key, source, prefix, minimum=0)
    rope = cfg.get("rope_scaling")
    if isinstance(rope, Mapping) and rope.get("factor") is not None:
        factor = rope["factor"]
        if not _is_number(factor) or not 0 < float(factor) <= 1e4:
            raise _bad(source, prefix + "rope_scaling.factor", factor, "must be a number above 0 (at most 10000)")
        _count(rope, "original_max_position_embeddings", source, prefix + "rope_scaling.", minimum=0)


def _check_quantization(quant: Mapping[str, Any], source: str) -> None:
    for key in QUANT_COUNTS:
        _count(quant, key, source, "quantization_config.", minimum=0)
    bits = quant.get("bits", quant.get("w_bit"))
    if bits is not None and not 1 <= float(bits) <= 32:
        raise _bad(source, "quantization_config.bits", bits, "must be between 1 and 32")
    block = quant.get("weight_block_size")
    if block is not None and not (
        isinstance(block, list) and len(block) == 2 and all(_is_int(b) and 0 < int(b) <= 65536 for b in block)
    ):
        raise _bad(source, "quantization_config.weight_block_size", block, "must be two positive integers")
    groups = quant.get("config_groups")
    if groups is not None:
        if not isinstance(groups, Mapping) or not all(isinstance(g, Mapping) or g is None for g in groups.values()):
            raise _bad(source, "quantization_config.config_groups", groups, "must be an object of objects")
        for name, group in groups.items():
            weights = (group or {}).get("weights")
            if weights is not None and not isinstance(weights, Mapping):
                raise _bad(source, f"quantization_config.config_groups.{name}.weights", weights, "must be an object")
            for key in ("num_bits", "group_size"):
                _count(weights or {}, key, source, f"quantization_config.config_groups.{name}.weights.", minimum=0)


def _count(cfg: Mapping[str, Any], key: str, source: str, prefix: str, *, minimum: int) -> None:
    """``cfg[key]``, when present and not null, must be a whole number in [minimum, MAX_DIMENSION]."""
    if key not in cfg or cfg[key] is None:
        return
    value = cfg[key]
    if not _is_int(value):
        raise _bad(source, prefix + key, value, "must be a whole number")
    if not minimum <= int(value) <= MAX_DIMENSION:
        low = "a positive" if minimum >= 1 else "a non-negative"
        raise _bad(source, prefix + key, value, f"must be {low} whole number (at most {MAX_DIMENSION:,})")


def _is_int(value: Any) -> bool:
    """An integer, or a float with an integral finite value (some exporters write 4096.0); never a bool."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value) and value.is_integer()


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _bad(source: str, field: str, value: Any, problem: str) -> SpecError:
    shown = _shown(value)
    return SpecError(
        f"{source}: {field}={shown}: {problem}",
        field="model.config",
        value=f"{field}={shown}",
        fix=f"correct {field} in the model's config.json (or point model.config / --config at a correct copy)",
    )


def _shown(value: Any) -> str:
    if isinstance(value, Mapping):
        return "<object>"
    if isinstance(value, list):
        return "<list>"
    text = repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    text = scrub(text)  # before cutting: a token cut to 37 characters is no longer recognisable as one
    return text if len(text) <= 40 else text[:37] + "..."


MAX_CONFIG_BYTES = 16 * 1024 * 1024  # a config.json is a few KB; the bundled library's largest is far below this


def parse_config_text(text: str | bytes, source: str) -> dict[str, Any]:
    """Parse a config.json document (size-limited, nesting-safe) into a dict, or raise a SpecError naming it."""
    if len(text) > MAX_CONFIG_BYTES:
        raise config_too_big(source, len(text))
    try:
        data = json.loads(text)
    except RecursionError:
        raise SpecError(
            f"{source} nests too deeply to be a config.json",
            field="model.config",
            value=source,
            fix="point at the model's config.json",
        ) from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise SpecError(
            f"{source} is not valid JSON: {exc}",
            field="model.config",
            value=source,
            fix="point at the model's config.json",
        ) from None
    if not isinstance(data, dict):
        raise SpecError(
            f"{source} is not a JSON object", field="model.config", value=source, fix="point at the model's config.json"
        )
    return data


def config_too_big(source: str, size: int) -> SpecError:
    return SpecError(
        f"{source} is {size:,} bytes; a config.json is limited to {MAX_CONFIG_BYTES:,}",
        field="model.config",
        value=source,
        fix="point at the model's config.json (not a weights or index file)",
    )
