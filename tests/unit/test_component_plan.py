"""plan_components() is pure: a component endpoint's desired state + snapshot in, ordered actions out. No AWS."""

from __future__ import annotations

from dataclasses import replace

import pytest
from component_plan_helpers import (
    deployed_adapter,
    deployed_component,
    desired_of,
    document,
    empty,
    of,
    serving,
    types,
    with_component,
)

from deploy.engine.actions import UpdateInferenceComponent, UpdateInferenceComponentRuntimeConfig
from deploy.engine.components.plan import plan_components
from deploy.engine.components.teardown import plan_component_destroy
from deploy.engine.snapshot import EndpointState
from deploy.errors import PlanError, SpecError

SPECS = {
    "two-to-zero": document(),
    "fixed": document(scaling=None, components=[{"name": "a", "model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"}}]),
    "three-scaled": document(
        scaling={"min": 1, "max": 3},
        components=[
            {
                "name": f"m{i}",
                "model": {"id": "Qwen/Qwen2.5-1.5B-Instruct"},
                "copies": i + 1,
                "scaling": {"min": 1, "max": 4, "metric": "invocations_per_copy", "target": 20},
            }
            for i in range(3)
        ],
    ),
    "engine-env": document(
        delivery="env", components=[{"name": "q", "model": {"id": "Qwen/Qwen2.5-3B-Instruct"}, "copies": 3}]
    ),
}


def test_empty_account_creates_in_order_with_the_requirements_shown() -> None:
    desired = desired_of(document())
    plan = plan_components(desired, empty(desired))
    steps = types(plan)
    assert steps[:2] == ["UploadArtifacts", "UploadArtifacts"]
    assert steps.index("CreateModel") < steps.index("CreateEndpointConfig") < steps.index("CreateEndpoint")
    assert steps.index("WaitForEndpoint") < steps.index("CreateInferenceComponent")
    assert of(plan, "team-llms-qwen") == [
        "CreateModel", "CreateInferenceComponent", "WaitForInferenceComponent", "RegisterScalableTarget",
        "PutScalingPolicy", "PutScalingPolicy", "PutScaleOutAlarm",
    ]  # fmt: skip
    create = next(a for a in plan.actions if a.type == "CreateInferenceComponent")
    assert "accelerators=1: the tensor-parallel degree" in create.reason and "memory=" in create.reason
    assert "cold start from zero ~" in create.reason and "download 150 MiB/s" in create.reason
    small = [a for a in plan.actions if a.resource == "team-llms-small"]
    assert "cold start" not in small[0].reason  # no scale to zero for that one
    assert all(a.reason for a in plan.actions)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_a_fully_deployed_spec_plans_nothing(name: str) -> None:
    desired = desired_of(SPECS[name])
    assert plan_components(desired, serving(desired)).actions == ()


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_first_plan_creates_each_component_once(name: str) -> None:
    desired = desired_of(SPECS[name])
    plan = plan_components(desired, empty(desired))
    for component in desired.components:
        assert of(plan, component.ic_name).count("CreateInferenceComponent") == 1
    assert types(plan).count("CreateEndpoint") == 1


@pytest.mark.parametrize(("old", "new"), [(1, 2), (2, 1), (1, 7), (3, 1)])
def test_a_copy_change_is_one_runtime_update_of_that_component(old: int, new: int) -> None:
    base = document(
        components=[*document()["components"][1:], {"name": "x", "model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"}}]
    )
    before = desired_of(with_component(base, 0, copies=old))
    after = desired_of(with_component(base, 0, copies=new))
    plan = plan_components(after, replace(serving(before), endpoint=serving(after).endpoint))
    assert types(plan) == ["UpdateInferenceComponentRuntimeConfig", "WaitForInferenceComponent"]
    action = plan.actions[0]
    assert isinstance(action, UpdateInferenceComponentRuntimeConfig)
    assert action.request == {"InferenceComponentName": "team-llms-small", "DesiredRuntimeConfig": {"CopyCount": new}}
    assert f"copies {old} -> {new}" in action.reason


