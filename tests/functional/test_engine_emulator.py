"""The engine against the embedded emulator, from real spec files: create, converge, update, fail, destroy,
and local model directories uploaded uncompressed (a second deploy uploads nothing)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

try:
    from tests.functional.conftest_engine import FAST_WAITER, count_calls, make_desired
except ImportError:  # rootdir not on sys.path: the test directory is
    from conftest_engine import FAST_WAITER, count_calls, make_desired  # type: ignore[no-redef]

from deploy import client
from deploy.engine.apply import Applier, Interrupted
from deploy.engine.observe import observe
from deploy.engine.plan import plan
from deploy.errors import DeployError
from deploy.local.testing import lmi_emulator

__all__ = ["lmi_emulator"]
REPO = Path(__file__).resolve().parents[2]
WAIT = {"waiter": FAST_WAITER}


def spec_file(tmp_path: Path, **overrides: Any) -> Path:
    data = yaml.safe_load((REPO / "examples" / "qwen25-7b.yaml").read_text())
    data.update(overrides)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def objects(ctx: Any, bucket: str) -> list[str]:
    listed = ctx.client("s3").list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def test_spec_create_noop_update_destroy(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    spec = spec_file(tmp_path)
    with pytest.raises(DeployError) as info:
        client.apply(spec, context=ctx, **WAIT)
    assert info.value.field == "artifacts.bucket"  # the default bucket is created only with consent
    created = client.apply(spec, context=ctx, create_bucket=True, **WAIT)
    assert created.status == "InService"

    counter = count_calls(ctx)
    assert client.plan(spec, context=ctx).is_empty
    client.apply(spec, context=ctx, **WAIT)
    assert counter.mutating == []

    bigger = spec_file(tmp_path, instance={"type": "ml.g6e.4xlarge", "count": 1})
    steps = [a.type for a in client.plan(bigger, context=ctx).actions]
    assert steps.index("DeregisterScalableTarget") < steps.index("UpdateEndpoint") < steps.index("PutScalingPolicy")
    assert client.apply(bigger, context=ctx, **WAIT).status == "InService"
    assert client.plan(bigger, context=ctx).is_empty
    assert client.status("qwen25-7b", context=ctx).instance_type == "ml.g6e.4xlarge"

    client.destroy(bigger, context=ctx, **WAIT)
    assert observe(ctx, "qwen25-7b").is_empty
    assert objects(ctx, "sagemaker-us-east-1-123456789012") == []


@pytest.mark.parametrize("model_dir", [False, True], ids=["hub-model", "local-model-dir"])
def test_scaling_or_tags_change_leaves_the_gpu_fleet_alone(lmi_emulator: Any, tmp_path: Path, model_dir: bool) -> None:
    """Settings the container never reads (scaling bounds, tags) must not create a model or update the endpoint."""
    ctx = lmi_emulator.context()
    ctx.client("s3").create_bucket(Bucket="fleet-bucket")
    extra: dict[str, Any] = {"artifacts": {"bucket": "fleet-bucket"}}
    if model_dir:
        weights = tmp_path / "weights"
        weights.mkdir()
        shutil.copy(REPO / "tests/fixtures/configs/qwen2.5-7b-instruct.json", weights / "config.json")
        extra["model"] = {"id": str(weights)}
    assert client.apply(spec_file(tmp_path, **extra), context=ctx, **WAIT).status == "InService"

    changed = spec_file(
        tmp_path,
        **extra,
        scaling={"min": 1, "max": 3, "metric": "invocations_per_instance", "target": 10},
        tags={"team": "ml-platform", "cost-center": "42"},
    )
    steps = [a.type for a in client.plan(changed, context=ctx).actions]
    assert steps == ["TagEndpoint", "RegisterScalableTarget"]
    counter = count_calls(ctx)
    client.apply(changed, context=ctx, **WAIT)
    assert sorted(counter.mutating) == ["AddTags", "RegisterScalableTarget"]
    assert client.plan(changed, context=ctx).is_empty
    assert client.status("qwen25-7b", context=ctx).scaling == (1, 3)


def test_failed_create_shows_reason_and_container_log_hint(lmi_emulator: Any) -> None:
    ctx = lmi_emulator.context()
    too_small = make_desired("emu-fail", instance_type="ml.g4dn.xlarge")  # 7B bf16 weights > one T4
    with pytest.raises(DeployError) as info:
        Applier(ctx, waiter=FAST_WAITER).run(plan(too_small, observe(ctx, "emu-fail", too_small)))
    assert "is Failed" in info.value.message and info.value.hint
    assert "KV cache" in info.value.hint and "container log lines" in info.value.hint
    failed = client.status("emu-fail", context=ctx)
    assert (failed.status, failed.instance_count, failed.hourly_cost) == ("Failed", 0, 0.0)


def test_failed_update_is_explained_by_the_new_fleet_logs_only(lmi_emulator: Any, tmp_path: Path) -> None:
    """A rolled-back update: the hint shows the new containers' error, not the start-up of the fleet still serving."""
    ctx = lmi_emulator.context()
    ctx.client("s3").create_bucket(Bucket="rollback-bucket")
    good = spec_file(tmp_path, artifacts={"bucket": "rollback-bucket"})
    assert client.apply(good, context=ctx, **WAIT).status == "InService"
    small_config = tmp_path / "config.json"  # sizes as 0.5B offline; the container loads the real 72B and dies
    shutil.copy(REPO / "deploy/sizing/library/Qwen--Qwen2.5-0.5B-Instruct.json", small_config)
    bad = spec_file(
        tmp_path,
        artifacts={"bucket": "rollback-bucket"},
        model={"id": "Qwen/Qwen2.5-72B-Instruct", "config": str(small_config)},
    )
    with pytest.raises(DeployError) as info:
        client.apply(bad, context=ctx, **WAIT)
    error = info.value
    assert "rolled back" in error.message and "is still serving" in error.message
    assert error.hint is not None and not error.hint.startswith("hint:")
    assert "Qwen2.5-72B-Instruct" in error.hint and "CUDA out of memory" in error.hint
    assert "Qwen/Qwen2.5-7B-Instruct" not in error.hint  # the serving fleet's start-up lines are not the cause
    assert client.status("qwen25-7b", context=ctx).status == "InService"


