"""The component-endpoint spec: one SageMaker endpoint whose capacity is shared by inference components (ICs).

Why a second top-level document and not optional fields on :class:`DeploymentSpec`: a single-model endpoint and a
component endpoint differ in what the endpoint config holds (a model, or only capacity), in who owns scaling (the
variant, or each component) and in what can scale to zero. Keeping two types means every stage states which one it
handles, and mypy finds the stage that forgot. Each component is sized and rendered exactly like a single-model
spec: :func:`component_view` turns it into a :class:`DeploymentSpec` that the estimator and the renderer already
understand, so the two modes cannot drift apart.

A document with ``components`` is parsed by :func:`deploy.spec.loader.parse_any_spec` into this type; one with
``model`` into :class:`DeploymentSpec`; one with both is refused.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from deploy.spec.component_views import adapter_component_name, inference_component_name, view_data, view_error
from deploy.spec.model import (
    INT32_MAX,
    ArtifactSettings,
    Count,
    DeploymentSpec,
    EndpointSpecBase,
    EngineSettings,
    InstanceSettings,
    LmiSettings,
    ModelSource,
    Number,
    SecuritySettings,
    _Model,
    _RaisesSpecError,
    check_user_tags,
)

__all__ = [
    "AdapterSpec",
    "ComponentEndpointSpec",
    "ComponentScaling",
    "ComponentSpec",
    "EndpointCapacity",
    "LoraSettings",
    "adapter_component_name",
    "component_view",
    "inference_component_name",
    "view_data",
]

COMPONENT_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")  # same alphabet as SageMaker resource names


class ComponentScaling(_Model):
    """Target tracking of one component's copy count (Application Auto Scaling, ``inference-component/<ic>``)."""

    min: Count = Field(1, ge=0, le=INT32_MAX, description="Minimum copies; 0 = scale to zero when idle.")
    max: Count = Field(4, ge=1, le=INT32_MAX, description="Maximum copies.")
    metric: Literal["concurrent_requests", "invocations_per_copy"] = Field(
        "concurrent_requests",
        description="concurrent_requests (high-resolution ConcurrentRequestsPerCopy, reacts in seconds) or "
        "invocations_per_copy (per minute).",
    )
    target: Number = Field(4.0, gt=0, description="Target value of the metric per copy.")
    scale_in_cooldown_s: Count = Field(300, ge=0, le=86400, description="Seconds between scale-in steps.")
    scale_out_cooldown_s: Count = Field(60, ge=0, le=86400, description="Seconds between scale-out steps.")

    @model_validator(mode="after")
    def _min_le_max(self) -> ComponentScaling:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max}); set min <= max")
        return self


class AdapterSpec(_Model):
    """A LoRA adapter served on top of its base component (an adapter inference component)."""

    name: str = Field(description="Adapter name, unique within its component.", examples=["sql-lora"])
    source: str = Field(description="s3:// prefix holding the adapter weights.", examples=["s3://bucket/lora/sql/"])


LORA_RANKS = (8, 16, 32, 64, 128, 256)  # vLLM's accepted max_lora_rank values (0.10 and later; 0.8.4 the same)


class LoraSettings(_Model):
    """vLLM's LoRA slots on a component with adapters (``option.max_loras``/``max_lora_rank``); counted in the fit."""

    max_loras: Count = Field(
        4, ge=1, le=256, description="Adapters one batch can use at once (GPU slots; LMI's default 4)."
    )
    max_lora_rank: Count = Field(16, description="Largest adapter rank accepted: 8, 16, 32, 64, 128 or 256.")

    @field_validator("max_lora_rank")
    @classmethod
    def _known_rank(cls, value: int) -> int:
        if value not in LORA_RANKS:
            raise ValueError(
                f"max_lora_rank={value} is not one vLLM accepts; use one of {', '.join(map(str, LORA_RANKS))}"
            )
        return value


