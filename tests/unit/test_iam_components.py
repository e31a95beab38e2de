"""Least-privilege policies for a component-endpoint spec: statements, scoping, names lmi-deploy really uses.

The resource patterns are checked against the names the engine itself builds (``inference_component_name``,
``adapter_component_name``, ``no_capacity_alarm_name``, ``log_group_name``, the models' content-hashed names),
for generated endpoint and component names, so the policy and the engine cannot drift apart.
"""

from __future__ import annotations

import copy
import fnmatch
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deploy.engine.components.scaling import no_capacity_alarm_name
from deploy.engine.iam_components import (
    any_policy_inputs,
    component_deployer_policy,
    component_execution_policy,
    component_policy_inputs,
    policies,
)
from deploy.engine.naming import resource_name
from deploy.spec.component_views import adapter_component_name, inference_component_name
from deploy.spec.loader import parse_any_spec

try:
    from tests.unit.test_iam import UNSCOPED_SIDS, VALID_ACTIONS
except ImportError:  # rootdir not on sys.path: the test directory is
    from test_iam import UNSCOPED_SIDS, VALID_ACTIONS  # type: ignore[no-redef]

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/SageMakerExecutionRole"
IC_ACTIONS = {"CreateInferenceComponent", "UpdateInferenceComponent", "UpdateInferenceComponentRuntimeConfig",
              "DeleteInferenceComponent", "DescribeInferenceComponent", "ListInferenceComponents"}  # fmt: skip
COMPONENT_UNSCOPED = UNSCOPED_SIDS
ACTIONS = {**VALID_ACTIONS, "sagemaker": VALID_ACTIONS["sagemaker"] | IC_ACTIONS,
           "cloudwatch": VALID_ACTIONS["cloudwatch"] | {"DescribeAlarmsForMetric"}}  # fmt: skip


def spec_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "team-llms",
        "region": "us-east-1",
        "role": ROLE,
        "lmi": {"version": 16},
        "instance": {"type": "ml.g6e.12xlarge", "count": 1},
        "scaling": {"min": 0, "max": 2},
        "components": [
            {
                "name": "qwen",
                "model": {"id": "s3://weights-a/qwen/7b/"},
                "engine": {"max_model_len": 8192, "tensor_parallel_degree": 1},
                "copies": 2,
                "scaling": {"min": 0, "max": 4},
                "adapters": [{"name": "sql", "source": "s3://lora-bucket/sql/"}],
            },
            {"name": "small", "model": {"id": "Qwen/Qwen2.5-1.5B-Instruct"}, "copies": 1},
        ],
    }
    data.update(overrides)
    return data


def inputs_of(data: dict[str, Any], **kwargs: Any) -> Any:
    return component_policy_inputs(parse_any_spec(data), **kwargs)


def by_sid(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy["Statement"]}


def allows(policy: dict[str, Any], action: str, resource: str) -> bool:
    return any(
        any(fnmatch.fnmatchcase(action, a) for a in s["Action"])
        and any(fnmatch.fnmatchcase(resource, r) for r in s["Resource"])
        for s in policy["Statement"]
    )


def no_scaling() -> dict[str, Any]:
    data = spec_data()
    data["components"][0].pop("scaling")
    return data


@pytest.mark.parametrize("data", [spec_data(), no_scaling()], ids=["scaling", "fixed"])
def test_every_action_is_real_sids_are_unique_and_only_unscopable_reads_use_a_wildcard(data: dict[str, Any]) -> None:
    for policy in (component_deployer_policy(inputs_of(data)), component_execution_policy(inputs_of(data))):
        sids = [s["Sid"] for s in policy["Statement"]]
        assert len(sids) == len(set(sids)) and all(sid.isalnum() for sid in sids)
        assert len(json.dumps(policy, separators=(",", ":"))) < 6144  # managed-policy size limit
        for statement in policy["Statement"]:
            for action in statement["Action"]:
                service, _, name = action.partition(":")
                assert name in ACTIONS.get(service, set()), f"unknown IAM action {action}"
            if "*" in statement["Resource"]:
                assert statement["Sid"] in COMPONENT_UNSCOPED, statement


