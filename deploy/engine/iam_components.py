"""Least-privilege IAM policies for a component-endpoint spec (inference components, ICs). Pure.

Why a module of its own: the single-model builders in :mod:`deploy.engine.iam` stay as they are; a component
endpoint needs the same models, endpoint configs, endpoint, pass-role, S3, KMS and VPC statements (reused from
there) plus what only components have. :func:`component_policy_inputs` reads the spec into the same
:class:`~deploy.engine.iam.PolicyInputs` (``components=True``).

What AWS's service authorization reference says, and how it is used here:

- IC ARNs are ``arn:<partition>:sagemaker:<region>:<account>:inference-component/<name>`` (lower-cased, as every
  SageMaker ARN); lmi-deploy names them ``<endpoint>-<component>`` and ``<endpoint>-<component>-<adapter>``, so
  they are granted as ``inference-component/<endpoint>-*``.
- ``CreateInferenceComponent`` requires both the ``endpoint`` and the ``inference-component`` resource (and
  ``AddTags`` as a dependent action); Update, UpdateRuntimeConfig, Delete and Describe require the IC only.
- ``ListInferenceComponents`` and ``cloudwatch:DescribeAlarmsForMetric`` (used by ``lmi invoke`` to explain a
  component with no copy) take no resource: ``"*"``.
- ``InvokeEndpoint`` / ``InvokeEndpointWithResponseStream`` require the ``endpoint`` and optionally take the
  ``inference-component``: both are granted, so a call naming an IC is allowed whichever ARN IAM checks.
- Application Auto Scaling writes are limited by ``application-autoscaling:scalable-dimension`` =
  ``sagemaker:inference-component:DesiredCopyCount``; target tracking creates alarms named
  ``TargetTracking-inference-component/<ic>-...`` as the caller; scale to zero adds ``<ic>-lmi-no-capacity``.
- An IC's containers log to ``/aws/sagemaker/InferenceComponents/<ic>`` (log group names keep their case).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from deploy.engine.iam import (
    AUTOSCALING_PRINCIPAL,
    Policy,
    PolicyInputs,
    S3Location,
    Statement,
    _acts,
    _deployer_s3_statements,
    _kms,
    _observe_statements,
    _pass_role,
    _sagemaker_statements,
    document,
    endpoint_identity,
    execution_policy,
    execution_trust_policy,
    statement,
)
from deploy.engine.iam import policies as single_model_policies
from deploy.engine.naming import ARTIFACT_ROOT, default_bucket

COMPONENT_LOG_GROUP = "/aws/sagemaker/InferenceComponents"
COPY_DIMENSION = "sagemaker:inference-component:DesiredCopyCount"  # as deploy/engine/components/scaling.py
NO_CAPACITY_SUFFIX = "-lmi-no-capacity"  # deploy.engine.components.scaling.no_capacity_alarm_name


def ic_arn(inputs: PolicyInputs) -> str:
    """Every IC of this endpoint: ``inference-component/<endpoint>-*`` (components, adapters, removed ones)."""
    return inputs.arn("sagemaker", f"inference-component/{inputs.sagemaker_name}-*")


def component_log_group_arns(inputs: PolicyInputs) -> list[str]:
    group = f"log-group:{COMPONENT_LOG_GROUP}/{inputs.endpoint_name}-*"
    return [inputs.arn("logs", group), inputs.arn("logs", f"{group}:*")]


def component_alarm_arns(inputs: PolicyInputs) -> list[str]:
    """Target tracking's ``TargetTracking-inference-component/<ic>-...`` alarms and lmi-deploy's scale-out ones."""
    return [
        inputs.arn("cloudwatch", f"alarm:TargetTracking-inference-component/{inputs.endpoint_name}-*"),
        inputs.arn("cloudwatch", f"alarm:{inputs.endpoint_name}-*{NO_CAPACITY_SUFFIX}"),
    ]


def component_deployer_policy(inputs: PolicyInputs) -> Policy:
    """What ``lmi plan/deploy/destroy/status/logs/invoke --component`` need for this component endpoint.

    The IC ARNs join the single-model statements that grant the same actions (tags, invoke, log reads, unscoped
    reads) instead of repeating them, so the document stays under IAM's 6,144-character managed-policy limit."""
    ic = ic_arn(inputs)
    statements = [*_sagemaker_statements(inputs), _pass_role(inputs), *_observe_statements(inputs)]
    _extend(statements, "TagResources", resources=[ic])
    _extend(statements, "InvokeEndpoint", resources=[ic])
    _extend(statements, "ReadEndpointLogs", resources=component_log_group_arns(inputs))
    unscoped = ["sagemaker:ListInferenceComponents", "cloudwatch:DescribeAlarmsForMetric"]
    _extend(statements, "ReadWithoutResourceScope", actions=unscoped)
    statements += _ic_statements(inputs) + _copy_scaling_statements(inputs) + _deployer_s3_statements(inputs)
    if inputs.kms_key_id:
        grant = {"Bool": {"kms:GrantIsForAWSResource": "true"}}
        statements.append(_kms(inputs, "GrantKmsKeyToSageMaker", ["kms:CreateGrant"], grant))
        statements.append(_kms(inputs, "DescribeKmsKey", ["kms:DescribeKey"]))
    return document(statements)


