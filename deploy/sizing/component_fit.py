"""Does a component endpoint fit its instances? Each component sized alone, then every copy placed.

Rule (the issue's, with AWS's placement): the components' MINIMUM copies (``scaling.min``, or ``copies`` without
scaling) must fit on the endpoint's MAXIMUM instances (``scaling.max``, or ``instance.count``): otherwise the
endpoint could never reach its own floor. The initial ``copies`` must fit there too (SageMaker would leave them
pending). A component whose minimum is 0 needs no room at its floor, but one copy of it must fit an empty
instance, or it could never scale out from zero. Refusals are SpecErrors (exit 2) with the numbers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from deploy.errors import LmiError, SpecError
from deploy.records import record
from deploy.sizing.copy_resources import CopyRequirements, requirements_of
from deploy.sizing.packing import Placement, place

if TYPE_CHECKING:
    from deploy.engine.resolve import ResolvedSpec
    from deploy.sizing.lora import LoraSlots
    from deploy.sizing.shape import ModelShape
    from deploy.spec.components import ComponentEndpointSpec, ComponentSpec

COPIES_PER_INSTANCE = re.compile(r" \(\d+ cop(?:y|ies) per instance\)")
PLACEMENT_FIX = "raise the endpoint's maximum instances, lower copies, or run `lmi recommend --spec SPEC`"


@record
class ComponentFit:
    """One component: its resolved view, what a copy needs, and its copy bounds."""

    name: str
    inference_component: str
    requirements: CopyRequirements
    resolved: ResolvedSpec
    min_copies: int
    copies: int
    max_copies: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "inference_component": self.inference_component,
            "model": self.requirements.model_id,
            "min_copies": self.min_copies,
            "copies": self.copies,
            "max_copies": self.max_copies,
            "requirements": self.requirements.to_dict(),
            "resolved": self.resolved.to_dict(),
        }


@record
class EndpointFit:
    """The fit of a whole component endpoint on ``max_instances`` x ``instance_type``."""

    instance_type: str
    max_instances: int
    components: tuple[ComponentFit, ...]
    minimum: Placement
    initial: Placement
    problems: tuple[str, ...]
    instances_needed: int  # for the minimum and the initial copies, whichever needs more (0 = none placeable)
    notes: tuple[str, ...] = ()  # not refusals: e.g. copy scale-out that the maximum instances cannot hold

    @property
    def fits(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "fits": self.fits,
            "instance_type": self.instance_type,
            "max_instances": self.max_instances,
            "instances_needed": self.instances_needed,
            "components": [c.to_dict() for c in self.components],
            "minimum": self.minimum.to_dict(),
            "initial": self.initial.to_dict(),
            "problems": list(self.problems),
            "notes": list(self.notes),
        }

    def raise_if_refused(self) -> None:
        if self.fits:
            return
        needed = f"{self.instances_needed} needed" if self.instances_needed else "none is enough"
        raise SpecError(
            f"the components do not fit {self.max_instances} x {self.instance_type} ({needed}): "
            + "; ".join(self.problems),
            field="scaling.max" if self.instances_needed else "instance.type",
            value=self.max_instances if self.instances_needed else self.instance_type,
            fix=PLACEMENT_FIX,
        )


def _bounds(component: ComponentSpec) -> tuple[int, int]:
    scaling = component.scaling
    if scaling is None:
        return component.copies, component.copies
    return scaling.min, scaling.max


def size_component(
    spec: ComponentEndpointSpec, index: int, shape: ModelShape | None = None, instance_type: str | None = None
) -> ComponentFit:
    """Resolve one component (on ``instance_type``, default the spec's); errors name ``components.<index>``."""
    from deploy.engine.resolve import find_shape, resolve
    from deploy.spec.components import component_view, inference_component_name

    component = spec.components[index]
    view = component_view(spec, component)
    if instance_type is not None:
        view = view.model_copy(update={"instance": view.instance.model_copy(update={"type": instance_type})})
    try:
        found = shape if shape is not None else find_shape(view)
        if component.adapters and found is not None:
            found = _with_adapters(spec, index, found)
        resolved = resolve(view, shape=found)
    except LmiError as exc:
        raise in_component(exc, index, component.name) from None
    if component.adapters and found is not None:
        lora_note = _lora_slots(component, found).note(found, resolved.tensor_parallel_degree)
        resolved = replace(resolved, notes=(*resolved.notes, lora_note))
    resolved = replace(resolved, notes=tuple(_component_note(note) for note in resolved.notes))
    if resolved.estimate is not None:  # one IC copy is one LMI engine on its own tp GPUs, not GPUs / tp engines
        resolved = replace(resolved, estimate=replace(resolved.estimate, copies_per_instance=1))
    low, high = _bounds(component)
    return ComponentFit(
        name=component.name,
        inference_component=inference_component_name(spec, component),
        requirements=requirements_of(resolved),
        resolved=resolved,
        min_copies=low,
        copies=component.copies,
        max_copies=high,
    )


def _lora_slots(component: ComponentSpec, shape: ModelShape) -> LoraSlots:
    from deploy.sizing.lora import LoraSlots

    dtype_bytes = 4.0 if shape.torch_dtype in {"float32", "fp32"} and shape.quantization is None else 2.0
    return LoraSlots(component.lora.max_loras, component.lora.max_lora_rank, dtype_bytes)


def _with_adapters(spec: ComponentEndpointSpec, index: int, shape: ModelShape) -> ModelShape:
    """The shape with the component's LoRA slots in its weights; a MoE base needs the LMI version that serves it."""
    from deploy.sizing.lora import with_lora
    from deploy.spec.adapter_rules import moe_problem

    component = spec.components[index]
    problem = moe_problem(spec.lmi.version, index, component.model.id) if shape.moe is not None else None
    if problem is not None:
        raise SpecError(problem, field=f"components.{index}.adapters", value=spec.lmi.version, fix="raise lmi.version")
    return with_lora(shape, _lora_slots(component, shape))


def _component_note(note: str) -> str:
    """A single-model note counts LMI's copies per instance (GPUs / tp); a component's copies are its own ICs."""
    return COPIES_PER_INSTANCE.sub("", note)


def in_component(exc: LmiError, index: int, name: str) -> LmiError:
    """The estimator names bare spec fields (engine.max_model_len); a component's are components.<i>.<field>."""
    if exc.field and not exc.field.startswith(("components", "instance", "scaling", "lmi")):
        exc.field = f"components.{index}.{exc.field}"
    if not exc.message.startswith("component "):
        exc.message = f"component {name!r}: {exc.message}"
        exc.args = (exc.message,)
    return exc


def endpoint_fit(
    spec: ComponentEndpointSpec,
    shapes: Mapping[str, ModelShape] | None = None,
    *,
    instance_type: str | None = None,
    max_instances: int | None = None,
) -> EndpointFit:
    """Size every component and place the minimum and the initial copies (on another type/count if given)."""
    fits = tuple(
        size_component(spec, i, (shapes or {}).get(c.name), instance_type) for i, c in enumerate(spec.components)
    )
    return fit_of(spec, fits, instance_type or spec.instance.type, max_instances or max_instances_of(spec))


def max_instances_of(spec: ComponentEndpointSpec) -> int:
    return spec.scaling.max if spec.scaling is not None else spec.instance.count


def fit_of(
    spec: ComponentEndpointSpec, components: tuple[ComponentFit, ...], instance_type: str, max_instances: int
) -> EndpointFit:
    """Place already sized components (``lmi recommend --spec`` re-places them at several counts)."""
    minimum = place(instance_type, max_instances, [(c.name, c.requirements, c.min_copies) for c in components])
    initial = place(instance_type, max_instances, [(c.name, c.requirements, c.copies) for c in components])
    problems: list[str] = []
    for c in components:
        alone = place(instance_type, 1, [(c.name, c.requirements, 1)])
        if not alone.fits and alone.problem:
            problems.append(alone.problem)
    if not problems:
        if not minimum.fits and minimum.problem:
            problems.append(f"minimum copies: {minimum.problem}")
        if not initial.fits and initial.problem and initial.problem != minimum.problem:
            problems.append(f"initial copies: {initial.problem}")
    return EndpointFit(
        instance_type=instance_type,
        max_instances=max_instances,
        components=components,
        minimum=minimum,
        initial=initial,
        problems=tuple(problems),
        instances_needed=_needed(components, instance_type),
        notes=_scale_out_notes(components, instance_type, max_instances) if not problems else (),
    )


def _scale_out_notes(components: tuple[ComponentFit, ...], instance_type: str, max_instances: int) -> tuple[str, ...]:
    """Not refusals: the initial copies created in spec order (plain first-fit) not fitting, and every component at
    its scaling maximum at once not fitting (scale-out stops there)."""
    notes: list[str] = []
    in_order = place(
        instance_type, max_instances, [(c.name, c.requirements, c.copies) for c in components], decreasing=False
    )
    if not in_order.fits:
        notes.append(
            "created in spec order (one component after the other) the initial copies may not all fit "
            f"{max_instances} x {instance_type}, though they fit largest-first; list the components with the most "
            "GPUs per copy first, or allow one more instance"
        )
    peak = place(instance_type, max_instances, [(c.name, c.requirements, c.max_copies) for c in components])
    if not peak.fits:
        total = sum(c.max_copies for c in components)
        notes.append(
            f"all components at their scaling maximum ({total} copies) do not fit {max_instances} x {instance_type}; "
            "scale-out stops when the instances are full (raise scaling.max of the endpoint to allow more)"
        )
    return tuple(notes)


def _needed(components: tuple[ComponentFit, ...], instance_type: str) -> int:
    """Instances the larger of the minimum and initial copy sets needs (0 when a copy fits no instance)."""
    total = sum(max(c.copies, c.min_copies) for c in components) or 1
    worst = 0
    for counts in ([c.min_copies for c in components], [c.copies for c in components]):
        wanted = [(c.name, c.requirements, n) for c, n in zip(components, counts, strict=True)]
        placed = place(instance_type, total, wanted)
        if not placed.fits:
            return 0
        worst = max(worst, placed.instances_used)
    return worst
