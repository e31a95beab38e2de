"""The life of inference components on the emulator's clock: phases that finish, copies that get placed, fleets
that grow and shrink, and the endpoint's instance counts kept in step.

Rule: like endpoints, state advances lazily. :func:`tick` runs before every request (from the endpoint registry):
it finishes each component phase whose time has passed (Creating -> InService | Failed, Updating -> InService,
Deleting -> gone), re-places copies on every fleet and writes the fleet's instance counts into moto's endpoint
record, so DescribeEndpoint shows what managed instance scaling did. A fleet whose endpoint is gone (deleted, or
moto reset) is forgotten with its components.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from deploy.local import backends
from deploy.local.ic_model import Component, ComponentStore, Fleet, Resources, wall_clock
from deploy.local.ic_placement import drop, launch, oversize_reason, reconcile

UNKNOWN_CAPACITY = Resources(0, 1e9, 1 << 40)  # a type outside the GPU catalog: no accelerators, CPU/memory unchecked


def capacity_of(instance_type: str) -> Resources:
    from deploy.catalog import get_instance
    from deploy.errors import SpecError

    try:
        info = get_instance(instance_type)
    except SpecError:
        return UNKNOWN_CAPACITY
    return Resources(info.gpu_count, float(info.vcpu), info.host_memory_gib * 1024)


def is_component_variant(variant: dict[str, Any]) -> bool:
    """A variant without a model hosts inference components."""
    return not variant.get("ModelName")


def build_fleet(region: str, endpoint: str, variant: dict[str, Any], now: float) -> Fleet:
    """The fleet of a component endpoint as it comes up: ``InitialInstanceCount`` instances, ready."""
    scaling = variant.get("ManagedInstanceScaling") or {}
    initial = int(variant.get("InitialInstanceCount", 1))
    fleet = Fleet(
        region=region,
        endpoint=endpoint,
        variant=str(variant["VariantName"]),
        instance_type=str(variant.get("InstanceType", "")),
        capacity=capacity_of(str(variant.get("InstanceType", ""))),
        managed=scaling.get("Status") == "ENABLED",
        min_count=int(scaling.get("MinInstanceCount", initial)),
        max_count=int(scaling.get("MaxInstanceCount", initial)),
    )
    for _ in range(initial):
        launch(fleet, now)
    return fleet


def fleet_for(store: ComponentStore, region: str, endpoint_name: str, now: float) -> Fleet | None:
    """The endpoint's fleet, built from its configuration on first use; None for a model endpoint."""
    key = (region, endpoint_name)
    if key in store.fleets:
        return store.fleets[key]
    endpoint = backends.sagemaker(region).endpoints.get(endpoint_name)
    if endpoint is None:
        return None
    config = backends.sagemaker(region).endpoint_configs.get(endpoint.endpoint_config_name)
    variants = list(getattr(config, "production_variants", []) or [])
    if not variants or not all(is_component_variant(v) for v in variants):
        return None
    store.fleets[key] = build_fleet(region, endpoint_name, variants[0], now)
    store.fleets[key].config_name = endpoint.endpoint_config_name
    _echo_variant(endpoint, variants[0])
    return store.fleets[key]


def _echo_variant(endpoint: Any, variant: dict[str, Any]) -> None:
    """What DescribeEndpoint's variant summary echoes from the config (moto keeps only the counts)."""
    for summary in endpoint.production_variants:
        summary.update({k: variant[k] for k in ("ManagedInstanceScaling", "RoutingConfig") if k in variant})


def follow_config(fleet: Fleet, now: float) -> None:
    """After UpdateEndpoint: take the new config's scaling bounds; a new instance type replaces every instance
    (the copies are placed again on new instances, with a cold start)."""
    endpoint = backends.sagemaker(fleet.region).endpoints.get(fleet.endpoint)
    if endpoint is None or endpoint.endpoint_config_name == fleet.config_name:
        return
    config = backends.sagemaker(fleet.region).endpoint_configs.get(endpoint.endpoint_config_name)
    variants = list(getattr(config, "production_variants", []) or [])
    if not variants or not is_component_variant(variants[0]):
        return
    fresh = build_fleet(fleet.region, fleet.endpoint, variants[0], now)
    fleet.config_name = endpoint.endpoint_config_name
    fleet.managed, fleet.min_count, fleet.max_count = fresh.managed, fresh.min_count, fresh.max_count
    if fresh.instance_type != fleet.instance_type:
        fleet.instance_type, fleet.capacity, fleet.instances = fresh.instance_type, fresh.capacity, []
        for _ in range(len(fresh.instances)):
            launch(fleet, now)
    _echo_variant(endpoint, variants[0])