class ComponentSpec(_Model):
    """One model hosted on the endpoint as an inference component, with its own copies and scaling."""

    name: str = Field(description="Component name, unique per endpoint; the IC is named <endpoint>-<name>.")
    model: ModelSource
    engine: EngineSettings = Field(default_factory=lambda: EngineSettings())
    copies: Count = Field(1, ge=1, le=INT32_MAX, description="Copies to start with (RuntimeConfig.CopyCount).")
    scaling: ComponentScaling | None = Field(None, description="Copy autoscaling; omit for a fixed copy count.")
    adapters: list[AdapterSpec] = Field(default_factory=lambda: [], description="LoRA adapters on this component.")
    lora: LoraSettings = Field(
        default_factory=lambda: LoraSettings(), description="LoRA slots (used only when adapters are given)."
    )

    @field_validator("name")
    @classmethod
    def _component_name(cls, value: str) -> str:
        if not COMPONENT_NAME.fullmatch(value):
            raise ValueError(
                f"{value[:70]!r} is not a valid component name ({len(value)} characters); use letters, digits "
                "and hyphens, start and end with a letter or digit, at most 63 characters"
            )
        return value


class EndpointCapacity(_Model):
    """Instance bounds of the shared variant (ManagedInstanceScaling); min 0 lets an idle endpoint cost nothing."""

    min: Count = Field(1, ge=0, le=INT32_MAX, description="Minimum instances (0 allowed with components).")
    max: Count = Field(1, ge=1, le=INT32_MAX, description="Maximum instances.")

    @model_validator(mode="after")
    def _min_le_max(self) -> EndpointCapacity:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max}); set min <= max")
        return self


class ComponentEndpointSpec(EndpointSpecBase, metaclass=_RaisesSpecError):
    """One SageMaker endpoint whose instances host several inference components."""

    lmi: LmiSettings = Field(default_factory=lambda: LmiSettings())
    instance: InstanceSettings = Field(default_factory=lambda: InstanceSettings())
    scaling: EndpointCapacity | None = Field(None, description="Instance bounds; omit for a fixed instance count.")
    routing: Literal["least_outstanding_requests", "random"] = Field(
        "least_outstanding_requests", description="RoutingConfig.RoutingStrategy of the variant."
    )
    security: SecuritySettings = Field(default_factory=lambda: SecuritySettings())
    delivery: Literal["properties", "env"] = Field("properties", description="As for a single-model spec.")
    artifacts: ArtifactSettings = Field(default_factory=lambda: ArtifactSettings())
    tags: dict[str, str] = Field(default_factory=lambda: {}, description="Tags on every resource lmi-deploy creates.")
    components: list[ComponentSpec] = Field(min_length=1, description="The models hosted on this endpoint.")

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        return check_user_tags(value)

    @model_validator(mode="after")
    def _unique_components(self) -> ComponentEndpointSpec:
        # SageMaker resource names are case-insensitive (their ARNs are lower-cased): 'qwen' and 'QWEN' collide.
        seen: dict[str, int] = {}
        for index, component in enumerate(self.components):
            first = seen.setdefault(component.name.lower(), index)
            if first != index:
                raise ValueError(
                    f"components.{index}.name={component.name!r}: a component name used twice (components.{first}"
                    f".name={self.components[first].name!r}; SageMaker names ignore case); give every component a "
                    "different name"
                )
        return self

    @model_validator(mode="after")
    def _component_rules(self) -> ComponentEndpointSpec:
        from deploy.spec.component_rules import check_endpoint

        check_endpoint(self)
        return self


def component_view(spec: ComponentEndpointSpec, component: ComponentSpec) -> DeploymentSpec:
    """The component as a single-model spec, so sizing, rendering and the model body are shared with that mode.

    The view is named after the IC; it carries no endpoint scaling (components scale by copies) and no update
    policy (ICs roll on their own).
    """
    try:
        return DeploymentSpec.model_validate(view_data(spec, component))
    except ValidationError as exc:
        index = next((i for i, c in enumerate(spec.components) if c is component), None)
        raise view_error(exc, index if index is not None else component.name) from None
