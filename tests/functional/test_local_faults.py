"""Fault injection and the Application Auto Scaling rules the emulator adds on top of moto."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from deploy.aws.session import AwsContext, call
from deploy.errors import AwsError
from deploy.local.testing import (
    deploy,
    invoke_json,
    lmi_emulator,  # noqa: F401 - pytest fixture
)

RESOURCE = "endpoint/qwen/variant/AllTraffic"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def _register(aas, resource_id: str = RESOURCE, low: int = 1, high: int = 3) -> None:
    aas.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=resource_id,
        ScalableDimension=DIMENSION,
        MinCapacity=low,
        MaxCapacity=high,
    )


def _policy(aas, metric: str = "SageMakerVariantInvocationsPerInstance") -> None:
    aas.put_scaling_policy(
        PolicyName="tt",
        ServiceNamespace="sagemaker",
        ResourceId=RESOURCE,
        ScalableDimension=DIMENSION,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 5.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
        },
    )


def test_throttling_is_retried_by_the_standard_retry_mode(lmi_emulator):
    ctx = lmi_emulator.context()
    lmi_emulator.inject_fault("ListEndpoints", code="ThrottlingException", times=1)
    response = ctx.client("sagemaker").list_endpoints()
    assert response["ResponseMetadata"]["RetryAttempts"] == 1


def test_exhausted_faults_surface_as_aws_errors(lmi_emulator):
    ctx = AwsContext(session=lmi_emulator.context().session, endpoint_url=lmi_emulator.endpoint_url, max_attempts=1)
    lmi_emulator.inject_fault(
        "CreateEndpoint",
        code="ResourceLimitExceeded",
        times=1,
        message="The account-level service limit 'ml.g5.2xlarge for endpoint usage' is 0 "
        "Instances, with current utilization of 0 Instances and a request delta of 1 "
        "Instances.",
    )
    with pytest.raises(AwsError) as exc:
        call(
            ctx.client("sagemaker"), "create_endpoint", "CreateEndpoint", "x", EndpointName="x", EndpointConfigName="y"
        )
    assert exc.value.code == "ResourceLimitExceeded" and "service limit" in exc.value.message
    lmi_emulator.inject_fault("InvokeEndpoint", code="ServiceUnavailable", times=1)
    with pytest.raises(ClientError) as unavailable:
        ctx.client("sagemaker-runtime").invoke_endpoint(EndpointName="x", Body=b"{}")
    assert unavailable.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503


def test_autoscaling_checks_targets_like_aws(lmi_emulator):
    ctx = lmi_emulator.context()
    aas = ctx.client("application-autoscaling")
    with pytest.raises(ClientError) as missing:
        _register(aas)
    assert missing.value.response["Error"]["Code"] == "ValidationException"
    deploy(ctx, "qwen")
    with pytest.raises(ClientError) as inverted:
        _register(aas, low=4, high=2)
    assert "Minimum capacity cannot be greater than maximum capacity" in str(inverted.value)
    with pytest.raises(ClientError) as no_target:
        _policy(aas)
    assert no_target.value.response["Error"]["Code"] == "ObjectNotFoundException"
    _register(aas)
    with pytest.raises(ClientError) as bad_metric:
        _policy(aas, metric="NotAMetric")
    assert "NotAMetric" in str(bad_metric.value)
    _policy(aas)
    assert len(aas.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]) == 1
    aas.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId=RESOURCE, ScalableDimension=DIMENSION)
    assert aas.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"] == []


def test_deleting_an_endpoint_removes_its_scaling(lmi_emulator):
    ctx = lmi_emulator.context()
    aas = ctx.client("application-autoscaling")
    deploy(ctx, "qwen")
    _register(aas)
    _policy(aas)
    ctx.client("sagemaker").delete_endpoint(EndpointName="qwen")
    ctx.client("sagemaker").list_endpoints()  # any call advances the emulator's clock
    assert aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
    assert aas.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"] == []


def test_instance_type_change_blocked_while_variant_is_scalable(lmi_emulator):
    from deploy.local.testing import create_config

    ctx = lmi_emulator.context()
    deploy(ctx, "qwen")
    _register(ctx.client("application-autoscaling"))
    create_config(ctx, "bigger", "qwen-model", instance_type="ml.g6e.2xlarge")
    with pytest.raises(ClientError) as exc:
        ctx.client("sagemaker").update_endpoint(EndpointName="qwen", EndpointConfigName="bigger")
    assert "scalable target" in str(exc.value)
    assert invoke_json(ctx, "qwen", {"inputs": "still serving"})["generated_text"].startswith("[emulated]")


def test_injected_model_error_carries_the_original_status(lmi_emulator):
    ctx = lmi_emulator.context()
    deploy(ctx, "qwen")
    lmi_emulator.inject_fault("InvokeEndpoint", code="ModelError", message="CUDA error: an illegal memory access")
    with pytest.raises(ClientError) as exc:
        invoke_json(ctx, "qwen", {"inputs": "hi"})
    response = exc.value.response
    assert (response["Error"]["Code"], response["OriginalStatusCode"]) == ("ModelError", 500)
    assert "illegal memory access" in response["OriginalMessage"]
    assert invoke_json(ctx, "qwen", {"inputs": "hi"})["generated_text"].startswith("[emulated]")
