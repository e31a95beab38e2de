"""Rules of a component endpoint that involve more than one field, each a small function with a fix in its message.

Why here and not on the field models: these rules read the endpoint and a component together (the IC name joins
both names; ``instance.count`` meets the endpoint's scaling; a component's tensor-parallel degree meets the
instance type; adapters meet the LMI version). Each message starts with the field it is about
(``components.0.copies=5 ...``) so the error translation gives it that field and its line in the file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError

if TYPE_CHECKING:
    from deploy.spec.components import ComponentEndpointSpec, ComponentSpec

from deploy.spec.adapter_rules import check_adapter_lora_options, check_adapters
from deploy.spec.component_views import MAX_IC_NAME


def check_endpoint(spec: ComponentEndpointSpec) -> None:
    """Every rule below, in the order a reader fixes them; the first broken one raises ValueError."""
    _check_instance_count(spec)
    _check_scale_to_zero_region(spec)
    for index, component in enumerate(spec.components):
        _check_ic_name(spec, index, component)
        _check_copies(index, component)
        check_adapter_lora_options(index, component)
        _check_view(spec, index, component)

    check_adapters(spec)


def _check_instance_count(spec: ComponentEndpointSpec) -> None:
    scaling = spec.scaling
    if scaling is None:
        return
    low = max(1, scaling.min)  # an endpoint is created with at least one instance, even when it may scale to 0
    if not low <= spec.instance.count <= scaling.max:
        raise ValueError(
            f"instance.count={spec.instance.count} is outside the endpoint's scaling bounds "
            f"{low}..{scaling.max} (instances at creation; at least 1 even with scaling.min 0); "
            "set instance.count within them"
        )


SCALE_TO_ZERO_PARTITIONS = frozenset({"aws"})  # as the engine's plan-time check (deploy.engine.components)


def _check_scale_to_zero_region(spec: ComponentEndpointSpec) -> None:
    """Offline, the same refusal ``lmi plan`` gives: scale to zero is documented for the commercial partition only."""
    if spec.region is None:
        return  # the deploy's region is known only at plan time, where the engine checks it
    from deploy.catalog import region_info

    partition = region_info(spec.region).partition
    if partition in SCALE_TO_ZERO_PARTITIONS:
        return
    floors = [("scaling.min", spec.scaling.min if spec.scaling else None)]
    floors += [
        (f"components.{i}.scaling.min", c.scaling.min if c.scaling else None) for i, c in enumerate(spec.components)
    ]
    for field, low in floors:
        if low == 0:
            raise ValueError(
                f"{field}=0: scale to zero is not available in {spec.region} (partition {partition}); AWS documents "
                f"scaling inference components to zero for the commercial partition (aws) only; set {field} to 1 "
                "or more, or deploy to a commercial region (e.g. us-east-1)"
            )


def _check_ic_name(spec: ComponentEndpointSpec, index: int, component: ComponentSpec) -> None:
    from deploy.spec.component_views import inference_component_name

    name = inference_component_name(spec, component)
    if len(name) > MAX_IC_NAME:
        room = MAX_IC_NAME - len(spec.name) - 1
        fix = (
            f"shorten the component name to at most {room} characters"
            if room > 0
            else "shorten the endpoint name (the IC name is <endpoint>-<component>)"
        )
        raise ValueError(
            f"components.{index}.name={component.name!r}: the inference component name {name!r} is {len(name)} "
            f"characters; SageMaker allows at most {MAX_IC_NAME}; {fix}"
        )


def _check_copies(index: int, component: ComponentSpec) -> None:
    scaling = component.scaling
    if scaling is None:
        return
    if not scaling.min <= component.copies <= scaling.max:
        raise ValueError(
            f"components.{index}.copies={component.copies} is outside its scaling bounds "
            f"{scaling.min}..{scaling.max}; set copies (the copies at creation, at least 1) within "
            "components[].scaling.min..max"
        )
    if component.copies < 1:  # pragma: no cover - the field's own bound (ge=1) refuses it first
        raise ValueError(f"components.{index}.copies must be at least 1 (SageMaker refuses CopyCount 0 at create)")


def _check_view(spec: ComponentEndpointSpec, index: int, component: ComponentSpec) -> None:
    """Every single-model rule, on the component's view (tensor parallelism vs the instance, engine options...)."""
    from deploy.spec.component_views import view_data, view_problem
    from deploy.spec.model import DeploymentSpec

    try:
        DeploymentSpec.model_validate(view_data(spec, component))
    except ValidationError as exc:
        raise ValueError(view_problem(exc, index)[1]) from None
