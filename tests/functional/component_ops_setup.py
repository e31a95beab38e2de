"""Endpoints with inference components, made on the emulator with the plain boto3 calls a user would make, for
the operations tests (invoke, logs, status, list, bench by component).

    team   two components: team-qwen (2 copies), team-llama (1 copy)
    solo   one component:  solo-chat
    cold   one component:  cold-qwen, scaled to zero copies (``wake_alarm`` adds the scale-out-from-zero alarm)
    broken one component:  broken-llama, Failed (a 70B model on one 48 GB GPU runs out of memory)
    lora   a base component lora-base (LoRA enabled) and its adapter lora-base-sql
    plain  a single-model endpoint (no components)
"""

from __future__ import annotations

from typing import Any

from deploy.local.component_helpers import create_adapter, create_component, create_component_endpoint, create_lmi_model
from deploy.local.helpers import deploy

QWEN = "Qwen/Qwen2.5-7B-Instruct"
LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
TOO_BIG = "meta-llama/Llama-3.1-70B-Instruct"
ADAPTER = "s3://adapters/sql/"
TEAM = ("team-qwen", "team-llama")


def build(ctx: Any) -> None:
    """Every endpoint of the module docstring, InService (the emulator runs at time_scale=0)."""
    create_component_endpoint(ctx, "team", count=1)
    create_lmi_model(ctx, "team-qwen-model", QWEN)
    create_lmi_model(ctx, "team-llama-model", LLAMA)
    create_component(ctx, "team-qwen", "team", "team-qwen-model", copies=2, gpus=1)
    create_component(ctx, "team-llama", "team", "team-llama-model", copies=1, gpus=2, memory_mb=32768)
    create_component_endpoint(ctx, "solo", count=1)
    create_lmi_model(ctx, "solo-chat-model", QWEN)
    create_component(ctx, "solo-chat", "solo", "solo-chat-model")
    create_component_endpoint(ctx, "cold", count=1)
    create_lmi_model(ctx, "cold-qwen-model", QWEN)
    create_component(ctx, "cold-qwen", "cold", "cold-qwen-model")
    create_component_endpoint(ctx, "broken", count=1)
    create_lmi_model(ctx, "broken-llama-model", TOO_BIG)
    create_component(ctx, "broken-llama", "broken", "broken-llama-model", gpus=1)
    create_component_endpoint(ctx, "lora", count=1)
    create_lmi_model(ctx, "lora-base-model", QWEN, OPTION_ENABLE_LORA="true", OPTION_MAX_LORAS="4")
    create_component(ctx, "lora-base", "lora", "lora-base-model")
    settle(ctx)
    create_adapter(ctx, "lora-base-sql", "lora", "lora-base", ADAPTER)
    deploy(ctx, "plain")
    settle(ctx)
    scale_copies(ctx, "cold-qwen", 0)


def settle(ctx: Any) -> None:
    """Describe every component once: the emulator moves its lifecycle on reads, as AWS does in time."""
    sagemaker = ctx.client("sagemaker")
    for page in sagemaker.get_paginator("list_inference_components").paginate():
        for item in page["InferenceComponents"]:
            sagemaker.describe_inference_component(InferenceComponentName=item["InferenceComponentName"])


def scale_copies(ctx: Any, component: str, copies: int) -> None:
    """UpdateInferenceComponentRuntimeConfig to ``copies`` and wait (one describe at time_scale=0)."""
    sagemaker = ctx.client("sagemaker")
    sagemaker.update_inference_component_runtime_config(
        InferenceComponentName=component, DesiredRuntimeConfig={"CopyCount": copies}
    )
    sagemaker.describe_inference_component(InferenceComponentName=component)


def wake_alarm(ctx: Any, component: str, *, period: int = 30, periods: int = 1) -> str:
    """The CloudWatch alarm on NoCapacityInvocationFailures that scales ``component`` out of zero (its action
    is a placeholder policy ARN: the operations side only reads it)."""
    name = f"{component}-no-capacity"
    ctx.client("cloudwatch").put_metric_alarm(
        AlarmName=name,
        MetricName="NoCapacityInvocationFailures",
        Namespace="AWS/SageMaker",
        Dimensions=[{"Name": "InferenceComponentName", "Value": component}],
        Statistic="Maximum",
        Period=period,
        EvaluationPeriods=periods,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[f"arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:x:resource/sagemaker/{component}"],
    )
    return name