def test_inference_components_are_scoped_to_the_endpoints_prefix_and_create_also_names_the_endpoint() -> None:
    sids = by_sid(component_deployer_policy(inputs_of(spec_data())))
    ic = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:inference-component/team-llms-*"
    endpoint = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/team-llms"
    assert sids["CreateInferenceComponents"]["Resource"] == [ic, endpoint]
    assert sids["ManageInferenceComponents"]["Resource"] == [ic]
    assert "sagemaker:UpdateInferenceComponentRuntimeConfig" in sids["ManageInferenceComponents"]["Action"]
    assert ic in sids["TagResources"]["Resource"] and "sagemaker:AddTags" in sids["TagResources"]["Action"]
    assert {ic, endpoint} <= set(sids["InvokeEndpoint"]["Resource"])
    unscoped = sids["ReadWithoutResourceScope"]
    assert {"cloudwatch:DescribeAlarmsForMetric", "sagemaker:ListInferenceComponents"} <= set(unscoped["Action"])
    assert sids["ReadComponentAlarms"]["Action"] == ["cloudwatch:DescribeAlarms"]  # present without scaling too


def test_copy_scaling_is_limited_by_the_inference_component_dimension_and_only_present_with_scaling() -> None:
    sids = by_sid(component_deployer_policy(inputs_of(spec_data())))
    condition = sids["ScaleComponentCopies"]["Condition"]["StringEquals"]
    assert condition["application-autoscaling:scalable-dimension"] == "sagemaker:inference-component:DesiredCopyCount"
    assert "ScaleSageMakerVariants" not in sids  # the variant scales by ManagedInstanceScaling, not by this API
    fixed = by_sid(component_deployer_policy(inputs_of(no_scaling())))
    assert not {"ScaleComponentCopies", "ManageComponentAlarms", "CreateAutoscalingServiceLinkedRole"} & set(fixed)


def test_execution_role_reads_every_component_and_adapter_prefix_and_writes_the_ic_log_groups() -> None:
    policy = component_execution_policy(inputs_of(spec_data()))
    sids = by_sid(policy)
    assert sids["ReadModelWeights"]["Resource"] == [
        "arn:aws:s3:::lora-bucket/sql/*",
        "arn:aws:s3:::weights-a/qwen/7b/*",
    ]
    lists = [s for sid, s in sids.items() if sid.startswith("ListModelWeights")]
    assert [s["Condition"]["StringLikeIfExists"]["s3:prefix"] for s in lists] == [
        ["sql", "sql/*"],
        ["qwen/7b", "qwen/7b/*"],
    ]
    assert allows(
        policy,
        "logs:PutLogEvents",
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/sagemaker/InferenceComponents/team-llms-qwen:log-stream:x",
    )
    assert sids["ReadModelArtifacts"]["Resource"] == [
        f"arn:aws:s3:::sagemaker-us-east-1-{ACCOUNT}/lmi-deploy/team-llms/*"
    ]
    assert not allows(policy, "s3:GetObject", "arn:aws:s3:::weights-a/other/config.json")


def test_env_delivery_of_hub_models_uploads_nothing_and_reads_no_weights() -> None:
    data = spec_data(delivery="env")
    data["components"] = [{"name": "small", "model": {"id": "Qwen/Qwen2.5-1.5B-Instruct"}}]
    data["scaling"] = {"min": 1, "max": 2}  # scale to zero is refused outside the aws partition
    inputs = inputs_of(data)
    assert inputs.artifacts is None and inputs.model_sources == ()
    assert not [
        s for s in component_execution_policy(inputs)["Statement"] if s["Sid"].endswith(("Weights", "Artifacts"))
    ]


