"""Placing inference-component copies on a component endpoint's instances, as SageMaker does.

Rule: a copy needs all of its accelerators, vCPUs and host memory on ONE instance (nothing is split across
instances). Copies are placed in component creation order; a copy that fits nowhere stays pending. With managed
instance scaling enabled, a pending copy launches a new instance while the fleet is below ``MaxInstanceCount``,
and an instance whose last copy goes is released, down to ``MinInstanceCount`` (0 allowed). Without it the fleet
keeps its ``InitialInstanceCount``. Strategy ``BINPACK`` fills the fullest instance that still fits; ``SPREAD``
(the emulator's default) takes the instance with the fewest copies of that component.
Pure: no AWS calls; the caller passes the clock and the phase lengths.
"""

from __future__ import annotations

from deploy.local.ic_model import Component, Copy, Fleet, Instance, Resources


def instance_id(fleet: Fleet) -> str:
    import hashlib

    digest = hashlib.sha256(f"{fleet.region}/{fleet.endpoint}/{fleet.launched}".encode()).hexdigest()
    return f"i-{digest[:17]}"


def launch(fleet: Fleet, ready_at: float) -> Instance:
    instance = Instance(instance_id(fleet), ready_at)
    fleet.launched += 1
    fleet.instances.append(instance)
    return instance


def oversize_reason(need: Resources, fleet: Fleet) -> str | None:
    """Why a copy can never be placed on this fleet's instance type (None: one empty instance holds it)."""
    have = fleet.capacity
    for what, wanted, offered in (
        ("accelerator devices", need.gpus, have.gpus),
        ("CPU cores", need.vcpus, have.vcpus),
        ("MB of memory", need.memory_mb, have.memory_mb),
    ):
        if wanted > offered:
            return (
                f"The inference component requires {_number(wanted)} {what} per copy, but instance type "
                f"{fleet.instance_type} provides {_number(offered)}. Reduce ComputeResourceRequirements or use a "
                "larger instance type."
            )
    return None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _choose(fleet: Fleet, component: Component, need: Resources) -> Instance | None:
    fitting = [i for i in fleet.instances if need.fits_in(i.free(fleet.capacity))]
    if not fitting:
        return None
    strategy = (component.specification.get("SchedulingConfig") or {}).get("PlacementStrategy", "SPREAD")
    if strategy == "BINPACK":
        return min(fitting, key=lambda i: (i.free(fleet.capacity).gpus, i.free(fleet.capacity).memory_mb))
    return min(fitting, key=lambda i: sum(1 for c in i.copies if c.component == component.name))


def place_one(fleet: Fleet, component: Component, now: float, launch_s: float, load_s: float) -> bool:
    """Place one more copy of ``component``; False when no instance can take it (it stays pending)."""
    need = component.need
    if need is None or oversize_reason(need, fleet) is not None:
        return False
    target = _choose(fleet, component, need)
    if target is None and fleet.managed and len(fleet.instances) < fleet.max_count:
        target = launch(fleet, now + launch_s)
    if target is None:
        return False
    target.copies.append(Copy(component.name, need, max(now, target.ready_at) + load_s))
    target.hosted = True
    return True


def remove_one(fleet: Fleet, component: str) -> None:
    """Remove a copy: one still loading first, else from the instance with the fewest copies (so it empties)."""
    holders = [i for i in fleet.instances if any(c.component == component for c in i.copies)]
    if not holders:
        return
    instance = min(holders, key=lambda i: (len(i.copies), -max(c.ready_at for c in i.copies)))
    mine = [c for c in instance.copies if c.component == component]
    instance.copies.remove(max(mine, key=lambda c: c.ready_at))


def release_empty(fleet: Fleet) -> None:
    """Managed instance scaling's scale-in: an instance whose last copy went is released, down to the minimum
    count (instances that never held a copy, e.g. the initial ones of a new endpoint, stay)."""
    if not fleet.managed:
        return
    for instance in sorted((i for i in fleet.instances if i.hosted and not i.copies), key=lambda i: -i.ready_at):
        if len(fleet.instances) <= fleet.min_count:
            return
        fleet.instances.remove(instance)


def reconcile(fleet: Fleet, components: list[Component], now: float, launch_s: float, load_s: float) -> None:
    """Bring each component's placed copies to its desired count, then release empty instances. Surplus copies
    of every component go first, so the room they free serves the pending copies of the others in the same pass."""
    active = [c for c in components if c.need is not None and c.status not in ("Failed", "Deleting")]
    for component in active:
        for _ in range(len(fleet.copies_of(component.name)) - component.desired):
            remove_one(fleet, component.name)
    for component in active:
        placed = len(fleet.copies_of(component.name))
        while placed < component.desired and place_one(fleet, component, now, launch_s, load_s):
            placed += 1
    release_empty(fleet)


def drop(fleet: Fleet, component: str) -> None:
    for instance in fleet.instances:
        instance.copies = [c for c in instance.copies if c.component != component]
