"""Opt-in checks against a real AWS account (``pytest -m aws`` with ``LMI_AWS_TESTS=1``); skipped by default.

- Every policy ``lmi iam-policy`` prints passes IAM Access Analyzer's ``ValidatePolicy`` with no error and no
  security warning (it checks action names, ARN formats and condition keys; it creates nothing).
- ``lmi logs`` reads a real endpoint's log group when ``LMI_AWS_ENDPOINT`` names one (read-only).

The shared conftest replaces the AWS credentials with dummies for every test, so this module keeps the
environment it was imported with and puts the real settings back for these tests only.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from deploy.aws import logs
from deploy.aws.session import AwsContext
from deploy.engine.iam_components import any_policy_inputs, policies
from deploy.spec.loader import parse_any_spec

pytestmark = pytest.mark.aws
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"
SPECS = {
    "minimal": {
        "name": "lmi-iam-check",
        "region": "us-east-1",
        "role": ROLE,
        "model": {"id": "Qwen/Qwen2.5-7B-Instruct"},
    },
    "full": {
        "name": "lmi-iam-check",
        "region": "us-east-1",
        "role": ROLE,
        "model": {"id": "s3://weights-bucket/qwen/"},
        "scaling": {"min": 1, "max": 2},
        "update": {"rollback_alarms": ["team-alarm"], "builtin_5xx_alarm": True},
        "security": {"kms_key_id": "alias/team-llm", "vpc": {"subnets": ["subnet-1"], "security_groups": ["sg-1"]}},
        "async_inference": {"output_path": "s3://results-bucket/out/"},
    },
    "components": {
        "name": "lmi-iam-check",
        "region": "us-east-1",
        "role": ROLE,
        "lmi": {"version": 16},
        "instance": {"type": "ml.g6e.12xlarge", "count": 1},
        "components": [
            {
                "name": "qwen",
                "model": {"id": "s3://weights-bucket/qwen/"},
                "engine": {"max_model_len": 8192, "tensor_parallel_degree": 1},
                "scaling": {"min": 0, "max": 2},
                "adapters": [{"name": "sql", "source": "s3://lora-bucket/sql/"}],
            }
        ],
    },
}


@pytest.mark.parametrize("spec", list(SPECS), ids=list(SPECS))
def test_policies_pass_access_analyzer_validation(real_aws: AwsContext, spec: str) -> None:
    analyzer: Any = real_aws.client("accessanalyzer")
    documents = policies(any_policy_inputs(parse_any_spec(SPECS[spec])))
    for key, document in documents.items():
        kwargs: dict[str, Any] = {"policyDocument": json.dumps(document), "policyType": "IDENTITY_POLICY"}
        if key == "execution_trust":
            kwargs.update(policyType="RESOURCE_POLICY", validatePolicyResourceType="AWS::IAM::AssumeRolePolicyDocument")
        findings = analyzer.validate_policy(**kwargs)["findings"]
        serious = [f for f in findings if f["findingType"] in ("ERROR", "SECURITY_WARNING")]
        assert serious == [], (key, serious)


def test_logs_tail_of_a_real_endpoint(real_aws: AwsContext) -> None:
    endpoint = os.environ.get("LMI_AWS_ENDPOINT")
    if not endpoint:
        pytest.skip("set LMI_AWS_ENDPOINT to an endpoint whose logs may be read")
    lines = logs.tail(real_aws, endpoint, lines=20)
    assert 0 < len(lines) <= 20
    assert [line.timestamp_ms for line in lines] == sorted(line.timestamp_ms for line in lines)
