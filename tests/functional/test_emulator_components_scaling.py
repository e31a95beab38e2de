"""Application Auto Scaling for inference components on the emulator: targets and policies for
``inference-component/<name>`` (which moto rejects), their refusals, and real-time scale to zero and back out:
target tracking scales copies in to 0, managed instance scaling releases the instances, a CloudWatch alarm on
NoCapacityInvocationFailures drives a step-scaling policy that brings a copy (and an instance) back."""

from __future__ import annotations

import json
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
DIM = "sagemaker:inference-component:DesiredCopyCount"
RID = "inference-component/team-qwen"
CONCURRENCY = "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"


@pytest.fixture
def ctx(lmi_emulator: Any) -> Any:
    context = lmi_emulator.context()
    create_component_endpoint(context, "team", min_count=0, max_count=2)
    create_lmi_model(context, "qwen")
    create_component(context, "team-qwen", "team", "qwen", copies=1)
    context.client("sagemaker").list_inference_components()  # finishes Creating (time_scale=0)
    return context


def _register(ctx: Any, low: int = 0, high: int = 4, resource: str = RID, dimension: str = DIM) -> Any:
    return ctx.client("application-autoscaling").register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=resource,
        ScalableDimension=dimension,
        MinCapacity=low,
        MaxCapacity=high,
    )


def _target_tracking(ctx: Any, metric: str = CONCURRENCY, target: float = 4.0, **extra: Any) -> Any:
    return ctx.client("application-autoscaling").put_scaling_policy(
        PolicyName="team-qwen-target",
        ServiceNamespace="sagemaker",
        ResourceId=RID,
        ScalableDimension=DIM,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": target,
            "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
            **extra,
        },
    )


def _step_from_zero(ctx: Any) -> str:
    policy = ctx.client("application-autoscaling").put_scaling_policy(
        PolicyName="team-qwen-from-zero",
        ServiceNamespace="sagemaker",
        ResourceId=RID,
        ScalableDimension=DIM,
        PolicyType="StepScaling",
        StepScalingPolicyConfiguration={
            "AdjustmentType": "ChangeInCapacity",
            "MetricAggregationType": "Maximum",
            "Cooldown": 60,
            "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
        },
    )
    return str(policy["PolicyARN"])


def _alarm(ctx: Any, action: str) -> None:
    ctx.client("cloudwatch").put_metric_alarm(
        AlarmName="team-qwen-no-capacity",
        Namespace="AWS/SageMaker",
        MetricName="NoCapacityInvocationFailures",
        Dimensions=[{"Name": "InferenceComponentName", "Value": "team-qwen"}],
        Statistic="Maximum",
        Period=30,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="missing",
        AlarmActions=[action],
    )


def _copies(ctx: Any) -> tuple[int, int]:
    runtime = ctx.client("sagemaker").describe_inference_component(InferenceComponentName="team-qwen")["RuntimeConfig"]
    return runtime["DesiredCopyCount"], runtime["CurrentCopyCount"]


def _instances(ctx: Any) -> int:
    variant = ctx.client("sagemaker").describe_endpoint(EndpointName="team")["ProductionVariants"][0]
    return int(variant["CurrentInstanceCount"])


def _invoke(ctx: Any, component: str = "team-qwen") -> dict[str, Any]:
    return invoke_component(ctx, "team", component)


def test_targets_and_policies_for_components(ctx: Any) -> None:
    aas = ctx.client("application-autoscaling")
    assert _register(ctx)["ScalableTargetARN"].startswith("arn:aws:application-autoscaling:us-east-1:")
    targets = aas.describe_scalable_targets(ServiceNamespace="sagemaker", ScalableDimension=DIM)["ScalableTargets"]
    assert [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [(RID, 0, 4)]
    _register(ctx, 1, 3)  # registering again updates the bounds
    targets = aas.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[RID])["ScalableTargets"]
    assert (targets[0]["MinCapacity"], targets[0]["MaxCapacity"]) == (1, 3)
    _target_tracking(ctx)
    _target_tracking(ctx, "SageMakerInferenceComponentInvocationsPerCopy", 100.0)
    _step_from_zero(ctx)
    policies = aas.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=RID)["ScalingPolicies"]
    assert sorted((p["PolicyName"], p["PolicyType"]) for p in policies) == [
        ("team-qwen-from-zero", "StepScaling"),
        ("team-qwen-target", "TargetTrackingScaling"),
    ]
    aas.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId=RID, ScalableDimension=DIM)
    assert aas.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=RID)["ScalingPolicies"] == []


