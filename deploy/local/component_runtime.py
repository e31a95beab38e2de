"""Invocations addressed to inference components, and the emulated LMI container behind each component.

Rule: a component endpoint answers only requests that name a component (``InferenceComponentName``, header
``X-Amzn-SageMaker-Inference-Component``), with AWS's ValidationError otherwise. A named component answers with its
own container (its model's image, environment and artifacts, limited to its accelerators per copy; an adapter
answers with its base's). With no copy ready it fails as AWS does ("no capacity") and counts
``NoCapacityInvocationFailures`` (AWS/SageMaker, dimension ``InferenceComponentName``), the metric that scale-out
from zero alarms on. Each component logs to ``/aws/sagemaker/InferenceComponents/<name>``.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.wrappers import Request

from deploy.local import backends
from deploy.local.container import Container, log_stream_name, start_container
from deploy.local.endpoints import EndpointRegistry
from deploy.local.errors import ApiError
from deploy.local.ic_model import Component
from deploy.local.runtime import Invocation

_LMI_TAG = re.compile(r"-lmi(\d+)\.")
HEADER = "X-Amzn-SageMaker-Inference-Component"
NAME_REQUIRED = (
    "Inference Component Name header is required for endpoints to which you plan to deploy inference components. "
    "Please include Inference Component Name header or consider using SageMaker models."
)
NO_CAPACITY = (
    "Inference Component has no capacity to process this request. ApplicationAutoScaling may be in-progress "
    "(if configured) or try to increase the capacity by invoking UpdateInferenceComponentRuntimeConfig API."
)


def log_group(component: str) -> str:
    return f"/aws/sagemaker/InferenceComponents/{component}"


def _primary(region: str, spec: dict[str, Any]) -> dict[str, Any]:
    if spec.get("ModelName"):
        model = backends.sagemaker(region).describe_model(spec["ModelName"])
        primary: dict[str, Any] = model.primary_container or (model.containers[0] if model.containers else {})
        return primary
    return dict(spec.get("Container") or {})


def start(registry: EndpointRegistry, component: Component) -> Container:
    """Start the component's container (on create, or for a specification update) and write its start-up log;
    it serves once the phase ends healthy (the lifecycle tick moves it from ``starting`` to ``containers``)."""
    spec = component.specification
    fleet = registry.components.fleets[(component.region, component.endpoint)]
    variant = {"VariantName": component.variant, "InstanceType": fleet.instance_type, "InitialInstanceCount": 1}
    if spec.get("ModelName"):
        variant["ModelName"] = spec["ModelName"]
    stream = log_stream_name(component.endpoint, component.name, component.variant)
    gpus = component.need.gpus if component.need is not None else None
    container = start_container(
        component.region, _primary(component.region, spec), variant, log_group(component.name), stream, gpus or None
    )
    if not container.ok:
        reason = (
            f"The container for inference component {component.name} did not pass the ping health check. "
            "Please check CloudWatch logs for this inference component."
        )
        container = _with_failure(container, reason)
    registry.components.starting[(component.region, component.name)] = container
    return container


def adapter_problem(registry: EndpointRegistry, base: Component) -> str | None:
    """Why the base's LMI container cannot serve LoRA adapters (None: it can).

    LMI loads adapters only with ``option.enable_lora=true`` (serving.properties or OPTION_ENABLE_LORA), and its
    async handler serves them from LMI 16 on (djl-serving 0.34.0); LMI 15's async mode has no LoRA code.
    """
    from deploy.local.settings import StartupError, merge_settings

    primary = _primary(base.region, base.specification)
    environment = {str(k): str(v) for k, v in (primary.get("Environment") or {}).items()}
    files = backends.read_model_files(primary, ("serving.properties",))
    properties = files.get("serving.properties", b"").decode("iso-8859-1") or None
    try:
        settings = merge_settings(environment, properties)
    except StartupError:
        return None  # the base fails on its own
    if settings.get("option.enable_lora", "false").lower() != "true":
        return (
            f"The base inference component {base.name} does not serve adapters: its LMI container needs "
            "option.enable_lora=true (OPTION_ENABLE_LORA=true)."
        )
    from deploy.spec.lora_support import ASYNC_LORA_SINCE

    major = lmi_major(str(primary.get("Image", "")))
    if settings.get("option.async_mode", "false").lower() == "true" and major is not None and major < ASYNC_LORA_SINCE:
        return (
            f"The base inference component {base.name} runs LMI {major} in async mode, which serves no LoRA adapters "
            "before LMI 16; use LMI 16 or later, or rolling batch (OPTION_ROLLING_BATCH=vllm, no OPTION_ASYNC_MODE)."
        )
    return None


def lmi_major(image: str) -> int | None:
    """The LMI major version in a djl-inference image tag (``...:0.34.0-lmi16.0.0-cu128`` -> 16), None if absent."""
    found = _LMI_TAG.search(image.rpartition(":")[2])
    return int(found.group(1)) if found else None


def _with_failure(container: Container, reason: str) -> Container:
    from dataclasses import replace

    return replace(container, failure_reason=reason)


def container_of(registry: EndpointRegistry, component: Component) -> Container | None:
    if component.base is not None:
        base = registry.components.get(component.region, component.base)
        return container_of(registry, base) if base is not None else None
    found: Container | None = registry.components.containers.get((component.region, component.name))
    return found


def _not_found(kind: str, name: str) -> ApiError:
    return ApiError("ValidationError", f"{kind} {name} of account {backends.account_id()} not found.")


def count_no_capacity(region: str, component: str) -> None:
    dims = [{"Name": "InferenceComponentName", "Value": component}]
    data = [{"MetricName": "NoCapacityInvocationFailures", "Value": 1.0, "Unit": "Count", "Dimensions": dims}]
    backends.put_metrics(region, "AWS/SageMaker", data)


def count_invocation(region: str, component: Component) -> None:
    dims = [{"Name": "InferenceComponentName", "Value": component.name}]
    data = [{"MetricName": "Invocations", "Value": 1.0, "Unit": "None", "Dimensions": dims}]
    backends.put_metrics(region, "AWS/SageMaker", data)


def resolve(registry: EndpointRegistry, region: str, endpoint: str, request: Request) -> Invocation | None:
    """The invocation of a component, or None when neither the endpoint nor the request is about components."""
    named = request.headers.get(HEADER)
    with registry.lock:
        store = registry.components
        fleet = store.fleets.get((region, endpoint))
        if fleet is None:
            if named and endpoint in backends.sagemaker(region).endpoints:
                raise _not_found("Inference Component", named)
            return None
        if not named:
            raise ApiError("ValidationError", NAME_REQUIRED)
        component = store.get(region, named)
        if component is None or component.endpoint != endpoint or component.status == "Deleting":
            raise _not_found("Inference Component", named)
        container = container_of(registry, component)
        if store.current_copies(component, registry.clock()) == 0 or container is None or not container.ok:
            count_no_capacity(region, named)
            raise ApiError("ValidationError", NO_CAPACITY)
        store.invocations[(region, named)] = store.invocations.get((region, named), 0) + 1
        count_invocation(region, component)
    return Invocation(region, endpoint, container, request.get_data())
