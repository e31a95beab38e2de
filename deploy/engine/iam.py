"""Least-privilege IAM policies for one spec: the deploying identity and the SageMaker execution role.

Rule: pure. :func:`policy_inputs` reads the spec (and the catalog for the partition and the image account)
into a flat :class:`PolicyInputs`; the policy builders are functions of those inputs only, so they are
golden-tested without AWS. Every ARN is built with the partition of the spec's region (``aws``, ``aws-cn``,
``aws-us-gov``...).

Scoping: SageMaker ARNs use the lower-cased resource name, so models and endpoint configs are granted as
``model/<endpoint>-*`` and ``endpoint-config/<endpoint>-*`` (lmi-deploy names them ``<endpoint>-<hash>``).
Actions AWS does not scope by resource (List*, Describe* of autoscaling, GetAuthorizationToken,
sts:GetCallerIdentity, metric reads, EC2 network-interface calls) get ``"*"`` in a statement of their own,
so a reviewer sees them at once. Application Auto Scaling ARNs carry a random id, not
``endpoint/<name>/variant/*``, so its write actions are limited by the service namespace and scalable
dimension condition keys instead.
"""

from __future__ import annotations

import re
from typing import Any, TypedDict

from deploy.engine.naming import ARTIFACT_ROOT, alarm_name, default_bucket, resource_prefix
from deploy.errors import SpecError
from deploy.records import record

SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"
AUTOSCALING_PRINCIPAL = "sagemaker.application-autoscaling.amazonaws.com"
IMAGE_REPOSITORY = "djl-inference"
POLICY_VERSION = "2012-10-17"
_ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.[^/]+/([^:@]+)")
_ROLE_ARN = re.compile(r"arn:([a-z-]+):iam::(\d{12}):role/(.+)")  # fullmatch: `$` accepts a trailing newline

Statement = dict[str, Any]
Policy = dict[str, Any]


@record
class S3Location:
    """A bucket and a key prefix (no leading or trailing slash; empty for the whole bucket)."""

    bucket: str
    prefix: str = ""

    @classmethod
    def parse(cls, uri: str) -> S3Location:
        if not uri.startswith("s3://"):
            raise SpecError(f"not an S3 URI: {uri!r}", value=uri, fix="use s3://bucket/prefix")
        bucket, _, prefix = uri[5:].partition("/")
        return cls(bucket, prefix.strip("/"))

    def objects_arn(self, partition: str) -> str:
        return f"arn:{partition}:s3:::{self.bucket}/{self.prefix + '/' if self.prefix else ''}*"

    def bucket_arn(self, partition: str) -> str:
        return f"arn:{partition}:s3:::{self.bucket}"

    def list_condition(self) -> dict[str, Any] | None:
        """Listing limited to the prefix; ``IfExists`` lets HeadBucket (no prefix, needs ListBucket) pass."""
        if not self.prefix:
            return None
        return {"StringLikeIfExists": {"s3:prefix": [self.prefix, f"{self.prefix}/*"]}}


@record
class PolicyInputs:
    """Everything the policies depend on, already resolved from the spec (``account`` may be ``*``)."""

    endpoint_name: str
    region: str
    partition: str
    account: str
    role_arn: str
    image_account: str
    image_repository: str = IMAGE_REPOSITORY
    artifacts: S3Location | None = None
    create_default_bucket: bool = False
    model_source: S3Location | None = None
    kms_key_id: str | None = None
    vpc: bool = False
    async_outputs: tuple[S3Location, ...] = ()
    async_input: S3Location | None = None
    scaling: bool = False
    builtin_alarm: bool = False
    rollback_alarms: tuple[str, ...] = ()
    components: bool = False  # a component endpoint: deploy/engine/iam_components.py builds its documents
    component_scaling: bool = False
    model_sources: tuple[S3Location, ...] = ()  # every component's (and adapter's) s3:// weights

    def arn(self, service: str, resource: str, *, account: str | None = None) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{account or self.account}:{resource}"

    @property
    def sagemaker_name(self) -> str:
        """SageMaker lower-cases names in ARNs."""
        return self.endpoint_name.lower()

    @property
    def resource_pattern(self) -> str:
        """``<endpoint>-*`` as lmi-deploy names models and configs (a long endpoint name is truncated)."""
        return resource_prefix(self.endpoint_name).lower() + "*"

    @property
    def log_group_arns(self) -> list[str]:
        group = f"log-group:/aws/sagemaker/Endpoints/{self.endpoint_name}"
        return [self.arn("logs", group), self.arn("logs", f"{group}:*")]

    @property
    def kms_alias(self) -> str | None:
        """``alias/<name>`` when the spec names its key by alias (grants authorise on keys, not aliases)."""
        key = self.kms_key_id or ""
        return key[key.index("alias/") :] if key.startswith("alias/") or ":alias/" in key else None

    @property
    def kms_key_arn(self) -> str | None:
        key = self.kms_key_id
        if key is None or self.kms_alias:
            return None if key is None else self.arn("kms", "key/*")
        return key if key.startswith("arn:") else self.arn("kms", f"key/{key}")