REGISTER_ERRORS = {
    "variant dimension": ({"dimension": "sagemaker:variant:DesiredInstanceCount"}, "Unsupported scalable dimension"),
    "missing component": ({"resource": "inference-component/ghost"}, "the inference component ghost does not exist"),
    "min above max": ({"low": 3, "high": 2}, "Minimum capacity cannot be greater than maximum capacity"),
    "malformed resource id": ({"resource": "inference-component/a/b"}, "Unsupported service namespace"),
    "adapter": ({"resource": "inference-component/team-lora"}, "is an adapter"),
}


@pytest.mark.parametrize("case", sorted(REGISTER_ERRORS))
def test_target_refusals(ctx: Any, case: str) -> None:
    create_lmi_model(ctx, "qwen-lora", OPTION_ENABLE_LORA="true")
    create_component(ctx, "team-base", "team", "qwen-lora")
    create_adapter(ctx, "team-lora", "team", "team-base", "s3://adapters/lora-1/")
    overrides, message = REGISTER_ERRORS[case]
    with pytest.raises(ClientError) as info:
        _register(ctx, **overrides)
    error = info.value.response["Error"]
    assert error["Code"] == "ValidationException" and message in error["Message"]


def test_policy_refusals(ctx: Any) -> None:
    with pytest.raises(ClientError) as info:
        _target_tracking(ctx)
    assert info.value.response["Error"]["Code"] == "ObjectNotFoundException"
    _register(ctx)
    for metric in ("SageMakerVariantInvocationsPerInstance", "NotAMetric"):
        with pytest.raises(ClientError) as info:
            _target_tracking(ctx, metric)
        assert info.value.response["Error"]["Code"] == "ValidationException"
        assert metric in info.value.response["Error"]["Message"]


