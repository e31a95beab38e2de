"""Plain helpers for driving inference components on the emulator from tests and scripts (no pytest needed).

Rule: each helper makes exactly the boto3 calls a user would make against AWS (so they work against AWS too);
none reaches into the emulator's state.
"""

from __future__ import annotations

import json
from typing import Any

from deploy.local.helpers import LMI_IMAGE, ROLE_ARN


def create_component_endpoint(
    ctx: Any,
    name: str,
    *,
    instance_type: str = "ml.g6e.12xlarge",
    count: int = 1,
    min_count: int | None = 0,
    max_count: int | None = 2,
) -> dict[str, Any]:
    """Endpoint config without a model (managed instance scaling when bounds are given) + endpoint; returns
    DescribeEndpoint (InService on the emulator at time_scale=0 after one more call)."""
    variant: dict[str, Any] = {
        "VariantName": "AllTraffic",
        "InstanceType": instance_type,
        "InitialInstanceCount": count,
        "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
    }
    if min_count is not None and max_count is not None:
        variant["ManagedInstanceScaling"] = {
            "Status": "ENABLED",
            "MinInstanceCount": min_count,
            "MaxInstanceCount": max_count,
        }
    sagemaker = ctx.client("sagemaker")
    sagemaker.create_endpoint_config(
        EndpointConfigName=f"{name}-config", ExecutionRoleArn=ROLE_ARN, ProductionVariants=[variant]
    )
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    described: dict[str, Any] = sagemaker.describe_endpoint(EndpointName=name)
    return described


def create_lmi_model(ctx: Any, name: str, model_id: str = "Qwen/Qwen2.5-7B-Instruct", **env: str) -> None:
    """CreateModel for an LMI v15 container serving ``model_id`` (real-time, rolling batch)."""
    ctx.client("sagemaker").create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE_ARN,
        PrimaryContainer={"Image": LMI_IMAGE, "Environment": {"HF_MODEL_ID": model_id, **env}},
    )


def create_component(
    ctx: Any,
    name: str,
    endpoint: str,
    model: str,
    *,
    copies: int = 1,
    gpus: int = 1,
    memory_mb: int = 16384,
    cpus: float | None = None,
) -> str:
    """CreateInferenceComponent for ``model`` with ``copies`` copies of ``gpus`` accelerators each; returns its ARN."""
    compute: dict[str, Any] = {"NumberOfAcceleratorDevicesRequired": gpus, "MinMemoryRequiredInMb": memory_mb}
    if cpus is not None:
        compute["NumberOfCpuCoresRequired"] = cpus
    response = ctx.client("sagemaker").create_inference_component(
        InferenceComponentName=name,
        EndpointName=endpoint,
        VariantName="AllTraffic",
        Specification={
            "ModelName": model,
            "ComputeResourceRequirements": compute,
            "StartupParameters": {"ModelDataDownloadTimeoutInSeconds": 600},
        },
        RuntimeConfig={"CopyCount": copies},
    )
    return str(response["InferenceComponentArn"])


def create_adapter(ctx: Any, name: str, endpoint: str, base: str, artifact_url: str) -> str:
    """An adapter inference component (LoRA) on the base component ``base``; returns its ARN."""
    response = ctx.client("sagemaker").create_inference_component(
        InferenceComponentName=name,
        EndpointName=endpoint,
        Specification={"BaseInferenceComponentName": base, "Container": {"ArtifactUrl": artifact_url}},
    )
    return str(response["InferenceComponentArn"])


def invoke_component(ctx: Any, endpoint: str, component: str) -> dict[str, Any]:
    """InvokeEndpoint on ``component`` of ``endpoint`` with a short LMI prompt (4 new tokens); the parsed answer.

    Why here: the adapter and scaling tests both need "does this component answer now?" with the same request."""
    response = ctx.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=endpoint,
        InferenceComponentName=component,
        Body=json.dumps({"inputs": "hi", "parameters": {"max_new_tokens": 4}}),
        ContentType="application/json",
    )
    answer: dict[str, Any] = json.loads(response["Body"].read())
    return answer
