"""Application Auto Scaling for inference components (``inference-component/<name>``), which moto's enums predate.

Rule: only requests about an ``inference-component/`` resource are taken over; everything else goes on to
autoscaling.py and moto unchanged. A target needs dimension ``sagemaker:inference-component:DesiredCopyCount``
and an existing, non-adapter component; ``MinCapacity`` 0 is allowed (scale to zero) and min <= max. A policy
needs a registered target (``ObjectNotFoundException``) and, for target tracking, one of the inference-component
predefined metrics; a target-tracking policy gets the two CloudWatch alarms AWS creates for it (AlarmHigh,
AlarmLow), which go when the policy goes. Targets are stored in moto's own backend (so Describe, Deregister and
policies work there); DescribeScalingActivities, which moto lacks, answers from what the emulator's scaler did.
"""

from __future__ import annotations

import uuid
from typing import Any

from deploy.local import backends
from deploy.local.components import Handler, store_of
from deploy.local.endpoints import EndpointRegistry
from deploy.local.errors import ApiError, validation

DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
PREFIX = "inference-component/"
COMPONENT_METRICS = (
    "SageMakerInferenceComponentInvocationsPerCopy",
    "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution",
)


def is_component_resource(body: dict[str, Any]) -> bool:
    return body.get("ServiceNamespace") == "sagemaker" and str(body.get("ResourceId", "")).startswith(PREFIX)


def _component_name(body: dict[str, Any]) -> str:
    resource_id = str(body["ResourceId"])
    name = resource_id[len(PREFIX) :]
    if not name or "/" in name:
        raise validation("Unsupported service namespace, resource type or scalable dimension")
    return name


def _check_dimension(body: dict[str, Any]) -> None:
    dimension = body.get("ScalableDimension")
    if dimension != DIMENSION:
        raise validation(
            f"Unsupported scalable dimension {dimension} for resource {body.get('ResourceId')}; an inference "
            f"component scales on {DIMENSION}."
        )


def register_scalable_target(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any] | None:
    if not is_component_resource(body):
        return None
    from moto.applicationautoscaling.models import FakeScalableTarget

    name, resource_id = _component_name(body), str(body["ResourceId"])
    _check_dimension(body)
    component = store_of(registry).get(region, name)
    if component is None or component.base is not None:
        what = "does not exist" if component is None else "is an adapter (scale its base component)"
        raise validation(f"Unable to register scalable target {resource_id}: the inference component {name} {what}.")
    backend = backends.autoscaling(region)
    existing = backend.targets.get(DIMENSION, {}).get(resource_id)
    low = body.get("MinCapacity", getattr(existing, "min_capacity", None))
    high = body.get("MaxCapacity", getattr(existing, "max_capacity", None))
    if low is None or high is None:
        raise validation("MinCapacity and MaxCapacity are required to register a new scalable target.")
    if int(low) > int(high):
        raise validation("Minimum capacity cannot be greater than maximum capacity")
    if existing is not None:
        existing.update(int(low), int(high), body.get("SuspendedState"))
        return {"ScalableTargetARN": existing.arn}
    target_type: Any = FakeScalableTarget
    target = target_type(
        backend,
        "sagemaker",
        resource_id,
        DIMENSION,
        int(low),
        int(high),
        body.get("RoleARN"),
        body.get("SuspendedState"),
    )
    backend._add_scalable_target(target)
    return {"ScalableTargetARN": target.arn}


