"""Rendering rules: async-mode keys always present, deliveries, env limits, escaping, secrets never rendered."""

from __future__ import annotations

from typing import Any

import pytest

from deploy.engine.resolve import ResolvedSpec, spec_hash
from deploy.errors import SpecError
from deploy.render.bodies import artifact_layout, endpoint_config_request, model_request, scaling_requests
from deploy.render.properties import ASYNC_MODE, check_env_limits, properties_as_env, render
from deploy.render.templates import escape_property
from deploy.spec.loader import parse_spec

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"


def resolved(**overrides: Any) -> ResolvedSpec:
    data: dict[str, Any] = {"name": "ep", "role": ROLE, "model": {"id": "org/model"}}
    data.update(overrides)
    spec = parse_spec(data)
    return ResolvedSpec(
        spec=spec, tensor_parallel_degree=1, max_model_len=4096, max_rolling_batch_size=64, spec_hash=spec_hash(spec)
    )


def parse_properties(text: str) -> dict[str, str]:
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_async_mode_keys_and_resolved_values_always_rendered() -> None:
    props = parse_properties(render(resolved()).serving_properties)
    for key, value in ASYNC_MODE.items():
        assert props[key] == value
    assert props["option.tensor_parallel_degree"] == "1"
    assert props["option.max_rolling_batch_size"] == "64"
    assert props["option.max_model_len"] == "4096"
    assert props["option.model_id"] == "org/model"


def test_properties_delivery_keeps_env_small() -> None:
    out = render(resolved())
    assert out.environment == {"SERVING_FAIL_FAST": "true"}


def test_env_delivery_maps_every_key_to_lmi_env_names() -> None:
    out = render(resolved(delivery="env", engine={"options": {"enable_chunked_prefill": True}}))
    env = out.environment
    assert env["HF_MODEL_ID"] == "org/model"
    assert env["OPTION_ENTRYPOINT"] == "djl_python.lmi_vllm.vllm_async_service"
    assert env["OPTION_ENGINE"] == "Python"
    assert env["OPTION_TENSOR_PARALLEL_DEGREE"] == "1"
    assert env["OPTION_ENABLE_CHUNKED_PREFILL"] == "true"


def test_secret_is_a_reference_never_a_value() -> None:
    out = render(resolved(model={"id": "org/gated", "hf_token": "env:HF_TOKEN"}))
    assert out.secret_env == {"HF_TOKEN": "env:HF_TOKEN"}
    assert "HF_TOKEN" not in out.environment
    assert "HF_TOKEN" not in out.serving_properties


def test_false_flags_are_omitted_with_a_warning() -> None:
    out = render(resolved(engine={"enable_prefix_caching": False, "options": {"enforce_eager": False}}))
    assert "enable_prefix_caching" not in out.serving_properties
    assert "enforce_eager" not in out.serving_properties
    assert any("enable_prefix_caching=false" in w for w in out.warnings)
    assert any("enforce_eager=false" in w for w in out.warnings)


def test_env_limits_name_the_field() -> None:
    with pytest.raises(SpecError) as info:
        check_env_limits({"OPTION_CHAT_TEMPLATE": "x" * 1025})
    assert info.value.field == "engine.options.chat_template"
    assert "delivery: properties" in str(info.value)
    with pytest.raises(SpecError, match="32768 in total"):
        check_env_limits({f"K{i}": "v" * 1000 for i in range(40)})


def test_env_limits_apply_to_engine_env_with_properties_delivery() -> None:
    # engine.env is the container environment whichever the delivery: CreateModel would reject it either way.
    with pytest.raises(SpecError) as info:
        render(resolved(engine={"env": {"VLLM_BIG": "x" * 1025}}))
    assert info.value.field == "engine.env.VLLM_BIG" and "1025 bytes" in info.value.message
    assert "shorten" in str(info.value.fix)
    assert render(resolved(engine={"env": {"VLLM_BIG": "x" * 1024}})).environment["VLLM_BIG"] == "x" * 1024


