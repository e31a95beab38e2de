"""Packing copies onto instances: first-fit-decreasing under AWS's per-instance limits (see
:mod:`deploy.sizing.placement` for the rule and the public interface).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from deploy.records import record
from deploy.sizing.copy_resources import CopyRequirements


@record
class InstanceCapacity:
    """What one instance offers to the copies placed on it (catalog figures)."""

    instance_type: str
    accelerators: int
    gpu_memory_mib: int  # all GPUs of the instance together
    memory_mib: int  # host memory
    cpu_cores: float

    @classmethod
    def of(cls, instance_type: str) -> InstanceCapacity:
        from deploy import catalog

        inst = catalog.get_instance(instance_type)
        return cls(
            instance_type=inst.name,
            accelerators=int(inst.gpu_count),
            gpu_memory_mib=int(inst.total_gpu_memory_mib),
            memory_mib=int(inst.host_memory_gib) * 1024,
            cpu_cores=float(inst.vcpu),
        )


@dataclass
class _Free:
    """The room left on one instance while placing."""

    accelerators: int
    gpu_memory_mib: int
    memory_mib: int
    cpu_cores: float
    copies: list[str] = field(default_factory=list)

    def holds(self, req: CopyRequirements) -> bool:
        return (
            req.accelerators <= self.accelerators
            and req.gpu_memory_mib <= self.gpu_memory_mib
            and req.memory_mib <= self.memory_mib
            and req.cpu_cores <= self.cpu_cores + 1e-9
        )

    def take(self, name: str, req: CopyRequirements) -> None:
        self.accelerators -= req.accelerators
        self.gpu_memory_mib -= req.gpu_memory_mib
        self.memory_mib -= req.memory_mib
        self.cpu_cores -= req.cpu_cores
        self.copies.append(name)


@record
class Placement:
    """Which copies go on which instance (by component name, one entry per copy), or why they do not fit."""

    fits: bool
    instances_used: int
    per_instance: tuple[tuple[str, ...], ...]
    problem: str | None
    instance_type: str = ""
    instances_available: int = 0
    copies: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "fits": self.fits,
            "instance_type": self.instance_type,
            "instances_available": self.instances_available,
            "instances_used": self.instances_used,
            "copies": self.copies,
            "per_instance": [list(names) for names in self.per_instance],
            "problem": self.problem,
        }


def _too_big(name: str, req: CopyRequirements, cap: InstanceCapacity) -> str | None:
    """Why one copy cannot go on even an empty instance of this type (None when it can)."""
    limits = (
        ("GPUs", req.accelerators, cap.accelerators, ""),
        ("GPU memory", req.gpu_memory_mib / 1024, cap.gpu_memory_mib / 1024, " GiB"),
        ("host memory", req.memory_mib / 1024, cap.memory_mib / 1024, " GiB"),
        ("CPU cores", req.cpu_cores, cap.cpu_cores, ""),
    )
    for what, need, have, unit in limits:
        if need > have + 1e-9:
            return (
                f"one copy of {name!r} needs {_num(need)}{unit} of {what} but a {cap.instance_type} has "
                f"{_num(have)}{unit}; a copy's accelerators must all be on one instance"
            )
    return None


def _num(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _order(copies: Sequence[tuple[str, CopyRequirements, int]]) -> list[tuple[str, CopyRequirements]]:
    """Every copy, largest first (accelerators, then GPU memory, host memory, CPUs): the 'decreasing' of FFD."""
    flat = [(name, req) for name, req, count in copies for _ in range(max(0, count))]
    return sorted(
        flat,
        key=lambda item: (item[1].accelerators, item[1].gpu_memory_mib, item[1].memory_mib, item[1].cpu_cores),
        reverse=True,
    )


def place(
    instance_type: str,
    instances: int,
    copies: Sequence[tuple[str, CopyRequirements, int]],
    *,
    decreasing: bool = True,
) -> Placement:
    """Place ``count`` copies of each ``(name, requirements, count)`` on ``instances`` instances, first-fit-decreasing.

    ``decreasing=False`` keeps the given order (plain first-fit: copies placed as they are created, component by
    component). The result lists, per instance used, the component name of every copy on it; ``problem`` says
    which copy did not fit and why (with the numbers) when ``fits`` is false.
    """
    cap = InstanceCapacity.of(instance_type)
    ordered = _order(copies) if decreasing else [(n, r) for n, r, count in copies for _ in range(max(0, count))]
    free: list[_Free] = []
    for name, req in ordered:
        oversized = _too_big(name, req, cap)
        if oversized is not None:
            return _result(cap, instances, free, len(ordered), oversized)
        target = next((slot for slot in free if slot.holds(req)), None)
        if target is None:
            if len(free) >= instances:
                return _result(cap, instances, free, len(ordered), _no_room(name, req, cap, instances, ordered))
            target = _Free(cap.accelerators, cap.gpu_memory_mib, cap.memory_mib, cap.cpu_cores)
            free.append(target)
        target.take(name, req)
    return _result(cap, instances, free, len(ordered), None)


def _no_room(
    name: str, req: CopyRequirements, cap: InstanceCapacity, instances: int, ordered: list[tuple[str, CopyRequirements]]
) -> str:
    gpus = sum(r.accelerators for _, r in ordered)
    return (
        f"the copies do not fit on {instances} x {cap.instance_type}: no room left for a copy of {name!r} "
        f"({req.accelerators} GPU(s), {req.gpu_memory_mib / 1024:.1f} GiB GPU memory, "
        f"{req.memory_mib / 1024:.1f} GiB host memory, {_num(req.cpu_cores)} CPU cores); "
        f"{len(ordered)} copies need {gpus} GPU(s) in all, {instances} instance(s) have {instances * cap.accelerators}"
    )


def _result(cap: InstanceCapacity, instances: int, free: list[_Free], copies: int, problem: str | None) -> Placement:
    return Placement(
        fits=problem is None,
        instances_used=len(free),
        per_instance=tuple(tuple(slot.copies) for slot in free),
        problem=problem,
        instance_type=cap.instance_type,
        instances_available=instances,
        copies=copies,
    )
