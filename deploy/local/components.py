"""SageMaker's inference-component control plane, which moto lacks: endpoint configs without a model, and
Create/Describe/List/Update/UpdateRuntimeConfig/Delete InferenceComponent, with AWS's shapes and errors.

Rule: every request is first checked against botocore's own input shape (what the real service validates), then
against SageMaker's rules, with AWS's wording where it is known (sources in docs/emulator.md): a duplicate
name, a missing endpoint/model/component, an endpoint whose variant hosts a model, ``CopyCount`` 0 on create,
a base component that still has adapters. Components live in the registry's :class:`ComponentStore`; endpoint
configs stay in moto (stored directly, because moto's own create crashes on a variant without ``ModelName``).
Each handler returns the JSON body, or ``None`` to let the next handler (control.py, then moto) answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.session
from botocore.validate import ParamValidator

from deploy.local import backends
from deploy.local.component_lifecycle import fleet_for, is_component_variant
from deploy.local.endpoints import EndpointRegistry
from deploy.local.errors import sagemaker_arn, validation
from deploy.local.ic_model import Component, ComponentStore, wall_clock

Handler = Callable[[EndpointRegistry, str, dict[str, Any]], "dict[str, Any] | None"]
_MODEL: Any = None
NOT_SUPPORTED = (
    "Invalid request provided: Inference Components are not supported in this Endpoint. "
    "Please make sure this endpoint can deploy inference components."
)


def service_model() -> Any:
    global _MODEL
    if _MODEL is None:
        _MODEL = botocore.session.get_session().get_service_model("sagemaker")
    return _MODEL


def check_input(operation: str, body: dict[str, Any]) -> None:
    """Validate the request against botocore's input shape, as the service does for any client."""
    shape = service_model().operation_model(operation).input_shape
    report = ParamValidator().validate(body, shape)
    if report.has_errors():
        raise validation(report.generate_report())


def arn(region: str, kind: str, name: str) -> str:
    return sagemaker_arn(region, backends.account_id(), kind, name)


def store_of(registry: EndpointRegistry) -> ComponentStore:
    store: ComponentStore = registry.components
    return store


def existing(registry: EndpointRegistry, region: str, name: str) -> Component:
    component = store_of(registry).get(region, name)
    if component is None:
        raise validation(f'Could not find inference component "{arn(region, "inference-component", name)}".')
    return component


# --- endpoint configs and endpoints --------------------------------------------------------------------------


