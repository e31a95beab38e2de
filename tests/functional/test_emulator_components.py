"""Inference components on the embedded emulator, through boto3: endpoint configs without a model, the IC
control plane (create/describe/list/update/runtime config/delete, tags), its lifecycle and AWS's errors.
Every response goes through botocore's own parser (the client calls do that), so a shape the real service would
not send fails here."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from deploy.local.component_helpers import create_component, create_component_endpoint, create_lmi_model
from deploy.local.helpers import LMI_IMAGE, ROLE_ARN, create_config, create_model
from deploy.local.testing import lmi_emulator

__all__ = ["lmi_emulator"]
ACCOUNT = "123456789012"


def _error(info: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = info.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.fixture
def ctx(lmi_emulator: Any) -> Any:
    context = lmi_emulator.context()
    create_component_endpoint(context, "team")
    create_lmi_model(context, "qwen-model")
    create_lmi_model(context, "llama-model", "meta-llama/Llama-3.1-8B-Instruct")
    return context


def test_component_config_round_trips_role_scaling_and_routing(lmi_emulator: Any) -> None:
    context = lmi_emulator.context()
    create_component_endpoint(context, "team", count=1, min_count=0, max_count=3)
    sm = context.client("sagemaker")
    config = sm.describe_endpoint_config(EndpointConfigName="team-config")
    assert config["ExecutionRoleArn"] == ROLE_ARN
    variant = config["ProductionVariants"][0]
    assert "ModelName" not in variant
    assert variant["ManagedInstanceScaling"] == {"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 3}
    assert variant["RoutingConfig"] == {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}
    endpoint = sm.describe_endpoint(EndpointName="team")
    assert endpoint["EndpointStatus"] == "InService"
    summary = endpoint["ProductionVariants"][0]
    assert (summary["CurrentInstanceCount"], summary["DesiredInstanceCount"]) == (1, 1)
    assert summary["ManagedInstanceScaling"]["MaxInstanceCount"] == 3


def _component_variant(**extra: Any) -> dict[str, Any]:
    return {"VariantName": "AllTraffic", "InstanceType": "ml.g6e.12xlarge", "InitialInstanceCount": 1, **extra}


BAD_CONFIGS = {
    "no execution role": ({}, [_component_variant()], "ExecutionRoleArn is required"),
    "min above max": (
        {"ExecutionRoleArn": ROLE_ARN},
        [
            _component_variant(
                ManagedInstanceScaling={"Status": "ENABLED", "MinInstanceCount": 3, "MaxInstanceCount": 2}
            )
        ],
        "MinInstanceCount (3) cannot be greater than MaxInstanceCount (2)",
    ),
    "initial above max": (
        {"ExecutionRoleArn": ROLE_ARN},
        [
            _component_variant(
                InitialInstanceCount=3,
                ManagedInstanceScaling={"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 2},
            )
        ],
        "InitialInstanceCount (3) cannot be greater than MaxInstanceCount (2)",
    ),
    "model next to a component variant": (
        {"ExecutionRoleArn": ROLE_ARN},
        [_component_variant(), _component_variant(VariantName="B", ModelName="m")],
        "must omit ModelName",
    ),
    "two component variants": (
        {"ExecutionRoleArn": ROLE_ARN},
        [_component_variant(), _component_variant(VariantName="B")],
        "exactly one production variant",
    ),
    "serverless": (
        {"ExecutionRoleArn": ROLE_ARN},
        [{"VariantName": "AllTraffic", "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 1}}],
        "set InstanceType",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_component_config_refusals(lmi_emulator: Any, case: str) -> None:
    top, variants, message = BAD_CONFIGS[case]
    sm = lmi_emulator.context().client("sagemaker")
    with pytest.raises(ClientError) as info:
        sm.create_endpoint_config(EndpointConfigName="c", ProductionVariants=variants, **top)
    code, text = _error(info)
    assert code == "ValidationException" and message in text
    with pytest.raises(ClientError):
        sm.describe_endpoint_config(EndpointConfigName="c")  # nothing was stored


def test_managed_scaling_on_a_model_variant_is_refused_and_a_duplicate_config_too(lmi_emulator: Any) -> None:
    context = lmi_emulator.context()
    sm = context.client("sagemaker")
    create_model(context, "m")
    scaling = {"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 2}
    with pytest.raises(ClientError) as info:
        sm.create_endpoint_config(
            EndpointConfigName="c",
            ProductionVariants=[_component_variant(ModelName="m", ManagedInstanceScaling=scaling)],
        )
    assert _error(info)[1] == "ManagedInstanceScaling is only supported for inference component endpoints."
    create_component_endpoint(context, "team")
    with pytest.raises(ClientError) as info:
        sm.create_endpoint_config(
            EndpointConfigName="team-config", ExecutionRoleArn=ROLE_ARN, ProductionVariants=[_component_variant()]
        )
    assert _error(info) == (
        "ValidationException",
        f'Cannot create already existing endpoint configuration "arn:aws:sagemaker:us-east-1:{ACCOUNT}:'
        'endpoint-config/team-config".',
    )


def test_create_describe_echoes_the_specification(ctx: Any, lmi_emulator: Any) -> None:
    sm = ctx.client("sagemaker")
    with lmi_emulator.paused():
        arn = create_component(ctx, "team-qwen", "team", "qwen-model", copies=2, gpus=1, memory_mb=32768, cpus=4)
        creating = sm.describe_inference_component(InferenceComponentName="team-qwen")
    assert arn == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:inference-component/team-qwen"
    assert creating["InferenceComponentStatus"] == "Creating"
    described = sm.describe_inference_component(InferenceComponentName="team-qwen")
    assert described["InferenceComponentStatus"] == "InService"
    assert described["InferenceComponentArn"] == arn
    assert (described["EndpointName"], described["VariantName"]) == ("team", "AllTraffic")
    assert described["EndpointArn"] == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/team"
    spec = described["Specification"]
    assert spec["ModelName"] == "qwen-model"
    assert spec["ComputeResourceRequirements"] == {
        "NumberOfAcceleratorDevicesRequired": 1.0,
        "NumberOfCpuCoresRequired": 4.0,
        "MinMemoryRequiredInMb": 32768,
    }
    assert spec["StartupParameters"] == {"ModelDataDownloadTimeoutInSeconds": 600}
    assert described["RuntimeConfig"] == {"DesiredCopyCount": 2, "CurrentCopyCount": 2}
    assert described["CreationTime"] <= described["LastModifiedTime"]
    assert "FailureReason" not in described


def test_a_container_component_reports_its_deployed_image(ctx: Any) -> None:
    sm = ctx.client("sagemaker")
    sm.create_inference_component(
        InferenceComponentName="byoc",
        EndpointName="team",
        Specification={
            "Container": {"Image": LMI_IMAGE, "Environment": {"HF_MODEL_ID": "Qwen/Qwen2.5-0.5B"}},
            "ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 4096},
        },
        RuntimeConfig={"CopyCount": 1},
    )
    container = sm.describe_inference_component(InferenceComponentName="byoc")["Specification"]["Container"]
    assert container["DeployedImage"]["SpecifiedImage"] == LMI_IMAGE
    assert container["DeployedImage"]["ResolvedImage"].startswith(LMI_IMAGE.split(":")[0] + "@sha256:")
    assert container["Environment"] == {"HF_MODEL_ID": "Qwen/Qwen2.5-0.5B"}


def _compute(gpus: int = 1) -> dict[str, Any]:
    return {"NumberOfAcceleratorDevicesRequired": gpus, "MinMemoryRequiredInMb": 1024}


CREATE_ERRORS: dict[str, tuple[dict[str, Any], str]] = {
    "missing endpoint": (
        {"EndpointName": "nope"},
        f'Could not find endpoint "arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/nope".',
    ),
    "missing model": (
        {"Specification": {"ModelName": "ghost", "ComputeResourceRequirements": _compute()}},
        f'Could not find model "arn:aws:sagemaker:us-east-1:{ACCOUNT}:model/ghost".',
    ),
    "endpoint that hosts a model": ({"EndpointName": "single"}, "Inference Components are not supported in this"),
    "copy count 0": ({"RuntimeConfig": {"CopyCount": 0}}, "Inference components copy count an integer larger than 0"),
    "no runtime config": ({"RuntimeConfig": None}, "RuntimeConfig.CopyCount is required"),
    "model and container": (
        {
            "Specification": {
                "ModelName": "qwen-model",
                "Container": {"Image": LMI_IMAGE},
                "ComputeResourceRequirements": _compute(),
            }
        },
        "exactly one of ModelName or Container",
    ),
    "no compute requirements": ({"Specification": {"ModelName": "qwen-model"}}, "ComputeResourceRequirements is"),
    "unknown variant": ({"VariantName": "Blue"}, 'Could not find variant "Blue"'),
    "missing base": (
        {"Specification": {"BaseInferenceComponentName": "ghost", "Container": {"ArtifactUrl": "s3://b/a/"}}},
        "Could not find inference component",
    ),
}


@pytest.mark.parametrize("case", sorted(CREATE_ERRORS))
def test_create_refusals(ctx: Any, case: str) -> None:
    create_model(ctx, "single-model")
    create_config(ctx, "single-config", "single-model")
    ctx.client("sagemaker").create_endpoint(EndpointName="single", EndpointConfigName="single-config")
    overrides, message = CREATE_ERRORS[case]
    request: dict[str, Any] = {
        "InferenceComponentName": "ic",
        "EndpointName": "team",
        "Specification": {"ModelName": "qwen-model", "ComputeResourceRequirements": _compute()},
        "RuntimeConfig": {"CopyCount": 1},
        **overrides,
    }
    request = {k: v for k, v in request.items() if v is not None}
    sm = ctx.client("sagemaker")
    with pytest.raises(ClientError) as info:
        sm.create_inference_component(**request)
    code, text = _error(info)
    assert code == "ValidationException" and message in text
    assert sm.list_inference_components()["InferenceComponents"] == []


def test_duplicate_name_is_refused_with_the_arn(ctx: Any) -> None:
    create_component(ctx, "team-qwen", "team", "qwen-model")
    with pytest.raises(ClientError) as info:
        create_component(ctx, "team-qwen", "team", "llama-model")
    assert _error(info) == (
        "ValidationException",
        f'Cannot create already existing inference component "arn:aws:sagemaker:us-east-1:{ACCOUNT}:'
        'inference-component/team-qwen".',
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda sm: sm.describe_inference_component(InferenceComponentName="ghost"),
        lambda sm: sm.delete_inference_component(InferenceComponentName="ghost"),
        lambda sm: sm.update_inference_component(InferenceComponentName="ghost", RuntimeConfig={"CopyCount": 1}),
        lambda sm: sm.update_inference_component_runtime_config(
            InferenceComponentName="ghost", DesiredRuntimeConfig={"CopyCount": 1}
        ),
    ],
    ids=["describe", "delete", "update", "runtime-config"],
)
def test_calls_on_a_missing_component(ctx: Any, call: Any) -> None:
    with pytest.raises(ClientError) as info:
        call(ctx.client("sagemaker"))
    assert _error(info) == (
        "ValidationException",
        f'Could not find inference component "arn:aws:sagemaker:us-east-1:{ACCOUNT}:inference-component/ghost".',
    )


@pytest.mark.parametrize(
    "body",
    [
        {"InferenceComponentName": "ic", "EndpointName": "team", "RuntimeConfig": {"CopyCount": "two"}},
        {"InferenceComponentName": "x" * 64, "EndpointName": "team"},
        {"EndpointName": "team"},
        {
            "InferenceComponentName": "ic",
            "EndpointName": "team",
            "Specification": {"ComputeResourceRequirements": {"MinMemoryRequiredInMb": 64}},
        },
    ],
    ids=["wrong type", "name too long", "name missing", "below the minimum"],
)
def test_the_service_validates_requests_the_client_did_not(lmi_emulator: Any, body: dict[str, Any]) -> None:
    raw = lmi_emulator.context().session.client(
        "sagemaker", endpoint_url=lmi_emulator.endpoint_url, config=Config(parameter_validation=False)
    )
    with pytest.raises(ClientError) as info:
        raw.create_inference_component(**body)
    assert _error(info)[0] == "ValidationException"
