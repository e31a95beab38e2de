"""A Hub model id -> ModelShape: the Hub when it answers (or its cached answer), else the bundled library.

Precedence (documented in docs/sizing.md): ``model.config`` / ``--config`` > a local path > the Hub (read now, or
the cached answer for the same commit when offline or unreachable) > the bundled library. When both the Hub and the
bundled library know a model, the Hub's config.json is used (it is what the container downloads) and the bundled
file is checked against it: every differing field is named in a warning. Exact weight bytes come from the Hub's
safetensors headers when it has them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from deploy.sizing.config import shape_from_config
from deploy.sizing.shape import HubRef, ModelShape

if TYPE_CHECKING:
    from deploy.sizing.hub import HubModel

COMPARED_FIELDS = (
    "architecture",
    "hidden_size",
    "num_layers",
    "num_attention_heads",
    "num_kv_heads",
    "head_dim",
    "intermediate_size",
    "vocab_size",
    "max_position_embeddings",
    "tie_word_embeddings",
    "moe",
    "mla",
    "sliding_window",
)


def shape_from_hub(model: HubModel) -> ModelShape:
    """The shape of one Hub commit: its config.json, exact bytes and dtypes from its safetensors headers."""
    shape = shape_from_config(model.config, model.repo_id)
    at = f"{model.repo_id}@{model.sha}"
    shape = shape.with_notes(f"shape from the Hub: {at} config.json").with_sources(f"hub {at} (config.json)")
    if model.note:
        shape = shape.with_notes(model.note)
    if model.weights is None:
        shape = shape.with_notes("no safetensors files in the Hub repo: weight bytes estimated from config.json")
    else:
        w = model.weights
        dtypes = ", ".join(f"{d} {n:,}" for d, n in w.dtypes.items())
        shape = replace(
            shape, exact_weight_bytes=w.bytes, weight_bytes_source=f"safetensors headers on the Hub ({dtypes})"
        ).with_sources(f"headers {len(w.files)} safetensors file(s), {w.tensors:,} tensors, {w.bytes:,} bytes")
    ref = HubRef(
        repo_id=model.repo_id,
        sha=model.sha,
        revision=model.revision,
        gated=model.gated,
        private=model.private,
        library_name=model.library_name,
        pipeline_tag=model.pipeline_tag,
        origin=model.origin,
    )
    return replace(shape, hub=ref)


def differences(bundled: ModelShape, hub: ModelShape) -> list[str]:
    """``field bundled-value vs hub-value`` for each architecture field the two disagree on."""
    out = []
    for name in COMPARED_FIELDS:
        mine, theirs = getattr(bundled, name), getattr(hub, name)
        if mine != theirs:
            out.append(f"{name} {mine} (bundled) vs {theirs} (Hub)")
    q_mine = bundled.quantization.method if bundled.quantization else None
    q_theirs = hub.quantization.method if hub.quantization else None
    if q_mine != q_theirs:
        out.append(f"quantization {q_mine} (bundled) vs {q_theirs} (Hub)")
    return out


def checked_against_bundled(hub: ModelShape, bundled: ModelShape, bundled_file: str) -> ModelShape:
    """The Hub's shape, with a note that the bundled file agrees or a warning naming what differs."""
    sha = hub.hub.sha[:12] if hub.hub and hub.hub.sha else "?"
    diffs = differences(bundled, hub)
    if diffs:
        hub = replace(
            hub,
            warnings=(
                *hub.warnings,
                f"the bundled library's {bundled_file} differs from the Hub's config.json at {sha}: "
                + "; ".join(diffs)
                + " - sized with the Hub's",
            ),
        )
    else:
        hub = hub.with_notes(f"the bundled library's {bundled_file} agrees with the Hub's config.json at {sha}")
    if hub.exact_weight_bytes and bundled.exact_weight_bytes and hub.exact_weight_bytes != bundled.exact_weight_bytes:
        hub = hub.with_notes(
            f"weight bytes: {hub.exact_weight_bytes:,} from the Hub's headers, {bundled.exact_weight_bytes:,} from "
            "the bundled _parameters; the headers are used"
        )
    return hub.with_sources(f"bundled {bundled_file} (checked)")


def bundled_fallback(
    bundled: ModelShape, reason: str, *, gated: bool = False, ref: str = "", missing: bool = False
) -> ModelShape:
    """The bundled shape when the Hub could not be read, saying why (and that a gated model needs a token).

    ``missing``: the Hub (e.g. a mirror behind HF_ENDPOINT) does not have the model; the container downloads from
    its own Hub, so the bundled shape is used with a warning rather than refused.
    """
    if missing:
        return replace(bundled, warnings=(*bundled.warnings, f"{reason}: sized from the bundled library"))
    shape = bundled.with_notes(f"{reason}: sized from the bundled library")
    if gated:
        shape = replace(
            shape,
            hub=HubRef(repo_id=ref or bundled.model_id, sha=None, gated=True, origin="refused"),
            warnings=(*shape.warnings, f"{reason}; deploying it needs model.hf_token"),
        )
    return shape
