"""Errors of a component's single-model view, reported where the user wrote the value.

Why: a component is checked by building its :class:`~deploy.spec.model.DeploymentSpec` view (so every single-model
rule applies to it: tensor-parallel degree against the instance, engine options, network isolation). That view's
errors name ``engine.tensor_parallel_degree``; in the component document the field is
``components.<i>.engine.tensor_parallel_degree``. Fields the view takes from the endpoint (``instance``, ``lmi``,
``security``, ``role``) keep their endpoint path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from deploy.errors import SpecError

if TYPE_CHECKING:
    from deploy.spec.components import ComponentEndpointSpec, ComponentSpec

MAX_IC_NAME = 63  # SageMaker InferenceComponentName: ^[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?$, at most 63

COMPONENT_FIELDS = frozenset({"model", "engine"})


def view_problem(exc: ValidationError, index: int | str) -> tuple[str, str]:
    """``(field path in the component document, message)`` of the view's first error."""
    from deploy.spec.explain import _locate
    from deploy.spec.model import DeploymentSpec

    err = _locate(exc.errors()[0], DeploymentSpec)
    loc = tuple(str(part) for part in err["loc"])
    message = str(err["msg"]).removeprefix("Value error, ")
    if loc and loc[0] not in COMPONENT_FIELDS:
        return ".".join(loc), message
    field = ".".join(("components", str(index), *loc))
    inner = ".".join(loc)
    if inner and message.startswith(inner):
        message = message[len(inner) :].lstrip(": ")
        message = message if message.startswith("=") else f": {message}"
        return field, f"{field}{message}"
    return field, f"{field}: {message}"


def view_error(exc: ValidationError, index: int | str) -> SpecError:
    """The view's first error as a SpecError at the component's field."""
    field, message = view_problem(exc, index)
    value: Any = None
    first = exc.errors()[0]
    if first.get("loc") and not isinstance(first.get("input"), (dict, list)):
        value = first.get("input")
    return SpecError(f"invalid spec: {message}", field=field, value=value, fix="change the value as the message says")


def inference_component_name(spec: ComponentEndpointSpec, component: ComponentSpec) -> str:
    """The IC's SageMaker name: ``<endpoint>-<component>`` (the documented convention)."""
    return f"{spec.name}-{component.name}"


def adapter_component_name(spec: ComponentEndpointSpec, component: ComponentSpec, adapter_name: str) -> str:
    """The adapter IC's SageMaker name: ``<endpoint>-<component>-<adapter>`` (unique per account and region)."""
    return f"{inference_component_name(spec, component)}-{adapter_name}"


def view_data(spec: ComponentEndpointSpec, component: ComponentSpec) -> dict[str, Any]:
    """The document of the component's single-model view (see :func:`deploy.spec.components.component_view`)."""
    return {
        "name": inference_component_name(spec, component),
        "region": spec.region,
        "role": spec.role,
        "lmi": spec.lmi.model_dump(),
        "model": component.model.model_dump(),
        "engine": component.engine.model_dump(),
        "instance": spec.instance.model_dump(),
        "security": spec.security.model_dump(),
        "delivery": spec.delivery,
        "artifacts": spec.artifacts.model_dump(),
        "tags": dict(spec.tags),
    }
