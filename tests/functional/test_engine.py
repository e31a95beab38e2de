"""Observe -> plan -> apply against patched in-process moto: create, converge, update, scale, destroy."""

from __future__ import annotations

import pytest

try:
    from tests.functional.conftest_engine import FAST_WAITER, Lifecycle, count_calls, ctx, lifecycle, make_desired
except ImportError:  # rootdir not on sys.path: the test directory is
    from conftest_engine import FAST_WAITER, Lifecycle, count_calls, ctx, lifecycle, make_desired  # type: ignore

from deploy.aws.session import AwsContext
from deploy.engine.apply import Applier
from deploy.engine.desired import DesiredState
from deploy.engine.observe import observe
from deploy.engine.plan import plan, plan_destroy
from deploy.errors import DeployError
from deploy.render.bodies import builtin_alarm_request, deployment_config

__all__ = ["ctx", "lifecycle"]


def converge(ctx: AwsContext, desired: DesiredState, events: list[dict] | None = None) -> list[str]:
    """Plan and apply once; return the action types that ran."""
    the_plan = plan(desired, observe(ctx, desired.endpoint_name, desired))
    sink = events.append if events is not None else None
    Applier(ctx, on_event=sink, waiter=FAST_WAITER).run(the_plan)
    return [a.type for a in the_plan.actions]


def replan(ctx: AwsContext, desired: DesiredState) -> list[str]:
    return [a.type for a in plan(desired, observe(ctx, desired.endpoint_name, desired)).actions]


def test_create_orders_model_config_endpoint_wait_scaling(ctx: AwsContext) -> None:
    desired = make_desired(scaling=(1, 3))
    events: list[dict] = []
    ran = converge(ctx, desired, events)
    assert ran == [
        "CreateModel",
        "CreateEndpointConfig",
        "CreateEndpoint",
        "WaitForEndpoint",
        "RegisterScalableTarget",
        "PutScalingPolicy",
    ]
    statuses = [e["status"] for e in events if e["event"] == "wait"]
    assert statuses[0] == "Creating" and statuses[-1] == "InService"
    described = ctx.client("sagemaker").describe_endpoint(EndpointName=desired.endpoint_name)
    assert described["EndpointConfigName"] == desired.config_name


def test_second_plan_is_empty_and_reapply_makes_no_mutating_call(ctx: AwsContext) -> None:
    desired = make_desired(scaling=(1, 2), alarm=builtin_alarm_request("engine-test"))
    converge(ctx, desired)
    assert replan(ctx, desired) == []
    counter = count_calls(ctx)
    converge(ctx, desired)
    assert counter.mutating == []
    assert "DescribeEndpoint" in counter.reads


def test_names_carry_content_hash_and_tags(ctx: AwsContext) -> None:
    desired = make_desired()
    converge(ctx, desired)
    sm = ctx.client("sagemaker")
    model = sm.describe_model(ModelName=desired.model_name)
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=model["ModelArn"])["Tags"]}
    assert tags["lmi-deploy:managed"] == "true"
    assert tags["lmi-deploy:spec-hash"] == desired.spec_hash
    assert desired.model_name.startswith("engine-test-") and len(desired.model_name) == len("engine-test-") + 10


def test_update_replaces_config_and_deletes_superseded_after_success(ctx: AwsContext) -> None:
    first = make_desired(env={"OPTION_MAX_MODEL_LEN": "4096"})
    converge(ctx, first)
    second = make_desired(
        env={"OPTION_MAX_MODEL_LEN": "8192"},
        spec_hash="fedcba987654",
        deployment_config=deployment_config("blue_green", []),
    )
    ran = converge(ctx, second)
    assert ran == [
        "CreateModel",
        "CreateEndpointConfig",
        "UpdateEndpoint",
        "WaitForEndpoint",
        "TagEndpoint",
        "DeleteEndpointConfig",
        "DeleteModel",
    ]
    sm = ctx.client("sagemaker")
    assert sm.describe_endpoint(EndpointName="engine-test")["EndpointConfigName"] == second.config_name
    assert [m["ModelName"] for m in sm.list_models()["Models"]] == [second.model_name]
    assert replan(ctx, second) == []


def test_failed_update_keeps_old_config_serving_and_says_so(ctx: AwsContext, lifecycle: Lifecycle) -> None:
    first = make_desired()
    converge(ctx, first)
    lifecycle.fail_update = "CannotStartContainerError: the container did not pass the ping health check"
    second = make_desired(env={"OPTION_MAX_MODEL_LEN": "8192"})
    with pytest.raises(DeployError) as info:
        converge(ctx, second)
    assert first.config_name in str(info.value) and "still serving" in str(info.value)
    sm = ctx.client("sagemaker")
    assert sm.describe_endpoint(EndpointName="engine-test")["EndpointConfigName"] == first.config_name
    # nothing was cleaned up: the old model and config are still there
    assert first.model_name in [m["ModelName"] for m in sm.list_models()["Models"]]
    lifecycle.fail_update = None
    converge(ctx, second)
    assert replan(ctx, second) == []


