"""``lmi recommend --spec``: the cheapest instance type and count that holds every component's copies.

Rule: for every catalog instance type, each component is resolved on that type (its own tensor-parallel degree
there: the smallest that fits), then the fewest instances that hold both the components' minimum copies and their
initial copies are found by the same placement as ``lmi validate`` (first-fit-decreasing). A type where some
component does not fit, or a copy fits no instance, is left out with the reason. Candidates are ranked by
price per hour of that count (indicative us-east-1 prices; a type without a price ranks last), then by fewer
instances. Model shapes are read once per component (the Hub flow of :func:`deploy.engine.resolve.find_shape`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from deploy.errors import LmiError
from deploy.records import record
from deploy.sizing.component_fit import ComponentFit, EndpointFit, fit_of, size_component

if TYPE_CHECKING:
    from deploy.sizing.shape import ModelShape
    from deploy.spec.components import ComponentEndpointSpec


@record
class ComponentRecommendation:
    """One instance type, the count that holds every component's copies, its price and the placement."""

    instance_type: str
    instances: int
    price_per_hour: float | None
    fit: EndpointFit

    @property
    def total_per_hour(self) -> float | None:
        return None if self.price_per_hour is None else round(self.price_per_hour * self.instances, 4)

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance_type": self.instance_type,
            "instances": self.instances,
            "price_per_hour": self.price_per_hour,
            "total_per_hour": self.total_per_hour,
            "components": {
                c.name: {
                    "tensor_parallel_degree": c.requirements.accelerators,
                    "max_model_len": c.resolved.max_model_len,
                    **c.requirements.to_dict(),
                }
                for c in self.fit.components
            },
            "minimum": self.fit.minimum.to_dict(),
            "initial": self.fit.initial.to_dict(),
        }


@record
class ComponentRanking:
    """The ranked candidates and, per instance type left out, why."""

    recommendations: tuple[ComponentRecommendation, ...]
    skipped: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "recommendations": [r.to_dict() for r in self.recommendations],
            "skipped": dict(self.skipped),
        }


def shapes_of(spec: ComponentEndpointSpec) -> dict[str, ModelShape | None]:
    """Each component's model shape, read once (None: an S3 model without model.config, unknown offline)."""
    from deploy.engine.resolve import find_shape
    from deploy.sizing.component_fit import in_component
    from deploy.spec.components import component_view

    shapes: dict[str, ModelShape | None] = {}
    for index, component in enumerate(spec.components):
        try:
            shapes[component.name] = find_shape(component_view(spec, component))
        except LmiError as exc:  # a gated model without hf_token, an unreadable model.config, ...
            raise in_component(exc, index, component.name) from None
    return shapes


def recommend_components(
    spec: ComponentEndpointSpec,
    shapes: Mapping[str, ModelShape | None] | None = None,
    *,
    region: str = "us-east-1",
) -> ComponentRanking:
    """Rank every catalog instance type by the price of the fewest instances that hold all the copies."""
    from deploy import catalog

    known = dict(shapes) if shapes is not None else shapes_of(spec)
    found: list[ComponentRecommendation] = []
    skipped: dict[str, str] = {}
    for inst in catalog.instances():
        try:
            candidate = _candidate(spec, known, inst.name, catalog.price_in(inst.name, region))
        except LmiError as exc:
            skipped[inst.name] = exc.message
            continue
        if isinstance(candidate, str):
            skipped[inst.name] = candidate
        else:
            found.append(candidate)
    found.sort(key=lambda r: (r.total_per_hour is None, r.total_per_hour or 0.0, r.instances, r.instance_type))
    return ComponentRanking(tuple(found), skipped)


def _candidate(
    spec: ComponentEndpointSpec, shapes: Mapping[str, ModelShape | None], instance_type: str, price: float | None
) -> ComponentRecommendation | str:
    sized: tuple[ComponentFit, ...] = tuple(
        size_component(spec, i, shapes.get(c.name), instance_type) for i, c in enumerate(spec.components)
    )
    probe = fit_of(spec, sized, instance_type, 1)
    if probe.instances_needed == 0:
        return "; ".join(probe.problems) or "a copy fits no instance of this type"
    fit = fit_of(spec, sized, instance_type, probe.instances_needed)
    if not fit.fits:  # pragma: no cover - instances_needed is the count at which both placements fit
        return "; ".join(fit.problems)
    return ComponentRecommendation(instance_type, probe.instances_needed, price, fit)
