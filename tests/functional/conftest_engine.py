"""Fixtures for the deploy-engine tests: moto with the small patches SageMaker behaviour needs.

moto 5.2.5 creates endpoints directly InService, lacks UpdateEndpoint, overwrites duplicate creates, rejects
g5/g6/g6e instance types and keeps scaling policies after a target is deregistered. The patches below make it
behave like AWS in the ways the engine relies on: a Creating phase (N describes), UpdateEndpoint with an optional
rolled-back failure, "Cannot create already existing", botocore's instance-type enum, and policies deleted with
their target. They are applied per test with monkeypatch, so nothing leaks into other engineers' tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws
from moto.applicationautoscaling import models as aasm
from moto.sagemaker import models as smm
from moto.sagemaker import responses as smr

from deploy.aws.session import AwsContext, make_context
from deploy.engine.desired import DesiredState, ScalingDesired, name_config, name_model
from deploy.engine.naming import managed_tags
from deploy.engine.waiting import PollSchedule, Waiter

INSTANCE_TYPES = frozenset(
    botocore.session.get_session().get_service_model("sagemaker").shape_for("ProductionVariantInstanceType").enum
)
ROLE = "arn:aws:iam::123456789012:role/sagemaker-execution"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.33.0-lmi15.0.0-cu128"
MUTATING_PREFIXES = ("Create", "Update", "Delete", "Put", "Register", "Deregister", "Add", "Upload", "Complete")


@dataclass
class Lifecycle:
    """How the patched endpoints behave: describes before a transition settles, and failures to inject."""

    creating_polls: int = 1
    fail_create: str | None = None
    fail_update: str | None = None
    states: dict[str, dict[str, Any]] = field(default_factory=dict)


def _already(kind: str, arn: str) -> smm.ValidationError:
    return smm.ValidationError(message=f'Cannot create already existing {kind} "{arn}".')


def patch_moto(monkeypatch: pytest.MonkeyPatch, life: Lifecycle) -> None:
    """Apply the SageMaker/AAS patches for one test (undone by monkeypatch afterwards)."""
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
        return original_describe(self, endpoint_name)

    def deregister(self: Any, namespace: str, r_id: str, dimension: str) -> None:
        original_deregister(self, namespace, r_id, dimension)
        for key in [k for k, p in self.policies.items() if p.resource_id == r_id]:
            del self.policies[key]

    original_create_endpoint = backend.create_endpoint
    original_describe = backend.describe_endpoint
    original_deregister = aasm.ApplicationAutoscalingBackend.deregister_scalable_target
    monkeypatch.setattr(smm.FakeEndpointConfig, "validate_instance_type", validate_instance_type)
    monkeypatch.setattr(backend, "create_model", guard(backend.create_model, "model", "model_name", "_models"))
    monkeypatch.setattr(
        backend,
        "create_endpoint_config",
        guard(backend.create_endpoint_config, "endpoint-config", "endpoint_config_name", "endpoint_configs"),
    )
    monkeypatch.setattr(backend, "create_endpoint", create_endpoint)
    monkeypatch.setattr(backend, "update_endpoint", update_endpoint, raising=False)
    monkeypatch.setattr(smr.SageMakerResponse, "update_endpoint", update_endpoint_response, raising=False)
    monkeypatch.setattr(backend, "describe_endpoint", describe_endpoint)
    monkeypatch.setattr(aasm.ApplicationAutoscalingBackend, "deregister_scalable_target", deregister)


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


@pytest.fixture
def lifecycle(monkeypatch: pytest.MonkeyPatch) -> Lifecycle:
    life = Lifecycle()
    patch_moto(monkeypatch, life)
    return life


@pytest.fixture
def ctx(lifecycle: Lifecycle) -> Iterator[AwsContext]:
    """An AwsContext on in-process moto (patched), region us-east-1."""
    with mock_aws():
        yield make_context(region="us-east-1")


FAST_WAITER = Waiter(schedule=PollSchedule(first=0.0, cap=0.0), sleep=lambda _s: None)


class CallCounter:
    """Counts API calls per operation through botocore's before-call event."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, model: Any, **_kwargs: Any) -> None:
        self.calls.append(model.name)

    @property
    def mutating(self) -> list[str]:
        return [c for c in self.calls if c.startswith(MUTATING_PREFIXES)]

    @property
    def reads(self) -> list[str]:
        return [c for c in self.calls if not c.startswith(MUTATING_PREFIXES)]


def count_calls(ctx: AwsContext) -> CallCounter:
    counter = CallCounter()
    for service in ("sagemaker", "application-autoscaling", "cloudwatch", "s3", "sts"):
        ctx.client(service).meta.events.register("before-call", counter)
    return counter


def error_response(code: str, message: str, status: int = 400) -> Callable[..., AWSResponse | None]:
    """A before-send hook that answers with an AWS error (every time it is called)."""

    class _Raw:
        def __init__(self, body: bytes) -> None:
            self.body = body

        def stream(self, **_kw: Any) -> Iterator[bytes]:
            yield self.body

    def hook(request: Any, **_kwargs: Any) -> AWSResponse:
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-query-error": f"{code};Sender"}
        return AWSResponse(request.url, status, headers, _Raw(body))

    return hook


def make_desired(
    name: str = "engine-test",
    *,
    instance_type: str = "ml.g6e.2xlarge",
    count: int = 1,
    env: dict[str, str] | None = None,
    scaling: tuple[int, int] | None = None,
    spec_hash: str = "abcdef012345",
    deployment_config: dict[str, Any] | None = None,
    alarm: dict[str, Any] | None = None,
    secret_env: dict[str, str] | None = None,
) -> DesiredState:
    """A DesiredState built the way build_desired does, from hand-written request bodies (no spec needed)."""
    tags = managed_tags(name, spec_hash, {"team": "ml"})
    environment = {"HF_MODEL_ID": "Qwen/Qwen2.5-7B-Instruct", **(env or {})}
    for key, ref in (secret_env or {}).items():
        environment.setdefault(key, ref)
    model = name_model(
        name,
        {"ExecutionRoleArn": ROLE, "PrimaryContainer": {"Image": IMAGE, "Environment": environment}},
        tags,
    )
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": model["ModelName"],
        "InstanceType": instance_type,
        "InitialInstanceCount": count,
        "ContainerStartupHealthCheckTimeoutInSeconds": 900,
    }
    config = name_config(name, {"ProductionVariants": [variant]}, tags)
    return DesiredState(
        endpoint_name=name,
        spec_hash=spec_hash,
        model_request=model,
        config_request=config,
        endpoint_tags=tags,
        deployment_config=deployment_config or {},
        scaling=_scaling(name, scaling) if scaling else None,
        alarm_request=alarm,
        secret_env=dict(secret_env or {}),
        wait_timeout_s=60.0,
    )


def _scaling(name: str, bounds: tuple[int, int]) -> ScalingDesired:
    resource = {
        "ServiceNamespace": "sagemaker",
        "ResourceId": f"endpoint/{name}/variant/AllTraffic",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
    }
    policy = {
        **resource,
        "PolicyName": f"{name}-invocations-per-instance",
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": 10.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
            "ScaleInCooldown": 300,
            "ScaleOutCooldown": 60,
        },
    }
    return ScalingDesired(target={**resource, "MinCapacity": bounds[0], "MaxCapacity": bounds[1]}, policy=policy)