def test_cancel_stops_at_the_next_poll_and_a_rerun_finishes(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    ctx.client("s3").create_bucket(Bucket="cancel-bucket")
    spec = spec_file(tmp_path, artifacts={"bucket": "cancel-bucket"})
    stop = threading.Event()
    stop.set()
    counter = count_calls(ctx)
    with pytest.raises(Interrupted) as before:
        client.apply(spec, context=ctx, cancel=stop, **WAIT)
    assert before.value.exit_code == 130 and counter.mutating == []

    stop.clear()

    def press_ctrl_c(event: dict[str, Any]) -> None:
        if event.get("event") == "wait":
            stop.set()

    with lmi_emulator.paused():
        with pytest.raises(Interrupted) as waiting:
            client.apply(spec, context=ctx, on_event=press_ctrl_c, cancel=stop, **WAIT)
        assert "Creating" in waiting.value.message and waiting.value.exit_code == 130
        assert [a.type for a in client.plan(spec, context=ctx).actions] == [
            "WaitForEndpoint",
            "RegisterScalableTarget",
            "PutScalingPolicy",
        ]
    client.apply(spec, context=ctx, **WAIT)
    assert client.plan(spec, context=ctx).is_empty
    assert client.status("qwen25-7b", context=ctx).status == "InService"


def test_rejected_update_names_the_call_once_and_what_still_serves(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    ctx.client("s3").create_bucket(Bucket="reject-bucket")
    client.apply(spec_file(tmp_path, artifacts={"bucket": "reject-bucket"}), context=ctx, **WAIT)
    serving = client.status("qwen25-7b", context=ctx).config_name
    lmi_emulator.inject_fault("UpdateEndpoint", code="ValidationException", message="not today", times=1)
    changed = spec_file(tmp_path, artifacts={"bucket": "reject-bucket"}, engine={"max_model_len": 8192})
    with pytest.raises(DeployError) as info:
        client.apply(changed, context=ctx, **WAIT)
    assert info.value.message == (
        f"UpdateEndpoint qwen25-7b failed: ValidationException: not today; {serving} is still serving"
    )


def test_update_stopped_after_scaling_was_deregistered_says_so(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    ctx.client("s3").create_bucket(Bucket="type-bucket")
    client.apply(spec_file(tmp_path, artifacts={"bucket": "type-bucket"}), context=ctx, **WAIT)
    lmi_emulator.inject_fault("UpdateEndpoint", code="ResourceLimitExceeded", message="quota", times=1)
    bigger = spec_file(tmp_path, artifacts={"bucket": "type-bucket"}, instance={"type": "ml.g6e.4xlarge", "count": 1})
    with pytest.raises(DeployError) as info:
        client.apply(bigger, context=ctx, **WAIT)
    assert "autoscaling of endpoint/qwen25-7b/variant/AllTraffic is deregistered" in info.value.message
    assert "deploy runs again" in str(info.value)
    client.apply(bigger, context=ctx, **WAIT)
    assert client.plan(bigger, context=ctx).is_empty
    assert client.status("qwen25-7b", context=ctx).scaling == (1, 4)


def test_scale_refuses_an_endpoint_lmi_deploy_did_not_create(lmi_emulator: Any) -> None:
    from deploy.errors import PlanError
    from deploy.local.testing import create_config, create_model

    ctx = lmi_emulator.context()
    create_model(ctx, "someone-elses-model")
    create_config(ctx, "someone-elses-config", "someone-elses-model")
    ctx.client("sagemaker").create_endpoint(EndpointName="theirs", EndpointConfigName="someone-elses-config")
    with pytest.raises(PlanError) as info:
        client.scale("theirs", 1, 3, context=ctx)
    assert "not created by lmi-deploy" in info.value.message
    targets = ctx.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="sagemaker")
    assert targets["ScalableTargets"] == []


def test_local_model_directory_uploads_once(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    ctx.client("s3").create_bucket(Bucket="weights-bucket")
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    shutil.copy(REPO / "tests/fixtures/configs/qwen2.5-7b-instruct.json", model_dir / "config.json")
    (model_dir / "tokenizer.json").write_text('{"version": "1.0"}')
    (model_dir / "weights.bin").write_bytes(b"\0" * 4096)
    spec = spec_file(tmp_path, model={"id": str(model_dir)}, artifacts={"bucket": "weights-bucket"})

    first = client.apply(spec, context=ctx, **WAIT)
    assert first.upload is not None and first.upload.uploaded == 4  # 3 files + serving.properties
    prefix = "lmi-deploy/qwen25-7b/model/"
    assert [k.removeprefix(prefix) for k in objects(ctx, "weights-bucket")] == [
        ".lmi-deploy-manifest.json",
        "config.json",
        "serving.properties",
        "tokenizer.json",
        "weights.bin",
    ]
    model = ctx.client("sagemaker").describe_model(ModelName=client.plan(spec, context=ctx).desired.model_name)
    source = model["PrimaryContainer"]["ModelDataSource"]["S3DataSource"]
    assert source == {"S3Uri": f"s3://weights-bucket/{prefix}", "S3DataType": "S3Prefix", "CompressionType": "None"}
    assert client.plan(spec, context=ctx).is_empty

    (model_dir / "tokenizer.json").write_text('{"version": "2.0"}')
    second = client.apply(spec, context=ctx, **WAIT)
    assert second.upload is not None and (second.upload.uploaded, second.upload.skipped) == (1, 3)
    client.destroy(spec, context=ctx, **WAIT)
    assert objects(ctx, "weights-bucket") == []


def test_async_endpoint_scales_on_backlog_from_zero(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    spec = spec_file(
        tmp_path,
        name="qwen-async",
        delivery="env",
        async_inference={"output_path": "s3://async-bucket/out/", "max_concurrent_invocations_per_instance": 4},
        scaling={"min": 0, "max": 2, "metric": "backlog_per_instance", "target": 5},
    )
    assert client.apply(spec, context=ctx, **WAIT).status == "InService"
    sm = ctx.client("sagemaker")
    config_name = sm.describe_endpoint(EndpointName="qwen-async")["EndpointConfigName"]
    async_config = sm.describe_endpoint_config(EndpointConfigName=config_name)["AsyncInferenceConfig"]
    assert async_config["OutputConfig"]["S3OutputPath"] == "s3://async-bucket/out/"
    scaling = ctx.client("application-autoscaling")
    target = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"][0]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 2)
    policy = scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"][0]
    metric = policy["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"]
    assert metric["MetricName"] == "ApproximateBacklogSizePerInstance"
    assert client.plan(spec, context=ctx).is_empty
    assert client.scale("qwen-async", 0, 3, context=ctx).scaling == (0, 3)


def test_scale_to_zero_is_refused_for_a_real_time_endpoint(lmi_emulator: Any, tmp_path: Path) -> None:
    from deploy.errors import UsageError

    ctx = lmi_emulator.context()
    ctx.client("s3").create_bucket(Bucket="zero-bucket")
    client.apply(spec_file(tmp_path, artifacts={"bucket": "zero-bucket"}), context=ctx, **WAIT)
    with pytest.raises(UsageError) as info:
        client.scale("qwen25-7b", 0, 2, context=ctx)
    assert info.value.field == "minimum" and "asynchronous" in info.value.message
    assert client.status("qwen25-7b", context=ctx).scaling == (1, 4)


def test_package_level_api_for_notebooks(lmi_emulator: Any, tmp_path: Path) -> None:
    import deploy

    ctx = lmi_emulator.context()
    spec = deploy.load_spec(spec_file(tmp_path))
    planned = deploy.plan(spec, context=ctx)
    assert "CreateEndpoint" in repr(planned) and not planned.is_empty
    result = deploy.apply(planned, create_bucket=True, waiter=FAST_WAITER)
    assert repr(result).startswith("<ApplyResult qwen25-7b: InService")
    assert "InService" in repr(deploy.status("qwen25-7b", context=ctx))
    assert deploy.destroy("qwen25-7b", context=ctx, waiter=FAST_WAITER).status == "Deleted"
