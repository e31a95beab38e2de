"""In-process moto with the SageMaker lifecycle the engine relies on: the one place these patches live.

moto 5.2.5 creates endpoints directly InService, lacks UpdateEndpoint, overwrites duplicate creates, rejects
g5/g6/g6e instance types and keeps scaling policies after a target is deregistered. These patches make it behave
like AWS in the ways the engine relies on: a Creating phase (N describes), UpdateEndpoint with an optional
rolled-back failure, "Cannot create already existing", botocore's instance-type enum, and policies deleted with
their target. The embedded emulator (``deploy.local.Emulator``) does the same over HTTP; these are for tests that
drive moto in-process (``mock_aws``). Apply them with :func:`patched_moto` (a context manager) or
:func:`patch_moto` with pytest's ``monkeypatch.setattr``, so nothing leaks into other tests.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import botocore.session
from moto.applicationautoscaling import models as _aasm
from moto.sagemaker import models as _smm
from moto.sagemaker import responses as _smr

__all__ = ["INSTANCE_TYPES", "Lifecycle", "patch_moto", "patched_moto"]

aasm: Any = _aasm  # moto's internals, patched on purpose: typed loosely
smm: Any = _smm
smr: Any = _smr
Setter = Callable[..., None]  # setattr_(target, name, value, raising=...)
_INSTANCE_SHAPE: Any = (
    botocore.session.get_session().get_service_model("sagemaker").shape_for("ProductionVariantInstanceType")
)
INSTANCE_TYPES: frozenset[str] = frozenset(_INSTANCE_SHAPE.enum)


@dataclass
class Lifecycle:
    """How the patched endpoints behave: describes before a transition settles, and failures to inject."""

    creating_polls: int = 1
    fail_create: str | None = None
    fail_update: str | None = None
    states: dict[str, dict[str, Any]] = field(default_factory=dict)


def _already(kind: str, arn: str) -> smm.ValidationError:
    return smm.ValidationError(message=f'Cannot create already existing {kind} "{arn}".')


def patch_moto(setattr_: Setter, life: Lifecycle) -> None:
    """Apply the SageMaker/AAS patches with ``setattr_`` (e.g. pytest's ``monkeypatch.setattr``, which undoes them)."""
    backend = smm.SageMakerModelBackend

    def validate_instance_type(self: Any, instance_type: str) -> None:
        if instance_type not in INSTANCE_TYPES:
            raise smm.ValidationError(message=f"Value '{instance_type}' at 'instanceType' failed to satisfy constraint")

    def guard(original: Callable[..., Any], kind: str, key: str, store: str) -> Callable[..., Any]:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            name = kwargs.get(key, args[0] if args else None)
            if name in getattr(self, store):
                raise _already(kind, f"arn:aws:sagemaker:{self.region_name}:{self.account_id}:{kind}/{name}")
            return original(self, *args, **kwargs)

        return wrapper

    def create_endpoint(self: Any, endpoint_name: str, endpoint_config_name: str, tags: Any) -> Any:
        if endpoint_name in self.endpoints:
            raise _already(
                "endpoint", f"arn:aws:sagemaker:{self.region_name}:{self.account_id}:endpoint/{endpoint_name}"
            )
        endpoint = original_create_endpoint(self, endpoint_name, endpoint_config_name, tags)
        final = ("Failed", life.fail_create) if life.fail_create else ("InService", None)
        _start_transition(life, endpoint, "Creating", final, None)
        return endpoint

    def update_endpoint(self: Any, name: str, config_name: str) -> str:
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            raise smm.ValidationError(message=f"Could not find endpoint '{name}'.")
        config = self.describe_endpoint_config(config_name)
        previous = (endpoint.endpoint_config_name, endpoint.production_variants)
        endpoint.endpoint_config_name = config_name
        endpoint.production_variants = endpoint._process_production_variants(config["ProductionVariants"])
        final = ("InService", life.fail_update)
        _start_transition(life, endpoint, "Updating", final, previous if life.fail_update else None)
        return str(endpoint.arn)

    def update_endpoint_response(self: Any) -> Any:
        arn = self.sagemaker_backend.update_endpoint(
            self._get_param("EndpointName"), self._get_param("EndpointConfigName")
        )
        return smr.ActionResult({"EndpointArn": arn})

    def describe_endpoint(self: Any, endpoint_name: str) -> dict[str, Any]:
        endpoint = self.endpoints.get(endpoint_name)
        if endpoint is not None:
            _advance(life, endpoint)
        described: dict[str, Any] = original_describe(self, endpoint_name)
        return described

    def deregister(self: Any, namespace: str, r_id: str, dimension: str) -> None:
        original_deregister(self, namespace, r_id, dimension)
        for key in [k for k, p in self.policies.items() if p.resource_id == r_id]:
            del self.policies[key]

    original_create_endpoint = backend.create_endpoint
    original_describe = backend.describe_endpoint
    original_deregister = aasm.ApplicationAutoscalingBackend.deregister_scalable_target
    setattr_(smm.FakeEndpointConfig, "validate_instance_type", validate_instance_type)
    setattr_(backend, "create_model", guard(backend.create_model, "model", "model_name", "_models"))
    setattr_(
        backend,
        "create_endpoint_config",
        guard(backend.create_endpoint_config, "endpoint-config", "endpoint_config_name", "endpoint_configs"),
    )
    setattr_(backend, "create_endpoint", create_endpoint)
    setattr_(backend, "update_endpoint", update_endpoint, raising=False)
    setattr_(smr.SageMakerResponse, "update_endpoint", update_endpoint_response, raising=False)
    setattr_(backend, "describe_endpoint", describe_endpoint)
    setattr_(aasm.ApplicationAutoscalingBackend, "deregister_scalable_target", deregister)


def _start_transition(
    life: Lifecycle, endpoint: Any, status: str, final: tuple[str, str | None], rollback: Any
) -> None:
    endpoint.endpoint_status = status
    endpoint.failure_reason = None
    life.states[endpoint.endpoint_name] = {"left": life.creating_polls, "final": final, "rollback": rollback}
    if life.creating_polls <= 0:
        _advance(life, endpoint)


def _advance(life: Lifecycle, endpoint: Any) -> None:
    state = life.states.get(endpoint.endpoint_name)
    if not state:
        return
    if state["left"] > 0:
        state["left"] -= 1
        return
    status, reason = state["final"]
    endpoint.endpoint_status = status
    endpoint.failure_reason = reason
    if state["rollback"] is not None:
        endpoint.endpoint_config_name, endpoint.production_variants = state["rollback"]
    del life.states[endpoint.endpoint_name]


@contextlib.contextmanager
def patched_moto(life: Lifecycle | None = None) -> Iterator[Lifecycle]:
    """The patches for the duration of a ``with`` block; yields the Lifecycle that controls them."""
    life = life or Lifecycle()
    with contextlib.ExitStack() as stack:

        def setter(target: Any, name: str, value: Any, raising: bool = True) -> None:
            stack.enter_context(mock.patch.object(target, name, value, create=not raising))

        patch_moto(setter, life)
        yield life