def test_kms_vpc_partition_and_account_follow_the_spec() -> None:
    security = {"kms_key_id": "alias/team", "vpc": {"subnets": ["subnet-1"], "security_groups": ["sg-1"]}}
    data = spec_data(region="cn-north-1", role="arn:aws-cn:iam::210987654321:role/Exec", security=security)
    data["components"] = [{"name": "small", "model": {"id": "Qwen/Qwen2.5-1.5B-Instruct"}}]
    data["scaling"] = {"min": 1, "max": 2}  # scale to zero is refused outside the aws partition
    inputs = inputs_of(data)
    deployer, execution = component_deployer_policy(inputs), component_execution_policy(inputs)
    assert inputs.partition == "aws-cn" and inputs.account == "210987654321"
    text = json.dumps([deployer, execution])
    assert "arn:aws:" not in text and "arn:aws-cn:sagemaker:cn-north-1:210987654321:inference-component/" in text
    assert {"GrantKmsKeyToSageMaker", "DescribeKmsKey"} <= set(by_sid(deployer))
    assert {"UseKmsKey", "AttachToVpc"} <= set(by_sid(execution))
    assert inputs_of(spec_data(), account="111122223333").account == "111122223333"


def test_policies_dispatches_on_the_kind_of_spec() -> None:
    from deploy.spec.model import DeploymentSpec

    single = DeploymentSpec.model_validate({"name": "solo", "region": "us-east-1", "role": ROLE,
                                            "model": {"id": "Qwen/Qwen2.5-1.5B-Instruct"}})  # fmt: skip
    assert "ManageInferenceComponents" not in by_sid(policies(any_policy_inputs(single))["deployer"])
    both = policies(any_policy_inputs(parse_any_spec(spec_data())))
    assert set(both) == {"deployer", "execution", "execution_trust"}
    assert set(policies(inputs_of(spec_data()), "execution")) == {"execution", "execution_trust"}


NAME = st.from_regex(r"[a-zA-Z0-9](-?[a-zA-Z0-9]){0,5}", fullmatch=True)  # IC names stay <= 63


@settings(max_examples=60, deadline=None)
@given(endpoint=NAME, component=NAME, adapter=NAME, digest=st.from_regex(r"[0-9a-f]{10}", fullmatch=True))
def test_every_name_the_engine_builds_is_granted_and_another_endpoints_is_not(
    endpoint: str, component: str, adapter: str, digest: str
) -> None:
    data = spec_data(name=endpoint)
    data["components"] = [{**copy.deepcopy(data["components"][0]), "name": component,
                           "adapters": [{"name": adapter, "source": "s3://lora-bucket/a/"}]}]  # fmt: skip
    spec = parse_any_spec(data)
    policy = component_deployer_policy(component_policy_inputs(spec))
    arn = f"arn:aws:{{}}:us-east-1:{ACCOUNT}:{{}}"
    ic = inference_component_name(spec, spec.components[0])  # type: ignore[arg-type]
    names = [ic, adapter_component_name(spec, spec.components[0], adapter)]  # type: ignore[arg-type]
    for name in names:
        assert allows(
            policy, "sagemaker:DeleteInferenceComponent", arn.format("sagemaker", f"inference-component/{name.lower()}")
        )
        assert allows(
            policy, "logs:FilterLogEvents", arn.format("logs", f"log-group:/aws/sagemaker/InferenceComponents/{name}:*")
        )
    assert allows(
        policy, "sagemaker:CreateModel", arn.format("sagemaker", f"model/{resource_name(ic, digest).lower()}")
    )
    assert allows(policy, "cloudwatch:PutMetricAlarm", arn.format("cloudwatch", f"alarm:{no_capacity_alarm_name(ic)}"))
    assert allows(
        policy,
        "cloudwatch:DeleteAlarms",
        arn.format("cloudwatch", f"alarm:TargetTracking-inference-component/{ic}-AlarmHigh-x"),
    )
    other = f"x{endpoint}"
    assert not allows(
        policy,
        "sagemaker:DeleteInferenceComponent",
        arn.format("sagemaker", f"inference-component/{other.lower()}-{component.lower()}"),
    )
