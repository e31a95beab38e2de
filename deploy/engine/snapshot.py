"""What exists now for one endpoint, frozen: the snapshot observe reads and plan compares. Pure data, no AWS.

Its own module so that plan (pure) depends on the shape of what was observed, not on the code that observes it.
"""

from __future__ import annotations

from dataclasses import field
from datetime import datetime
from typing import Any

from deploy.records import record

__all__ = ["EndpointState", "RemoteSnapshot", "ServingState"]


@record
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
    last_deployment_config: dict[str, Any] | None = None


@record
class ServingState:
    """What the endpoint serves now, as the field-level diff of ``plan`` compares it (read by observe).

    ``environment`` never holds a secret: the values of secret variables are replaced by their keyed fingerprints
    in ``secret_fingerprints`` (the same HMAC the desired model carries), so a plan can tell a rotated token from
    an unchanged one without the value ever leaving observe. ``properties`` is the serving.properties the
    container reads (from the model's S3 prefix; None when there is none or it cannot be read).
    """

    image: str | None = None
    environment: dict[str, str] = field(default_factory=dict)
    secret_fingerprints: dict[str, str] = field(default_factory=dict)
    model_data: str | None = None
    properties: str | None = None
    variant: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)  # ExecutionRoleArn, EnableNetworkIsolation, VpcConfig
    config: dict[str, Any] = field(default_factory=dict)  # KmsKeyId, AsyncInferenceConfig
    deployment_config: dict[str, Any] | None = None  # DescribeEndpoint's LastDeploymentConfig, when AWS gives it


@record
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
    serving: ServingState | None = None  # what the endpoint serves (None without an endpoint)
    prices: dict[str, float | None] = field(default_factory=dict)  # $/h of the serving and desired types here

    @property
    def is_empty(self) -> bool:
        return self.endpoint is None and not self.models and not self.configs and self.scaling_target is None