def _extend(
    statements: list[Statement], sid: str, *, actions: Sequence[str] = (), resources: Sequence[str] = ()
) -> None:
    """Add actions or resources to the statement ``sid`` (it must exist: a renamed Sid fails loudly)."""
    item = next(s for s in statements if s["Sid"] == sid)
    item["Action"] = sorted({*item["Action"], *actions})
    item["Resource"] = [*item["Resource"], *(r for r in resources if r not in item["Resource"])]


def _ic_statements(inputs: PolicyInputs) -> list[Statement]:
    """Create names the endpoint too (AWS requires both resources); the rest act on the IC alone. The plan reads
    each IC's scale-out alarm, with or without scaling in the spec, to find stale ones."""
    ic, endpoint = ic_arn(inputs), inputs.arn("sagemaker", f"endpoint/{inputs.sagemaker_name}")
    manage = "UpdateInferenceComponent UpdateInferenceComponentRuntimeConfig DeleteInferenceComponent "
    return [
        statement("CreateInferenceComponents", ["sagemaker:CreateInferenceComponent"], [ic, endpoint]),
        statement("ManageInferenceComponents", _acts("sagemaker", manage + "DescribeInferenceComponent"), [ic]),
        statement("ReadComponentAlarms", ["cloudwatch:DescribeAlarms"], component_alarm_arns(inputs)),
    ]


def _copy_scaling_statements(inputs: PolicyInputs) -> list[Statement]:
    """Copy-count autoscaling, its service-linked role and the alarms (only when a component scales)."""
    if not inputs.component_scaling:
        return []
    actions = "RegisterScalableTarget DeregisterScalableTarget PutScalingPolicy DeleteScalingPolicy"
    slr = (
        f"arn:{inputs.partition}:iam::{inputs.account}:role/aws-service-role/{AUTOSCALING_PRINCIPAL}/"
        "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
    )
    condition = {
        "StringEquals": {
            "application-autoscaling:service-namespace": "sagemaker",
            "application-autoscaling:scalable-dimension": COPY_DIMENSION,
        }
    }
    alarms = component_alarm_arns(inputs)
    return [
        statement(
            "ScaleComponentCopies",
            _acts("application-autoscaling", actions),
            [inputs.arn("application-autoscaling", "scalable-target/*")],
            condition,
        ),
        statement(
            "CreateAutoscalingServiceLinkedRole",
            ["iam:CreateServiceLinkedRole"],
            [slr],
            {"StringLike": {"iam:AWSServiceName": AUTOSCALING_PRINCIPAL}},
        ),
        statement("ManageComponentAlarms", _acts("cloudwatch", "PutMetricAlarm DeleteAlarms DescribeAlarms"), alarms),
    ]