@pytest.mark.parametrize("copies", [1, 3, 4])
def test_autoscaling_owns_the_copy_count(copies: int) -> None:
    """Application Auto Scaling moved the copies: the plan does not reset them; neither does a changed `copies`."""
    desired = desired_of(with_component(document(), 0, copies=copies))
    snapshot = serving(desired)
    moved = replace(snapshot.components[0], desired_copies=copies + 2)
    assert plan_components(desired, replace(snapshot, components=(moved, snapshot.components[1]))).actions == ()


@pytest.mark.parametrize(
    "change",
    [
        {"engine": {"max_model_len": 4096}},
        {"model": {"id": "Qwen/Qwen2.5-3B-Instruct"}},
        {"engine": {"max_model_len": 8192, "kv_cache_dtype": "fp8"}},
    ],
    ids=["engine", "model", "kv-dtype"],
)
def test_a_model_or_engine_change_rolls_that_component_alone(change: dict[str, object]) -> None:
    before = desired_of(document())
    after = desired_of(with_component(document(), 0, **change))
    snapshot = replace(serving(before), endpoint=serving(after).endpoint)
    plan = plan_components(after, snapshot)
    old_model, new_model = before.components[0].model_name, after.components[0].model_name
    assert of(plan, "team-llms-small") == []  # the other component is not touched
    assert [a.resource for a in plan.actions if a.type == "CreateModel"] == [new_model]
    update = next(a for a in plan.actions if isinstance(a, UpdateInferenceComponent))
    assert update.previous_model == old_model and update.request["Specification"]["ModelName"] == new_model
    policy = update.request["DeploymentConfig"]["RollingUpdatePolicy"]
    assert policy["MaximumBatchSize"] == {"Type": "COPY_COUNT", "Value": 1}
    assert "RuntimeConfig" not in update.request  # autoscaling owns the copies of this one
    steps = types(plan)
    assert (
        steps.index("UpdateInferenceComponent") < steps.index("WaitForInferenceComponent") < steps.index("DeleteModel")
    )
    assert [a.resource for a in plan.actions if a.type == "DeleteModel"] == [old_model]


def test_removing_a_component_deletes_that_ic_and_its_scaling_only() -> None:
    before = desired_of(document())
    after = desired_of(document(components=document()["components"][1:]))
    plan = plan_components(after, replace(serving(before), endpoint=serving(after).endpoint))
    assert of(plan, "team-llms-qwen") == [
        "DeleteAlarm", "DeleteScalingPolicy", "DeleteScalingPolicy", "DeregisterScalableTarget",
        "DeleteInferenceComponent", "WaitForInferenceComponentDeletion", "DeleteModel",
    ]  # fmt: skip
    assert of(plan, "team-llms-small") == []
    assert types(plan).index("DeleteInferenceComponent") < types(plan).index("DeleteModel")


@pytest.mark.parametrize("instance", ["ml.g6e.24xlarge", "ml.g6e.48xlarge"])
def test_an_instance_type_change_is_one_endpoint_update_and_says_what_moves(instance: str) -> None:
    before = desired_of(document())
    after = desired_of(document(instance={"type": instance, "count": 1}))
    plan = plan_components(
        after, replace(serving(before), endpoint=replace(serving(before).endpoint, tags=after.endpoint_tags))
    )
    assert [t for t in types(plan) if "Endpoint" in t] == ["CreateEndpointConfig", "UpdateEndpoint", "WaitForEndpoint",
                                                           "DeleteEndpointConfig"]  # fmt: skip
    update = next(a for a in plan.actions if a.type == "UpdateEndpoint")
    assert f"instance type ml.g6e.12xlarge -> {instance}" in update.reason and "moves every component" in update.reason


