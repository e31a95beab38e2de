"""plan() is pure: desired + snapshot in, ordered actions with reasons out. No AWS here."""

from __future__ import annotations

from dataclasses import replace

import pytest
from desired_helpers import make_desired

from deploy.engine.plan import plan, plan_destroy
from deploy.engine.snapshot import EndpointState, RemoteSnapshot
from deploy.errors import PlanError
from deploy.render.bodies import builtin_alarm_request, deployment_config


def serving(desired, status: str = "InService", **changes) -> RemoteSnapshot:  # type: ignore[no-untyped-def]
    """A snapshot in which ``desired`` is fully deployed (optionally altered)."""
    endpoint = EndpointState(
        name=desired.endpoint_name,
        arn=f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{desired.endpoint_name}",
        status=status,
        config_name=desired.config_name,
        tags=dict(desired.endpoint_tags),
    )
    snapshot = RemoteSnapshot(
        endpoint_name=desired.endpoint_name,
        endpoint=endpoint,
        instance_type=desired.instance_type,
        models=(desired.model_name,),
        configs=(desired.config_name,),
    )
    return replace(snapshot, **changes)


def types(the_plan) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.type for a in the_plan.actions]


def test_empty_account_creates_in_order_with_reasons() -> None:
    desired = make_desired(scaling=(1, 2))
    result = plan(desired, RemoteSnapshot(endpoint_name=desired.endpoint_name))
    assert types(result) == [
        "CreateModel",
        "CreateEndpointConfig",
        "CreateEndpoint",
        "WaitForEndpoint",
        "RegisterScalableTarget",
        "PutScalingPolicy",
    ]
    assert all(a.reason for a in result.actions)
    assert result.to_dict()["actions"][0] == {
        "type": "CreateModel",
        "resource": desired.model_name,
        "reason": "model content changed or new",
    }


def test_matching_snapshot_gives_no_actions() -> None:
    desired = make_desired()
    assert plan(desired, serving(desired)).actions == ()
    assert "no changes" in repr(plan(desired, serving(desired)))


def test_changed_content_updates_then_cleans_up() -> None:
    old = make_desired()
    new = make_desired(env={"OPTION_MAX_MODEL_LEN": "8192"}, deployment_config=deployment_config("rolling", []))
    snapshot = serving(old)
    result = plan(new, snapshot)
    assert types(result) == [
        "CreateModel",
        "CreateEndpointConfig",
        "UpdateEndpoint",
        "WaitForEndpoint",
        "DeleteEndpointConfig",
        "DeleteModel",
    ]
    update = result.actions[2]
    assert "rolling" in update.reason and update.request["DeploymentConfig"]["RollingUpdatePolicy"]


def test_spec_hash_change_alone_only_retags() -> None:
    desired = make_desired()
    stale = serving(
        desired,
        endpoint=replace(serving(desired).endpoint, tags={**desired.endpoint_tags, "lmi-deploy:spec-hash": "old"}),
    )
    assert types(plan(desired, stale)) == ["TagEndpoint"]


def test_failed_endpoint_is_recreated() -> None:
    desired = make_desired()
    failed = serving(desired, status="Failed")
    assert types(plan(desired, failed))[:3] == ["DeleteEndpoint", "WaitForDeletion", "CreateEndpoint"]


def test_endpoint_being_deleted_is_waited_for_then_created() -> None:
    """A run stopped while it recreated a Failed endpoint (Ctrl-C, a crash) finds it Deleting: it finishes the job."""
    desired = make_desired()
    deleting = serving(desired, status="Deleting")
    assert types(plan(desired, deleting)) == ["WaitForDeletion", "CreateEndpoint", "WaitForEndpoint"]


def test_endpoint_busy_with_another_config_is_refused() -> None:
    desired = make_desired()
    other = make_desired(env={"X": "1"})
    busy = serving(desired, status="Updating", endpoint=replace(serving(other).endpoint, status="Updating"))
    with pytest.raises(PlanError) as info:
        plan(desired, busy)
    assert "wait for it" in (info.value.fix or "")
    assert types(plan(desired, serving(desired, status="Creating"))) == ["WaitForEndpoint"]


def test_alarm_and_blue_green_rollback_config() -> None:
    alarm = builtin_alarm_request("engine-test")
    rollback_config = deployment_config("blue_green", [alarm["AlarmName"]])
    desired = make_desired(alarm=alarm, env={"X": "1"}, deployment_config=rollback_config)
    result = plan(desired, serving(make_desired()))
    assert types(result)[0] == "PutAlarm"
    update = next(a for a in result.actions if a.type == "UpdateEndpoint")
    rollback = update.request["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    assert rollback == [{"AlarmName": "engine-test-lmi-5xx"}]
    assert plan(desired, serving(desired, alarm=dict(alarm, StateValue="OK"))).actions == ()


def test_destroy_plan_orders_scaling_first_and_artifacts_last() -> None:
    desired = make_desired()
    snapshot = serving(
        desired,
        scaling_target={"ResourceId": "endpoint/engine-test/variant/AllTraffic"},
        scaling_policies=({"PolicyName": "p"},),
        artifact_uri="s3://bucket/lmi-deploy/engine-test/model/",
    )
    result = plan_destroy(snapshot)
    assert types(result) == [
        "DeleteScalingPolicy",
        "DeregisterScalableTarget",
        "DeleteEndpoint",
        "WaitForDeletion",
        "DeleteArtifacts",
        "DeleteEndpointConfig",
        "DeleteModel",
    ]
    assert result.actions[4].prefix == "lmi-deploy/engine-test/"
    assert "DeleteArtifacts" not in types(plan_destroy(snapshot, keep_artifacts=True))


def test_endpoints_lmi_deploy_did_not_create_are_never_touched() -> None:
    desired = make_desired()
    foreign = serving(desired, endpoint=replace(serving(desired).endpoint, tags={"owner": "someone-else"}))
    for attempt in (lambda: plan(make_desired(env={"X": "1"}), foreign), lambda: plan_destroy(foreign)):
        with pytest.raises(PlanError) as info:
            attempt()
        assert "not created by lmi-deploy" in info.value.message and "lmi-deploy:managed=true" in (info.value.fix or "")
