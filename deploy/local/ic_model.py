"""Inference components in the emulator: the records (components, the instances of a component endpoint, the
copies placed on them) and the store that owns them.

Rule: this is plain state with no AWS calls and no imports of the rest of the emulator, so the endpoint registry
can own one store and tick it with its own clock. Time is the registry's monotonic clock; phases last
``IC_SECONDS[kind] x time_scale`` (0 in tests: finished on the next request). A copy is *current* once its
instance has launched and its model has loaded (``ready_at`` passed); a copy that no instance can hold is not
recorded at all: it is simply pending (desired minus placed).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from deploy.records import record


def wall_clock() -> dt.datetime:
    """Creation and modification times: timezone-aware UTC (compared with the clients' list filters)."""
    return dt.datetime.now(dt.timezone.utc)


IC_SECONDS = {"create": 6.0, "update": 6.0, "delete": 2.0, "launch": 8.0, "load": 4.0}
PhaseKind = Literal["create", "update", "delete"]


@record
class Resources:
    """Accelerators, vCPUs and host memory (MB): what one instance offers or one copy needs."""

    gpus: int
    vcpus: float
    memory_mb: int

    def fits_in(self, other: Resources) -> bool:
        return self.gpus <= other.gpus and self.vcpus <= other.vcpus + 1e-9 and self.memory_mb <= other.memory_mb

    def minus(self, other: Resources) -> Resources:
        return Resources(self.gpus - other.gpus, self.vcpus - other.vcpus, self.memory_mb - other.memory_mb)


@dataclass
class Copy:
    component: str
    need: Resources
    ready_at: float


@dataclass
class Instance:
    instance_id: str
    ready_at: float  # launched (a new instance of a scaling-out fleet is still booting before this)
    copies: list[Copy] = field(default_factory=list)
    hosted: bool = False  # has held a copy: only such an instance is released when it empties

    def free(self, capacity: Resources) -> Resources:
        left = capacity
        for copy in self.copies:
            left = left.minus(copy.need)
        return left


@dataclass
class Fleet:
    """The instances of one component endpoint's variant, with managed instance scaling's bounds."""

    region: str
    endpoint: str
    variant: str
    instance_type: str
    capacity: Resources
    managed: bool
    min_count: int
    max_count: int
    config_name: str = ""  # the endpoint config the fleet follows (an UpdateEndpoint changes it)
    instances: list[Instance] = field(default_factory=list)
    launched: int = 0  # how many instances this fleet has ever launched (names the next one)

    def copies_of(self, component: str) -> list[Copy]:
        return [c for i in self.instances for c in i.copies if c.component == component]

    def ready_instances(self, now: float) -> int:
        return sum(1 for i in self.instances if i.ready_at <= now)


@dataclass
class Component:
    """One inference component as DescribeInferenceComponent reports it, plus what the emulator needs."""

    name: str
    region: str
    arn: str
    endpoint: str
    endpoint_arn: str
    variant: str
    specification: dict[str, Any]
    desired: int
    status: str
    created: dt.datetime
    modified: dt.datetime
    failure_reason: str | None = None
    pending: tuple[PhaseKind, float] | None = None
    previous_specification: dict[str, Any] | None = None  # restored when an update fails
    start_failure: str | None = None  # why the component cannot start (an adapter on a base without LoRA)
    last_deployment: dict[str, Any] | None = None
    tags: list[dict[str, str]] = field(default_factory=list)

    @property
    def base(self) -> str | None:
        """The base component's name when this is an adapter component."""
        name = self.specification.get("BaseInferenceComponentName")
        return str(name) if name else None

    @property
    def need(self) -> Resources | None:
        """What one copy needs; None for an adapter (it rides on its base's copies)."""
        compute = self.specification.get("ComputeResourceRequirements")
        if not compute:
            return None
        return Resources(
            gpus=math.ceil(float(compute.get("NumberOfAcceleratorDevicesRequired", 0))),
            vcpus=float(compute.get("NumberOfCpuCoresRequired", 0.0)),
            memory_mb=int(compute.get("MinMemoryRequiredInMb", 0)),
        )


class ComponentStore:
    """Every inference component and component-endpoint fleet, keyed by (region, name)."""

    def __init__(self, time_scale: Callable[[], float]) -> None:
        self.time_scale = time_scale
        self.components: dict[tuple[str, str], Component] = {}
        self.fleets: dict[tuple[str, str], Fleet] = {}
        self.invocations: dict[tuple[str, str], int] = {}  # per component, since the last autoscaling run
        self.containers: dict[tuple[str, str], Any] = {}  # the emulated container serving each component
        self.starting: dict[tuple[str, str], Any] = {}  # the container a create or update is starting
        self.activities: list[dict[str, Any]] = []  # what the emulator's scaler did (DescribeScalingActivities)

    def seconds(self, kind: str) -> float:
        return IC_SECONDS[kind] * self.time_scale()

    def get(self, region: str, name: str) -> Component | None:
        return self.components.get((region, name))

    def on_endpoint(self, region: str, endpoint: str) -> list[Component]:
        found = [c for c in self.components.values() if c.region == region and c.endpoint == endpoint]
        return sorted(found, key=lambda c: c.created)

    def adapters_of(self, region: str, base: str) -> list[Component]:
        return [c for c in self.components.values() if c.region == region and c.base == base]

    def current_copies(self, component: Component, now: float) -> int:
        """Copies that answer now: an adapter has its base's."""
        if component.base is not None:
            base = self.get(component.region, component.base)
            return self.current_copies(base, now) if base is not None else 0
        fleet = self.fleets.get((component.region, component.endpoint))
        if fleet is None:
            return 0
        return sum(1 for c in fleet.copies_of(component.name) if c.ready_at <= now)

    def reset(self) -> None:
        self.components.clear()
        self.fleets.clear()
        self.invocations.clear()
        self.containers.clear()
        self.starting.clear()
        self.activities.clear()
