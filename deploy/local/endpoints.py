"""Endpoint lifecycle: Creating -> InService | Failed, Updating (blue/green) and Deleting, on a settable clock.

Rule: state advances lazily. Every request to the emulator first calls :meth:`EndpointRegistry.tick`, which
finishes each operation whose due time has passed (``phase seconds x time_scale``); nothing runs in the
background, so a test with ``time_scale=0`` sees a finished operation on its next call, and a frozen registry
(``freeze()``) keeps operations pending until ``release()``. During an update the old containers keep serving
until the new ones are healthy; a failed update rolls back to the old configuration with a FailureReason, as
SageMaker's blue/green deployment does. moto's ``FakeEndpoint`` stays the record that describe/list calls read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from deploy.local import backends, component_lifecycle
from deploy.local.container import Container, start_variant
from deploy.local.ic_model import ComponentStore

PHASE_SECONDS = {"create": 6.0, "update": 6.0, "delete": 2.0}
OpKind = Literal["create", "update", "delete"]


@dataclass
class Operation:
    kind: OpKind
    due: float
    config_name: str
    containers: list[Container] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(c.ok for c in self.containers)

    @property
    def failure_reason(self) -> str | None:
        return next((c.failure_reason for c in self.containers if not c.ok), None)


@dataclass
class EndpointRecord:
    region: str
    name: str
    serving_config: str | None = None
    serving: list[Container] = field(default_factory=list)
    pending: Operation | None = None


class EndpointRegistry:
    """All emulated endpoints, their pending operations and the clock that finishes them."""

    def __init__(self, time_scale: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.time_scale = time_scale
        self.clock = clock
        self.lock = threading.RLock()
        self.frozen = False
        self.records: dict[tuple[str, str], EndpointRecord] = {}
        self.components = ComponentStore(lambda: self.time_scale)  # inference components and their fleets

    def _due(self, kind: OpKind) -> float:
        return self.clock() + PHASE_SECONDS[kind] * self.time_scale

    def get(self, region: str, name: str) -> EndpointRecord | None:
        return self.records.get((region, name))

    def begin(self, region: str, name: str, kind: OpKind, config_name: str) -> Operation:
        """Start an operation; create/update start the containers of ``config_name`` right away."""
        record = self.records.setdefault((region, name), EndpointRecord(region, name))
        containers = [] if kind == "delete" else self._start_containers(region, name, config_name)
        record.pending = Operation(kind, self._due(kind), config_name, containers)
        return record.pending

    def _start_containers(self, region: str, name: str, config_name: str) -> list[Container]:
        config = backends.sagemaker(region).describe_endpoint_config(config_name)
        variants = [v for v in config["ProductionVariants"] if v.get("ModelName")]  # none: components host models
        return [start_variant(region, name, config_name, v) for v in variants]

    def tick(self) -> None:
        """Finish every operation whose time has come (no-op while frozen)."""
        with self.lock:
            if self.frozen:
                return
            now = self.clock()
            for key, record in list(self.records.items()):
                if record.pending is not None and record.pending.due <= now:
                    self._finish(key, record, record.pending)
            component_lifecycle.tick(self.components, now, self.records.keys())

    def _finish(self, key: tuple[str, str], record: EndpointRecord, op: Operation) -> None:
        record.pending = None
        endpoint = backends.sagemaker(record.region).endpoints.get(record.name)
        if endpoint is None:
            self.records.pop(key, None)
            return
        if op.kind == "delete":
            _delete_endpoint(record.region, record.name)
            self.records.pop(key, None)
            return
        if op.healthy:
            record.serving, record.serving_config = op.containers, op.config_name
            _set_status(endpoint, "InService", None)
            if op.kind == "update":
                _switch_config(record.region, endpoint, op.config_name)
        elif op.kind == "create":
            _set_status(endpoint, "Failed", op.failure_reason)
        else:  # blue/green rollback: the old fleet keeps serving
            _set_status(endpoint, "InService", op.failure_reason)

    def serving_container(self, region: str, name: str, variant: str | None = None) -> Container | None:
        """The container that answers an invocation now (the old one while an update is in progress)."""
        record = self.get(region, name)
        if record is not None and name not in backends.sagemaker(region).endpoints:  # moto was reset meanwhile
            self.records.pop((region, name), None)
            return None
        if record is None or not record.serving:
            return None
        if variant:
            return next((c for c in record.serving if c.variant_name == variant), None)
        return record.serving[0]

    def reset(self) -> None:
        with self.lock:
            self.records.clear()
            self.components.reset()
            self.frozen = False


def _set_status(endpoint: Any, status: str, failure_reason: str | None) -> None:
    from moto.core.utils import utcnow

    endpoint.endpoint_status = status
    endpoint.failure_reason = failure_reason
    endpoint.pending_deployment_summary = None
    endpoint.last_modified_time = utcnow()


def _switch_config(region: str, endpoint: Any, config_name: str) -> None:
    config = backends.sagemaker(region).describe_endpoint_config(config_name)
    endpoint.endpoint_config_name = config_name
    endpoint.production_variants = endpoint._process_production_variants(config["ProductionVariants"])


def _delete_endpoint(region: str, name: str) -> None:
    """Remove the endpoint and, as SageMaker does, deregister its scalable targets and their policies."""
    backends.sagemaker(region).endpoints.pop(name, None)
    aas = backends.autoscaling(region)
    prefix = f"endpoint/{name}/variant/"
    for dimension in list(aas.targets):
        for resource_id in [r for r in aas.targets[dimension] if r.startswith(prefix)]:
            del aas.targets[dimension][resource_id]
    for key, policy in list(aas.policies.items()):
        if policy.resource_id.startswith(prefix):
            del aas.policies[key]
