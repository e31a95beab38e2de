"""Create/Describe/List/Update/UpdateRuntimeConfig/Delete InferenceComponent, answered as SageMaker answers them.

Rule: validate the request (botocore's input shape, then SageMaker's rules), change the component's record, and
start its phase on the registry's clock; placement and phase ends happen in the lifecycle tick. Describe builds
AWS's summary shapes (``Container.DeployedImage``, ``RuntimeConfig.Desired/CurrentCopyCount``) from the stored
request. Adapter components (``BaseInferenceComponentName``) have no compute requirements or copies of their own.
"""

from __future__ import annotations

import hashlib
from typing import Any

from deploy.local import backends, component_runtime
from deploy.local.components import (
    Handler,
    add_tags,
    arn,
    begin,
    check_input,
    component_endpoint,
    create_endpoint_config,
    delete_endpoint,
    delete_tags,
    existing,
    list_tags,
    store_of,
)
from deploy.local.endpoints import EndpointRegistry
from deploy.local.errors import validation
from deploy.local.ic_model import Component, wall_clock

COPY_COUNT_ZERO = "Inference components copy count an integer larger than 0"


def _check_model(region: str, spec: dict[str, Any]) -> None:
    model = spec.get("ModelName")
    if model and model not in backends.sagemaker(region)._models:
        raise validation(f'Could not find model "{arn(region, "model", str(model))}".')


def _check_specification(registry: EndpointRegistry, region: str, endpoint: str, spec: dict[str, Any]) -> None:
    if spec.get("BaseInferenceComponentName"):
        _check_adapter(registry, region, endpoint, spec)
        return
    if bool(spec.get("ModelName")) == bool(spec.get("Container")):
        raise validation("Specification must contain exactly one of ModelName or Container.")
    if not spec.get("ComputeResourceRequirements"):
        raise validation(
            "ComputeResourceRequirements is required in the Specification of an inference component that is "
            "not an adapter (no BaseInferenceComponentName)."
        )
    _check_model(region, spec)


def _check_adapter(registry: EndpointRegistry, region: str, endpoint: str, spec: dict[str, Any]) -> None:
    base_name = str(spec["BaseInferenceComponentName"])
    base = existing(registry, region, base_name)
    if base.endpoint != endpoint:
        raise validation(f"Base inference component {base_name} is hosted by endpoint {base.endpoint}, not {endpoint}.")
    if base.base is not None:
        raise validation(f"Base inference component {base_name} is itself an adapter; adapters cannot be stacked.")
    if spec.get("ComputeResourceRequirements") or spec.get("ModelName"):
        raise validation(
            "An adapter inference component (BaseInferenceComponentName) takes neither ComputeResourceRequirements "
            "nor ModelName: it uses the base component's model and resources."
        )
    if not (spec.get("Container") or {}).get("ArtifactUrl"):
        raise validation("An adapter inference component needs Container.ArtifactUrl (the adapter's S3 location).")


def create_inference_component(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any]:
    check_input("CreateInferenceComponent", body)
    store, name = store_of(registry), str(body["InferenceComponentName"])
    component_arn = arn(region, "inference-component", name)
    if store.get(region, name) is not None:
        raise validation(f'Cannot create already existing inference component "{component_arn}".')
    if body.get("Specifications"):
        raise validation("The emulator supports Specification only, not the multi-instance-type Specifications.")
    spec = dict(body.get("Specification") or {})
    endpoint = component_endpoint(registry, region, str(body["EndpointName"]))
    fleet = store.fleets[(region, endpoint.endpoint_name)]
    variant = str(body.get("VariantName") or fleet.variant)
    if variant != fleet.variant:
        raise validation(f'Could not find variant "{variant}" in endpoint "{endpoint.arn}".')
    _check_specification(registry, region, endpoint.endpoint_name, spec)
    copies = _create_copy_count(spec, body)
    now, stamp = registry.clock(), wall_clock()
    component = Component(
        name=name,
        region=region,
        arn=component_arn,
        endpoint=endpoint.endpoint_name,
        endpoint_arn=endpoint.arn,
        variant=variant,
        specification=spec,
        desired=copies,
        status="Creating",
        created=stamp,
        modified=stamp,
        tags=list(body.get("Tags") or []),
    )
    store.components[(region, name)] = component
    if component.base is None:
        component_runtime.start(registry, component)
    else:
        base = store.get(region, component.base)
        component.start_failure = component_runtime.adapter_problem(registry, base) if base else None
    begin(component, store, "create", "Creating", now)
    return {"InferenceComponentArn": component_arn}


def _create_copy_count(spec: dict[str, Any], body: dict[str, Any]) -> int:
    if spec.get("BaseInferenceComponentName"):
        return 0
    runtime = body.get("RuntimeConfig")
    if not runtime:
        raise validation("RuntimeConfig.CopyCount is required for an inference component that is not an adapter.")
    if int(runtime["CopyCount"]) < 1:
        raise validation(COPY_COUNT_ZERO)
    return int(runtime["CopyCount"])


def _timestamp(value: Any) -> float:
    return float(value.timestamp())


