"""Golden request bodies of component endpoints, each validated by botocore's own service model.

Every body apply may send for a component endpoint (CreateModel per component, the capacity-only endpoint config,
CreateEndpoint, CreateInferenceComponent, UpdateInferenceComponent, UpdateInferenceComponentRuntimeConfig, the
copy-count target, its policies and the scale-out alarm) is pinned byte for byte and checked against the input
shape of its operation, so a field SageMaker, Application Auto Scaling or CloudWatch would reject fails here.

Regenerate after an intended change with ``LMI_UPDATE_GOLDEN=1 pytest tests/golden`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from deploy.engine.components.desired import ComponentEndpointDesired, build_component_desired
from deploy.engine.spine import Facts, component_models
from deploy.spec.components import ComponentEndpointSpec
from deploy.spec.loader import load_any_spec

HERE = Path(__file__).parent
CASES = sorted((HERE / "component_cases").glob("*.yaml"))
ACCOUNT = "123456789012"
STEP_ARN = "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:uuid:resource/sagemaker/ic:policyName/step"
SESSION = botocore.session.get_session()


def desired_for(case: Path) -> ComponentEndpointDesired:
    spec = load_any_spec(case)
    assert isinstance(spec, ComponentEndpointSpec) and spec.region is not None
    facts = {c.name: Facts(region=spec.region, account=ACCOUNT) for c in spec.components}
    return build_component_desired(spec, component_models(spec, facts), spec.region)


def bodies(desired: ComponentEndpointDesired) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """file name -> (service, operation, body) for every body apply may send."""
    out = {
        "create-endpoint-config.json": ("sagemaker", "CreateEndpointConfig", desired.config_request),
        "create-endpoint.json": ("sagemaker", "CreateEndpoint", desired.endpoint_request),
        "update-endpoint.json": ("sagemaker", "UpdateEndpoint", desired.update_request),
    }
    for c in desired.components:
        out[f"{c.name}.create-model.json"] = ("sagemaker", "CreateModel", c.model.model_request)
        out[f"{c.name}.create-inference-component.json"] = ("sagemaker", "CreateInferenceComponent", c.create_request)
        update = c.update_request(with_copies=not c.copies_owned_by_scaling)
        out[f"{c.name}.update-inference-component.json"] = ("sagemaker", "UpdateInferenceComponent", update)
        runtime = ("sagemaker", "UpdateInferenceComponentRuntimeConfig", c.runtime_request())
        out[f"{c.name}.update-runtime-config.json"] = runtime
        if c.scaling is None:
            continue
        out[f"{c.name}.register-scalable-target.json"] = (
            "application-autoscaling", "RegisterScalableTarget", c.scaling.target
        )  # fmt: skip
        for policy in c.scaling.policies:
            kind = str(policy["PolicyType"]).lower()
            out[f"{c.name}.put-scaling-policy.{kind}.json"] = ("application-autoscaling", "PutScalingPolicy", policy)
        if c.scaling.alarm is not None:
            alarm = {**c.scaling.alarm, "AlarmActions": [STEP_ARN]}  # apply adds the step policy's ARN
            out[f"{c.name}.put-metric-alarm.json"] = ("cloudwatch", "PutMetricAlarm", alarm)
    return out


def validate(service: str, operation: str, body: dict[str, Any]) -> None:
    shape = SESSION.get_service_model(service).operation_model(operation).input_shape
    report = ParamValidator().validate(body, shape)
    assert not report.has_errors(), f"{operation}: {report.generate_report()}"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_component_bodies_match_golden_and_botocore(case: Path, tmp_path: Path) -> None:
    produced = bodies(desired_for(case))
    for name, (service, operation, body) in produced.items():
        validate(service, operation, body)
        (tmp_path / name).write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
    expected_dir = HERE / "expected" / "components" / case.stem
    if os.environ.get("LMI_UPDATE_GOLDEN"):
        expected_dir.mkdir(parents=True, exist_ok=True)
        for path in tmp_path.iterdir():
            (expected_dir / path.name).write_text(path.read_text())
    assert sorted(produced) == sorted(p.name for p in expected_dir.iterdir())
    for name in produced:
        assert (tmp_path / name).read_text() == (expected_dir / name).read_text(), f"{case.stem}/{name} drifted"


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("CreateInferenceComponent", {"InferenceComponentName": "x", "Specification": {}}),
        ("UpdateInferenceComponentRuntimeConfig", {"InferenceComponentName": "x", "DesiredRuntimeConfig": {"N": 1}}),
        ("CreateEndpointConfig", {"EndpointConfigName": "c", "ProductionVariants": [{"VariantName": "v", "X": 1}]}),
    ],
)
def test_the_validator_rejects_what_aws_would(operation: str, body: dict[str, Any]) -> None:
    """The check above can fail: botocore's model refuses a missing member or an unknown key."""
    with pytest.raises(AssertionError):
        validate("sagemaker", operation, body)
