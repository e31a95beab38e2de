"""The deployer policy ``lmi iam-policy`` prints for a component spec allows every AWS call lmi-deploy really makes.

The calls are not listed by hand: a component endpoint is deployed on the embedded emulator (scaling with scale to
zero, a copy change, a model change), invoked per component, its status, logs and failure explanation read, then
destroyed, while every boto3 call is recorded (botocore's ``before-parameter-build`` event on the session). Each
call is mapped to its IAM action and resource ARN and checked against the printed policy with a small evaluator:
``Action``/``Resource`` wildcards, and the condition keys the policy uses on those calls (the scalable dimension and
the S3 prefix). A call the engine starts making without a matching statement fails this test.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

import pytest

try:
    from tests.functional.test_component_deploy import WAIT, needs_ic_autoscaling, write
    from tests.unit.component_plan_helpers import ACCOUNT, document, with_component
except ImportError:  # rootdir not on sys.path: the test directory is
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from component_plan_helpers import ACCOUNT, document, with_component  # type: ignore[no-redef]
    from test_component_deploy import WAIT, needs_ic_autoscaling, write  # type: ignore[no-redef]

from deploy import client
from deploy.engine.iam_components import component_policy_inputs, policies
from deploy.local.testing import lmi_emulator
from deploy.spec.loader import load_any_spec

__all__ = ["lmi_emulator"]
REGION = "us-east-1"
IAM_PREFIX = {"sagemaker-runtime": "sagemaker", "service-quotas": "servicequotas", "monitoring": "cloudwatch"}
S3_ACTIONS = {
    "ListObjectsV2": "ListBucket",
    "ListObjects": "ListBucket",
    "HeadBucket": "ListBucket",
    "HeadObject": "GetObject",
    "DeleteObjects": "DeleteObject",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
}


class Recorder:
    """Every API call of the session's clients: (service, operation, the caller's parameters)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def __call__(self, params: dict[str, Any], model: Any, **_kwargs: Any) -> None:
        self.calls.append((model.service_model.service_name, model.name, dict(params)))


def iam_action(service: str, operation: str) -> str:
    if service == "s3":
        return f"s3:{S3_ACTIONS.get(operation, operation)}"
    return f"{IAM_PREFIX.get(service, service)}:{operation}"


def resources(service: str, operation: str, params: dict[str, Any]) -> list[str]:
    """The ARNs IAM authorises the call on (``*`` for calls that take no resource)."""
    arn = f"arn:aws:{{}}:{REGION}:{ACCOUNT}:{{}}"
    if service in ("sagemaker", "sagemaker-runtime"):
        return _sagemaker_arns(arn, operation, params)
    if service == "cloudwatch":
        names = params.get("AlarmNames") or ([params["AlarmName"]] if "AlarmName" in params else [])
        return [arn.format("cloudwatch", f"alarm:{name}") for name in names] or ["*"]
    if service == "logs" and "logGroupName" in params:
        return [arn.format("logs", f"log-group:{params['logGroupName']}:*")]
    if service == "application-autoscaling" and not operation.startswith("Describe"):
        return [arn.format("application-autoscaling", "scalable-target/0123456789abcdef")]
    if service == "s3" and "Bucket" in params:
        keys = [o["Key"] for o in params.get("Delete", {}).get("Objects", [])] or [params.get("Key")]
        return [f"arn:aws:s3:::{params['Bucket']}" + (f"/{key}" if key else "") for key in keys]
    return ["*"]


def _sagemaker_arns(arn: str, operation: str, params: dict[str, Any]) -> list[str]:
    if "ResourceArn" in params:
        return [str(params["ResourceArn"])]
    if operation.startswith("List"):
        return ["*"]
    out = []
    if "InferenceComponentName" in params:
        out.append(arn.format("sagemaker", f"inference-component/{params['InferenceComponentName'].lower()}"))
    for key, kind in (("ModelName", "model"), ("EndpointConfigName", "endpoint-config"), ("EndpointName", "endpoint")):
        if key in params and (kind != "endpoint" or not out or operation != "DescribeInferenceComponent"):
            out.append(arn.format("sagemaker", f"{kind}/{str(params[key]).lower()}"))
    return out or ["*"]


def conditions_hold(condition: dict[str, Any], params: dict[str, Any]) -> bool:
    """The condition keys this policy puts on calls lmi-deploy makes; other keys are request-independent here."""
    for key, wanted in condition.get("StringEquals", {}).items():
        given = {
            "application-autoscaling:service-namespace": params.get("ServiceNamespace"),
            "application-autoscaling:scalable-dimension": params.get("ScalableDimension"),
        }.get(key, wanted)
        if given != wanted:
            return False
    prefixes = condition.get("StringLikeIfExists", {}).get("s3:prefix")
    if prefixes and "Prefix" in params:
        return any(fnmatch.fnmatchcase(str(params["Prefix"]).rstrip("/"), p) for p in prefixes)
    return True


def allowed(policy: dict[str, Any], action: str, resource: str, params: dict[str, Any]) -> bool:
    for item in policy["Statement"]:
        if not any(fnmatch.fnmatchcase(action, pattern) for pattern in item["Action"]):
            continue
        matched = any(fnmatch.fnmatchcase(resource, pattern) for pattern in item["Resource"])
        if matched and conditions_hold(item.get("Condition", {}), params):
            return True
    return False