@pytest.mark.parametrize(("low", "high"), [(1, 2), (0, 3), (1, 1)])
def test_instance_bounds_change_only_the_endpoint_config(low: int, high: int) -> None:
    before = desired_of(document())
    after = desired_of(document(scaling={"min": low, "max": high}))
    current = serving(before)
    assert current.endpoint is not None
    snapshot = replace(current, endpoint=replace(current.endpoint, tags=after.endpoint_tags))
    plan = plan_components(after, snapshot)
    assert types(plan) == ["CreateEndpointConfig", "UpdateEndpoint", "WaitForEndpoint", "DeleteEndpointConfig"]
    scaling = after.variant["ManagedInstanceScaling"]
    assert (scaling["MinInstanceCount"], scaling["MaxInstanceCount"]) == (low, high)


@pytest.mark.parametrize("status", ["Failed", "Deleting"])
def test_a_failed_or_deleting_component_is_recreated(status: str) -> None:
    desired = desired_of(document())
    snapshot = serving(desired)
    broken = replace(snapshot.components[1], status=status, failure_reason="CUDA out of memory")
    plan = plan_components(desired, replace(snapshot, components=(snapshot.components[0], broken)))
    expected = ["WaitForInferenceComponentDeletion", "CreateInferenceComponent", "WaitForInferenceComponent"]
    assert of(plan, "team-llms-small") == (["DeleteInferenceComponent", *expected] if status == "Failed" else expected)
    if status == "Failed":
        assert "CUDA out of memory" in plan.actions[0].reason


@pytest.mark.parametrize("status", ["Creating", "Updating"])
def test_a_component_in_flight_is_waited_for_then_compared(status: str) -> None:
    desired = desired_of(document())
    snapshot = serving(desired)
    busy = replace(snapshot.components[1], status=status)
    plan = plan_components(desired, replace(snapshot, components=(snapshot.components[0], busy)))
    assert types(plan) == ["WaitForInferenceComponent"]


def test_scale_to_zero_alarm_follows_the_step_policy_arn() -> None:
    desired = desired_of(document())
    snapshot = serving(desired)
    qwen = snapshot.components[0]
    assert qwen.alarm is not None
    stale = replace(qwen, alarm={**qwen.alarm, "AlarmActions": ["arn:aws:autoscaling:old"]})
    plan = plan_components(desired, replace(snapshot, components=(stale, snapshot.components[1])))
    assert types(plan) == ["PutScaleOutAlarm"]
    alarm = plan.actions[0]
    assert alarm.request["MetricName"] == "NoCapacityInvocationFailures"  # type: ignore[union-attr]
    assert alarm.request["Dimensions"] == [{"Name": "InferenceComponentName", "Value": "team-llms-qwen"}]  # type: ignore[union-attr]


@pytest.mark.parametrize("minimum", [1, 2])
def test_leaving_scale_to_zero_drops_the_step_policy_and_alarm(minimum: int) -> None:
    before = desired_of(document())
    after = desired_of(with_component(document(), 0, scaling={"min": minimum, "max": 4}))
    plan = plan_components(after, replace(serving(before), endpoint=serving(after).endpoint))
    assert sorted(types(plan)) == ["DeleteAlarm", "DeleteScalingPolicy", "RegisterScalableTarget"]
    assert (
        next(a for a in plan.actions if a.type == "DeleteScalingPolicy").resource
        == "team-llms-qwen-scale-out-from-zero"
    )


def test_dropping_a_components_scaling_deregisters_it() -> None:
    before = desired_of(document())
    after = desired_of(with_component(document(), 0, scaling=None))
    plan = plan_components(after, replace(serving(before), endpoint=serving(after).endpoint))
    assert of(plan, "team-llms-qwen")[-1] == "DeregisterScalableTarget"
    assert "DeleteAlarm" in types(plan) and "UpdateInferenceComponent" not in types(plan)