def test_failed_create_reports_reason_and_rerun_recreates(ctx: AwsContext, lifecycle: Lifecycle) -> None:
    lifecycle.fail_create = "ClientError: Failed to download model data"
    desired = make_desired()
    with pytest.raises(DeployError, match="Failed to download model data"):
        converge(ctx, desired)
    lifecycle.fail_create = None
    assert replan(ctx, desired)[:3] == ["DeleteEndpoint", "WaitForDeletion", "CreateEndpoint"]
    converge(ctx, desired)
    assert replan(ctx, desired) == []


def test_instance_type_change_on_autoscaled_variant_deregisters_first(ctx: AwsContext) -> None:
    converge(ctx, make_desired(scaling=(1, 2)))
    bigger = make_desired(instance_type="ml.g6e.12xlarge", scaling=(1, 2))
    ran = converge(ctx, bigger)
    update_at = ran.index("UpdateEndpoint")
    assert ran.index("DeregisterScalableTarget") < update_at < ran.index("RegisterScalableTarget")
    assert ran.index("DeleteScalingPolicy") < update_at < ran.index("PutScalingPolicy")
    assert replan(ctx, bigger) == []


def test_scaling_change_and_removal(ctx: AwsContext) -> None:
    converge(ctx, make_desired(scaling=(1, 2)))
    assert converge(ctx, make_desired(scaling=(2, 4))) == ["RegisterScalableTarget"]
    assert converge(ctx, make_desired()) == ["DeleteScalingPolicy", "DeregisterScalableTarget"]
    targets = ctx.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="sagemaker")
    assert targets["ScalableTargets"] == []


def test_destroy_removes_everything(ctx: AwsContext) -> None:
    desired = make_desired(scaling=(1, 2), alarm=builtin_alarm_request("engine-test"))
    converge(ctx, desired)
    snapshot = observe(ctx, "engine-test")
    Applier(ctx, waiter=FAST_WAITER).run(plan_destroy(snapshot))
    after = observe(ctx, "engine-test")
    assert after.is_empty and after.alarm is None
    assert plan_destroy(after).actions == ()


def test_destroy_leaves_other_endpoints_alone(ctx: AwsContext) -> None:
    converge(ctx, make_desired("engine-test"))
    other = make_desired("engine-test-2")
    converge(ctx, other)
    Applier(ctx, waiter=FAST_WAITER).run(plan_destroy(observe(ctx, "engine-test")))
    assert replan(ctx, other) == []


def test_secret_is_resolved_at_apply_and_never_in_plan(ctx: AwsContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_secretvalue123")
    desired = make_desired(secret_env={"HF_TOKEN": "env:HF_TOKEN"})
    the_plan = plan(desired, observe(ctx, desired.endpoint_name, desired))
    assert "hf_secretvalue123" not in repr(the_plan) + str(the_plan.to_dict())
    Applier(ctx, waiter=FAST_WAITER).run(the_plan)
    env = ctx.client("sagemaker").describe_model(ModelName=desired.model_name)["PrimaryContainer"]["Environment"]
    assert env["HF_TOKEN"] == "hf_secretvalue123"


def test_missing_secret_stops_before_any_resource(ctx: AwsContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    desired = make_desired(secret_env={"HF_TOKEN": "env:HF_TOKEN"})
    with pytest.raises(DeployError) as info:
        converge(ctx, desired)
    assert info.value.field == "model.hf_token" and "export HF_TOKEN" in (info.value.fix or "")
    assert observe(ctx, "engine-test").is_empty


def test_listing_tags_ends_even_when_moto_repeats_its_next_token(ctx: AwsContext) -> None:
    """Plain moto appends a duplicate on every AddTags of a known key; past 50 its ListTags repeats NextToken."""
    from deploy.aws.sagemaker import SageMakerGateway

    sm = ctx.client("sagemaker")
    sm.create_model(
        ModelName="tagged", ExecutionRoleArn="arn:aws:iam::123456789012:role/r", PrimaryContainer={"Image": "i"}
    )
    arn = sm.describe_model(ModelName="tagged")["ModelArn"]
    for round_ in range(26):
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "a", "Value": str(round_)}, {"Key": "b", "Value": "x"}])
    assert set(SageMakerGateway(ctx).list_tags(arn)) == {"a", "b"}
