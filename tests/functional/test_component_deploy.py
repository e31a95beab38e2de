"""Component endpoints end to end on the embedded emulator: plan, apply, re-plan, copy change, model change,
removal of a component, capacity change and destroy, through the same ``deploy.client`` calls the CLI makes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

try:
    from tests.functional.conftest_engine import FAST_WAITER, count_calls
    from tests.unit.component_plan_helpers import BUCKET, document, with_component
except ImportError:  # rootdir not on sys.path: the test directory is
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
    from component_plan_helpers import BUCKET, document, with_component  # type: ignore[no-redef]
    from conftest_engine import FAST_WAITER, count_calls  # type: ignore[no-redef]

from deploy import client
from deploy.engine.components.observe import observe_components
from deploy.local.testing import lmi_emulator

__all__ = ["lmi_emulator"]
WAIT = {"waiter": FAST_WAITER}
QWEN, SMALL = "team-llms-qwen", "team-llms-small"


def plain() -> dict[str, Any]:
    """The issue's endpoint without per-component scaling (the scaling test below adds it back)."""
    return with_component(document(), 0, scaling=None)


def needs_ic_autoscaling(ctx: Any) -> None:
    """Skip, naming why, while the emulator's Application Auto Scaling refuses inference-component targets."""
    from botocore.exceptions import ClientError

    probe = {"ServiceNamespace": "sagemaker", "ResourceId": "inference-component/probe",
             "ScalableDimension": "sagemaker:inference-component:DesiredCopyCount"}  # fmt: skip
    try:
        ctx.client("application-autoscaling").register_scalable_target(**probe, MinCapacity=0, MaxCapacity=1)
    except ClientError as exc:
        if "enum value set" in str(exc):
            pytest.skip("the emulator does not accept inference-component scalable targets yet")
    else:
        ctx.client("application-autoscaling").deregister_scalable_target(**probe)


def write(tmp_path: Path, data: dict[str, Any], name: str = "team.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def deployed(ctx: Any, tmp_path: Path, data: dict[str, Any] | None = None) -> Path:
    spec = write(tmp_path, data or document())
    result = client.apply(spec, context=ctx, create_bucket=True, **WAIT)
    assert result.status == "InService"
    return spec


def ic(ctx: Any, name: str) -> dict[str, Any]:
    described: dict[str, Any] = ctx.client("sagemaker").describe_inference_component(InferenceComponentName=name)
    return described


def mutating_calls(ctx: Any, spec: Path, **kwargs: Any) -> list[str]:
    counter = count_calls(ctx)
    client.apply(spec, context=ctx, create_bucket=True, **WAIT, **kwargs)
    return counter.mutating


def test_create_then_replan_is_empty_and_a_second_apply_changes_nothing(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    spec = deployed(ctx, tmp_path, plain())
    for name, copies in ((QWEN, 2), (SMALL, 1)):
        described = ic(ctx, name)
        assert described["InferenceComponentStatus"] == "InService"
        assert described["RuntimeConfig"]["DesiredCopyCount"] == copies
        assert described["Specification"]["ComputeResourceRequirements"]["NumberOfAcceleratorDevicesRequired"] == 1
    assert client.plan(spec, context=ctx).is_empty
    assert mutating_calls(ctx, spec) == []


def test_scale_to_zero_and_back_leaves_the_plan_empty(lmi_emulator: Any, tmp_path: Path) -> None:
    """Autoscaling owns the copies: after it scales to zero (no traffic) and back out (a refused request fires the
    NoCapacityInvocationFailures alarm, the step policy adds a copy), a deploy of the same spec changes nothing."""
    ctx = lmi_emulator.context()
    needs_ic_autoscaling(ctx)
    spec = deployed(ctx, tmp_path)
    lmi_emulator.run_autoscaling()
    assert ic(ctx, QWEN)["RuntimeConfig"]["DesiredCopyCount"] == 0
    assert client.plan(spec, context=ctx).is_empty
    runtime = ctx.client("sagemaker-runtime")
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match=r"(?i)capacity"):
        runtime.invoke_endpoint(EndpointName="team-llms", InferenceComponentName=QWEN, Body=b'{"inputs": "hi"}',
                                ContentType="application/json")  # fmt: skip
    lmi_emulator.run_autoscaling()
    assert ic(ctx, QWEN)["RuntimeConfig"]["DesiredCopyCount"] == 1
    assert mutating_calls(ctx, spec) == []
    scaling = ctx.client("application-autoscaling")
    targets = scaling.describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=[f"inference-component/{QWEN}"]
    )
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in targets["ScalableTargets"]] == [(0, 4)]
    alarm = ctx.client("cloudwatch").describe_alarms(AlarmNames=[f"{QWEN}-lmi-no-capacity"])["MetricAlarms"][0]
    policies = scaling.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=f"inference-component/{QWEN}")
    step = next(p for p in policies["ScalingPolicies"] if p["PolicyType"] == "StepScaling")
    assert alarm["AlarmActions"] == [step["PolicyARN"]]


