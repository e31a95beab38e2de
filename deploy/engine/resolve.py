"""resolve: fill every ``auto`` of a spec from the model's shape and the instance's GPUs.

Rule: no AWS. The model shape comes from ``model.config``, a local model directory, the Hugging Face Hub (read
through deploy.sizing, cached per commit so a repeat plan works offline) or the bundled library. A Hub model that
none of these can give is an error (exit 2, with the fix); an ``s3://`` model without ``model.config`` falls back
to documented defaults with a note, because its shape cannot be known before AWS is reached. A gated or private
Hub model without ``model.hf_token`` is refused: its container could not download it. The Hub commit that was
sized is recorded (``ResolvedSpec.model_sha``, the plan, the ``lmi-deploy:model-sha`` tag).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import field
from typing import TYPE_CHECKING, Any

from deploy.errors import SpecError
from deploy.records import record

if TYPE_CHECKING:
    from deploy.sizing import Estimate, ModelShape
    from deploy.spec.model import DeploymentSpec

ENGINE_FIELDS = {
    "tensor_parallel_degree",
    "max_model_len",
    "max_rolling_batch_size",
    "dtype",
    "quantize",
    "kv_cache_dtype",
    "gpu_memory_utilization",
    "max_num_batched_tokens",
}
UNKNOWN_SHAPE_BATCH = 256  # vLLM's own max_num_seqs default; LMI async mode would silently use 32


@record
class ResolvedSpec:
    """A spec with no ``auto`` left; ``notes`` explains every value that was chosen rather than given."""

    spec: DeploymentSpec
    tensor_parallel_degree: int
    max_model_len: int | None
    max_rolling_batch_size: int
    estimate: Estimate | None = None
    notes: tuple[str, ...] = ()
    spec_hash: str = ""
    shape: ModelShape | None = field(default=None, repr=False)
    dtype: str | None = None  # rendered instead of engine.dtype=auto when vLLM's auto would fail on the GPU

    @property
    def model_sha(self) -> str | None:
        """The Hub commit the shape was read from (None for local, S3 or bundled-only shapes)."""
        return self.shape.hub.sha if self.shape is not None and self.shape.hub is not None else None

    @property
    def region(self) -> str:
        """The region the spec is resolved for (:func:`resolve` sets one; a hand-built one gets the default)."""
        from deploy.catalog import DEFAULT_SPEC_REGION

        return self.spec.region or DEFAULT_SPEC_REGION

    @property
    def copies_per_instance(self) -> int:
        """Model copies LMI starts per instance (GPUs / tp)."""
        from deploy.catalog import get_instance

        return max(1, get_instance(self.spec.instance.type).gpu_count // self.tensor_parallel_degree)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.spec.name,
            "spec_hash": self.spec_hash,
            "model_sha": self.model_sha,
            "model_sources": list(self.shape.sources) if self.shape is not None else [],
            "tensor_parallel_degree": self.tensor_parallel_degree,
            "max_model_len": self.max_model_len,
            "max_rolling_batch_size": self.max_rolling_batch_size,
            "notes": list(self.notes),
            "estimate": self.estimate.to_dict() if self.estimate is not None else None,
        }


def spec_hash(spec: DeploymentSpec) -> str:
    """A stable 12-hex-digit hash of the spec's canonical JSON (what CI compares against deployed tags)."""
    canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def resolve(spec: DeploymentSpec, *, shape: ModelShape | None = None) -> ResolvedSpec:
    """Resolve ``spec``; raises FitError (exit 2) when the model cannot fit the instance as configured.

    A spec without ``region`` that reaches here directly (not through :mod:`deploy.client`, which chooses one) is
    resolved for the default region, the last step of :mod:`deploy.aws.region`'s order.
    """
    if spec.region is None:
        from deploy.catalog import DEFAULT_SPEC_REGION

        spec = spec.in_region(DEFAULT_SPEC_REGION)
    if shape is None:
        shape = find_shape(spec)
    if shape is None:
        return _resolve_without_shape(spec)
    return _resolve_with_shape(spec, shape)


def find_shape(spec: DeploymentSpec) -> ModelShape | None:
    """The model's shape from model.config, a local directory, the Hub or the bundled library; None for S3."""
    from deploy.sizing import load_shape

    ref = spec.model.config or (spec.model.id if spec.model.kind != "s3" else None)
    if ref is None:
        return None
    token = hf_token_value(spec)
    try:
        shape = load_shape(ref, revision=spec.model.revision, token=token)
    except SpecError as exc:
        if spec.model.config:
            exc.field = "model.config"  # the path that failed is model.config's, not model.id's
        if spec.model.hf_token and token is None and exc.field == "model.hf_token":
            raise _unset_token(spec, exc) from None
        raise
    _refuse_gated_without_token(spec, shape)
    return shape


def _unset_token(spec: DeploymentSpec, exc: SpecError) -> SpecError:
    """The Hub refused a read that had no token because model.hf_token names an unset variable: say that."""
    name = str(spec.model.hf_token).partition(":")[2]
    return SpecError(
        f"{exc.message}; model.hf_token refers to ${name}, which is not set here",
        field="model.hf_token",
        value=spec.model.hf_token,
        fix=f"export {name}=<a token that may read the model> before validate/plan/deploy",
    )


def hf_token_value(spec: DeploymentSpec) -> str | None:
    """The one place the spec's Hugging Face token is turned into a value (for Hub reads; never printed).

    ``model.hf_token`` is a reference (``env:NAME``); an unset variable gives None, and the Hub then answers as
    for no token (a gated model is refused with the fix).
    """
    ref = spec.model.hf_token
    if not ref:
        return None
    scheme, _, name = str(ref).partition(":")
    return (os.environ.get(name) or None) if scheme == "env" and name else None