def statement(sid: str, actions: list[str], resources: list[str], condition: dict[str, Any] | None = None) -> Statement:
    """One Allow statement; actions sorted so the output is stable and diff-friendly."""
    out: Statement = {"Sid": sid, "Effect": "Allow", "Action": sorted(set(actions)), "Resource": resources}
    if condition:
        out["Condition"] = condition
    return out


def document(statements: list[Statement]) -> Policy:
    return {"Version": POLICY_VERSION, "Statement": statements}


def execution_trust_policy() -> Policy:
    """The trust policy that lets SageMaker assume the execution role."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [{"Effect": "Allow", "Principal": {"Service": SAGEMAKER_PRINCIPAL}, "Action": "sts:AssumeRole"}],
    }


def role_arn_for(role: str, partition: str, account: str) -> str:
    """The role's ARN: the spec's value when it is an ARN, else built from the name."""
    if role.startswith("arn:"):
        return role
    return f"arn:{partition}:iam::{account}:role/{role}"


def account_from_role(role: str) -> str | None:
    match = _ROLE_ARN.fullmatch(role)
    return match.group(2) if match else None


def image_account_from_uri(image: str) -> tuple[str, str] | None:
    """``(account, repository)`` of an ECR image URI, or None when the image is not in ECR."""
    match = _ECR_IMAGE.match(image)
    return (match.group(1), match.group(3)) if match else None


def deployer_policy(inputs: PolicyInputs) -> Policy:
    """What the identity running ``lmi deploy/plan/destroy/logs/invoke`` needs for this spec."""
    statements = [*_sagemaker_statements(inputs), _pass_role(inputs), *_observe_statements(inputs)]
    statements += _autoscaling_statements(inputs) + _alarm_statements(inputs)
    statements += _deployer_s3_statements(inputs)
    if inputs.kms_key_id:
        grant = {"Bool": {"kms:GrantIsForAWSResource": "true"}}
        statements.append(_kms(inputs, "GrantKmsKeyToSageMaker", ["kms:CreateGrant"], grant))
        statements.append(_kms(inputs, "DescribeKmsKey", ["kms:DescribeKey"]))
    return document(statements)


def _kms(inputs: PolicyInputs, sid: str, actions: list[str], condition: dict[str, Any] | None = None) -> Statement:
    """A statement on the spec's KMS key; a key named by alias is matched with ``kms:ResourceAliases``."""
    condition = dict(condition or {})
    if inputs.kms_alias:
        condition["ForAnyValue:StringEquals"] = {"kms:ResourceAliases": [inputs.kms_alias]}
    return statement(sid, actions, [inputs.kms_key_arn or "*"], condition or None)


