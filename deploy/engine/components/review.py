"""What a component-endpoint plan changes, field by field, and what it costs before and after. Pure (no I/O).

Why: a reviewer of a pull request wants the same two things from a component endpoint as from a single model:
which values change (instance type, instance bounds, routing; per component its model, copies and accelerators)
and the bill. Cost is instances x the type's on-demand price in the plan's region, at the minimum and maximum of
ManagedInstanceScaling; the per-token figure is left out (several models share the instances, so no single $/M
tokens describes the endpoint) and the cost notes say so.
"""

from __future__ import annotations

from typing import Any

from deploy.engine.components.desired import ComponentEndpointDesired
from deploy.engine.components.snapshot import ComponentEndpointSnapshot
from deploy.engine.plan_cost import NOTHING, FleetCost, PlanCost, hourly_price
from deploy.engine.plan_diff import FieldChange

_VARIANT_FIELDS = (("InstanceType", "instance type"), ("RoutingConfig", "routing"))
NO_TOKEN_PRICE = "$/M tokens is not predicted for component endpoints: several models share the instances"


def component_changes(
    desired: ComponentEndpointDesired, snapshot: ComponentEndpointSnapshot
) -> tuple[FieldChange, ...]:
    """Old -> new for the shared capacity and for every added, removed or changed component (stable order)."""
    if snapshot.endpoint is None:
        return ()  # a first deploy: every value is new, the actions already list them
    variant = desired.variant
    changes = [
        FieldChange(snapshot.endpoint_name, label, (snapshot.config or {}).get(key), variant.get(key))
        for key, label in _VARIANT_FIELDS
        if (snapshot.config or {}).get(key) != variant.get(key)
    ]
    old_bounds, new_bounds = _bounds(snapshot.config or {}), _bounds(variant)
    if old_bounds != new_bounds:
        changes.append(
            FieldChange(snapshot.endpoint_name, "instances (min..max)", _span(old_bounds), _span(new_bounds))
        )
    for component in desired.components:
        changes += _component_fields(component, snapshot)
    changes += [
        FieldChange(c.name, "component", c.model_name, None)
        for c in snapshot.components
        if c.name not in desired.ic_names
    ]
    return tuple(changes)


def _component_fields(component: Any, snapshot: ComponentEndpointSnapshot) -> list[FieldChange]:
    current = snapshot.component(component.ic_name)
    if current is None:
        return [FieldChange(component.ic_name, "component", None, component.model.model_name)]
    out: list[FieldChange] = []
    if current.model_name != component.model.model_name:
        out.append(FieldChange(component.ic_name, "model", current.model_name, component.model.model_name))
    old_gpus = (current.specification.get("ComputeResourceRequirements") or {}).get(
        "NumberOfAcceleratorDevicesRequired"
    )
    if old_gpus is not None and old_gpus != component.requirements.accelerators:
        out.append(
            FieldChange(component.ic_name, "accelerators per copy", old_gpus, component.requirements.accelerators)
        )
    if component.scaling is None and current.desired_copies is not None and current.desired_copies != component.copies:
        out.append(FieldChange(component.ic_name, "copies", current.desired_copies, component.copies))
    return out


def component_notes(desired: ComponentEndpointDesired, snapshot: ComponentEndpointSnapshot) -> tuple[str, ...]:
    """What the spec says but the plan leaves alone: an autoscaled component's ``copies`` against its live count.

    With component scaling, Application Auto Scaling owns the copy count and the plan never resets it (see
    :mod:`deploy.engine.components.plan`), so a changed ``copies`` makes no action; this note is how the reviewer
    learns that, and which bound moves the count instead.
    """
    notes: list[str] = []
    for component in desired.components:
        state = snapshot.component(component.ic_name)
        live = state.desired_copies if state is not None and state.status != "Failed" else None
        if component.scaling is None or live is None or live == component.copies:
            continue
        low, high = int(component.scaling.target["MinCapacity"]), int(component.scaling.target["MaxCapacity"])
        where = f"components[{component.name}].scaling"
        if component.copies > live:
            fix = f"raise {where}.min to move the floor" + (f" (min {low} lifts it to {low})" if live < low else "")
        else:
            fix = f"lower {where}.max to cap it" + (f" (max {high} brings it down to {high})" if live > high else "")
        notes.append(
            f"{component.ic_name}: copies {live} -> {component.copies} not applied: component scaling owns the "
            f"count ({low}..{high}); {fix}"
        )
    return tuple(notes)


def component_cost(
    desired: ComponentEndpointDesired | None, snapshot: ComponentEndpointSnapshot, region: str
) -> PlanCost:
    """The capacity's bill now (what the endpoint's config holds) and after (``desired``; None: a teardown)."""
    before = NOTHING
    if snapshot.endpoint is not None and snapshot.instance_type:
        before = _fleet(snapshot.instance_type, _bounds(snapshot.config or {}), region)
    after = NOTHING
    if desired is not None:
        after = _fleet(str(desired.instance_type), _bounds(desired.variant), region)
    return PlanCost(region, before, after, (NO_TOKEN_PRICE,))


def _fleet(instance_type: str, bounds: tuple[int, int], region: str) -> FleetCost:
    return FleetCost(instance_type, bounds[0], bounds[1], hourly_price(instance_type, region))


def _span(bounds: tuple[int, int]) -> str:
    return f"{bounds[0]}..{bounds[1]}"


def _bounds(variant: dict[str, Any]) -> tuple[int, int]:
    """(min, max) instances: ManagedInstanceScaling when enabled, else the initial count for both."""
    scaling = variant.get("ManagedInstanceScaling") or {}
    count = int(variant.get("InitialInstanceCount") or 0)
    if scaling.get("Status") == "ENABLED":
        return int(scaling.get("MinInstanceCount", count)), int(scaling.get("MaxInstanceCount", count))
    return count, count
