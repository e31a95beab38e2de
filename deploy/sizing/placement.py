"""Placement of inference-component copies on an endpoint's instances: what one copy needs, and where it goes.

Why here: whether the copies of a component endpoint fit is a sizing question that can be answered before any AWS
call, from the same estimator ``lmi size`` uses. Each component is sized through
:func:`deploy.spec.components.component_view` (a single-model spec), so a component is resolved exactly like a
single-model endpoint: the same tensor-parallel choice, Hub flow and verdict.

The placement rule is AWS's (SageMaker "inference component" compute requirements): every copy gets
``NumberOfAcceleratorDevicesRequired`` whole accelerators, all on one instance; the instance's accelerator count,
GPU memory, host memory and CPU cores are the limits; a copy that does not fit an instance is not split. We place
by first-fit-decreasing (largest copies first, each on the first instance with room): not always optimal, but
within a small factor of it and the same greedy order an operator would follow by hand. The per-copy resource
rules (host memory, CPU cores) are in :mod:`deploy.sizing.copy_resources`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from deploy.sizing.copy_resources import CopyRequirements, copy_requirements
from deploy.sizing.packing import InstanceCapacity, Placement, place

if TYPE_CHECKING:
    from deploy.sizing.component_fit import EndpointFit
    from deploy.sizing.shape import ModelShape
    from deploy.spec.components import ComponentEndpointSpec

__all__ = [
    "CopyRequirements",
    "InstanceCapacity",
    "Placement",
    "check_component_fit",
    "copy_requirements",
    "place",
]


def check_component_fit(spec: ComponentEndpointSpec, shapes: Mapping[str, ModelShape] | None = None) -> EndpointFit:
    """The endpoint's fit (see :mod:`deploy.sizing.component_fit`); SpecError (exit 2) with the numbers if not."""
    from deploy.sizing.component_fit import endpoint_fit

    fit = endpoint_fit(spec, shapes)
    fit.raise_if_refused()
    return fit
