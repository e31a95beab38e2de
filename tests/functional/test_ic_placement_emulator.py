"""The emulator's copy placement (deploy/local/ic_placement.py), property-tested: whatever the components ask,
no instance is ever over-committed, a fleet never exceeds MaxInstanceCount, placed copies never exceed the desired
count, and a copy that fits an empty instance is pending only when the fleet is full."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from deploy.local.ic_model import Component, Fleet, Resources
from deploy.local.ic_placement import launch, oversize_reason, reconcile

CAPACITY = Resources(4, 48.0, 384 * 1024)  # ml.g6e.12xlarge
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def _component(index: int, gpus: int, cpus: float, memory_mb: int, copies: int, strategy: str) -> Component:
    return Component(
        name=f"ic{index}",
        region="us-east-1",
        arn=f"arn:aws:sagemaker:us-east-1:123456789012:inference-component/ic{index}",
        endpoint="team",
        endpoint_arn="arn:aws:sagemaker:us-east-1:123456789012:endpoint/team",
        variant="AllTraffic",
        specification={
            "ModelName": "m",
            "ComputeResourceRequirements": {
                "NumberOfAcceleratorDevicesRequired": gpus,
                "NumberOfCpuCoresRequired": cpus,
                "MinMemoryRequiredInMb": memory_mb,
            },
            "SchedulingConfig": {"PlacementStrategy": strategy},
        },
        desired=copies,
        status="InService",
        created=NOW + dt.timedelta(seconds=index),
        modified=NOW,
    )


components = st.lists(
    st.tuples(
        st.integers(1, 6),  # GPUs per copy (5 and 6 never fit a 4-GPU instance)
        st.sampled_from([0.0, 1.0, 8.0, 30.0]),
        st.sampled_from([1024, 65536, 200 * 1024]),
        st.integers(0, 9),
        st.sampled_from(["SPREAD", "BINPACK"]),
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(
    asked=components,
    initial=st.integers(0, 3),
    bounds=st.tuples(st.integers(0, 2), st.integers(1, 4)),
    managed=st.booleans(),
    rounds=st.lists(st.integers(0, 9), max_size=3),
)
def test_placement_invariants(
    asked: list[tuple[int, float, int, int, str]],
    initial: int,
    bounds: tuple[int, int],
    managed: bool,
    rounds: list[int],
) -> None:
    low, high = min(bounds), max(bounds)
    initial = min(initial, high) if managed else initial
    fleet = Fleet("us-east-1", "team", "AllTraffic", "ml.g6e.12xlarge", CAPACITY, managed, low, high)
    for _ in range(initial):
        launch(fleet, 0.0)
    members = [_component(i, *spec) for i, spec in enumerate(asked)]
    for step, copies in enumerate([None, *rounds]):
        if copies is not None:
            members[step % len(members)].desired = copies  # a later round rescales one component
        reconcile(fleet, members, float(step), 0.0, 0.0)
        _check(fleet, members, managed, high, initial)


def _check(fleet: Fleet, members: list[Component], managed: bool, high: int, initial: int) -> None:
    for instance in fleet.instances:
        left = instance.free(CAPACITY)
        assert left.gpus >= 0 and left.vcpus >= -1e-9 and left.memory_mb >= 0
    assert len(fleet.instances) <= (high if managed else initial)
    for component in members:
        placed = len(fleet.copies_of(component.name))
        assert placed <= component.desired
        need = component.need
        assert need is not None
        if oversize_reason(need, fleet) is not None:
            assert placed == 0
        elif placed < component.desired:  # pending: no instance has room, and no new instance may be launched
            assert all(not need.fits_in(i.free(CAPACITY)) for i in fleet.instances)
            assert not managed or len(fleet.instances) == high
