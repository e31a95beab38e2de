"""Opt-in checks against a real AWS account (pytest -m aws, with LMI_AWS_TESTS=1). Skipped by default.

LMI_AWS_ROLE must name a SageMaker execution role; LMI_AWS_REGION defaults to us-east-1. The full deploy test
starts one ml.g6e.xlarge for ~10 minutes (about $0.50) and always destroys what it made.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import yaml

from deploy import client
from deploy.aws.session import make_context

pytestmark = [
    pytest.mark.aws,
    pytest.mark.skipif(os.environ.get("LMI_AWS_TESTS") != "1", reason="set LMI_AWS_TESTS=1 to use a real account"),
]


@pytest.fixture
def real_spec(tmp_path: Path) -> Path:
    role = os.environ.get("LMI_AWS_ROLE")
    if not role:
        pytest.skip("set LMI_AWS_ROLE to a SageMaker execution role ARN")
    spec = {
        "name": f"lmi-aws-test-{uuid.uuid4().hex[:6]}",
        "region": os.environ.get("LMI_AWS_REGION", "us-east-1"),
        "role": role,
        "model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"},
        "instance": {"type": "ml.g6e.xlarge", "count": 1},
        "scaling": {"min": 1, "max": 2},
        "update": {"builtin_5xx_alarm": True},
    }
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_plan_reads_only(real_spec: Path) -> None:
    planned = client.plan(real_spec)
    assert [a.type for a in planned.actions][-2:] == ["RegisterScalableTarget", "PutScalingPolicy"]


def test_deploy_noop_update_destroy(real_spec: Path) -> None:
    spec = client.load(real_spec)
    ctx = make_context(region=spec.region)
    try:
        assert client.apply(spec, context=ctx, create_bucket=True).status == "InService"
        assert client.plan(spec, context=ctx).is_empty
        bigger = spec.model_copy(update={"engine": spec.engine.model_copy(update={"max_model_len": 8192})})
        assert client.apply(bigger, context=ctx).status == "InService"
        assert client.plan(bigger, context=ctx).is_empty
    finally:
        client.destroy(spec.name, context=ctx)
    assert client.destroy_plan(spec.name, context=ctx).is_empty