def test_foreign_or_single_model_endpoints_are_refused() -> None:
    desired = desired_of(document())
    snapshot = serving(desired)
    assert snapshot.endpoint is not None
    foreign = replace(snapshot, endpoint=replace(snapshot.endpoint, tags={}))
    with pytest.raises(PlanError, match="not created by lmi-deploy"):
        plan_components(desired, foreign)
    single = replace(snapshot, config={**desired.variant, "ModelName": "team-llms-0123456789"})
    with pytest.raises(PlanError, match="serves a single model") as info:
        plan_components(desired, single)
    assert info.value.fix is not None and "lmi destroy team-llms" in info.value.fix


def test_failed_endpoint_is_recreated_with_its_components() -> None:
    desired = desired_of(document())
    snapshot = serving(desired)
    assert snapshot.endpoint is not None
    failed = replace(snapshot, endpoint=replace(snapshot.endpoint, status="Failed", failure_reason="capacity"))
    steps = types(plan_components(desired, failed))
    assert steps.index("DeleteInferenceComponent") < steps.index("DeleteEndpoint") < steps.index("CreateEndpoint")
    assert steps.count("CreateInferenceComponent") == 2


def test_destroy_removes_scaling_then_components_then_the_endpoint() -> None:
    desired = desired_of(document())
    snapshot = replace(serving(desired), artifact_uri="s3://b/lmi-deploy/team-llms/qwen/properties-1/")
    plan = plan_component_destroy(snapshot)
    steps = types(plan)
    assert steps.index("DeregisterScalableTarget") < steps.index("DeleteInferenceComponent")
    assert steps.index("WaitForInferenceComponentDeletion") < steps.index("DeleteEndpoint") < steps.index("DeleteModel")
    artifacts = next(a for a in plan.actions if a.type == "DeleteArtifacts")
    assert artifacts.resource == "s3://b/lmi-deploy/team-llms/"  # every component's uploads, one folder
    assert steps.count("DeleteModel") == 2 and steps.count("DeleteInferenceComponent") == 2
    assert types(plan_component_destroy(snapshot, keep_artifacts=True)).count("DeleteArtifacts") == 0


def test_destroy_refuses_an_endpoint_that_also_hosts_foreign_components() -> None:
    desired = desired_of(document())
    with pytest.raises(PlanError, match="did not create: theirs"):
        plan_component_destroy(replace(serving(desired), foreign_components=("theirs",)))


def test_a_tag_change_retags_without_touching_models() -> None:
    before = desired_of(document())
    after = desired_of(document(tags={"team": "ml"}))
    snapshot = serving(before)
    plan = plan_components(after, replace(snapshot, components=tuple(deployed_component(c) for c in before.components)))
    assert sorted(set(types(plan))) == ["TagEndpoint", "TagInferenceComponent"]
    assert isinstance(snapshot.endpoint, EndpointState)


@pytest.mark.parametrize("copies", [5, 8, 40])
def test_copies_that_cannot_be_placed_are_refused_before_any_call(copies: int) -> None:
    """1 x ml.g6e.12xlarge has 4 GPUs: more single-GPU copies than that cannot be placed (exit 2, with numbers)."""
    data = document(
        scaling=None, components=[{"name": "q", "model": {"id": "Qwen/Qwen2.5-1.5B-Instruct"}, "copies": copies}]
    )
    with pytest.raises(SpecError) as info:
        desired_of(data)
    assert "do not fit 1 x ml.g6e.12xlarge" in info.value.message and info.value.exit_code == 2


@pytest.mark.parametrize("region", ["cn-north-1", "us-gov-west-1"])
def test_scale_to_zero_outside_the_commercial_partition_is_refused_with_the_fix(region: str) -> None:
    partition = "aws-cn" if region.startswith("cn") else "aws-us-gov"
    role = f"arn:{partition}:iam::123456789012:role/SageMakerExecutionRole"
    with pytest.raises(SpecError) as info:
        desired_of(document(region=region, role=role), region=region)
    assert info.value.field == "scaling.min" and "set scaling.min to 1 or more" in str(info.value.fix)
    only_component = document(region=region, role=role, scaling={"min": 1, "max": 2})
    with pytest.raises(SpecError) as info:
        desired_of(only_component, region=region)
    assert info.value.field == "components.0.scaling.min"  # the spec's own region: refused offline, as validate
    fixed = with_component(only_component, 0, scaling={"min": 1, "max": 4})
    assert desired_of(fixed, region=region).region == region