def tick(store: ComponentStore, now: float, endpoints: Iterable[tuple[str, str]] = ()) -> None:
    """Finish due phases, re-place copies and publish instance counts (the registry holds its lock).

    ``endpoints``: the (region, name) of every emulated endpoint; a component endpoint among them gets its fleet
    the moment it exists, so DescribeEndpoint shows its instances and scaling before any component is created.
    """
    for region, name in list(endpoints):
        if (region, name) not in store.fleets:
            fleet_for(store, region, name, now)
    for key, fleet in list(store.fleets.items()):
        if fleet.endpoint not in backends.sagemaker(fleet.region).endpoints:
            _forget_endpoint(store, key)
    for component in list(store.components.values()):
        if component.pending is not None and component.pending[1] <= now:
            _finish(store, component, now)
    for fleet in store.fleets.values():
        follow_config(fleet, now)
        members = store.on_endpoint(fleet.region, fleet.endpoint)
        reconcile(fleet, members, now, store.seconds("launch"), store.seconds("load"))
        _publish_counts(fleet, now)


def _forget_endpoint(store: ComponentStore, key: tuple[str, str]) -> None:
    store.fleets.pop(key, None)
    region, endpoint = key
    for component in store.on_endpoint(region, endpoint):
        store.components.pop((region, component.name), None)


def _finish(store: ComponentStore, component: Component, now: float) -> None:
    kind, _ = component.pending or ("create", 0.0)
    component.pending = None
    component.modified = wall_clock()
    fleet = store.fleets.get((component.region, component.endpoint))
    key = (component.region, component.name)
    if kind == "delete":
        if fleet is not None:
            drop(fleet, component.name)
        for table in (store.components, store.invocations, store.containers, store.starting):
            table.pop(key, None)
        _forget_scaling(component.region, component.name)
        return
    started = store.starting.pop(key, None)
    reason = (
        _never_fits(component, fleet)
        or (started.failure_reason if started is not None else None)
        or (component.start_failure if kind == "create" else None)
    )
    if reason is None:
        component.status, component.failure_reason = "InService", None
        component.previous_specification = None
        if started is not None:
            store.containers[key] = started
    elif kind == "create":
        component.status, component.failure_reason = "Failed", reason
        if fleet is not None:
            drop(fleet, component.name)
    else:  # an update that cannot be placed rolls back: the old specification keeps serving
        component.specification = component.previous_specification or component.specification
        component.previous_specification = None
        component.status, component.failure_reason = "InService", reason


def _forget_scaling(region: str, name: str) -> None:
    """A deleted component takes its scalable target and policies with it (as a deleted endpoint does)."""
    aas, resource_id = backends.autoscaling(region), f"inference-component/{name}"
    for targets in aas.targets.values():
        targets.pop(resource_id, None)
    for key, policy in list(aas.policies.items()):
        if policy.resource_id == resource_id:
            policy.delete_alarms(backends.account_id(), region)
            del aas.policies[key]


def _never_fits(component: Component, fleet: Fleet | None) -> str | None:
    need = component.need
    if need is None or fleet is None:
        return None
    return oversize_reason(need, fleet)


def _publish_counts(fleet: Fleet, now: float) -> None:
    endpoint = backends.sagemaker(fleet.region).endpoints.get(fleet.endpoint)
    if endpoint is None:
        return
    for variant in endpoint.production_variants:
        if variant.get("VariantName") == fleet.variant:
            variant["CurrentInstanceCount"] = fleet.ready_instances(now)
            variant["DesiredInstanceCount"] = len(fleet.instances)