def _refuse_gated_without_token(spec: DeploymentSpec, shape: ModelShape) -> None:
    """A gated or private Hub model needs model.hf_token: without it the container's download fails (401)."""
    if spec.model.hf_token or shape.hub is None or not shape.hub.needs_token or spec.model.kind != "hub":
        return
    from deploy.sizing.hub import model_page

    what = "private" if shape.hub.private and not shape.hub.gated else "gated"
    page = model_page(shape.hub.repo_id)
    raise SpecError(
        f"model {shape.hub.repo_id!r} is {what} on the Hugging Face Hub: the container cannot download it "
        "without a token",
        field="model.hf_token",
        value=None,
        fix=f"accept the licence at {page}, then set model.hf_token: env:HF_TOKEN (exported where you deploy)",
    )


def _engine_args(spec: DeploymentSpec) -> dict[str, Any]:
    from deploy.catalog import lmi_version
    from deploy.sizing.params import vllm_engine

    engine = spec.engine
    return {
        "gpu_memory_utilization": engine.gpu_memory_utilization,
        "dtype": engine.dtype,
        "quantize": engine.quantize,
        "kv_cache_dtype": engine.kv_cache_dtype,
        "max_num_batched_tokens": engine.max_num_batched_tokens,
        "vllm_version": lmi_version(spec.lmi.version).vllm_version,
        "engine": vllm_engine(engine.env),
        "trust_remote_code": spec.model.trust_remote_code,
        "options": dict(engine.options),
    }


def _auto(value: int | str) -> int | None:
    return value if isinstance(value, int) else None


def _resolve_with_shape(spec: DeploymentSpec, shape: ModelShape) -> ResolvedSpec:
    from deploy.sizing import Hardware, resolve_engine

    engine = spec.engine
    _refuse_moe_lora(spec, shape)
    try:
        resolution = resolve_engine(
            shape,
            Hardware.from_instance(spec.instance.type),
            tensor_parallel_degree=_auto(engine.tensor_parallel_degree),
            max_model_len=_auto(engine.max_model_len),
            max_num_seqs=_auto(engine.max_rolling_batch_size),
            **_engine_args(spec),
        )
    except SpecError as exc:
        if exc.field in ENGINE_FIELDS:  # sizing names bare engine settings; the spec nests them
            exc.field = f"engine.{exc.field}"
        raise
    return ResolvedSpec(
        spec=spec,
        tensor_parallel_degree=resolution.tensor_parallel_degree,
        max_model_len=resolution.max_model_len,
        max_rolling_batch_size=resolution.max_rolling_batch_size,
        estimate=resolution.estimate,
        dtype=resolution.dtype,
        notes=tuple(resolution.notes) + _sha_notes(spec, shape),
        spec_hash=spec_hash(spec),
        shape=shape,
    )


def _refuse_moe_lora(spec: DeploymentSpec, shape: ModelShape) -> None:
    """``enable_lora`` on a mixture-of-experts model needs the later LMI version, as a MoE base's adapters do."""
    from deploy.spec.lora_support import ASYNC_MOE_LORA_SINCE, lora_enabled, moe_lora_problem

    if shape.moe is None or not lora_enabled(spec.engine.options):
        return
    value = spec.engine.options["enable_lora"]
    problem = moe_lora_problem(spec.lmi.version, f"engine.options.enable_lora={value!r}", spec.model.id)
    if problem is not None:
        fix = f"set lmi.version: {ASYNC_MOE_LORA_SINCE}"
        raise SpecError(problem, field="engine.options.enable_lora", value=value, fix=fix)


def _sha_notes(spec: DeploymentSpec, shape: ModelShape) -> tuple[str, ...]:
    """Say which Hub commit was sized, and how to make the container load exactly that one."""
    if shape.hub is None or not shape.hub.sha or spec.model.kind != "hub":
        return ()
    sha = shape.hub.sha
    if spec.model.revision == sha:
        return (f"sized commit {sha} (model.revision pins it)",)
    asked = f"model.revision {spec.model.revision!r}" if spec.model.revision else "main"
    return (f"sized commit {sha} ({asked} today); set model.revision: {sha} so the container loads exactly it",)


def _resolve_without_shape(spec: DeploymentSpec) -> ResolvedSpec:
    from deploy.catalog import get_instance

    engine = spec.engine
    notes = [
        f"model shape of {spec.model.id!r} is unknown offline, so nothing was sized; add model.config "
        "(a local config.json) to check the fit before deploying"
    ]
    tp = _auto(engine.tensor_parallel_degree)
    if tp is None:
        tp = get_instance(spec.instance.type).gpu_count
        notes.append(f"tensor_parallel_degree=auto -> {tp} (all GPUs, LMI's own default `max`)")
    max_len = _auto(engine.max_model_len)
    if max_len is None:
        notes.append("max_model_len=auto -> not rendered: vLLM takes the model's maximum (may not fit the KV cache)")
    batch = _auto(engine.max_rolling_batch_size)
    if batch is None:
        batch = UNKNOWN_SHAPE_BATCH
        notes.append(f"max_rolling_batch_size=auto -> {batch} (vLLM's default; LMI async would silently use 32)")
    return ResolvedSpec(
        spec=spec,
        tensor_parallel_degree=tp,
        max_model_len=max_len,
        max_rolling_batch_size=batch,
        notes=tuple(notes),
        spec_hash=spec_hash(spec),
    )
