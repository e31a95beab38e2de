"""Plain helpers for driving the emulator from tests or scripts: create a model, config and endpoint, invoke it,
read the container log.

Rule: nothing here imports pytest, so a ``[local]`` install (no test tools) can use these from benchmarks and
scripts; the pytest fixture lives in :mod:`deploy.local.fixtures`.
"""

from __future__ import annotations

import json
from typing import Any

LMI_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.33.0-lmi15.0.0-cu128"
ROLE_ARN = "arn:aws:iam::123456789012:role/SageMakerExecution"
ASYNC_ENV = {
    "OPTION_ASYNC_MODE": "true",
    "OPTION_ROLLING_BATCH": "disable",
    "OPTION_ENTRYPOINT": "djl_python.lmi_vllm.vllm_async_service",
}


def create_model(
    ctx: Any,
    name: str,
    *,
    model_id: str | None = "Qwen/Qwen2.5-7B-Instruct",
    env: dict[str, str] | None = None,
    s3_prefix: str | None = None,
) -> None:
    """CreateModel for an LMI v15 container (async mode), from a Hub id and/or an uncompressed S3 prefix."""
    environment = {**ASYNC_ENV, **({"HF_MODEL_ID": model_id} if model_id else {}), **(env or {})}
    container: dict[str, Any] = {"Image": LMI_IMAGE, "Environment": environment}
    if s3_prefix:
        container["ModelDataSource"] = {
            "S3DataSource": {"S3Uri": s3_prefix, "S3DataType": "S3Prefix", "CompressionType": "None"}
        }
    ctx.client("sagemaker").create_model(ModelName=name, ExecutionRoleArn=ROLE_ARN, PrimaryContainer=container)


def create_config(
    ctx: Any,
    name: str,
    model: str,
    *,
    instance_type: str = "ml.g5.2xlarge",
    count: int = 1,
    async_output: str | None = None,
) -> None:
    """CreateEndpointConfig with one ``AllTraffic`` variant (and an async output path when given)."""
    kwargs: dict[str, Any] = {}
    if async_output:
        kwargs["AsyncInferenceConfig"] = {"OutputConfig": {"S3OutputPath": async_output}}
    ctx.client("sagemaker").create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": model,
                "InstanceType": instance_type,
                "InitialInstanceCount": count,
            }
        ],
        **kwargs,
    )


def deploy(ctx: Any, name: str, *, instance_type: str = "ml.g5.2xlarge", **model_kwargs: Any) -> dict[str, Any]:
    """Model + config + endpoint named after ``name``; returns DescribeEndpoint (final at time_scale=0)."""
    create_model(ctx, f"{name}-model", **model_kwargs)
    create_config(ctx, f"{name}-config", f"{name}-model", instance_type=instance_type)
    sagemaker = ctx.client("sagemaker")
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    description: dict[str, Any] = sagemaker.describe_endpoint(EndpointName=name)
    return description


def invoke_json(ctx: Any, endpoint: str, payload: dict[str, Any]) -> dict[str, Any]:
    """InvokeEndpoint with a JSON body; returns the decoded JSON answer."""
    response = ctx.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=endpoint, Body=json.dumps(payload), ContentType="application/json"
    )
    answer: dict[str, Any] = json.loads(response["Body"].read())
    return answer


def container_log(ctx: Any, endpoint: str) -> list[str]:
    """Every line the emulated container wrote to ``/aws/sagemaker/Endpoints/<endpoint>``."""
    logs = ctx.client("logs")
    group = f"/aws/sagemaker/Endpoints/{endpoint}"
    lines: list[str] = []
    for stream in logs.describe_log_streams(logGroupName=group)["logStreams"]:
        events = logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])["events"]
        lines += [event["message"] for event in events]
    return lines
