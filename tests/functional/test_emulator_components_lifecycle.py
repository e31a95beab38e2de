"""Inference components on the emulator over time: list filters and pages, updates (copies, specification,
deployment config), deletion, tags, and the endpoint that refuses to go while it hosts components."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from deploy.local.component_helpers import create_component, create_component_endpoint, create_lmi_model
from deploy.local.testing import lmi_emulator

__all__ = ["lmi_emulator"]
ROLLING = {
    "RollingUpdatePolicy": {
        "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
        "WaitIntervalInSeconds": 60,
    }
}


@pytest.fixture
def ctx(lmi_emulator: Any) -> Any:
    context = lmi_emulator.context()
    create_component_endpoint(context, "team", max_count=4)
    create_component_endpoint(context, "other", max_count=4)
    create_lmi_model(context, "qwen-model")
    return context


def _names(page: dict[str, Any]) -> list[str]:
    return [c["InferenceComponentName"] for c in page["InferenceComponents"]]


def test_list_filters_sorts_and_pages(ctx: Any) -> None:
    for name in ("team-a", "team-b", "team-c"):
        create_component(ctx, name, "team", "qwen-model")
    create_component(ctx, "other-a", "other", "qwen-model")
    sm = ctx.client("sagemaker")
    assert _names(sm.list_inference_components()) == ["other-a", "team-c", "team-b", "team-a"]  # newest first
    assert _names(sm.list_inference_components(EndpointNameEquals="other")) == ["other-a"]
    assert _names(sm.list_inference_components(NameContains="-b")) == ["team-b"]
    assert _names(sm.list_inference_components(VariantNameEquals="Blue")) == []
    assert len(_names(sm.list_inference_components(StatusEquals="InService"))) == 4
    by_name = sm.list_inference_components(SortBy="Name", SortOrder="Ascending", MaxResults=3)
    assert _names(by_name) == ["other-a", "team-a", "team-b"]
    rest = sm.list_inference_components(
        SortBy="Name", SortOrder="Ascending", MaxResults=3, NextToken=by_name["NextToken"]
    )
    assert _names(rest) == ["team-c"] and "NextToken" not in rest
    paginated = sm.get_paginator("list_inference_components").paginate(PaginationConfig={"PageSize": 1})
    assert sorted(n for page in paginated for n in _names(page)) == ["other-a", "team-a", "team-b", "team-c"]
    with pytest.raises(ClientError) as info:
        sm.list_inference_components(NextToken="not-a-token")
    assert info.value.response["Error"]["Code"] == "ValidationException"


def test_list_by_time_and_summary_shape(ctx: Any) -> None:
    create_component(ctx, "team-a", "team", "qwen-model")
    sm = ctx.client("sagemaker")
    summary = sm.list_inference_components()["InferenceComponents"][0]
    assert set(summary) == {
        "CreationTime",
        "InferenceComponentArn",
        "InferenceComponentName",
        "EndpointArn",
        "EndpointName",
        "VariantName",
        "InferenceComponentStatus",
        "LastModifiedTime",
    }
    created = summary["CreationTime"]
    assert _names(sm.list_inference_components(CreationTimeBefore=created)) == []
    assert _names(sm.list_inference_components(LastModifiedTimeAfter=created.replace(year=2000))) == ["team-a"]


def test_runtime_config_update_goes_through_updating(ctx: Any, lmi_emulator: Any) -> None:
    create_component(ctx, "team-a", "team", "qwen-model", copies=1)
    sm = ctx.client("sagemaker")
    assert sm.describe_inference_component(InferenceComponentName="team-a")["InferenceComponentStatus"] == "InService"
    with lmi_emulator.paused():
        sm.update_inference_component_runtime_config(
            InferenceComponentName="team-a", DesiredRuntimeConfig={"CopyCount": 3}
        )
        updating = sm.describe_inference_component(InferenceComponentName="team-a")
        with pytest.raises(ClientError) as info:
            sm.update_inference_component_runtime_config(
                InferenceComponentName="team-a", DesiredRuntimeConfig={"CopyCount": 2}
            )
    assert updating["InferenceComponentStatus"] == "Updating"
    assert updating["RuntimeConfig"]["DesiredCopyCount"] == 3
    assert "Cannot update in-progress inference component" in info.value.response["Error"]["Message"]
    done = sm.describe_inference_component(InferenceComponentName="team-a")
    assert done["InferenceComponentStatus"] == "InService"
    assert done["RuntimeConfig"] == {"DesiredCopyCount": 3, "CurrentCopyCount": 3}


def test_specification_update_records_the_deployment_config(ctx: Any) -> None:
    create_component(ctx, "team-a", "team", "qwen-model", copies=2)
    create_lmi_model(ctx, "qwen-14b", "Qwen/Qwen2.5-14B-Instruct")
    sm = ctx.client("sagemaker")
    sm.update_inference_component(
        InferenceComponentName="team-a",
        Specification={
            "ModelName": "qwen-14b",
            "ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": 2, "MinMemoryRequiredInMb": 4096},
        },
        RuntimeConfig={"CopyCount": 2},
        DeploymentConfig=ROLLING,
    )
    described = sm.describe_inference_component(InferenceComponentName="team-a")
    assert described["InferenceComponentStatus"] == "InService"
    assert described["Specification"]["ModelName"] == "qwen-14b"
    assert described["LastDeploymentConfig"] == ROLLING
    assert described["RuntimeConfig"]["CurrentCopyCount"] == 2


def test_an_update_that_cannot_fit_rolls_back(ctx: Any) -> None:
    create_component(ctx, "team-a", "team", "qwen-model")
    sm = ctx.client("sagemaker")
    sm.update_inference_component(
        InferenceComponentName="team-a",
        Specification={
            "ModelName": "qwen-model",
            "ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": 8, "MinMemoryRequiredInMb": 4096},
        },
    )
    described = sm.describe_inference_component(InferenceComponentName="team-a")
    assert described["InferenceComponentStatus"] == "InService"
    assert described["Specification"]["ComputeResourceRequirements"]["NumberOfAcceleratorDevicesRequired"] == 1
    assert "requires 8 accelerator devices per copy" in described["FailureReason"]


def test_delete_goes_through_deleting_then_the_component_is_gone(ctx: Any, lmi_emulator: Any) -> None:
    create_component(ctx, "team-a", "team", "qwen-model")
    sm = ctx.client("sagemaker")
    sm.describe_inference_component(InferenceComponentName="team-a")  # the next call finishes Creating
    with lmi_emulator.paused():
        sm.delete_inference_component(InferenceComponentName="team-a")
        deleting = sm.describe_inference_component(InferenceComponentName="team-a")
        sm.delete_inference_component(InferenceComponentName="team-a")  # again while deleting: accepted
    assert deleting["InferenceComponentStatus"] == "Deleting"
    with pytest.raises(ClientError):
        sm.describe_inference_component(InferenceComponentName="team-a")
    assert sm.list_inference_components()["InferenceComponents"] == []


def test_an_endpoint_hosting_components_cannot_be_deleted(ctx: Any) -> None:
    create_component(ctx, "team-a", "team", "qwen-model")
    sm = ctx.client("sagemaker")
    with pytest.raises(ClientError) as info:
        sm.delete_endpoint(EndpointName="team")
    assert "because it hosts inference components (team-a)" in info.value.response["Error"]["Message"]
    sm.delete_inference_component(InferenceComponentName="team-a")
    sm.list_inference_components()  # the next call finishes the deletion (time_scale=0)
    sm.delete_endpoint(EndpointName="team")
    sm.get_waiter("endpoint_deleted").wait(EndpointName="team", WaiterConfig={"Delay": 0, "MaxAttempts": 5})


def test_tags_on_component_arns(ctx: Any) -> None:
    sm = ctx.client("sagemaker")
    sm.create_inference_component(
        InferenceComponentName="team-a",
        EndpointName="team",
        Specification={
            "ModelName": "qwen-model",
            "ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 1024},
        },
        RuntimeConfig={"CopyCount": 1},
        Tags=[{"Key": "team", "Value": "llm"}],
    )
    arn = sm.describe_inference_component(InferenceComponentName="team-a")["InferenceComponentArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "ml"}, {"Key": "cost", "Value": "42"}])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}, {"Key": "cost", "Value": "42"}]
    sm.delete_tags(ResourceArn=arn, TagKeys=["team"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "cost", "Value": "42"}]
    with pytest.raises(ClientError) as info:
        sm.list_tags(ResourceArn=arn.replace("team-a", "ghost"))
    assert info.value.response["Error"]["Code"] == "ValidationException"
    endpoint_arn = sm.describe_endpoint(EndpointName="team")["EndpointArn"]
    sm.add_tags(ResourceArn=endpoint_arn, Tags=[{"Key": "k", "Value": "v"}])  # other ARNs still reach moto
    assert sm.list_tags(ResourceArn=endpoint_arn)["Tags"] == [{"Key": "k", "Value": "v"}]


def test_update_endpoint_moves_the_fleet_to_the_new_config(ctx: Any) -> None:
    from deploy.local.helpers import ROLE_ARN

    create_component(ctx, "team-a", "team", "qwen-model", copies=2, gpus=4)  # 2 instances of 4 GPUs
    sm = ctx.client("sagemaker")
    assert sm.describe_endpoint(EndpointName="team")["ProductionVariants"][0]["CurrentInstanceCount"] == 2
    sm.create_endpoint_config(
        EndpointConfigName="team-config-2",
        ExecutionRoleArn=ROLE_ARN,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "InstanceType": "ml.g6e.48xlarge",  # 8 GPUs: both copies fit on one instance
                "InitialInstanceCount": 1,
                "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 1},
            }
        ],
    )
    sm.update_endpoint(EndpointName="team", EndpointConfigName="team-config-2")
    described = sm.describe_endpoint(EndpointName="team")
    assert described["EndpointConfigName"] == "team-config-2"
    variant = sm.describe_endpoint(EndpointName="team")["ProductionVariants"][0]
    assert (variant["CurrentInstanceCount"], variant["ManagedInstanceScaling"]["MaxInstanceCount"]) == (1, 1)
    runtime = sm.describe_inference_component(InferenceComponentName="team-a")["RuntimeConfig"]
    assert runtime == {"DesiredCopyCount": 2, "CurrentCopyCount": 2}


@pytest.mark.parametrize(
    "operation", ["CreateInferenceComponent", "UpdateInferenceComponentRuntimeConfig", "DeleteInferenceComponent"]
)
def test_injected_faults_reach_component_calls_and_change_nothing(ctx: Any, lmi_emulator: Any, operation: str) -> None:
    if operation != "CreateInferenceComponent":
        create_component(ctx, "team-a", "team", "qwen-model")
        ctx.client("sagemaker").list_inference_components()
    lmi_emulator.inject_fault(operation, code="InternalFailure", times=10)
    sm = ctx.client("sagemaker")
    calls = {
        "CreateInferenceComponent": lambda: create_component(ctx, "team-a", "team", "qwen-model"),
        "UpdateInferenceComponentRuntimeConfig": lambda: sm.update_inference_component_runtime_config(
            InferenceComponentName="team-a", DesiredRuntimeConfig={"CopyCount": 3}
        ),
        "DeleteInferenceComponent": lambda: sm.delete_inference_component(InferenceComponentName="team-a"),
    }
    with pytest.raises(ClientError) as info:
        calls[operation]()
    assert info.value.response["Error"]["Code"] == "InternalFailure"
    listed = sm.list_inference_components()["InferenceComponents"]
    if operation == "CreateInferenceComponent":
        assert listed == []
    else:
        described = sm.describe_inference_component(InferenceComponentName="team-a")
        assert (described["InferenceComponentStatus"], described["RuntimeConfig"]["DesiredCopyCount"]) == (
            "InService",
            1,
        )
