"""The inference-component calls of the gateways and of apply's IC steps, against botocore's Stubber (no network):
the request each sends is checked against the operation's model by botocore, the answers are AWS's shapes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from deploy.aws.autoscaling import AutoScalingGateway, dimension_of
from deploy.aws.cloudwatch import CloudWatchGateway
from deploy.aws.sagemaker import SageMakerGateway
from deploy.aws.session import AwsContext
from deploy.engine.actions import PutScaleOutAlarm, UpdateInferenceComponent, WaitForInferenceComponent
from deploy.engine.components import run
from deploy.engine.waiting import PollSchedule, Waiter
from deploy.errors import DeployError

IC = "team-llms-qwen"
ARN = f"arn:aws:sagemaker:us-east-1:123456789012:inference-component/{IC}"
FAST = Waiter(schedule=PollSchedule(first=0.0, cap=0.0), sleep=lambda _s: None)


@pytest.fixture
def ctx() -> Iterator[AwsContext]:
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1")
    yield AwsContext(session=session)


def stub(ctx: AwsContext, service: str) -> Stubber:
    stubber = Stubber(ctx.client(service))
    stubber.activate()
    return stubber


def described(status: str, model: str = "team-llms-qwen-0123456789", reason: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "InferenceComponentName": IC,
        "InferenceComponentArn": ARN,
        "EndpointName": "team-llms",
        "EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/team-llms",
        "VariantName": "AllTraffic",
        "Specification": {"ModelName": model},
        "RuntimeConfig": {"DesiredCopyCount": 2, "CurrentCopyCount": 1},
        "InferenceComponentStatus": status,
        "CreationTime": "2026-12-01T00:00:00Z",
        "LastModifiedTime": "2026-12-01T00:00:00Z",
    }
    if reason:
        out["FailureReason"] = reason
    return out


def test_create_is_done_when_a_crashed_run_already_created_it(ctx: AwsContext) -> None:
    sm = stub(ctx, "sagemaker")
    body = {"InferenceComponentName": IC, "EndpointName": "team-llms", "VariantName": "AllTraffic",
            "Specification": {"ModelName": "m"}, "RuntimeConfig": {"CopyCount": 1}}  # fmt: skip
    sm.add_response("create_inference_component", {"InferenceComponentArn": ARN}, body)
    exists = f'Cannot create already existing inference component "{ARN}".'
    sm.add_client_error("create_inference_component", "ValidationException", exists, expected_params=body)
    gateway = SageMakerGateway(ctx)
    assert gateway.create_inference_component(body) is True
    assert gateway.create_inference_component(body) is False
    sm.assert_no_pending_responses()


@pytest.mark.parametrize("message", ["Could not find inference component", f"Inference component {ARN} does not exist"])
def test_missing_components_read_as_none_and_delete_as_gone(ctx: AwsContext, message: str) -> None:
    sm = stub(ctx, "sagemaker")
    sm.add_client_error("describe_inference_component", "ValidationException", message)
    sm.add_client_error("delete_inference_component", "ValidationException", message)
    gateway = SageMakerGateway(ctx)
    assert gateway.describe_inference_component(IC) is None
    assert gateway.delete_inference_component(IC) is False


def test_list_pages_through_the_endpoints_components(ctx: AwsContext) -> None:
    sm = stub(ctx, "sagemaker")
    item = {"InferenceComponentName": IC, "InferenceComponentArn": ARN, "EndpointName": "team-llms",
            "EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/team-llms", "VariantName": "AllTraffic",
            "CreationTime": "2026-12-01T00:00:00Z", "LastModifiedTime": "2026-12-01T00:00:00Z"}  # fmt: skip
    sm.add_response("list_inference_components", {"InferenceComponents": [item], "NextToken": "t"},
                    {"EndpointNameEquals": "team-llms"})  # fmt: skip
    sm.add_response("list_inference_components", {"InferenceComponents": [{**item, "InferenceComponentName": "b"}]},
                    {"EndpointNameEquals": "team-llms", "NextToken": "t"})  # fmt: skip
    names = [i["InferenceComponentName"] for i in SageMakerGateway(ctx).list_inference_components("team-llms")]
    assert names == [IC, "b"]


def test_an_update_already_under_way_is_not_sent_twice(ctx: AwsContext) -> None:
    sm = stub(ctx, "sagemaker")
    request = {"InferenceComponentName": IC, "Specification": {"ModelName": "new-model"}}
    action = UpdateInferenceComponent(IC, "r", request=request, previous_model="old-model")
    sm.add_response(
        "describe_inference_component", described("Updating", model="new-model"), {"InferenceComponentName": IC}
    )
    run.update_component(SageMakerGateway(ctx), action)  # nothing else is stubbed: a second call would fail
    sm.add_response(
        "describe_inference_component", described("InService", model="old-model"), {"InferenceComponentName": IC}
    )
    sm.add_response("update_inference_component", {"InferenceComponentArn": ARN}, request)
    run.update_component(SageMakerGateway(ctx), action)
    sm.assert_no_pending_responses()


def test_the_scale_out_alarm_names_the_step_policy_arn(ctx: AwsContext) -> None:
    scaling, cw = stub(ctx, "application-autoscaling"), stub(ctx, "cloudwatch")
    arn = "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:abc:resource/sagemaker/x:policyName/step"
    policy = {"PolicyARN": arn, "PolicyName": "step", "ServiceNamespace": "sagemaker",
              "ResourceId": f"inference-component/{IC}", "ScalableDimension": dimension_of(f"inference-component/{IC}"),
              "PolicyType": "StepScaling", "CreationTime": "2026-12-01T00:00:00Z"}  # fmt: skip
    scaling.add_response("describe_scaling_policies", {"ScalingPolicies": [policy]},
                         {"ServiceNamespace": "sagemaker", "ResourceId": f"inference-component/{IC}"})  # fmt: skip
    alarm = {"AlarmName": f"{IC}-lmi-no-capacity", "MetricName": "NoCapacityInvocationFailures",
             "Namespace": "AWS/SageMaker", "Period": 30, "EvaluationPeriods": 1, "Threshold": 1.0,
             "ComparisonOperator": "GreaterThanOrEqualToThreshold", "Statistic": "Maximum"}  # fmt: skip
    cw.add_response("put_metric_alarm", {}, {**alarm, "AlarmActions": [arn]})
    action = PutScaleOutAlarm(alarm["AlarmName"], "r", request=alarm, policy_name="step",  # type: ignore[arg-type]
                              resource_id=f"inference-component/{IC}")  # fmt: skip
    run.put_scale_out_alarm(AutoScalingGateway(ctx), CloudWatchGateway(ctx), action)
    cw.assert_no_pending_responses()
    scaling.add_response("describe_scaling_policies", {"ScalingPolicies": []},
                         {"ServiceNamespace": "sagemaker", "ResourceId": f"inference-component/{IC}"})  # fmt: skip
    with pytest.raises(DeployError, match="does not exist"):
        run.put_scale_out_alarm(AutoScalingGateway(ctx), CloudWatchGateway(ctx), action)


@pytest.mark.parametrize("resource", [f"inference-component/{IC}", "endpoint/e/variant/AllTraffic"])
def test_scaling_deletes_use_the_dimension_of_the_resource(ctx: AwsContext, resource: str) -> None:
    scaling = stub(ctx, "application-autoscaling")
    dimension = dimension_of(resource)
    assert dimension.endswith("DesiredCopyCount" if resource.startswith("inference") else "DesiredInstanceCount")
    keys = {"ServiceNamespace": "sagemaker", "ResourceId": resource, "ScalableDimension": dimension}
    scaling.add_response("delete_scaling_policy", {}, {**keys, "PolicyName": "p"})
    scaling.add_client_error("deregister_scalable_target", "ObjectNotFoundException", "No scalable target",
                             expected_params=keys)  # fmt: skip
    gateway = AutoScalingGateway(ctx)
    assert gateway.delete_policy(resource, "p") is True
    assert gateway.deregister_target(resource) is False  # already gone: a re-run repeats the step safely


def test_waiting_shows_progress_and_explains_a_failed_component(ctx: AwsContext) -> None:
    sm = stub(ctx, "sagemaker")
    for status in ("Creating", "Creating"):
        sm.add_response("describe_inference_component", described(status), {"InferenceComponentName": IC})
    reason = "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1024.00 MiB"
    sm.add_response("describe_inference_component", described("Failed", reason=reason), {"InferenceComponentName": IC})
    events: list[dict[str, Any]] = []
    action = WaitForInferenceComponent(IC, "until InService", endpoint="team-llms", expected_model="m", timeout_s=60)
    with pytest.raises(DeployError) as info:
        run.wait_for_component(FAST, SageMakerGateway(ctx), action, events.append)
    assert [e["status"] for e in events] == ["Creating", "Creating", "Failed"]
    assert all(e["component"] == IC and e["endpoint"] == "team-llms" for e in events)
    assert reason in info.value.message and "other components keep serving" in info.value.message
    assert info.value.hint is not None and "memory" in info.value.hint.lower()


def test_a_wait_times_out_with_the_field_to_raise(ctx: AwsContext) -> None:
    sm = stub(ctx, "sagemaker")
    clock = iter(range(0, 1000, 40))
    waiter = Waiter(schedule=PollSchedule(first=1.0, cap=1.0), sleep=lambda _s: None, clock=lambda: float(next(clock)))
    for _ in range(3):
        sm.add_response("describe_inference_component", described("Creating"), {"InferenceComponentName": IC})
    with pytest.raises(DeployError, match="still Creating") as info:
        run.until_settled(waiter, SageMakerGateway(ctx), IC, "team-llms", 100.0, lambda _e: None)
    assert info.value.field == "instance.startup_health_check_timeout_s"


def test_ctrl_c_during_a_component_wait_stops_at_the_next_poll(ctx: AwsContext) -> None:
    import threading

    from deploy.engine.apply import Applier
    from deploy.engine.plan import Plan
    from deploy.errors import Interrupted

    sm = stub(ctx, "sagemaker")
    sm.add_response("describe_inference_component", described("Creating"), {"InferenceComponentName": IC})
    cancel = threading.Event()
    cancel.set()
    wait = WaitForInferenceComponent(IC, "until InService", endpoint="team-llms", expected_model="m", timeout_s=60)
    with pytest.raises(Interrupted) as info:
        Applier(ctx, waiter=FAST, cancel=cancel)._step(wait, Plan("team-llms", (wait,)), _state(), 0)
    assert "Creating" in info.value.message and info.value.remaining == (f"WaitForInferenceComponent {IC}",)


def _state() -> Any:
    from deploy.engine.apply import RunState

    return RunState()
