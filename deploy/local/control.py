"""SageMaker control-plane calls where moto 5.2 differs from AWS, answered the way AWS answers them.

Rule: only the calls listed in :data:`HANDLERS` are taken over; each validates like SageMaker (duplicate names,
missing resources, in-progress endpoints, scalable targets blocking an instance-type change), stores its result in
moto's backend, and returns the JSON body. Every other call goes to moto unchanged. A handler returns ``None`` to
mean "valid: let moto answer".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.session
from moto.sagemaker import models as sagemaker_models
from moto.sagemaker.exceptions import ValidationError

from deploy.local import backends
from deploy.local.endpoints import EndpointRegistry
from deploy.local.errors import from_moto, moto_errors, sagemaker_arn, validation

Handler = Callable[[EndpointRegistry, str, dict[str, Any]], "dict[str, Any] | None"]
_INSTANCE_TYPES: frozenset[str] | None = None


def instance_types() -> frozenset[str]:
    """SageMaker's real list: botocore's ``ProductionVariantInstanceType`` enum (moto's list is years old)."""
    global _INSTANCE_TYPES
    if _INSTANCE_TYPES is None:
        model = botocore.session.get_session().get_service_model("sagemaker")
        _INSTANCE_TYPES = frozenset(model.shape_for("ProductionVariantInstanceType").metadata.get("enum", []))
    return _INSTANCE_TYPES


def _validate_instance_type(self: Any, instance_type: str) -> None:
    if instance_type not in instance_types():
        raise ValidationError(
            message=f"1 validation error detected: Value '{instance_type}' at 'productionVariants.1.member."
            "instanceType' failed to satisfy constraint: Member must satisfy enum value set: "
            "[ml.g5.xlarge, ml.g5.2xlarge, ml.g6e.xlarge, ml.p5.48xlarge, ...]"
        )


def install_moto_patches() -> None:
    """Accept every instance type SageMaker accepts (idempotent; makes moto stricter nowhere)."""
    sagemaker_models.FakeEndpointConfig.validate_instance_type = _validate_instance_type  # type: ignore[method-assign]


def _arn(region: str, kind: str, name: str) -> str:
    return sagemaker_arn(region, backends.account_id(), kind, name)


def create_model(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any] | None:
    name = body.get("ModelName", "")
    if name in backends.sagemaker(region)._models:
        raise validation(f'Cannot create already existing model "{_arn(region, "model", name)}".')
    return None


def create_endpoint_config(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any] | None:
    name = body.get("EndpointConfigName", "")
    if name in backends.sagemaker(region).endpoint_configs:
        arn = _arn(region, "endpoint-config", name)
        raise validation(f'Cannot create already existing endpoint configuration "{arn}".')
    return None


def create_endpoint(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any] | None:
    name, config_name = body.get("EndpointName", ""), body.get("EndpointConfigName", "")
    backend = backends.sagemaker(region)
    if name in backend.endpoints:
        raise validation(f'Cannot create already existing endpoint "{_arn(region, "endpoint", name)}".')
    if config_name not in backend.endpoint_configs:
        raise validation(f'Could not find endpoint configuration "{_arn(region, "endpoint-config", config_name)}".')
    try:
        endpoint = backend.create_endpoint(name, config_name, body.get("Tags") or [])
    except moto_errors() as exc:
        raise from_moto(exc) from exc
    endpoint.endpoint_status = "Creating"
    registry.begin(region, name, "create", config_name)
    return {"EndpointArn": endpoint.arn}


def _existing_endpoint(region: str, name: str) -> Any:
    endpoint = backends.sagemaker(region).endpoints.get(name)
    if endpoint is None:
        raise validation(f'Could not find endpoint "{_arn(region, "endpoint", name)}".')
    return endpoint


def update_endpoint(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any] | None:
    name, config_name = body.get("EndpointName", ""), body.get("EndpointConfigName", "")
    endpoint = _existing_endpoint(region, name)
    if endpoint.endpoint_status != "InService":
        state = "failed" if endpoint.endpoint_status == "Failed" else "in-progress"
        raise validation(f'Cannot update {state} endpoint "{endpoint.arn}".')
    backend = backends.sagemaker(region)
    if config_name not in backend.endpoint_configs:
        raise validation(f'Could not find endpoint configuration "{_arn(region, "endpoint-config", config_name)}".')
    _check_scalable_variants(region, name, endpoint.endpoint_config_name, config_name)
    endpoint.endpoint_status = "Updating"
    endpoint.failure_reason = None
    endpoint.pending_deployment_summary = _pending_summary(region, config_name)
    registry.begin(region, name, "update", config_name)
    return {"EndpointArn": endpoint.arn}


def _pending_summary(region: str, config_name: str) -> dict[str, Any]:
    """What DescribeEndpoint shows while a blue/green update is in flight (cleared when it ends)."""
    from moto.core.utils import utcnow

    config = backends.sagemaker(region).describe_endpoint_config(config_name)
    variants = [
        {
            "VariantName": v["VariantName"],
            "InstanceType": v.get("InstanceType"),
            "DesiredInstanceCount": v.get("InitialInstanceCount"),
            "VariantStatus": [{"Status": "Creating"}],
        }
        for v in config["ProductionVariants"]
    ]
    return {"EndpointConfigName": config_name, "ProductionVariants": variants, "StartTime": utcnow()}


def _variant_types(region: str, config_name: str) -> dict[str, str | None]:
    config = backends.sagemaker(region).describe_endpoint_config(config_name)
    return {v["VariantName"]: v.get("InstanceType") for v in config["ProductionVariants"]}


def _check_scalable_variants(region: str, endpoint: str, old_config: str, new_config: str) -> None:
    """SageMaker refuses to remove, or change the instance type of, a variant that is a scalable target."""
    old, new = _variant_types(region, old_config), _variant_types(region, new_config)
    targets = backends.autoscaling(region).targets.get("sagemaker:variant:DesiredInstanceCount", {})
    for variant, instance_type in old.items():
        if f"endpoint/{endpoint}/variant/{variant}" in targets and new.get(variant) != instance_type:
            raise validation(
                f"The variant {variant} of endpoint {endpoint} is registered as a scalable target with "
                "Application Auto Scaling. Deregister it before removing the variant or changing its instance type."
            )


def delete_endpoint(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any] | None:
    name = body.get("EndpointName", "")
    endpoint = _existing_endpoint(region, name)
    if endpoint.endpoint_status != "Deleting":
        endpoint.endpoint_status = "Deleting"
        registry.begin(region, name, "delete", endpoint.endpoint_config_name)
    return {}


def add_tags(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """AddTags overwrites the value of a key that is already there (moto appends a duplicate, so tags grow on
    every re-tag and ListTags pages with the same NextToken forever)."""
    backend = backends.sagemaker(region)
    try:
        resource = backend._get_resource_from_arn(body.get("ResourceArn", ""))
    except moto_errors() as exc:
        raise from_moto(exc) from exc
    merged = {tag["Key"]: tag["Value"] for tag in resource.tags}
    merged.update({tag["Key"]: tag.get("Value", "") for tag in body.get("Tags") or []})
    resource.tags = [{"Key": key, "Value": value} for key, value in merged.items()]
    return {"Tags": list(body.get("Tags") or [])}


HANDLERS: dict[str, Handler] = {
    "AddTags": add_tags,
    "CreateModel": create_model,
    "CreateEndpointConfig": create_endpoint_config,
    "CreateEndpoint": create_endpoint,
    "UpdateEndpoint": update_endpoint,
    "DeleteEndpoint": delete_endpoint,
}