def test_scale_to_zero_and_back(ctx: Any, lmi_emulator: Any) -> None:
    _register(ctx, 0, 2)
    _target_tracking(ctx)
    _alarm(ctx, _step_from_zero(ctx))
    assert _instances(ctx) == 1
    changes = lmi_emulator.run_autoscaling()  # no traffic since the last round: scale in to MinCapacity 0
    assert [(c["from"], c["to"], c["cause"]) for c in changes] == [(1, 0, "target tracking")]
    assert _copies(ctx) == (0, 0)
    assert _instances(ctx) == 0  # MinInstanceCount 0: the idle instance is released
    with pytest.raises(ClientError) as info:
        _invoke(ctx)
    assert "no capacity" in info.value.response["Error"]["Message"]
    changes = lmi_emulator.run_autoscaling()  # the alarm sees NoCapacityInvocationFailures and enters ALARM
    assert [(c["policy"], c["from"], c["to"]) for c in changes] == [("team-qwen-from-zero", 0, 1)]
    alarm = ctx.client("cloudwatch").describe_alarms(AlarmNames=["team-qwen-no-capacity"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM"
    assert _copies(ctx) == (1, 1) and _instances(ctx) == 1  # an instance launched for the copy
    assert _invoke(ctx)["generated_text"].startswith("[emulated]")
    assert lmi_emulator.run_autoscaling() == []  # still in ALARM: an alarm acts when it enters the state
    activities = ctx.client("application-autoscaling").describe_scaling_activities(
        ServiceNamespace="sagemaker", ResourceId=RID
    )["ScalingActivities"]
    assert [a["Description"] for a in activities] == [
        "Setting desired copy count to 1.",
        "Setting desired copy count to 0.",
    ]
    assert all(a["StatusCode"] == "Successful" for a in activities)


def test_target_tracking_scales_out_with_traffic_and_respects_disable_scale_in(ctx: Any, lmi_emulator: Any) -> None:
    _register(ctx, 0, 4)
    _target_tracking(ctx, "SageMakerInferenceComponentInvocationsPerCopy", 2.0, DisableScaleIn=True)
    for _ in range(6):
        _invoke(ctx)
    changes = lmi_emulator.run_autoscaling()
    assert [(c["from"], c["to"]) for c in changes] == [(1, 3)]  # ceil(1 copy x 6 per copy / 2)
    assert _copies(ctx) == (3, 3)
    assert lmi_emulator.run_autoscaling() == []  # no traffic, but scale-in is disabled
    for _ in range(40):
        _invoke(ctx)
    assert [(c["from"], c["to"]) for c in lmi_emulator.run_autoscaling()] == [(3, 4)]  # capped at MaxCapacity


def test_deleting_a_component_removes_its_scaling(ctx: Any) -> None:
    _register(ctx)
    _target_tracking(ctx)
    ctx.client("sagemaker").delete_inference_component(InferenceComponentName="team-qwen")
    ctx.client("sagemaker").list_inference_components()  # finishes Deleting
    aas = ctx.client("application-autoscaling")
    assert aas.describe_scalable_targets(ServiceNamespace="sagemaker", ScalableDimension=DIM)["ScalableTargets"] == []
    assert aas.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=RID)["ScalingPolicies"] == []


def test_a_scaling_round_over_http(ctx: Any, lmi_emulator: Any) -> None:
    import urllib.request

    _register(ctx, 0, 2)
    _target_tracking(ctx)
    request = urllib.request.Request(
        f"{lmi_emulator.endpoint_url}/_lmi/autoscaling/run?region=us-east-1", method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        changes = json.loads(response.read())["changes"]
    assert [(c["component"], c["from"], c["to"]) for c in changes] == [("team-qwen", 1, 0)]
    assert _copies(ctx) == (0, 0)


def test_target_tracking_owns_two_alarms_that_go_with_it(ctx: Any) -> None:
    _register(ctx)
    first = _target_tracking(ctx)
    prefixes = sorted(a["AlarmName"].rsplit("-", 5)[0] for a in first["Alarms"])  # minus the "-<uuid>" tail
    assert prefixes == [f"TargetTracking-{RID}-AlarmHigh", f"TargetTracking-{RID}-AlarmLow"]
    cloudwatch = ctx.client("cloudwatch")
    names = lambda: sorted(a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"])  # noqa: E731
    assert names() == sorted(a["AlarmName"] for a in first["Alarms"])
    high = cloudwatch.describe_alarms(AlarmNames=[first["Alarms"][0]["AlarmName"]])["MetricAlarms"][0]
    assert high["Dimensions"] == [{"Name": "InferenceComponentName", "Value": "team-qwen"}]
    assert high["AlarmActions"][0].startswith(first["PolicyARN"])
    second = _target_tracking(ctx, target=8.0)  # putting the policy again replaces its alarms
    assert names() == sorted(a["AlarmName"] for a in second["Alarms"])
    aas = ctx.client("application-autoscaling")
    aas.delete_scaling_policy(
        PolicyName="team-qwen-target", ServiceNamespace="sagemaker", ResourceId=RID, ScalableDimension=DIM
    )
    assert names() == []
    _target_tracking(ctx)
    aas.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId=RID, ScalableDimension=DIM)
    assert names() == []  # deregistering deletes the policy and its alarms
    _register(ctx)
    _target_tracking(ctx)
    ctx.client("sagemaker").delete_inference_component(InferenceComponentName="team-qwen")
    ctx.client("sagemaker").list_inference_components()
    assert names() == []  # so does deleting the component


def test_an_alarm_also_acts_on_metrics_a_client_put(ctx: Any, lmi_emulator: Any) -> None:
    import datetime as dt

    _register(ctx, 0, 2)
    _alarm(ctx, _step_from_zero(ctx))
    ctx.client("sagemaker").update_inference_component_runtime_config(
        InferenceComponentName="team-qwen", DesiredRuntimeConfig={"CopyCount": 0}
    )
    ctx.client("cloudwatch").put_metric_data(
        Namespace="AWS/SageMaker",
        MetricData=[
            {
                "MetricName": "NoCapacityInvocationFailures",
                "Dimensions": [{"Name": "InferenceComponentName", "Value": "team-qwen"}],
                "Timestamp": dt.datetime.now(dt.timezone.utc),
                "Value": 2.0,
            }
        ],
    )
    assert [(c["from"], c["to"]) for c in lmi_emulator.run_autoscaling()] == [(0, 1)]