def _sagemaker_statements(inputs: PolicyInputs) -> list[Statement]:
    name = inputs.sagemaker_name
    model = inputs.arn("sagemaker", f"model/{inputs.resource_pattern}")
    config = inputs.arn("sagemaker", f"endpoint-config/{inputs.resource_pattern}")
    endpoint = inputs.arn("sagemaker", f"endpoint/{name}")
    invoke = ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"]
    if inputs.async_outputs:
        invoke.append("sagemaker:InvokeEndpointAsync")
    endpoint_actions = (
        "CreateEndpoint UpdateEndpoint DeleteEndpoint DescribeEndpoint UpdateEndpointWeightsAndCapacities"
    )
    return [
        statement("ManageModels", _acts("sagemaker", "CreateModel DescribeModel DeleteModel"), [model]),
        statement(
            "ManageEndpointConfigs",
            _acts("sagemaker", "CreateEndpointConfig DescribeEndpointConfig DeleteEndpointConfig"),
            [config],
        ),
        statement("ManageEndpoint", _acts("sagemaker", endpoint_actions), [endpoint, config]),
        statement("TagResources", _acts("sagemaker", "AddTags DeleteTags ListTags"), [model, config, endpoint]),
        statement("InvokeEndpoint", invoke, [endpoint]),
        statement(
            "ListResourcesNotScopable", _acts("sagemaker", "ListEndpoints ListEndpointConfigs ListModels"), ["*"]
        ),
    ]


def _acts(service: str, names: str) -> list[str]:
    """``_acts("s3", "GetObject PutObject")`` -> ``["s3:GetObject", "s3:PutObject"]``."""
    return [f"{service}:{name}" for name in names.split()]


def _pass_role(inputs: PolicyInputs) -> Statement:
    return statement(
        "PassExecutionRoleToSageMaker",
        ["iam:PassRole"],
        [inputs.role_arn],
        {"StringEquals": {"iam:PassedToService": SAGEMAKER_PRINCIPAL}},
    )


def _observe_statements(inputs: PolicyInputs) -> list[Statement]:
    return [
        statement(
            "ReadEndpointLogs", _acts("logs", "DescribeLogStreams FilterLogEvents GetLogEvents"), inputs.log_group_arns
        ),
        statement(
            "ReadWithoutResourceScope",
            _acts("sts", "GetCallerIdentity")
            + _acts("cloudwatch", "GetMetricData GetMetricStatistics ListMetrics")
            # pre-flight (deploy/engine/preflight.py): the endpoint quota, the instances every endpoint holds, prices
            + _acts("servicequotas", "GetServiceQuota GetAWSDefaultServiceQuota ListServiceQuotas")
            + _acts("servicequotas", "ListAWSDefaultServiceQuotas")
            + _acts("sagemaker", "DescribeEndpoint DescribeEndpointConfig")
            + _acts("pricing", "GetProducts")
            + _acts(
                "application-autoscaling", "DescribeScalableTargets DescribeScalingPolicies DescribeScalingActivities"
            ),
            ["*"],
        ),
    ]


def _autoscaling_statements(inputs: PolicyInputs) -> list[Statement]:
    if not inputs.scaling:
        return []
    actions = "RegisterScalableTarget DeregisterScalableTarget PutScalingPolicy DeleteScalingPolicy"
    slr = (
        f"arn:{inputs.partition}:iam::{inputs.account}:role/aws-service-role/{AUTOSCALING_PRINCIPAL}/"
        "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
    )
    return [
        statement(
            "ScaleSageMakerVariants",
            _acts("application-autoscaling", actions),
            [inputs.arn("application-autoscaling", "scalable-target/*")],
            {
                "StringEquals": {
                    "application-autoscaling:service-namespace": "sagemaker",
                    "application-autoscaling:scalable-dimension": "sagemaker:variant:DesiredInstanceCount",
                }
            },
        ),
        statement(
            "CreateAutoscalingServiceLinkedRole",
            ["iam:CreateServiceLinkedRole"],
            [slr],
            {"StringLike": {"iam:AWSServiceName": AUTOSCALING_PRINCIPAL}},
        ),
    ]


def _alarm_statements(inputs: PolicyInputs) -> list[Statement]:
    """Target tracking makes ``TargetTracking-endpoint/<name>/...`` alarms as the caller; plus our own."""
    statements: list[Statement] = []
    manage: list[str] = []
    if inputs.scaling:
        manage.append(inputs.arn("cloudwatch", f"alarm:TargetTracking-endpoint/{inputs.endpoint_name}/*"))
    if inputs.builtin_alarm:
        manage.append(inputs.arn("cloudwatch", f"alarm:{alarm_name(inputs.endpoint_name)}"))
    if manage:
        actions = _acts("cloudwatch", "PutMetricAlarm DeleteAlarms DescribeAlarms")
        statements.append(statement("ManageEndpointAlarms", actions, manage))
    if inputs.rollback_alarms:
        alarms = [inputs.arn("cloudwatch", f"alarm:{name}") for name in inputs.rollback_alarms]
        statements.append(statement("ReadRollbackAlarms", ["cloudwatch:DescribeAlarms"], alarms))
    return statements