@pytest.mark.parametrize("copies", [2, 3])
def test_a_copy_change_is_one_runtime_config_update(lmi_emulator: Any, tmp_path: Path, copies: int) -> None:
    ctx = lmi_emulator.context()
    deployed(ctx, tmp_path, plain())
    changed = write(tmp_path, with_component(plain(), 1, copies=copies), "copies.yaml")
    # one runtime update; AddTags only moves the endpoint's spec-hash tag (what CI reads), as for any spec change
    assert mutating_calls(ctx, changed) == ["AddTags", "UpdateInferenceComponentRuntimeConfig"]
    assert ic(ctx, SMALL)["RuntimeConfig"]["DesiredCopyCount"] == copies
    assert client.plan(changed, context=ctx).is_empty


def test_a_model_change_updates_that_component_alone(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    deployed(ctx, tmp_path, plain())
    qwen_before, small_before = ic(ctx, QWEN), ic(ctx, SMALL)
    changed = write(tmp_path, with_component(plain(), 1, engine={"max_model_len": 4096}), "engine.yaml")
    calls = mutating_calls(ctx, changed)
    assert [c for c in calls if c not in ("PutObject", "CreateMultipartUpload")] == [
        "CreateModel", "AddTags", "UpdateInferenceComponent", "DeleteModel",
    ]  # fmt: skip
    small_after = ic(ctx, SMALL)
    assert small_after["Specification"]["ModelName"] != small_before["Specification"]["ModelName"]
    assert ic(ctx, QWEN)["Specification"] == qwen_before["Specification"]
    models = [m["ModelName"] for m in ctx.client("sagemaker").list_models()["Models"]]
    assert small_before["Specification"]["ModelName"] not in models  # the old model goes once the update is done
    assert client.plan(changed, context=ctx).is_empty


def test_removing_a_component_deletes_that_ic_its_scaling_and_model(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    needs_ic_autoscaling(ctx)
    deployed(ctx, tmp_path)
    qwen_model = ic(ctx, QWEN)["Specification"]["ModelName"]
    data = document()
    data["components"] = data["components"][1:]
    smaller = write(tmp_path, data, "smaller.yaml")
    calls = mutating_calls(ctx, smaller)
    assert calls.count("DeleteInferenceComponent") == 1 and "CreateInferenceComponent" not in calls
    listed = ctx.client("sagemaker").list_inference_components(EndpointNameEquals="team-llms")
    names = [c["InferenceComponentName"] for c in listed["InferenceComponents"]]
    assert names == [SMALL]
    assert qwen_model not in [m["ModelName"] for m in ctx.client("sagemaker").list_models()["Models"]]
    assert ctx.client("cloudwatch").describe_alarms(AlarmNames=[f"{QWEN}-lmi-no-capacity"])["MetricAlarms"] == []
    assert client.plan(smaller, context=ctx).is_empty


def test_a_capacity_change_is_one_endpoint_update(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    deployed(ctx, tmp_path, plain())
    bigger = write(tmp_path, {**plain(), "scaling": {"min": 1, "max": 3}}, "bigger.yaml")
    plan = client.plan(bigger, context=ctx)
    assert [a.type for a in plan.actions] == ["CreateEndpointConfig", "UpdateEndpoint", "WaitForEndpoint",
                                              "TagEndpoint", "DeleteEndpointConfig"]  # fmt: skip
    assert client.apply(plan, **WAIT).status == "InService"
    assert client.plan(bigger, context=ctx).is_empty


def test_destroy_leaves_nothing_behind(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    spec = deployed(ctx, tmp_path, plain())
    result = client.destroy(spec, context=ctx, **WAIT)
    assert result.status == "Deleted"
    assert_nothing_left(ctx)


def test_destroy_by_name_finds_the_components(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    deployed(ctx, tmp_path, plain())
    plan = client.destroy_plan("team-llms", context=ctx)
    assert [a.type for a in plan.actions].count("DeleteInferenceComponent") == 2
    client.apply(plan, **WAIT)
    assert_nothing_left(ctx)


def assert_nothing_left(ctx: Any) -> None:
    assert observe_components(ctx, "team-llms").is_empty
    sm = ctx.client("sagemaker")
    assert sm.list_inference_components()["InferenceComponents"] == []
    assert sm.list_models()["Models"] == [] and sm.list_endpoint_configs()["EndpointConfigs"] == []
    scaling = ctx.client("application-autoscaling")
    assert scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
    assert scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"] == []
    assert ctx.client("cloudwatch").describe_alarms()["MetricAlarms"] == []
    assert ctx.client("s3").list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def lmi(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from deploy.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def test_the_cli_plans_deploys_and_destroys_a_component_spec(
    lmi_emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", lmi_emulator.endpoint_url)
    spec = write(tmp_path, plain())
    code, out, _ = lmi(capsys, "plan", str(spec), "--json")
    assert code == 0 and '"CreateInferenceComponent"' in out
    code, out, err = lmi(capsys, "deploy", str(spec), "--yes")
    assert code == 0, out + err
    assert f"{QWEN} InService" in err  # the wait for each component is visible
    code, out, _ = lmi(capsys, "plan", str(spec), "--json")
    assert code == 0 and '"actions": []' in out
    code, out, err = lmi(capsys, "destroy", "team-llms", "--yes", "--region", "us-east-1")
    assert code == 0, out + err
    assert "Deleted" in out
    assert_nothing_left(lmi_emulator.context())


def test_the_python_api_takes_a_spec_object_and_refuses_a_mode_switch(lmi_emulator: Any, tmp_path: Path) -> None:
    from deploy.errors import PlanError
    from deploy.spec.loader import parse_any_spec

    ctx = lmi_emulator.context()
    spec = parse_any_spec(plain())
    assert client.apply(spec, context=ctx, create_bucket=True, **WAIT).status == "InService"
    assert client.plan(spec, context=ctx).is_empty
    single = {"name": "team-llms", "region": "us-east-1", "role": plain()["role"],
              "model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"}}  # fmt: skip
    with pytest.raises(PlanError, match="hosts inference components"):
        client.plan(write(tmp_path, single, "single.yaml"), context=ctx)
    assert client.destroy(spec, context=ctx, **WAIT).status == "Deleted"
    assert_nothing_left(ctx)


def test_adapters_deploy_on_their_base_and_go_first_on_destroy(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    adapters = [
        {"name": "sql", "source": "s3://lora-bucket/sql/"},
        {"name": "chat", "source": "s3://lora-bucket/chat/"},
    ]
    data = with_component({**plain(), "lmi": {"version": 16}}, 0, adapters=adapters)
    spec = deployed(ctx, tmp_path, data)  # LMI 16: the async handler serves adapters
    adapter = ic(ctx, f"{QWEN}-sql")
    assert adapter["Specification"]["BaseInferenceComponentName"] == QWEN
    assert adapter["InferenceComponentStatus"] == "InService"
    assert client.plan(spec, context=ctx).is_empty
    fewer = write(tmp_path, with_component(data, 0, adapters=adapters[:1]), "fewer.yaml")
    assert mutating_calls(ctx, fewer) == ["AddTags", "DeleteInferenceComponent"]
    client.destroy(fewer, context=ctx, **WAIT)
    assert_nothing_left(ctx)


def test_lmi_scale_refuses_a_component_endpoint(lmi_emulator: Any, tmp_path: Path) -> None:
    from deploy.errors import UsageError

    ctx = lmi_emulator.context()
    deployed(ctx, tmp_path, plain())
    for low, high in ((1, 2), (0, 1)):
        with pytest.raises(UsageError, match="hosts inference components") as info:
            client.scale("team-llms", low, high, context=ctx)
        assert info.value.exit_code == 2 and "components[].scaling" in str(info.value.fix)
