"""What apply sends is exactly the desired state the golden tests pin: spy on the AWS gateways during a deploy and
an update on the emulator, and compare every body."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from deploy.aws.autoscaling import AutoScalingGateway
from deploy.aws.cloudwatch import CloudWatchGateway
from deploy.aws.sagemaker import SageMakerGateway
from deploy.local.emulator import Emulator
from deploy.local.testing import lmi_emulator
from deploy.spec.loader import parse_spec

__all__ = ["lmi_emulator"]
REPO = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"
SPIED = {
    SageMakerGateway: ("create_model", "create_endpoint_config", "create_endpoint", "update_endpoint"),
    AutoScalingGateway: ("register_target", "put_policy"),
    CloudWatchGateway: ("put_alarm",),
}


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[dict[str, Any]]]:
    calls: dict[str, list[dict[str, Any]]] = {}
    for cls, methods in SPIED.items():
        for method in methods:
            original = getattr(cls, method)

            def spy(self: Any, request: dict[str, Any], _name: str = method, _original: Any = original) -> Any:
                calls.setdefault(_name, []).append(request)
                return _original(self, request)

            monkeypatch.setattr(cls, method, spy)
    return calls


def _spec(instance: str, **extra: Any) -> Any:
    config = REPO / "deploy/sizing/library/Qwen--Qwen2.5-0.5B-Instruct.json"
    return parse_spec(
        {
            "name": "sent-bodies",
            "region": "us-east-1",
            "role": ROLE,
            "model": {"id": "Qwen/Qwen2.5-0.5B-Instruct", "config": str(config)},
            "instance": {"type": instance},
            "scaling": {"min": 1, "max": 2},
            "update": {"builtin_5xx_alarm": True},
            **extra,
        }
    )


def test_apply_sends_the_desired_bodies_unchanged(lmi_emulator: Emulator, sent: dict[str, list[Any]]) -> None:
    client = lmi_emulator.client()
    first = client.plan(_spec("ml.g5.xlarge"))
    client.apply(first, create_bucket=True)
    desired = first.desired
    assert desired.scaling is not None and desired.alarm_request is not None
    assert sent["create_model"] == [desired.model_request]
    assert sent["create_endpoint_config"] == [desired.config_request]
    assert sent["create_endpoint"] == [desired.endpoint_request]
    assert sent["register_target"] == [desired.scaling.target]
    assert sent["put_policy"] == [desired.scaling.policy]
    assert sent["put_alarm"] == [desired.alarm_request]

    update = client.plan(_spec("ml.g6.xlarge"))
    client.apply(update)
    assert sent["update_endpoint"] == [update.desired.update_request]
    assert "DeploymentConfig" in update.desired.update_request
    assert sent["create_endpoint_config"][-1] == update.desired.config_request
    assert len(sent["create_model"]) == 1  # same container content: the model keeps its name and is reused
    assert update.desired.model_name == desired.model_name
