"""config.json -> ModelShape: read the architecture numbers that decide memory, whatever the model family
names them.

Rule: pure translation of a parsed config dict (no I/O). Unknown or missing fields fall back to the
conventions of Hugging Face transformers (head_dim = hidden / heads, kv heads = heads); anything we had to
assume is written to ``ModelShape.notes`` so the user sees it. Multimodal configs are unwrapped from
``text_config`` and their vision tower is counted as extra weights.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deploy.errors import SpecError
from deploy.sizing.config_check import POSITION_KEYS, check_config
from deploy.sizing.quant import parse_quantization
from deploy.sizing.shape import MLA, ModelShape, MoE

UNGATED_MLP_TYPES = frozenset(
    {"phi", "gpt2", "gpt_bigcode", "gpt_neox", "gptj", "falcon", "opt", "bloom", "starcoder2", "mpt"}
)  # two-matrix MLPs (up + down); every other family is gated (gate + up + down)
SLIDING_NOTE = (
    "{n} of {total} layers use {kind} attention ({w} tokens); vLLM 0.8.4 (LMI v15) charges them as full "
    "attention, so the KV figures here do too (vLLM >= 0.10 groups them apart)"
)


def _first(cfg: Mapping[str, Any], *keys: str, default: Any = None) -> Any:
    for key in keys:
        if cfg.get(key) is not None:
            return cfg[key]
    return default


def _require(cfg: Mapping[str, Any], model_id: str, *keys: str) -> int:
    value = _first(cfg, *keys)
    if value is None:
        raise SpecError(
            f"{model_id}: config.json has no {keys[0]}",
            field="model.config",
            value=model_id,
            fix="point model.config at the model's full config.json",
        )
    return int(value)


def _moe(cfg: Mapping[str, Any], layers: int, hidden_inter: int) -> MoE | None:
    experts = _first(
        cfg, "num_local_experts", "n_routed_experts", "num_routed_experts", "num_experts", "moe_num_experts"
    )
    if not experts or int(experts) <= 1:
        return None
    expert_inter = int(_first(cfg, "moe_intermediate_size", "expert_intermediate_size", default=hidden_inter))
    shared = int(_first(cfg, "shared_expert_intermediate_size", default=0))
    shared_count = _first(cfg, "n_shared_experts", "num_shared_experts", default=0)
    if not shared and shared_count:
        shared = int(shared_count) * expert_inter
    if "interleave_moe_layer_step" in cfg:  # Llama 4: a shared expert of intermediate_size in every MoE layer
        shared = shared or expert_inter
    top_k = int(_first(cfg, "num_experts_per_tok", "moe_topk", "top_k", default=2))
    return MoE(int(experts), expert_inter, _count_moe_layers(cfg, layers), shared, top_k)


def _count_moe_layers(cfg: Mapping[str, Any], layers: int) -> int:
    if cfg.get("first_k_dense_replace") is not None:  # DeepSeek V2/V3
        step = int(cfg.get("moe_layer_freq", 1) or 1)
        first = int(cfg["first_k_dense_replace"])
        return sum(1 for i in range(layers) if i >= first and i % step == 0)
    if cfg.get("interleave_moe_layer_step"):  # Llama 4
        step = int(cfg["interleave_moe_layer_step"])
        return sum(1 for i in range(layers) if (i + 1) % step == 0)
    dense_only = set(cfg.get("mlp_only_layers") or [])
    step = int(cfg.get("decoder_sparse_step", 1) or 1)
    return sum(1 for i in range(layers) if i not in dense_only and (i + 1) % step == 0)


def _mla(cfg: Mapping[str, Any]) -> MLA | None:
    if not cfg.get("kv_lora_rank"):
        return None
    return MLA(
        kv_lora_rank=int(cfg["kv_lora_rank"]),
        qk_rope_head_dim=int(cfg.get("qk_rope_head_dim", 64)),
        qk_nope_head_dim=int(cfg.get("qk_nope_head_dim", 128)),
        v_head_dim=int(cfg.get("v_head_dim", 128)),
        q_lora_rank=int(cfg["q_lora_rank"]) if cfg.get("q_lora_rank") else None,
    )


def _sliding_layers(cfg: Mapping[str, Any], layers: int) -> tuple[int | None, int]:
    """(window, number of sliding layers); 0 layers when the model uses full attention everywhere."""
    layer_types = cfg.get("layer_types")
    if isinstance(layer_types, list) and layer_types:
        count = sum(1 for t in layer_types if "sliding" in str(t) or "chunk" in str(t))
        return _first(cfg, "sliding_window", "attention_chunk_size"), count
    if cfg.get("attention_chunk_size") and cfg.get("no_rope_layers"):  # Llama 4: chunked local layers
        return int(cfg["attention_chunk_size"]), sum(1 for x in cfg["no_rope_layers"] if x)
    window = cfg.get("sliding_window")
    if not window or cfg.get("use_sliding_window") is False:
        return None, 0
    pattern = cfg.get("sliding_window_pattern")
    if isinstance(pattern, int) and pattern > 1:  # Gemma 3: every pattern-th layer is global
        return int(window), layers - layers // pattern
    if "Gemma2" in str(cfg.get("architectures")) or cfg.get("model_type") == "gemma2":
        return int(window), layers // 2
    return int(window), layers


def _vision_params(cfg: Mapping[str, Any]) -> int:
    """Rough parameter count of a ViT vision tower (4h^2 attention + 2hi MLP per layer + patch embedding)."""
    vision = cfg.get("vision_config")
    if not isinstance(vision, Mapping):
        return 0
    h = int(_first(vision, "hidden_size", "width", default=0) or 0)
    inter = int(_first(vision, "intermediate_size", default=4 * h) or 4 * h)
    layers = int(_first(vision, "num_hidden_layers", "depth", default=0) or 0)
    patch = int(vision.get("patch_size", 14) or 14)
    text_h = int((cfg.get("text_config") or {}).get("hidden_size", h) or h)
    projector = h * text_h * 2
    return layers * (4 * h * h + 2 * h * inter) + 3 * patch * patch * h + projector


def _text_config(cfg: Mapping[str, Any]) -> Mapping[str, Any]:
    text = cfg.get("text_config")
    if isinstance(text, Mapping):
        merged = {k: v for k, v in cfg.items() if k not in ("text_config", "vision_config")}
        merged.update(text)
        return merged
    return cfg


def checked_shape(cfg: Mapping[str, Any], model_id: str, source: str) -> ModelShape:
    """:func:`shape_from_config` behind the type and range checks of :mod:`deploy.sizing.config_check`.

    Whatever the document holds, the result is a shape with positive dimensions or a SpecError naming ``source``.
    """
    check_config(cfg, source)
    try:
        shape = shape_from_config(cfg, model_id)
    except SpecError:
        raise
    except (TypeError, ValueError, ArithmeticError, AttributeError, KeyError, IndexError) as exc:
        raise SpecError(
            f"{source}: cannot read the model's shape ({type(exc).__name__}: {exc})",
            field="model.config",
            value=source,
            fix="check the model's config.json against the checkpoint it came with",
        ) from None
    for name in ("head_dim", "num_kv_heads"):
        if getattr(shape, name) < 1:
            raise SpecError(
                f"{source}: {name}={getattr(shape, name)} after reading the config (hidden_size smaller than "
                "num_attention_heads?)",
                field="model.config",
                value=f"{name}={getattr(shape, name)}",
                fix="correct head_dim, hidden_size or num_attention_heads in config.json",
            )
    if shape.num_kv_heads > shape.num_attention_heads:
        raise SpecError(
            f"{source}: num_key_value_heads={shape.num_kv_heads} is more than num_attention_heads="
            f"{shape.num_attention_heads}",
            field="model.config",
            value=f"num_key_value_heads={shape.num_kv_heads}",
            fix="correct num_key_value_heads in config.json (at most num_attention_heads)",
        )
    return shape


def shape_from_config(cfg: Mapping[str, Any], model_id: str) -> ModelShape:
    """Build a :class:`ModelShape` from a parsed config.json (multimodal configs included)."""
    text = _text_config(cfg)
    hidden = _require(text, model_id, "hidden_size", "n_embd", "d_model")
    layers = _require(text, model_id, "num_hidden_layers", "n_layer", "num_layers")
    heads = _require(text, model_id, "num_attention_heads", "n_head")
    kv_heads = int(_first(text, "num_key_value_heads", "n_kv_heads", "num_kv_heads", default=heads))
    if text.get("multi_query"):
        kv_heads = 1
    head_dim = int(_first(text, "head_dim", default=0) or hidden // heads)
    inter = int(_first(text, "intermediate_size_mlp", "intermediate_size", "ffn_dim", default=4 * hidden))
    if "intermediate_size_mlp" in text:
        moe_cfg = dict(text)
        moe_cfg.setdefault("moe_intermediate_size", text.get("intermediate_size"))
    else:
        moe_cfg = dict(text)
    window, sliding = _sliding_layers(text, layers)
    notes = []
    if sliding:
        kind = "chunked local" if text.get("attention_chunk_size") else "sliding-window"
        notes.append(SLIDING_NOTE.format(n=sliding, total=layers, w=window, kind=kind))
    mla = _mla(text)
    return ModelShape(
        model_id=model_id,
        architecture=str((cfg.get("architectures") or [cfg.get("model_type", "unknown")])[0]),
        hidden_size=hidden,
        num_layers=layers,
        num_attention_heads=heads,
        num_kv_heads=kv_heads,
        head_dim=head_dim,
        intermediate_size=inter,
        vocab_size=_require(text, model_id, "vocab_size", "padded_vocab_size"),
        max_position_embeddings=_max_positions(text),
        torch_dtype=str(_first(text, "torch_dtype", "dtype", default=_first(cfg, "torch_dtype", default="bfloat16"))),
        tie_word_embeddings=_tied(cfg, text),
        attention_bias=bool(text.get("attention_bias") or "Qwen2" in str(cfg.get("architectures"))),
        gated_mlp=str(text.get("model_type") or cfg.get("model_type") or "") not in UNGATED_MLP_TYPES,
        moe=_moe(moe_cfg, layers, inter),
        mla=mla,
        sliding_window=int(window) if window else None,
        num_sliding_layers=sliding,
        vision_params=_vision_params(cfg),
        auto_map=bool(cfg.get("auto_map")),
        dtype_in_config=_declared_dtype(cfg, text) is not None,
        quantization=parse_quantization(_first(cfg, "quantization_config", default=text.get("quantization_config"))),
        notes=tuple(notes),
    )


def _declared_dtype(cfg: Mapping[str, Any], text: Mapping[str, Any]) -> str | None:
    """torch_dtype as config.json states it (text config first, as vLLM's _get_and_verify_dtype reads it)."""
    value = _first(text, "torch_dtype", "dtype", default=_first(cfg, "torch_dtype", default=None))
    return str(value).lower() if value else None


def _tied(cfg: Mapping[str, Any], text: Mapping[str, Any]) -> bool:
    """tie_word_embeddings, defaulting like transformers does per family (Gemma ties, Llama/Qwen do not)."""
    value = _first(text, "tie_word_embeddings", default=cfg.get("tie_word_embeddings"))
    if value is None:
        family = str(text.get("model_type") or cfg.get("model_type") or "")
        return family.startswith("gemma")
    return bool(value)


def _max_positions(cfg: Mapping[str, Any]) -> int | None:
    """The longest max_model_len vLLM accepts: the smallest position limit, times the RoPE scaling factor.

    Like vLLM, "llama3", "longrope" and "su" scaling do not extend the limit (nor Gemma 3's); YaRN scales its
    original length.
    """
    limits = [int(cfg[k]) for k in POSITION_KEYS if isinstance(cfg.get(k), (int, float)) and cfg[k] > 0]
    if not limits:
        return None
    limit = min(limits)
    rope = cfg.get("rope_scaling")
    if str(cfg.get("model_type", "")).startswith("gemma3"):
        rope = None  # vLLM keeps Gemma 3's max_position_embeddings as is (its linear factor is for global layers)
    if isinstance(rope, Mapping) and rope.get("factor"):
        kind = str(rope.get("rope_type") or rope.get("type") or "")
        if kind not in ("su", "longrope", "llama3", "default", "mrope"):
            if kind == "yarn" and rope.get("original_max_position_embeddings"):
                limit = int(rope["original_max_position_embeddings"])
            limit = int(limit * float(rope["factor"]))
    return limit