def with_adapters(*sources: str) -> dict[str, object]:
    adapters = [{"name": f"a{i}", "source": source} for i, source in enumerate(sources)]
    return with_component(document(lmi={"version": 16}), 0, adapters=adapters)


@pytest.mark.parametrize("count", [1, 2, 3])
def test_adapters_are_created_on_their_base_after_it_serves(count: int) -> None:
    desired = desired_of(with_adapters(*(f"s3://lora-bucket/a{i}/" for i in range(count))))
    plan = plan_components(desired, empty(desired))
    steps = [(a.type, a.resource) for a in plan.actions]
    base = steps.index(("WaitForInferenceComponent", "team-llms-qwen"))
    for i in range(count):
        name = f"team-llms-qwen-a{i}"
        assert steps.index(("CreateInferenceComponent", name)) > base
        create = next(a for a in plan.actions if a.resource == name)
        assert create.request["Specification"] == {  # type: ignore[union-attr]
            "BaseInferenceComponentName": "team-llms-qwen",
            "Container": {"ArtifactUrl": f"s3://lora-bucket/a{i}/"},
        }
    assert plan_components(desired, serving(desired)).actions == ()


def test_a_changed_adapter_source_replaces_that_adapter_only() -> None:
    before = desired_of(with_adapters("s3://lora-bucket/a/", "s3://lora-bucket/b/"))
    after = desired_of(with_adapters("s3://lora-bucket/a/", "s3://lora-bucket/b2/"))
    plan = plan_components(after, replace(serving(before), endpoint=serving(after).endpoint))
    assert [(a.type, a.resource) for a in plan.actions] == [
        ("DeleteInferenceComponent", "team-llms-qwen-a1"),
        ("WaitForInferenceComponentDeletion", "team-llms-qwen-a1"),
        ("CreateInferenceComponent", "team-llms-qwen-a1"),
        ("WaitForInferenceComponent", "team-llms-qwen-a1"),
    ]


def test_adapters_go_before_their_base_on_removal_and_destroy() -> None:
    before = desired_of(with_adapters("s3://lora-bucket/a/", "s3://lora-bucket/b/"))
    after = desired_of(document(lmi={"version": 16}, components=document()["components"][1:]))
    plan = plan_components(after, replace(serving(before), endpoint=serving(after).endpoint))
    deleted = [a.resource for a in plan.actions if a.type == "DeleteInferenceComponent"]
    assert deleted == ["team-llms-qwen-a0", "team-llms-qwen-a1", "team-llms-qwen"]
    destroyed = [a.resource for a in plan_component_destroy(serving(before)).actions if "InferenceComponent" in a.type]
    assert destroyed.index("team-llms-qwen-a1") < destroyed.index("team-llms-qwen")
    assert destroyed.index("team-llms-qwen") > max(i for i, r in enumerate(destroyed) if r.endswith(("-a0", "-a1")))
    adapter = deployed_adapter(before.components[0].adapters[0])
    assert adapter.model_name == "" and adapter.desired_copies is None


@pytest.mark.parametrize("name", ["two-to-zero", "three-scaled"])
def test_components_start_side_by_side_not_one_after_another(name: str) -> None:
    """Each IC can take minutes to start: every create is sent before the first wait."""
    desired = desired_of(SPECS[name])
    steps = types(plan_components(desired, empty(desired)))
    creates = [i for i, t in enumerate(steps) if t == "CreateInferenceComponent"]
    first_wait = steps.index("WaitForInferenceComponent")
    assert len(creates) == len(desired.components) and max(creates) < first_wait
    assert steps.index("RegisterScalableTarget") > max(
        i for i, t in enumerate(steps) if t == "WaitForInferenceComponent"
    )
