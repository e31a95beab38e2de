"""make_desired: a DesiredState built the way build_desired does, from hand-written bodies. No AWS, no moto.

Shared by the pure plan tests (tests/unit) and the engine tests on moto and the emulator (tests/functional).
"""

from __future__ import annotations

from typing import Any

from deploy.engine.desired import DesiredState, ScalingDesired, name_config, name_model
from deploy.engine.naming import managed_tags

ROLE = "arn:aws:iam::123456789012:role/sagemaker-execution"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.33.0-lmi15.0.0-cu128"


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
