"""The field diff, pure: desired request bodies against a hand-built ServingState, for the fields the emulator
cannot show (the update strategy of LastDeploymentConfig, volumes, network, a mounted user prefix, secrets gone)."""

from __future__ import annotations

from typing import Any

import pytest

from deploy.engine.desired import DesiredState, ScalingDesired
from deploy.engine.plan_diff import field_changes, lmi_options, option_key, update_strategy
from deploy.engine.snapshot import EndpointState, RemoteSnapshot, ServingState

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.33.0-lmi15.0.0-cu128"
BLUE_GREEN = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE"}}}
ROLLING = {"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 25}}}
PREFIX = "s3://weights/qwen/"


def desired(env: dict[str, str] | None = None, variant: dict[str, Any] | None = None, **extra: Any) -> DesiredState:
    container = {"Image": IMAGE, "Environment": env or {}, "ModelDataSource": {"S3DataSource": {"S3Uri": PREFIX}}}
    model = {"ModelName": "e-new", "PrimaryContainer": container, **extra.pop("model", {})}
    config = {
        "EndpointConfigName": "e-cfg2",
        "ProductionVariants": [{"InstanceType": "ml.g5.2xlarge", **(variant or {})}],
    }
    return DesiredState("e", "h", model, config, {}, **extra)


def snapshot(serving: ServingState) -> RemoteSnapshot:
    endpoint = EndpointState("e", "arn", "InService", "e-cfg1")
    return RemoteSnapshot("e", endpoint=endpoint, models=("e-old",), configs=("e-cfg1",), serving=serving)


def serving(**fields: Any) -> ServingState:
    base: dict[str, Any] = {"image": IMAGE, "model_data": PREFIX, "variant": {"InstanceType": "ml.g5.2xlarge"}}
    return ServingState(**{**base, **fields})


def changes(want: DesiredState, have: ServingState) -> list[tuple[str, Any, Any]]:
    return [(c.field, c.old, c.new) for c in field_changes(want, snapshot(have))]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (BLUE_GREEN, ROLLING, [("update_strategy", "blue/green", "rolling")]),
        (ROLLING, BLUE_GREEN, [("update_strategy", "rolling", "blue/green")]),
        (ROLLING, ROLLING, []),
        (None, ROLLING, []),  # AWS did not say what the last update used: no guess
    ],
)
def test_update_strategy_from_the_last_deployment_config(old: Any, new: Any, expected: list[Any]) -> None:
    assert changes(desired(deployment_config=new), serving(deployment_config=old)) == expected
    assert update_strategy(new) in ("rolling", "blue/green")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({}, {"VolumeSizeInGB": 100}, [("volume_size_gb", None, 100)]),
        ({"VolumeSizeInGB": 100}, {"VolumeSizeInGB": 200}, [("volume_size_gb", 100, 200)]),
        ({"InitialInstanceCount": 1}, {"InitialInstanceCount": 3}, [("instance_count", 1, 3)]),
        ({"InitialInstanceCount": 2}, {"InitialInstanceCount": 2}, []),
    ],
)
def test_variant_fields(old: dict[str, Any], new: dict[str, Any], expected: list[Any]) -> None:
    have = serving(variant={"InstanceType": "ml.g5.2xlarge", **old})
    assert changes(desired(variant=new), have) == expected


def test_network_settings_and_false_or_empty_as_unset() -> None:
    vpc = {"Subnets": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}
    want = desired(model={"EnableNetworkIsolation": True, "VpcConfig": vpc})
    got = changes(want, serving(model={"EnableNetworkIsolation": False, "VpcConfig": {}}))
    assert got == [("network_isolation", None, True), ("vpc", None, vpc)]


def test_a_mounted_user_prefix_keeps_its_serving_properties_on_both_sides() -> None:
    text = "option.max_model_len=8192\noption.dtype=bf16\n"
    want = desired(env={"OPTION_MAX_MODEL_LEN": "4096", "HF_MODEL_ID": "/opt/ml/model"})
    have = serving(environment={"OPTION_MAX_MODEL_LEN": "2048", "HF_MODEL_ID": "/opt/ml/model"}, properties=text)
    assert changes(want, have) == []  # serving.properties wins over OPTION_*, and the same file is mounted again


def test_secrets_removed_added_and_unchanged_are_masked() -> None:
    want = desired(secret_env={"HF_TOKEN": "env:HF_TOKEN"}, secret_fingerprints={"HF_TOKEN": "f1"})
    assert changes(want, serving(secret_fingerprints={"HF_TOKEN": "f1"})) == []
    assert changes(want, serving()) == [("env.HF_TOKEN", None, "**** (env:HF_TOKEN)")]
    assert changes(desired(), serving(secret_fingerprints={"HF_TOKEN": "f1"})) == [("env.HF_TOKEN", "****", None)]


@pytest.mark.parametrize(
    "value", ["hf_" + "x" * 34, "AKIA" + "ABCDEFGHIJKLMNOP", "ghp_" + "a" * 36]
)  # a credential under any name is masked on both sides
def test_credential_shaped_values_in_plain_variables_are_masked(value: str) -> None:
    got = changes(desired(env={"MY_VAR": value}), serving(environment={"MY_VAR": "old"}))
    assert got == [("env.MY_VAR", "old", "****")]


def test_scaling_removed_lists_old_bounds_to_none() -> None:
    target = {"ResourceId": "endpoint/e/variant/AllTraffic", "MinCapacity": 1, "MaxCapacity": 4}
    snap = snapshot(serving())
    snap = RemoteSnapshot(**{**snap.__dict__, "scaling_target": target})
    got = [(c.resource, c.field, c.old, c.new) for c in field_changes(desired(), snap)]
    assert got == [
        ("endpoint/e/variant/AllTraffic", "scaling.min", 1, None),
        ("endpoint/e/variant/AllTraffic", "scaling.max", 4, None),
    ]
    scaling = ScalingDesired(
        {**target, "MinCapacity": 2},
        {"PolicyName": "e-p", "TargetTrackingScalingPolicyConfiguration": {"TargetValue": 10}},
    )
    got = [(c.field, c.old, c.new) for c in field_changes(desired(scaling=scaling), snap)]
    assert got == [("scaling.min", 1, 2), ("scaling.target", None, 10.0)]


@pytest.mark.parametrize(
    ("variable", "key"),
    [("OPTION_MAX_MODEL_LEN", "option.max_model_len"), ("OPTION_ENGINE", "engine"),
     ("OPTION_ENTRYPOINT", "option.entryPoint"), ("OPTION_", None), ("HF_TOKEN", None), ("SM_NUM_GPUS", None)],
)  # fmt: skip
def test_option_names_as_lmi_reads_them(variable: str, key: str | None) -> None:
    assert option_key(variable) == key


def test_lmi_options_merge_like_the_container() -> None:
    text = "option.tensor_parallel_degree=2\nengine=Python\n# option.dtype=fp16\nnot_an_option=1\n"
    env = {"OPTION_TENSOR_PARALLEL_DEGREE": "4", "SM_NUM_GPUS": "8", "OPTION_DTYPE": "bf16", "OPTION_QUANTIZE": ""}
    assert lmi_options(env, text) == {"option.tensor_parallel_degree": "2", "engine": "Python", "option.dtype": "bf16"}
    assert lmi_options({"HF_MODEL_ID": "org/m", "SM_NUM_GPUS": "4"}, None) == {
        "option.model_id": "org/m",
        "option.tensor_parallel_degree": "4",
    }
    assert lmi_options({}, "option.x=\\u12") == {}  # a file Properties.load refuses adds no option
