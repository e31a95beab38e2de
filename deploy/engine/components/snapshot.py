"""What exists now for one component endpoint, frozen: what observe reads and plan compares. Pure data, no AWS."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from deploy.engine.snapshot import EndpointState
from deploy.records import record

__all__ = ["ComponentEndpointSnapshot", "ComponentState"]


@record
class ComponentState:
    """The parts of DescribeInferenceComponent (+ tags, scaling, alarm) plan needs."""

    name: str
    arn: str
    status: str
    model_name: str
    specification: dict[str, Any] = field(default_factory=dict)
    desired_copies: int | None = None
    current_copies: int | None = None
    failure_reason: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    scaling_target: dict[str, Any] | None = None
    scaling_policies: tuple[dict[str, Any], ...] = ()
    alarm: dict[str, Any] | None = None

    @property
    def resource_id(self) -> str:
        return f"inference-component/{self.name}"


@record
class ComponentEndpointSnapshot:
    """What exists now for one component endpoint name (components: the managed ICs on it)."""

    endpoint_name: str
    endpoint: EndpointState | None = None
    config: dict[str, Any] | None = None  # the serving config's first variant
    models: tuple[str, ...] = ()
    configs: tuple[str, ...] = ()
    components: tuple[ComponentState, ...] = ()
    foreign_components: tuple[str, ...] = ()  # ICs on the endpoint without our tags: never touched
    taken_elsewhere: dict[str, str] = field(default_factory=dict)  # desired IC name -> the other endpoint holding it
    artifact_digests: dict[str, str | None] = field(default_factory=dict)  # upload uri -> last complete digest
    artifact_uri: str | None = None
    bucket_exists: dict[str, bool] = field(default_factory=dict)
    region: str = ""

    @property
    def instance_type(self) -> str | None:
        return str(self.config["InstanceType"]) if self.config and self.config.get("InstanceType") else None

    @property
    def is_empty(self) -> bool:
        return self.endpoint is None and not self.models and not self.configs and not self.components

    def component(self, ic_name: str) -> ComponentState | None:
        return next((c for c in self.components if c.name == ic_name), None)