def create_endpoint_config(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """Store a config whose variants host inference components (no ``ModelName``); others go on to moto."""
    variants = list(body.get("ProductionVariants") or [])
    if all(not is_component_variant(v) for v in variants):
        if any((v.get("ManagedInstanceScaling") or {}).get("Status") == "ENABLED" for v in variants):
            raise validation("ManagedInstanceScaling is only supported for inference component endpoints.")
        return None
    check_input("CreateEndpointConfig", body)
    name = str(body["EndpointConfigName"])
    backend = backends.sagemaker(region)
    if name in backend.endpoint_configs:
        config_arn = arn(region, "endpoint-config", name)
        raise validation(f'Cannot create already existing endpoint configuration "{config_arn}".')
    _check_component_variants(variants, body)
    config = _store_config(region, name, body)
    return {"EndpointConfigArn": config.endpoint_config_arn}


def _check_component_variants(variants: list[dict[str, Any]], body: dict[str, Any]) -> None:
    if any(not is_component_variant(v) for v in variants):
        raise validation(
            "All production variants of an endpoint configuration for inference components must omit ModelName."
        )
    if len(variants) != 1:
        raise validation("An endpoint configuration for inference components supports exactly one production variant.")
    if not body.get("ExecutionRoleArn"):
        raise validation("ExecutionRoleArn is required for an endpoint configuration without models in its variants.")
    variant = variants[0]
    if not variant.get("InstanceType") or variant.get("ServerlessConfig"):
        raise validation("Inference components need an instance-based variant: set InstanceType, not ServerlessConfig.")
    scaling = variant.get("ManagedInstanceScaling") or {}
    low, high = scaling.get("MinInstanceCount"), scaling.get("MaxInstanceCount")
    if low is not None and high is not None and int(low) > int(high):
        raise validation(
            f"MinInstanceCount ({low}) cannot be greater than MaxInstanceCount ({high}) in ManagedInstanceScaling."
        )
    initial = int(variant.get("InitialInstanceCount", 1))
    if high is not None and initial > int(high):
        raise validation(f"InitialInstanceCount ({initial}) cannot be greater than MaxInstanceCount ({high}).")


def _store_config(region: str, name: str, body: dict[str, Any]) -> Any:
    """Build moto's record directly (its create crashes without ModelName) and keep the top-level role."""
    from moto.sagemaker import models

    record_type: Any = models.FakeEndpointConfig  # moto's class, typed loosely (its stubs mark it abstract)
    config = record_type(
        account_id=backends.account_id(),
        region_name=region,
        endpoint_config_name=name,
        production_variants=list(body["ProductionVariants"]),
        async_inference_config=body.get("AsyncInferenceConfig"),
        data_capture_config=body.get("DataCaptureConfig"),
        tags=body.get("Tags") or [],
        kms_key_id=body.get("KmsKeyId"),
    )
    for key in ("ExecutionRoleArn", "VpcConfig", "EnableNetworkIsolation"):
        if key in body:
            setattr(config, key, body[key])  # moto's describe echoes attributes by name
    backends.sagemaker(region).endpoint_configs[name] = config
    return config


def delete_endpoint(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """SageMaker refuses to delete an endpoint that still hosts inference components."""
    name = str(body.get("EndpointName", ""))
    hosted = store_of(registry).on_endpoint(region, name)
    if hosted:
        names = ", ".join(c.name for c in hosted)
        raise validation(
            f'Cannot delete endpoint "{arn(region, "endpoint", name)}" because it hosts inference components '
            f"({names}). Delete the inference components first."
        )
    return None


# --- tags on inference-component ARNs ---------------------------------------------------------------------------


def _tagged(registry: EndpointRegistry, region: str, resource_arn: str) -> Component | None:
    if ":inference-component/" not in resource_arn:
        return None
    name = resource_arn.rsplit("/", 1)[-1]
    found = [c for c in store_of(registry).components.values() if c.region == region and c.arn == resource_arn]
    if not found:
        raise validation(f"Could not find inference-component with name {name}")
    return found[0]


def add_tags(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any] | None:
    component = _tagged(registry, region, str(body.get("ResourceArn", "")))
    if component is None:
        return None
    merged = {t["Key"]: t["Value"] for t in component.tags}
    merged.update({t["Key"]: t.get("Value", "") for t in body.get("Tags") or []})
    component.tags = [{"Key": k, "Value": v} for k, v in merged.items()]
    return {"Tags": list(body.get("Tags") or [])}


def list_tags(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any] | None:
    component = _tagged(registry, region, str(body.get("ResourceArn", "")))
    return None if component is None else {"Tags": list(component.tags)}


def delete_tags(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any] | None:
    component = _tagged(registry, region, str(body.get("ResourceArn", "")))
    if component is None:
        return None
    gone = set(body.get("TagKeys") or [])
    component.tags = [t for t in component.tags if t["Key"] not in gone]
    return {}


def component_endpoint(registry: EndpointRegistry, region: str, name: str) -> Any:
    """The InService endpoint ``name`` that can host components (AWS's errors otherwise)."""
    endpoint = backends.sagemaker(region).endpoints.get(name)
    if endpoint is None:
        raise validation(f'Could not find endpoint "{arn(region, "endpoint", name)}".')
    if fleet_for(store_of(registry), region, name, registry.clock()) is None:
        raise validation(NOT_SUPPORTED)
    if endpoint.endpoint_status != "InService":
        raise validation(
            f'Cannot create inference component on endpoint "{endpoint.arn}" in status {endpoint.endpoint_status}; '
            "wait until the endpoint is InService."
        )
    return endpoint


def begin(component: Component, store: ComponentStore, kind: str, status: str, now: float) -> None:
    component.status = status
    component.pending = (kind, now + store.seconds(kind))  # type: ignore[assignment]
    component.modified = wall_clock()