def component_execution_policy(inputs: PolicyInputs) -> Policy:
    """The endpoint's execution role: the single-model document (image, uploads, KMS, VPC) with the ICs' log
    groups added to its log writes, plus every component's and adapter's weights."""
    statements = list(execution_policy(inputs)["Statement"])
    for item in statements:
        if item["Sid"] == "WriteContainerLogs":
            item["Resource"] = [*item["Resource"], *component_log_group_arns(inputs)]
    return document(statements + _weights(inputs))


def _weights(inputs: PolicyInputs) -> list[Statement]:
    """Every component's and adapter's s3:// prefix: listing per bucket (limited to the prefixes), reading."""
    if not inputs.model_sources:
        return []
    p = inputs.partition
    buckets: dict[str, list[str]] = {}
    for location in inputs.model_sources:
        prefixes = buckets.setdefault(location.bucket, [])
        prefixes += [location.prefix, f"{location.prefix}/*"] if location.prefix else []
    statements = []
    for number, (bucket, prefixes) in enumerate(sorted(buckets.items())):
        whole = any(not s.prefix for s in inputs.model_sources if s.bucket == bucket)
        condition = None if whole else {"StringLikeIfExists": {"s3:prefix": sorted(set(prefixes))}}
        arn = S3Location(bucket).bucket_arn(p)
        statements.append(statement(f"ListModelWeights{number}", ["s3:ListBucket"], [arn], condition))
    objects = sorted({location.objects_arn(p) for location in inputs.model_sources})
    statements.append(statement("ReadModelWeights", ["s3:GetObject"], objects))
    return statements


def component_policy_inputs(spec: Any, *, account: str | None = None, region: str | None = None) -> PolicyInputs:
    """Read a ``ComponentEndpointSpec`` into :class:`PolicyInputs`; ``account``: the role ARN's or ``*``."""
    identity = endpoint_identity(spec, account=account, region=region)
    region, account = identity["region"], identity["account"]
    uploads = spec.delivery == "properties" or any(c.model.kind == "local" for c in spec.components)
    return PolicyInputs(
        **identity,
        artifacts=_artifacts(spec, region, account) if uploads else None,
        create_default_bucket=uploads and not spec.artifacts.bucket,
        kms_key_id=spec.security.kms_key_id,
        vpc=bool(spec.security.vpc.subnets),
        components=True,
        component_scaling=any(c.scaling is not None for c in spec.components),
        model_sources=_model_sources(spec),
    )


def _artifacts(spec: Any, region: str, account: str) -> S3Location:
    """The endpoint's upload root; each component uploads under ``<root>/<component>/``."""
    bucket = spec.artifacts.bucket or default_bucket(region, account)
    return S3Location(bucket, (spec.artifacts.prefix or f"{ARTIFACT_ROOT}/{spec.name}").strip("/"))


def _model_sources(spec: Any) -> tuple[S3Location, ...]:
    uris = [c.model.id for c in spec.components if c.model.kind == "s3"]
    uris += [a.source for c in spec.components for a in c.adapters]
    return tuple(dict.fromkeys(S3Location.parse(uri) for uri in uris))


def policies(inputs: PolicyInputs, role: str = "both") -> dict[str, Any]:
    """The documents ``lmi iam-policy`` prints, for either kind of spec (keys as :func:`deploy.engine.iam.policies`)."""
    if not inputs.components:
        return single_model_policies(inputs, role)
    out: dict[str, Any] = {}
    if role in ("deployer", "both"):
        out["deployer"] = component_deployer_policy(inputs)
    if role in ("execution", "both"):
        out["execution"] = component_execution_policy(inputs)
        out["execution_trust"] = execution_trust_policy()
    return out


def any_policy_inputs(spec: Any, *, account: str | None = None) -> PolicyInputs:
    """:func:`component_policy_inputs` for a component spec, else the single-model reader."""
    from deploy.engine.iam import policy_inputs
    from deploy.spec.components import ComponentEndpointSpec

    if isinstance(spec, ComponentEndpointSpec):
        return component_policy_inputs(spec, account=account)
    return policy_inputs(spec, account=account)