def denied(policy: dict[str, Any], calls: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    out = []
    for service, operation, params in calls:
        action = iam_action(service, operation)
        out += [
            f"{action} on {r}" for r in resources(service, operation, params) if not allowed(policy, action, r, params)
        ]
    return sorted(set(out))


def test_the_printed_deployer_policy_allows_every_call_of_a_component_lifecycle(
    lmi_emulator: Any, tmp_path: Path
) -> None:
    ctx = lmi_emulator.context()
    recorder = Recorder()
    ctx.session.events.register("before-parameter-build", recorder)  # before any client is made
    needs_ic_autoscaling(ctx)
    data = document()
    spec = write(tmp_path, data)
    assert client.apply(spec, context=ctx, create_bucket=True, **WAIT).status == "InService"
    more_copies = write(tmp_path, with_component(data, 1, copies=2), "copies.yaml")
    client.apply(more_copies, context=ctx, create_bucket=True, **WAIT)
    other_model = with_component(data, 1, copies=2, engine={"max_model_len": 4096})
    client.apply(write(tmp_path, other_model, "model.yaml"), context=ctx, create_bucket=True, **WAIT)
    _operate(ctx)
    assert client.destroy(spec, context=ctx, **WAIT).status == "Deleted"

    operations = {operation for _, operation, _ in recorder.calls}
    expected = {"CreateInferenceComponent", "UpdateInferenceComponentRuntimeConfig", "UpdateInferenceComponent",
                "DeleteInferenceComponent", "RegisterScalableTarget", "PutScalingPolicy", "PutMetricAlarm",
                "DeleteAlarms", "InvokeEndpoint", "ListInferenceComponents"}  # fmt: skip
    assert expected <= operations, expected - operations  # the lifecycle really exercised the component calls
    loaded = load_any_spec(spec)
    policy = policies(component_policy_inputs(loaded, account=ACCOUNT), "deployer")["deployer"]
    assert denied(policy, recorder.calls) == []


def test_the_printed_deployer_policy_allows_every_call_of_an_adapter_lifecycle(
    lmi_emulator: Any, tmp_path: Path
) -> None:
    """Adapters (LMI 16): created on their base, one removed, then destroyed; every call allowed."""
    ctx = lmi_emulator.context()
    recorder = Recorder()
    ctx.session.events.register("before-parameter-build", recorder)
    adapters = [
        {"name": "sql", "source": "s3://lora-bucket/sql/"},
        {"name": "chat", "source": "s3://lora-bucket/chat/"},
    ]
    data = with_component({**with_component(document(), 0, scaling=None), "lmi": {"version": 16}}, 0, adapters=adapters)
    spec = write(tmp_path, data)
    assert client.apply(spec, context=ctx, create_bucket=True, **WAIT).status == "InService"
    fewer = write(tmp_path, with_component(data, 0, adapters=adapters[:1]), "fewer.yaml")
    client.apply(fewer, context=ctx, create_bucket=True, **WAIT)
    assert client.destroy(fewer, context=ctx, **WAIT).status == "Deleted"
    created = [p["InferenceComponentName"] for _, op, p in recorder.calls if op == "CreateInferenceComponent"]
    assert "team-llms-qwen-sql" in created
    policy = policies(component_policy_inputs(load_any_spec(spec), account=ACCOUNT), "deployer")["deployer"]
    assert denied(policy, recorder.calls) == []


def _operate(ctx: Any) -> None:
    """What the operations commands do against a component endpoint: invoke each component, status, logs."""
    ops = client.Client.from_context(ctx)
    for component in ("qwen", "small"):
        assert ops.endpoint("team-llms", component=component).generate("hi", max_new_tokens=4).text
    ops.status("team-llms")
    ops.logs("team-llms", lines=5, component="small")
    ops.explain("team-llms", component="qwen")


def test_the_evaluator_refuses_what_the_policy_does_not_grant() -> None:
    """The checker above can fail: calls on another endpoint's resources, or the variant dimension, are denied."""
    from deploy.spec.loader import parse_any_spec

    policy = policies(component_policy_inputs(parse_any_spec(document()), account=ACCOUNT))["deployer"]
    foreign = [
        ("sagemaker", "DeleteInferenceComponent", {"InferenceComponentName": "other-qwen"}),
        ("sagemaker", "CreateInferenceComponent", {"InferenceComponentName": "team-llms-x", "EndpointName": "other"}),
        ("sagemaker-runtime", "InvokeEndpoint", {"EndpointName": "other", "InferenceComponentName": "other-a"}),
        ("cloudwatch", "PutMetricAlarm", {"AlarmName": "other-qwen-lmi-no-capacity"}),
        ("logs", "FilterLogEvents", {"logGroupName": "/aws/sagemaker/InferenceComponents/other-qwen"}),
        ("application-autoscaling", "RegisterScalableTarget",
         {"ServiceNamespace": "sagemaker", "ScalableDimension": "sagemaker:variant:DesiredInstanceCount"}),
        ("s3", "PutObject", {"Bucket": f"sagemaker-{REGION}-{ACCOUNT}", "Key": "lmi-deploy/other/serving.properties"}),
        ("iam", "CreateRole", {}),
    ]  # fmt: skip
    assert [call[1] for call in foreign if not denied(policy, [call])] == []


@pytest.mark.parametrize(
    ("service", "operation", "action"),
    [("s3", "ListObjectsV2", "s3:ListBucket"), ("s3", "DeleteObjects", "s3:DeleteObject"),
     ("sagemaker-runtime", "InvokeEndpoint", "sagemaker:InvokeEndpoint"),
     ("service-quotas", "GetServiceQuota", "servicequotas:GetServiceQuota")],
)  # fmt: skip
def test_boto3_operations_map_to_their_iam_actions(service: str, operation: str, action: str) -> None:
    assert iam_action(service, operation) == action
