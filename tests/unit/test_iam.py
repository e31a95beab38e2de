"""Least-privilege policies for a spec: golden-style checks on the statements, valid action names, partitions.

VALID_ACTIONS is a small list of real IAM action names (from the AWS Service Authorization Reference) for
the services the policies use: a typo such as ``sagemaker:DescribeEndpoints`` would silently grant nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from deploy.engine.iam import (
    PolicyInputs,
    S3Location,
    deployer_policy,
    execution_policy,
    execution_trust_policy,
    policies,
    policy_inputs,
)
from deploy.spec.model import DeploymentSpec

VALID_ACTIONS = {
    "sagemaker": set(
        [
            "AddTags",
            "CreateEndpoint",
            "CreateEndpointConfig",
            "CreateModel",
            "DeleteEndpoint",
            "DeleteEndpointConfig",
            "DeleteModel",
            "DeleteTags",
            "DescribeEndpoint",
            "DescribeEndpointConfig",
            "DescribeModel",
            "InvokeEndpoint",
            "InvokeEndpointAsync",
            "InvokeEndpointWithResponseStream",
            "ListEndpointConfigs",
            "ListEndpoints",
            "ListModels",
            "ListTags",
            "UpdateEndpoint",
            "UpdateEndpointWeightsAndCapacities",
        ]
    ),
    "iam": set(["CreateServiceLinkedRole", "PassRole"]),
    "sts": set(["GetCallerIdentity"]),
    "servicequotas": set(
        ["GetServiceQuota", "GetAWSDefaultServiceQuota", "ListServiceQuotas", "ListAWSDefaultServiceQuotas"]
    ),
    "pricing": set(["GetProducts"]),
    "logs": set(
        [
            "CreateLogGroup",
            "CreateLogStream",
            "DescribeLogStreams",
            "FilterLogEvents",
            "GetLogEvents",
            "PutLogEvents",
        ]
    ),
    "cloudwatch": set(
        [
            "DeleteAlarms",
            "DescribeAlarms",
            "GetMetricData",
            "GetMetricStatistics",
            "ListMetrics",
            "PutMetricAlarm",
            "PutMetricData",
        ]
    ),
    "application-autoscaling": set(
        [
            "DeleteScalingPolicy",
            "DeregisterScalableTarget",
            "DescribeScalableTargets",
            "DescribeScalingActivities",
            "DescribeScalingPolicies",
            "PutScalingPolicy",
            "RegisterScalableTarget",
        ]
    ),
    "s3": set(
        [
            "AbortMultipartUpload",
            "CreateBucket",
            "DeleteObject",
            "GetBucketLocation",
            "GetObject",
            "ListBucket",
            "PutObject",
        ]
    ),
    "ecr": set(["BatchCheckLayerAvailability", "BatchGetImage", "GetAuthorizationToken", "GetDownloadUrlForLayer"]),
    "kms": set(["CreateGrant", "Decrypt", "DescribeKey", "GenerateDataKey"]),
    "ec2": set(
        [
            "CreateNetworkInterface",
            "CreateNetworkInterfacePermission",
            "DeleteNetworkInterface",
            "DeleteNetworkInterfacePermission",
            "DescribeDhcpOptions",
            "DescribeNetworkInterfaces",
            "DescribeSecurityGroups",
            "DescribeSubnets",
            "DescribeVpcs",
        ]
    ),
}
# Statements allowed to use Resource "*": only actions AWS cannot scope by resource.
UNSCOPED_SIDS = set(
    [
        "ListResourcesNotScopable",
        "ReadWithoutResourceScope",
        "PullImageAuthorization",
        "AttachToVpc",
        "PublishContainerMetrics",
    ]
)
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/SageMakerExecutionRole"

MINIMAL = {
    "name": "qwen25-7b",
    "region": "us-east-1",
    "role": ROLE,
    "model": {"id": "Qwen/Qwen2.5-7B-Instruct"},
}
FULL = {
    "name": "Qwen-Chat",
    "region": "us-east-1",
    "role": ROLE,
    "model": {"id": "s3://weights-bucket/qwen/2.5-7b/"},
    "scaling": {"min": 1, "max": 4},
    "update": {"rollback_alarms": ["team-latency-alarm"], "builtin_5xx_alarm": True},
    "security": {
        "kms_key_id": "1234abcd-12ab-34cd-56ef-1234567890ab",
        "vpc": {"subnets": ["subnet-0abc1234"], "security_groups": ["sg-0abc1234"]},
    },
    "async_inference": {
        "output_path": "s3://results-bucket/async/out/",
        "failure_path": "s3://results-bucket/fail",
    },
    "artifacts": {"bucket": "team-artifacts", "prefix": "lmi/qwen-chat/"},
}


def by_sid(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    statements = policy["Statement"]
    sids = [s["Sid"] for s in statements]
    assert len(sids) == len(set(sids)), "Sids must be unique"
    return {s["Sid"]: s for s in statements}


def inputs_for(raw: dict[str, Any], **kwargs: Any) -> PolicyInputs:
    return policy_inputs(DeploymentSpec.model_validate(raw), **kwargs)


def all_statements(inputs: PolicyInputs) -> list[dict[str, Any]]:
    return deployer_policy(inputs)["Statement"] + execution_policy(inputs)["Statement"]


@pytest.mark.parametrize("raw", [MINIMAL, FULL], ids=["minimal", "full"])
def test_every_action_is_a_real_iam_action_and_nothing_is_wildcarded(raw: dict[str, Any]) -> None:
    for statement in all_statements(inputs_for(raw)):
        assert statement["Effect"] == "Allow"
        for action in statement["Action"]:
            service, _, name = action.partition(":")
            assert name in VALID_ACTIONS.get(service, set()), f"unknown IAM action {action}"
        if "*" in statement["Resource"]:
            assert statement["Sid"] in UNSCOPED_SIDS, statement


@pytest.mark.parametrize("raw", [MINIMAL, FULL], ids=["minimal", "full"])
def test_policies_fit_the_managed_policy_size_limit(raw: dict[str, Any]) -> None:
    for document in policies(inputs_for(raw)).values():
        assert document["Version"] == "2012-10-17"
        assert len(json.dumps(document, separators=(",", ":"))) < 6144  # IAM managed-policy limit (no spaces)


def test_deployer_sagemaker_statements_are_scoped_to_the_endpoint_and_its_hashed_resources() -> None:
    statements = by_sid(deployer_policy(inputs_for(MINIMAL)))
    arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}"
    assert statements["ManageModels"]["Resource"] == [f"{arn}:model/qwen25-7b-*"]
    assert statements["ManageEndpointConfigs"]["Resource"] == [f"{arn}:endpoint-config/qwen25-7b-*"]
    assert statements["ManageEndpoint"]["Resource"] == [
        f"{arn}:endpoint/qwen25-7b",
        f"{arn}:endpoint-config/qwen25-7b-*",
    ]
    assert "sagemaker:UpdateEndpoint" in statements["ManageEndpoint"]["Action"]
    assert statements["InvokeEndpoint"]["Action"] == [
        "sagemaker:InvokeEndpoint",
        "sagemaker:InvokeEndpointWithResponseStream",
    ]


def test_pass_role_is_limited_to_the_spec_role_and_to_sagemaker() -> None:
    statement = by_sid(deployer_policy(inputs_for(MINIMAL)))["PassExecutionRoleToSageMaker"]
    assert statement["Action"] == ["iam:PassRole"]
    assert statement["Resource"] == [ROLE]
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


def test_log_group_statements_name_the_endpoint_group() -> None:
    inputs = inputs_for(MINIMAL)
    group = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/sagemaker/Endpoints/qwen25-7b"
    assert by_sid(deployer_policy(inputs))["ReadEndpointLogs"]["Resource"] == [group, f"{group}:*"]
    assert by_sid(execution_policy(inputs))["WriteContainerLogs"]["Resource"] == [group, f"{group}:*"]


def test_minimal_spec_has_no_scaling_kms_vpc_or_async_statements() -> None:
    sids = set(by_sid(deployer_policy(inputs_for(MINIMAL)))) | set(by_sid(execution_policy(inputs_for(MINIMAL))))
    for absent in (
        "ScaleSageMakerVariants",
        "ManageEndpointAlarms",
        "UseKmsKey",
        "AttachToVpc",
        "WriteAsyncResults",
    ):
        assert absent not in sids


def test_default_artifacts_bucket_and_prefix_follow_the_deploy_engine() -> None:
    inputs = inputs_for(MINIMAL)  # a Hub model with delivery: properties uploads serving.properties
    assert inputs.artifacts == S3Location(f"sagemaker-us-east-1-{ACCOUNT}", "lmi-deploy/qwen25-7b")
    deployer = by_sid(deployer_policy(inputs))
    assert deployer["WriteArtifacts"]["Resource"] == [
        f"arn:aws:s3:::sagemaker-us-east-1-{ACCOUNT}/lmi-deploy/qwen25-7b/*"
    ]
    assert deployer["CreateDefaultBucket"]["Action"] == ["s3:CreateBucket"]
    assert deployer["ListArtifactsPrefix"]["Condition"] == {
        "StringLikeIfExists": {"s3:prefix": ["lmi-deploy/qwen25-7b", "lmi-deploy/qwen25-7b/*"]}
    }


def test_env_delivery_of_a_hub_model_needs_no_artifacts_at_all() -> None:
    inputs = inputs_for({**MINIMAL, "delivery": "env"})
    assert inputs.artifacts is None
    assert not any(s["Action"][0].startswith("s3:") for s in all_statements(inputs))


def test_full_spec_statements() -> None:
    inputs = inputs_for(FULL)
    deployer, execution = by_sid(deployer_policy(inputs)), by_sid(execution_policy(inputs))
    arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}"
    # SageMaker lower-cases names in ARNs; the log group keeps the user's spelling.
    assert deployer["ManageModels"]["Resource"] == [f"{arn}:model/qwen-chat-*"]
    assert deployer["ReadEndpointLogs"]["Resource"][0].endswith("/aws/sagemaker/Endpoints/Qwen-Chat")
    assert "sagemaker:InvokeEndpointAsync" in deployer["InvokeEndpoint"]["Action"]
    scale = deployer["ScaleSageMakerVariants"]
    assert scale["Resource"] == [f"arn:aws:application-autoscaling:us-east-1:{ACCOUNT}:scalable-target/*"]
    assert scale["Condition"]["StringEquals"]["application-autoscaling:service-namespace"] == "sagemaker"
    alarms = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm"
    assert deployer["ManageEndpointAlarms"]["Resource"] == [
        f"{alarms}:TargetTracking-endpoint/Qwen-Chat/*",
        f"{alarms}:Qwen-Chat-lmi-5xx",
    ]
    assert deployer["ReadRollbackAlarms"]["Resource"] == [f"{alarms}:team-latency-alarm"]
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert deployer["GrantKmsKeyToSageMaker"]["Resource"] == [key]
    assert deployer["GrantKmsKeyToSageMaker"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert deployer["DescribeKmsKey"]["Resource"] == [key] and "Condition" not in deployer["DescribeKmsKey"]
    assert execution["UseKmsKey"]["Resource"] == [key]
    assert execution["ReadModelWeights"]["Resource"] == ["arn:aws:s3:::weights-bucket/qwen/2.5-7b/*"]
    assert execution["ReadModelArtifacts"]["Resource"] == ["arn:aws:s3:::team-artifacts/lmi/qwen-chat/*"]
    assert execution["WriteAsyncResults"]["Resource"] == [
        "arn:aws:s3:::results-bucket/async/out/*",
        "arn:aws:s3:::results-bucket/fail/*",
    ]
    assert "ec2:CreateNetworkInterface" in execution["AttachToVpc"]["Action"]
    assert "CreateDefaultBucket" not in deployer  # the spec names its bucket


@pytest.mark.parametrize("key", ["alias/team-llm", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/team-llm"])
def test_a_key_named_by_alias_is_matched_by_its_alias(key: str) -> None:
    inputs = inputs_for({**MINIMAL, "security": {"kms_key_id": key}})
    statement = by_sid(execution_policy(inputs))["UseKmsKey"]
    assert statement["Resource"] == [f"arn:aws:kms:us-east-1:{ACCOUNT}:key/*"]
    assert statement["Condition"] == {"ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/team-llm"]}}


def test_execution_role_pulls_only_the_djl_inference_repository_of_the_region() -> None:
    statement = by_sid(execution_policy(inputs_for(MINIMAL)))["PullLmiImage"]
    assert statement["Resource"] == ["arn:aws:ecr:us-east-1:763104351884:repository/djl-inference"]


def test_image_override_pulls_from_its_own_account_and_repository() -> None:
    image = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/my-lmi:custom"
    statement = by_sid(execution_policy(inputs_for({**MINIMAL, "lmi": {"image": image}})))["PullLmiImage"]
    assert statement["Resource"] == [f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/my-lmi"]


@pytest.mark.parametrize(
    ("region", "partition", "ecr_account"),
    [("cn-north-1", "aws-cn", "727897471807"), ("us-gov-west-1", "aws-us-gov", "442386744353")],
)
def test_arns_use_the_partition_of_the_spec_region(region: str, partition: str, ecr_account: str) -> None:
    role = f"arn:{partition}:iam::{ACCOUNT}:role/Exec"
    inputs = inputs_for({**FULL, "region": region, "role": role})
    for statement in all_statements(inputs):
        for resource in statement["Resource"]:
            assert resource == "*" or resource.startswith(f"arn:{partition}:"), resource
    pull = by_sid(execution_policy(inputs))["PullLmiImage"]["Resource"]
    assert pull == [f"arn:{partition}:ecr:{region}:{ecr_account}:repository/djl-inference"]


def test_account_comes_from_the_flag_over_the_role_arn() -> None:
    inputs = inputs_for(MINIMAL, account="210987654321")
    assert inputs.account == "210987654321"
    assert by_sid(deployer_policy(inputs))["ManageModels"]["Resource"][0].split(":")[4] == "210987654321"


def test_trust_policy_lets_only_sagemaker_assume_the_execution_role() -> None:
    (statement,) = execution_trust_policy()["Statement"]
    assert statement["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"


def test_policies_selects_roles() -> None:
    inputs = inputs_for(MINIMAL)
    assert set(policies(inputs, "deployer")) == {"deployer"}
    assert set(policies(inputs, "execution")) == {"execution", "execution_trust"}
    assert set(policies(inputs)) == {"deployer", "execution", "execution_trust"}
