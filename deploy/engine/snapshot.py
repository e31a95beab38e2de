"""What exists now for one endpoint, frozen: the snapshot observe reads and plan compares. Pure data, no AWS.

Its own module so that plan (pure) depends on the shape of what was observed, not on the code that observes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["EndpointState", "RemoteSnapshot"]


@dataclass(frozen=True)
class EndpointState:
    """The parts of DescribeEndpoint (+ tags) plan needs."""

    name: str
    arn: str
    status: str
    config_name: str
    pending_config_name: str | None = None
    failure_reason: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    created: datetime | None = None
    instance_counts: tuple[int, ...] = ()


@dataclass(frozen=True)
class RemoteSnapshot:
    """What exists now for one endpoint name."""

    endpoint_name: str
    endpoint: EndpointState | None = None
    instance_type: str | None = None
    models: tuple[str, ...] = ()
    configs: tuple[str, ...] = ()
    scaling_target: dict[str, Any] | None = None
    scaling_policies: tuple[dict[str, Any], ...] = ()
    alarm: dict[str, Any] | None = None
    artifact_digest: str | None = None
    artifact_uri: str | None = None
    bucket_exists: bool | None = None
    region: str = ""
    is_async: bool = False  # the serving config has an AsyncInferenceConfig
    hosts_components: bool = False  # the serving config's variant names no model: inference components share it

    @property
    def is_empty(self) -> bool:
        return self.endpoint is None and not self.models and not self.configs and self.scaling_target is None
