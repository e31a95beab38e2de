"""build_desired: real specs rendered by the lead's render, turned into named, tagged request bodies. Pure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from deploy.engine.desired import TAG_ARTIFACTS, build_desired
from deploy.engine.resolve import resolve
from deploy.render.properties import render
from deploy.spec.model import DeploymentSpec

REPO = Path(__file__).resolve().parents[2]


def desired_for(**fields: Any) -> Any:
    data: dict[str, Any] = {
        "name": "unit-ep",
        "role": "arn:aws:iam::123456789012:role/SageMakerExecutionRole",
        "model": {"id": "Qwen/Qwen2.5-7B-Instruct"},
        "instance": {"type": "ml.g6e.2xlarge"},
        **fields,
    }
    resolved = resolve(DeploymentSpec.model_validate(data))
    return build_desired(resolved, render(resolved), region="us-east-1", account="123456789012")


def test_hub_model_with_properties_gets_its_own_content_named_prefix() -> None:
    desired = desired_for()
    assert desired.artifacts is not None and desired.artifacts.bucket == "sagemaker-us-east-1-123456789012"
    assert desired.artifacts.prefix.startswith("lmi-deploy/unit-ep/properties-")
    assert [f.key for f in desired.artifacts.files] == ["serving.properties"]
    source = desired.model_request["PrimaryContainer"]["ModelDataSource"]["S3DataSource"]
    assert source == {"S3Uri": desired.artifacts.uri, "S3DataType": "S3Prefix", "CompressionType": "None"}
    assert desired.endpoint_tags[TAG_ARTIFACTS] == desired.artifacts.uri


def test_same_spec_same_names_and_any_change_new_names() -> None:
    first, again = desired_for(), desired_for()
    assert (first.model_name, first.config_name) == (again.model_name, again.config_name)
    longer = desired_for(engine={"max_model_len": 8192})
    assert longer.model_name != first.model_name and longer.config_name != first.config_name
    bigger = desired_for(instance={"type": "ml.g6e.4xlarge"})
    assert bigger.config_name != first.config_name


def test_adding_a_token_reference_makes_a_new_model_but_never_holds_the_value() -> None:
    plain = desired_for()
    gated = desired_for(model={"id": "Qwen/Qwen2.5-7B-Instruct", "hf_token": "env:HF_TOKEN"})
    assert gated.model_name != plain.model_name
    assert gated.secret_env == {"HF_TOKEN": "env:HF_TOKEN"}
    assert "HF_TOKEN" not in gated.model_request["PrimaryContainer"]["Environment"]


def test_env_delivery_of_a_hub_model_uploads_nothing() -> None:
    desired = desired_for(delivery="env")
    assert desired.artifacts is None
    assert "ModelDataSource" not in desired.model_request["PrimaryContainer"]


def test_env_delivery_of_an_s3_model_mounts_the_users_prefix() -> None:
    desired = desired_for(delivery="env", model={"id": "s3://weights/qwen/"}, engine={"tensor_parallel_degree": 1})
    assert desired.artifacts is None
    source = desired.model_request["PrimaryContainer"]["ModelDataSource"]["S3DataSource"]
    assert source["S3Uri"] == "s3://weights/qwen/"


def test_user_bucket_and_prefix_are_honoured() -> None:
    desired = desired_for(artifacts={"bucket": "my-bucket", "prefix": "teams/ml/"})
    assert desired.artifacts is not None and desired.artifacts.bucket == "my-bucket"
    assert desired.artifacts.prefix.startswith("teams/ml/properties-")


def test_long_endpoint_names_stay_within_63_characters() -> None:
    desired = desired_for(name="x" * 63)
    assert len(desired.model_name) <= 63 and len(desired.config_name) <= 63


@pytest.mark.parametrize(
    ("strategy", "key"), [("blue_green", "BlueGreenUpdatePolicy"), ("rolling", "RollingUpdatePolicy")]
)
def test_update_strategy_and_builtin_alarm(strategy: str, key: str) -> None:
    desired = desired_for(update={"strategy": strategy, "builtin_5xx_alarm": True, "rollback_alarms": ["mine"]})
    config = desired.update_request["DeploymentConfig"]
    assert key in config
    assert config["AutoRollbackConfiguration"]["Alarms"] == [{"AlarmName": "mine"}, {"AlarmName": "unit-ep-lmi-5xx"}]
    assert desired.alarm_request is not None and desired.alarm_request["MetricName"] == "Invocation5XXErrors"
