"""Application Auto Scaling checks that moto 5.2 skips for SageMaker variants.

Rule: validate as AWS does before moto stores anything: min <= max, the endpoint and variant must exist, a
policy needs a registered target (``ObjectNotFoundException``), predefined metric names come from botocore's enum;
and deregistering a target deletes its policies. Other namespaces pass through to moto untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.session

from deploy.local import backends
from deploy.local.endpoints import EndpointRegistry
from deploy.local.errors import ApiError, from_moto, moto_errors, validation

Handler = Callable[[EndpointRegistry, str, dict[str, Any]], "dict[str, Any] | None"]


def _is_sagemaker_variant(body: dict[str, Any]) -> bool:
    return body.get("ServiceNamespace") == "sagemaker" and str(body.get("ResourceId", "")).startswith("endpoint/")


def _split_resource(resource_id: str) -> tuple[str, str]:
    parts = resource_id.split("/")
    if len(parts) != 4 or parts[2] != "variant":
        raise validation("Unsupported service namespace, resource type or scalable dimension")
    return parts[1], parts[3]


def register_scalable_target(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> None:
    if not _is_sagemaker_variant(body):
        return None
    resource_id = str(body["ResourceId"])
    existing = backends.autoscaling(region).targets.get(body.get("ScalableDimension", ""), {}).get(resource_id)
    low = body.get("MinCapacity", getattr(existing, "min_capacity", None))
    high = body.get("MaxCapacity", getattr(existing, "max_capacity", None))
    if low is not None and high is not None and int(low) > int(high):
        raise validation("Minimum capacity cannot be greater than maximum capacity")
    endpoint_name, variant = _split_resource(resource_id)
    endpoint = backends.sagemaker(region).endpoints.get(endpoint_name)
    variants = [v["VariantName"] for v in (endpoint.production_variants if endpoint else [])]
    if endpoint is None or variant not in variants:
        raise validation(
            f"Unable to register scalable target {resource_id}: the SageMaker endpoint {endpoint_name} "
            f"or its variant {variant} does not exist."
        )
    return None


def _predefined_metrics() -> frozenset[str]:
    model = botocore.session.get_session().get_service_model("application-autoscaling")
    return frozenset(model.shape_for("MetricType").metadata.get("enum", []))


def put_scaling_policy(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> None:
    if not _is_sagemaker_variant(body):
        return None
    resource_id, dimension = str(body["ResourceId"]), str(body.get("ScalableDimension", ""))
    if resource_id not in backends.autoscaling(region).targets.get(dimension, {}):
        raise ApiError(
            "ObjectNotFoundException",
            f"No scalable target registered for service namespace: sagemaker, resource ID: {resource_id}, "
            f"scalable dimension: {dimension}",
        )
    spec = (body.get("TargetTrackingScalingPolicyConfiguration") or {}).get("PredefinedMetricSpecification")
    metric = (spec or {}).get("PredefinedMetricType")
    if metric is not None and metric not in _predefined_metrics():
        raise validation(
            f"1 validation error detected: Value '{metric}' at 'targetTrackingScalingPolicyConfiguration."
            "predefinedMetricSpecification.predefinedMetricType' failed to satisfy constraint: Member must "
            "satisfy enum value set"
        )
    return None


def deregister_scalable_target(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any]:
    backend = backends.autoscaling(region)
    namespace, resource_id = body.get("ServiceNamespace", ""), body.get("ResourceId", "")
    dimension = body.get("ScalableDimension", "")
    try:
        backend.deregister_scalable_target(namespace, resource_id, dimension)
    except moto_errors() as exc:
        raise from_moto(exc) from exc
    for key, policy in list(backend.policies.items()):
        if policy.resource_id == resource_id and policy.scalable_dimension == dimension:
            policy.delete_alarms(backends.account_id(), region)  # the alarms a target-tracking policy owns
            del backend.policies[key]
    return {}


HANDLERS: dict[str, Handler] = {
    "RegisterScalableTarget": register_scalable_target,
    "PutScalingPolicy": put_scaling_policy,
    "DeregisterScalableTarget": deregister_scalable_target,
}
