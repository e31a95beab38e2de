"""LoRA adapter inference components on the emulator: created on a base component (BaseInferenceComponentName +
Container.ArtifactUrl, no compute requirements), listed, invoked by name, deleted before their base; refused
shapes; an adapter on a base whose LMI container cannot serve adapters fails."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from deploy.local.component_helpers import (
    create_adapter,
    create_component,
    create_component_endpoint,
    create_lmi_model,
    invoke_component,
)
from deploy.local.testing import lmi_emulator

__all__ = ["lmi_emulator"]


@pytest.fixture
def ctx(lmi_emulator: Any) -> Any:
    context = lmi_emulator.context()
    create_component_endpoint(context, "team")
    create_component_endpoint(context, "other")
    create_lmi_model(context, "qwen-lora", OPTION_ENABLE_LORA="true", OPTION_MAX_LORAS="4")
    create_component(context, "team-base", "team", "qwen-lora", copies=1)
    return context


def _status(ctx: Any, name: str) -> dict[str, Any]:
    described: dict[str, Any] = ctx.client("sagemaker").describe_inference_component(InferenceComponentName=name)
    return described


def _invoke(ctx: Any, component: str) -> dict[str, Any]:
    return invoke_component(ctx, "team", component)


def test_adapter_lifecycle(ctx: Any) -> None:
    create_adapter(ctx, "team-base-sql", "team", "team-base", "s3://adapters/sql/")
    described = _status(ctx, "team-base-sql")
    assert described["InferenceComponentStatus"] == "InService"
    assert described["Specification"] == {
        "BaseInferenceComponentName": "team-base",
        "Container": {"ArtifactUrl": "s3://adapters/sql/"},
    }
    assert "RuntimeConfig" not in described  # an adapter has no copies of its own
    names = [
        c["InferenceComponentName"] for c in ctx.client("sagemaker").list_inference_components()["InferenceComponents"]
    ]
    assert sorted(names) == ["team-base", "team-base-sql"]
    assert _invoke(ctx, "team-base-sql")["generated_text"].startswith("[emulated]")
    sm = ctx.client("sagemaker")
    with pytest.raises(ClientError) as info:
        sm.delete_inference_component(InferenceComponentName="team-base")
    assert (
        "while adapter inference components use it as their base (team-base-sql)"
        in info.value.response["Error"]["Message"]
    )
    sm.delete_inference_component(InferenceComponentName="team-base-sql")
    sm.list_inference_components()  # finishes Deleting
    sm.delete_inference_component(InferenceComponentName="team-base")
    sm.list_inference_components()
    assert sm.list_inference_components()["InferenceComponents"] == []


def test_an_adapter_has_its_base_capacity(ctx: Any) -> None:
    create_adapter(ctx, "team-base-sql", "team", "team-base", "s3://adapters/sql/")
    ctx.client("sagemaker").update_inference_component_runtime_config(
        InferenceComponentName="team-base", DesiredRuntimeConfig={"CopyCount": 0}
    )
    with pytest.raises(ClientError) as info:
        _invoke(ctx, "team-base-sql")
    assert "no capacity" in info.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as info:
        ctx.client("sagemaker").update_inference_component_runtime_config(
            InferenceComponentName="team-base-sql", DesiredRuntimeConfig={"CopyCount": 1}
        )
    assert "has no copies of its own" in info.value.response["Error"]["Message"]


ADAPTER_ERRORS: dict[str, tuple[dict[str, Any], str]] = {
    "compute requirements": (
        {
            "BaseInferenceComponentName": "team-base",
            "Container": {"ArtifactUrl": "s3://a/"},
            "ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 1024},
        },
        "takes neither ComputeResourceRequirements nor ModelName",
    ),
    "no artifact": ({"BaseInferenceComponentName": "team-base"}, "needs Container.ArtifactUrl"),
    "missing base": (
        {"BaseInferenceComponentName": "ghost", "Container": {"ArtifactUrl": "s3://a/"}},
        'Could not find inference component "arn:aws:sagemaker:us-east-1:123456789012:inference-component/ghost".',
    ),
    "adapter of an adapter": (
        {"BaseInferenceComponentName": "team-base-sql", "Container": {"ArtifactUrl": "s3://a/"}},
        "is itself an adapter",
    ),
}


@pytest.mark.parametrize("case", sorted(ADAPTER_ERRORS))
def test_adapter_refusals(ctx: Any, case: str) -> None:
    create_adapter(ctx, "team-base-sql", "team", "team-base", "s3://adapters/sql/")
    spec, message = ADAPTER_ERRORS[case]
    with pytest.raises(ClientError) as info:
        ctx.client("sagemaker").create_inference_component(
            InferenceComponentName="bad", EndpointName="team", Specification=spec
        )
    error = info.value.response["Error"]
    assert error["Code"] == "ValidationException" and message in error["Message"]


def test_an_adapter_must_share_its_base_endpoint(ctx: Any) -> None:
    with pytest.raises(ClientError) as info:
        create_adapter(ctx, "stray", "other", "team-base", "s3://adapters/sql/")
    assert "is hosted by endpoint team, not other" in info.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({}, "needs option.enable_lora=true (OPTION_ENABLE_LORA=true)"),
        (
            {"OPTION_ENABLE_LORA": "true", "OPTION_ASYNC_MODE": "true", "OPTION_ROLLING_BATCH": "disable"},
            "runs LMI 15 in async mode",
        ),
    ],
    ids=["lora-off", "async-mode"],
)
def test_an_adapter_on_a_base_that_cannot_serve_it_fails(ctx: Any, env: dict[str, str], reason: str) -> None:
    create_lmi_model(ctx, "plain", **env)
    create_component(ctx, "team-plain", "team", "plain")
    create_adapter(ctx, "team-plain-sql", "team", "team-plain", "s3://adapters/sql/")
    described = _status(ctx, "team-plain-sql")
    assert described["InferenceComponentStatus"] == "Failed"
    assert reason in described["FailureReason"]


def test_lmi_16_serves_adapters_in_async_mode(ctx: Any) -> None:
    """djl-serving 0.34.0 (LMI 16) added LoRA to the async handler, so the same settings that fail on 15 serve."""
    from deploy.local.helpers import LMI_IMAGE, ROLE_ARN

    image = LMI_IMAGE.replace("0.33.0-lmi15.0.0", "0.34.0-lmi16.0.0")
    env = {"HF_MODEL_ID": "Qwen/Qwen2.5-7B-Instruct", "OPTION_ENABLE_LORA": "true", "OPTION_ASYNC_MODE": "true"}
    ctx.client("sagemaker").create_model(
        ModelName="async16", ExecutionRoleArn=ROLE_ARN, PrimaryContainer={"Image": image, "Environment": env}
    )
    create_component(ctx, "team-async16", "team", "async16")
    create_adapter(ctx, "team-async16-sql", "team", "team-async16", "s3://adapters/sql/")
    assert _status(ctx, "team-async16-sql")["InferenceComponentStatus"] == "InService"


@pytest.mark.parametrize(
    ("image", "major"),
    [("x/djl-inference:0.34.0-lmi16.0.0-cu128", 16), ("x/djl-inference:0.33.0-lmi15.0.0-cu128", 15),
     ("x/djl-inference:0.36.0-lmi27.1.0-cu129", 27), ("x/custom:latest", None), ("", None)],
)  # fmt: skip
def test_lmi_major_reads_the_image_tag(image: str, major: int | None) -> None:
    from deploy.local.component_runtime import lmi_major

    assert lmi_major(image) == major