def _deployer_s3_statements(inputs: PolicyInputs) -> list[Statement]:
    p = inputs.partition
    statements: list[Statement] = []
    if inputs.artifacts:
        art = inputs.artifacts
        statements.append(
            statement("ListArtifactsPrefix", ["s3:ListBucket"], [art.bucket_arn(p)], art.list_condition())
        )
        statements.append(statement("LocateArtifactsBucket", ["s3:GetBucketLocation"], [art.bucket_arn(p)]))
        writes = _acts("s3", "GetObject PutObject DeleteObject AbortMultipartUpload")
        statements.append(statement("WriteArtifacts", writes, [art.objects_arn(p)]))
        if inputs.create_default_bucket:
            statements.append(statement("CreateDefaultBucket", ["s3:CreateBucket"], [art.bucket_arn(p)]))
    if inputs.async_outputs:
        outputs = [location.objects_arn(p) for location in inputs.async_outputs]
        statements.append(statement("ReadAsyncResults", ["s3:GetObject", "s3:DeleteObject"], outputs))
    if inputs.async_input:
        statements.append(statement("UploadAsyncRequests", ["s3:PutObject"], [inputs.async_input.objects_arn(p)]))
    return statements


def execution_policy(inputs: PolicyInputs) -> Policy:
    """What the container (SageMaker, on the endpoint's behalf) needs: image, logs, weights, outputs."""
    repository = inputs.arn("ecr", f"repository/{inputs.image_repository}", account=inputs.image_account)
    statements = [
        statement("PullImageAuthorization", ["ecr:GetAuthorizationToken"], ["*"]),
        statement(
            "PullLmiImage",
            _acts("ecr", "BatchCheckLayerAvailability BatchGetImage GetDownloadUrlForLayer"),
            [repository],
        ),
        statement(
            "WriteContainerLogs",
            _acts("logs", "CreateLogGroup CreateLogStream DescribeLogStreams PutLogEvents"),
            inputs.log_group_arns,
        ),
        statement(
            "PublishContainerMetrics",
            ["cloudwatch:PutMetricData"],
            ["*"],
            {"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}},
        ),
    ]
    statements += _execution_s3_statements(inputs) + _execution_kms_vpc_statements(inputs)
    return document(statements)


def _execution_s3_statements(inputs: PolicyInputs) -> list[Statement]:
    p = inputs.partition
    statements: list[Statement] = []
    for sid, location in (("ModelArtifacts", inputs.artifacts), ("ModelWeights", inputs.model_source)):
        if location is None:
            continue
        statements.append(
            statement(f"List{sid}", ["s3:ListBucket"], [location.bucket_arn(p)], location.list_condition())
        )
        statements.append(statement(f"Read{sid}", ["s3:GetObject"], [location.objects_arn(p)]))
    if inputs.async_outputs:
        outputs = [location.objects_arn(p) for location in inputs.async_outputs]
        statements.append(statement("WriteAsyncResults", ["s3:PutObject", "s3:AbortMultipartUpload"], outputs))
    if inputs.async_input:
        statements.append(statement("ReadAsyncRequests", ["s3:GetObject"], [inputs.async_input.objects_arn(p)]))
    return statements


def _execution_kms_vpc_statements(inputs: PolicyInputs) -> list[Statement]:
    statements: list[Statement] = []
    if inputs.kms_key_id:
        statements.append(_kms(inputs, "UseKmsKey", _acts("kms", "Decrypt DescribeKey GenerateDataKey")))
    if inputs.vpc:
        ec2 = "CreateNetworkInterface CreateNetworkInterfacePermission DeleteNetworkInterface "
        ec2 += "DeleteNetworkInterfacePermission DescribeNetworkInterfaces DescribeVpcs DescribeDhcpOptions "
        statements.append(statement("AttachToVpc", _acts("ec2", ec2 + "DescribeSubnets DescribeSecurityGroups"), ["*"]))
    return statements


class EndpointIdentity(TypedDict):
    """The :class:`PolicyInputs` fields every kind of spec fills alike."""

    endpoint_name: str
    region: str
    partition: str
    account: str
    role_arn: str
    image_account: str
    image_repository: str


def endpoint_identity(spec: Any, *, account: str | None, region: str | None) -> EndpointIdentity:
    """The :class:`PolicyInputs` fields every kind of spec fills alike: endpoint, region, partition, account, role
    and the image's registry account and repository."""
    from deploy.catalog import region_info

    region = region or spec.region
    if not region:
        raise SpecError("the spec has no region", field="region", value=None, fix="set region: in the spec")
    info = region_info(region)
    account = account or account_from_role(spec.role or "") or "*"
    image_account, repository = info.account, IMAGE_REPOSITORY
    if spec.lmi.image:
        image_account, repository = image_account_from_uri(spec.lmi.image) or (image_account, repository)
    return EndpointIdentity(
        endpoint_name=spec.name,
        region=region,
        partition=info.partition,
        account=account,
        role_arn=role_arn_for(spec.role, info.partition, account),
        image_account=image_account,
        image_repository=repository,
    )


def policy_inputs(spec: Any, *, account: str | None = None, region: str | None = None) -> PolicyInputs:
    """Read a ``DeploymentSpec`` into :class:`PolicyInputs`; ``account``: the role ARN's or ``*``."""
    identity = endpoint_identity(spec, account=account, region=region)
    region, account = identity["region"], identity["account"]
    security, scaling, update = spec.security, spec.scaling, spec.update
    return PolicyInputs(
        **identity,
        artifacts=_artifacts_location(spec, region, account),
        create_default_bucket=_uses_artifacts(spec) and not spec.artifacts.bucket,
        model_source=S3Location.parse(spec.model.id) if spec.model_source_kind == "s3" else None,
        kms_key_id=getattr(security, "kms_key_id", None),
        vpc=bool(getattr(getattr(security, "vpc", None), "subnets", None)),
        async_outputs=_async_locations(spec.async_inference),
        async_input=_async_input(spec, region, account),
        scaling=scaling is not None,
        builtin_alarm=bool(getattr(update, "builtin_5xx_alarm", False)),
        rollback_alarms=tuple(getattr(update, "rollback_alarms", ()) or ()),
    )


def _uses_artifacts(spec: Any) -> bool:
    """A local model is uploaded; ``delivery: properties`` uploads serving.properties for any model."""
    return bool(spec.model_source_kind == "local" or spec.delivery == "properties")


def _artifacts_location(spec: Any, region: str, account: str) -> S3Location | None:
    if not _uses_artifacts(spec):
        return None
    bucket = spec.artifacts.bucket or default_bucket(region, account)
    prefix = spec.artifacts.prefix or f"{ARTIFACT_ROOT}/{spec.name}"
    return S3Location(bucket, prefix.strip("/"))


def _async_input(spec: Any, region: str, account: str) -> S3Location | None:
    """``lmi invoke --async`` uploads request bodies to the default bucket, ``lmi-deploy/async-inputs/``."""
    if spec.async_inference is None:
        return None
    return S3Location(default_bucket(region, account), f"{ARTIFACT_ROOT}/async-inputs")


def _async_locations(async_inference: Any) -> tuple[S3Location, ...]:
    if async_inference is None:
        return ()
    paths = [async_inference.output_path, getattr(async_inference, "failure_path", None)]
    return tuple(S3Location.parse(path) for path in paths if path)


def policies(inputs: PolicyInputs, role: str = "both") -> dict[str, Any]:
    """The documents ``lmi iam-policy`` prints, keyed ``deployer`` / ``execution`` (+ its trust policy)."""
    out: dict[str, Any] = {}
    if role in ("deployer", "both"):
        out["deployer"] = deployer_policy(inputs)
    if role in ("execution", "both"):
        out["execution"] = execution_policy(inputs)
        out["execution_trust"] = execution_trust_policy()
    return out