def _container_summary(container: dict[str, Any], created: Any) -> dict[str, Any]:
    summary = {k: v for k, v in container.items() if k != "Image"}
    image = container.get("Image")
    if image:
        digest = hashlib.sha256(str(image).encode()).hexdigest()
        resolved = f"{str(image).split(':')[0]}@sha256:{digest}"
        summary["DeployedImage"] = {
            "SpecifiedImage": image,
            "ResolvedImage": resolved,
            "ResolutionTime": _timestamp(created),
        }
    return summary


def describe(component: Component, current: int) -> dict[str, Any]:
    spec = dict(component.specification)
    if "Container" in spec:
        spec["Container"] = _container_summary(spec["Container"], component.created)
    out: dict[str, Any] = {
        "InferenceComponentName": component.name,
        "InferenceComponentArn": component.arn,
        "EndpointName": component.endpoint,
        "EndpointArn": component.endpoint_arn,
        "VariantName": component.variant,
        "Specification": spec,
        "CreationTime": _timestamp(component.created),
        "LastModifiedTime": _timestamp(component.modified),
        "InferenceComponentStatus": component.status,
    }
    if component.base is None:
        out["RuntimeConfig"] = {"DesiredCopyCount": component.desired, "CurrentCopyCount": current}
    if component.failure_reason:
        out["FailureReason"] = component.failure_reason
    if component.last_deployment:
        out["LastDeploymentConfig"] = component.last_deployment
    return out


def describe_inference_component(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any]:
    check_input("DescribeInferenceComponent", body)
    component = existing(registry, region, str(body["InferenceComponentName"]))
    return describe(component, store_of(registry).current_copies(component, registry.clock()))


def _require_in_service(component: Component) -> None:
    if component.status != "InService":
        state = "failed" if component.status == "Failed" else "in-progress"
        raise validation(f'Cannot update {state} inference component "{component.arn}".')


def update_inference_component(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any]:
    check_input("UpdateInferenceComponent", body)
    component = existing(registry, region, str(body["InferenceComponentName"]))
    _require_in_service(component)
    if body.get("Specifications"):
        raise validation("The emulator supports Specification only, not the multi-instance-type Specifications.")
    store = store_of(registry)
    if body.get("Specification"):
        spec = dict(body["Specification"])
        _check_specification(registry, region, component.endpoint, spec)
        if bool(spec.get("BaseInferenceComponentName")) != (component.base is not None):
            raise validation("An update cannot turn an adapter into a base inference component or back.")
        component.previous_specification = component.specification
        component.specification = spec
        _restart_copies(registry, component)
        if component.base is None:
            component_runtime.start(registry, component)
    if body.get("RuntimeConfig"):
        _set_copies(component, int(body["RuntimeConfig"]["CopyCount"]))
    if body.get("DeploymentConfig"):
        component.last_deployment = dict(body["DeploymentConfig"])
    begin(component, store, "update", "Updating", registry.clock())
    return {"InferenceComponentArn": component.arn}


def _restart_copies(registry: EndpointRegistry, component: Component) -> None:
    """A new model or container loads again on every copy (the old copies answer until then)."""
    store = store_of(registry)
    fleet = store.fleets.get((component.region, component.endpoint))
    if fleet is None:
        return
    ready = registry.clock() + store.seconds("load")
    for copy in fleet.copies_of(component.name):
        copy.ready_at = max(copy.ready_at, ready)
        need = component.need
        if need is not None:
            copy.need = need


def _set_copies(component: Component, copies: int) -> None:
    if component.base is not None:
        raise validation("An adapter inference component has no copies of its own; scale its base component.")
    component.desired = copies


def update_runtime_config(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any]:
    check_input("UpdateInferenceComponentRuntimeConfig", body)
    component = existing(registry, region, str(body["InferenceComponentName"]))
    _require_in_service(component)
    _set_copies(component, int(body["DesiredRuntimeConfig"]["CopyCount"]))
    begin(component, store_of(registry), "update", "Updating", registry.clock())
    return {"InferenceComponentArn": component.arn}


def delete_inference_component(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any]:
    check_input("DeleteInferenceComponent", body)
    store = store_of(registry)
    component = existing(registry, region, str(body["InferenceComponentName"]))
    adapters = [a.name for a in store.adapters_of(region, component.name)]
    if adapters:
        raise validation(
            f'Cannot delete inference component "{component.arn}" while adapter inference components use it as '
            f"their base ({', '.join(sorted(adapters))}). Delete the adapters first."
        )
    if component.status != "Deleting":
        begin(component, store, "delete", "Deleting", registry.clock())
    return {}


def list_inference_components(registry: EndpointRegistry, region: str, body: dict[str, Any]) -> dict[str, Any]:
    from deploy.local.component_listing import list_page

    check_input("ListInferenceComponents", body)
    found = [c for c in store_of(registry).components.values() if c.region == region]
    return list_page(found, body)


HANDLERS: dict[str, Handler] = {
    "CreateEndpointConfig": create_endpoint_config,
    "DeleteEndpoint": delete_endpoint,
    "AddTags": add_tags,
    "ListTags": list_tags,
    "DeleteTags": delete_tags,
    "CreateInferenceComponent": create_inference_component,
    "DescribeInferenceComponent": describe_inference_component,
    "ListInferenceComponents": list_inference_components,
    "UpdateInferenceComponent": update_inference_component,
    "UpdateInferenceComponentRuntimeConfig": update_runtime_config,
    "DeleteInferenceComponent": delete_inference_component,
}