def test_env_limits_count_at_most_100_variables_including_the_token() -> None:
    # botocore's EnvironmentMap: max 100 entries; HF_TOKEN is added at apply time and counts too.
    many = {f"VLLM_K{i}": "1" for i in range(99)}  # + SERVING_FAIL_FAST = 100
    assert len(render(resolved(engine={"env": many})).environment) == 100
    with pytest.raises(SpecError, match="101 variables; SageMaker allows 100") as info:
        render(resolved(engine={"env": many}, model={"id": "org/gated", "hf_token": "env:HF_TOKEN"}))
    assert info.value.field == "engine.env"


def test_env_limit_on_a_long_name_reports_the_name() -> None:
    with pytest.raises(SpecError, match="its name is 1025 bytes"):
        check_env_limits({"K" * 1025: "v"})


def test_property_values_are_escaped_like_java_properties_store() -> None:
    assert escape_property("a\\b") == "a\\\\b"
    assert escape_property(True) == "true"
    # A line break can never start a new key: it is written as the two characters \n (the spec refuses it earlier).
    assert escape_property("a\nb") == "a\\nb"
    assert escape_property("s3://b/k=v#x!") == "s3\\://b/k\\=v\\#x\\!"
    assert escape_property(" lead") == "\\ lead"
    assert escape_property("qwen-modèle") == "qwen-mod\\u00E8le"


def test_properties_as_env_names() -> None:
    env = properties_as_env({"option.model_id": "s3://bucket-b/p/", "option.revision": "abc", "option.dtype": "bf16"})
    assert env == {"HF_MODEL_ID": "s3://bucket-b/p/", "HF_REVISION": "abc", "OPTION_DTYPE": "bf16"}


def test_model_request_mounts_uncompressed_prefix_and_tags() -> None:
    res = resolved(tags={"team": "a"})
    body = model_request(res, render(res), model_name="ep-abc", model_data_s3_uri="s3://bucket-b/p/")
    source = body["PrimaryContainer"]["ModelDataSource"]["S3DataSource"]
    assert source == {"S3Uri": "s3://bucket-b/p/", "S3DataType": "S3Prefix", "CompressionType": "None"}
    tags = {t["Key"]: t["Value"] for t in body["Tags"]}
    assert tags["team"] == "a" and tags["lmi-deploy:spec-hash"] == res.spec_hash


def test_endpoint_config_has_timeouts_and_async_output() -> None:
    res = resolved(async_inference={"output_path": "s3://bucket-b/out/"}, instance={"type": "ml.g5.xlarge"})
    body = endpoint_config_request(res, config_name="ep-c", model_name="ep-m")
    variant = body["ProductionVariants"][0]
    assert variant["ContainerStartupHealthCheckTimeoutInSeconds"] == 1800
    assert variant["InstanceType"] == "ml.g5.xlarge"
    assert body["AsyncInferenceConfig"]["OutputConfig"]["S3FailurePath"] == "s3://bucket-b/out/failures/"


def test_scaling_requests_metric_choice() -> None:
    res = resolved(scaling={"metric": "concurrent_requests", "min": 1, "max": 3, "target": 4})
    req = scaling_requests(res, endpoint_name="ep")
    assert req is not None
    spec = req.policy["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]
    assert spec["PredefinedMetricType"] == "SageMakerVariantConcurrentRequestsPerModelHighResolution"
    assert scaling_requests(resolved(), endpoint_name="ep") is None


@pytest.mark.parametrize(
    ("model_id", "delivery", "layout"),
    [
        ("org/m", "env", "none"),
        ("org/m", "properties", "upload_properties"),
        ("s3://bucket-a/w/", "env", "mount_user_prefix"),
        ("s3://bucket-a/w/", "properties", "upload_properties"),
        ("/tmp/weights", "env", "upload_weights"),
    ],
)
def test_artifact_layout(model_id: str, delivery: str, layout: str) -> None:
    spec = parse_spec({"name": "ep", "role": ROLE, "model": {"id": model_id}, "delivery": delivery})
    assert artifact_layout(spec) == layout


def test_render_is_deterministic() -> None:
    assert render(resolved()) == render(resolved())