def describe_scalable_targets(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """moto refuses the inference-component dimension as a filter; answer that query here."""
    if body.get("ScalableDimension") != DIMENSION:
        return None
    from moto.applicationautoscaling.responses import _build_target

    targets = backends.autoscaling(region).describe_scalable_targets(
        body.get("ServiceNamespace", ""), body.get("ResourceIds"), DIMENSION
    )
    return {"ScalableTargets": [_build_target(t) for t in targets]}


def put_scaling_policy(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any] | None:
    if not is_component_resource(body):
        return None
    _check_dimension(body)
    resource_id = str(body["ResourceId"])
    if resource_id not in backends.autoscaling(region).targets.get(DIMENSION, {}):
        raise ApiError(
            "ObjectNotFoundException",
            f"No scalable target registered for service namespace: sagemaker, resource ID: {resource_id}, "
            f"scalable dimension: {DIMENSION}",
        )
    spec = (body.get("TargetTrackingScalingPolicyConfiguration") or {}).get("PredefinedMetricSpecification")
    metric = (spec or {}).get("PredefinedMetricType")
    if metric is not None and metric not in COMPONENT_METRICS:
        raise validation(
            f"The predefined metric type {metric} is not supported for resource {resource_id}; use one of "
            f"{', '.join(COMPONENT_METRICS)}."
        )
    if body.get("PolicyType") != "TargetTrackingScaling":
        return None  # valid: moto stores it (its PutScalingPolicy does not check the dimension enum)
    return _put_target_tracking(region, body, metric)


_METRIC_OF = {  # predefined metric -> (CloudWatch metric the alarms watch, period in seconds)
    "SageMakerInferenceComponentInvocationsPerCopy": ("InvocationsPerCopy", 60),
    "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution": ("ConcurrentRequestsPerCopy", 10),
}


def _put_target_tracking(region: str, body: dict[str, Any], metric: str | None) -> dict[str, Any]:
    """Store the policy and, as AWS does for target tracking, the two alarms it owns (deleted with it)."""
    from moto.applicationautoscaling.models import FakeApplicationAutoscalingPolicy

    aas, config = backends.autoscaling(region), dict(body["TargetTrackingScalingPolicyConfiguration"])
    key = FakeApplicationAutoscalingPolicy.formulate_key("sagemaker", body["ResourceId"], DIMENSION, body["PolicyName"])
    if key in aas.policies:
        aas.policies[key].delete_alarms(backends.account_id(), region)
    policy = aas.put_scaling_policy(
        body["PolicyName"], "sagemaker", body["ResourceId"], DIMENSION, config, "TargetTrackingScaling"
    )
    metric_name, period = _METRIC_OF.get(metric or "", ("InvocationsPerCopy", 60))
    component = str(body["ResourceId"])[len(PREFIX) :]
    target = float(config.get("TargetValue", 1.0))
    action = f"{policy.policy_arn}:createdBy/{uuid.uuid4()}"
    cloudwatch = backends.cloudwatch(region)
    for side, operator, periods, threshold in (
        ("AlarmHigh", "GreaterThanThreshold", 3, target),
        ("AlarmLow", "LessThanThreshold", 15, target * 0.9),
    ):
        policy.alarms.append(
            cloudwatch.put_metric_alarm(
                name=f"TargetTracking-{body['ResourceId']}-{side}-{uuid.uuid4()}",
                namespace="AWS/SageMaker",
                metric_name=metric_name,
                comparison_operator=operator,
                evaluation_periods=periods,
                period=period,
                threshold=threshold,
                statistic="Average",
                description=f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {action}.",
                dimensions=[{"Name": "InferenceComponentName", "Value": component}],
                alarm_actions=[action],
            )
        )
    alarms = [{"AlarmName": a.name, "AlarmARN": a.alarm_arn} for a in policy.alarms]
    return {"PolicyARN": policy.policy_arn, "Alarms": alarms}


def describe_scaling_activities(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any]:
    """moto lacks this call; the emulator's scaler records what it did to inference components."""
    wanted_id, wanted_dim = body.get("ResourceId"), body.get("ScalableDimension")
    activities = [
        a
        for a in store_of(registry).activities
        if a["Region"] == region
        and a["ServiceNamespace"] == body.get("ServiceNamespace")
        and wanted_id in (None, a["ResourceId"])
        and wanted_dim in (None, a["ScalableDimension"])
    ]
    shown = [{k: v for k, v in a.items() if k != "Region"} for a in reversed(activities)]
    return {"ScalingActivities": shown}


HANDLERS: dict[str, Handler] = {
    "RegisterScalableTarget": register_scalable_target,
    "DescribeScalableTargets": describe_scalable_targets,
    "PutScalingPolicy": put_scaling_policy,
    "DescribeScalingActivities": describe_scaling_activities,
}
