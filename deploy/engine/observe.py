"""Observe: read-only calls that describe what exists for one endpoint, frozen into a RemoteSnapshot.

Rule: only describe/list/get calls here; never a write. The snapshot holds exactly what ``plan`` compares, so
plan stays pure and testable without AWS. Managed models and configs are found by name shape *and* the
``lmi-deploy:endpoint`` tag, so nothing lmi-deploy did not make is ever a candidate for deletion.
"""

from __future__ import annotations

from typing import Any

from deploy.aws.autoscaling import AutoScalingGateway
from deploy.aws.cloudwatch import CloudWatchGateway
from deploy.aws.s3 import S3Gateway
from deploy.aws.sagemaker import SageMakerGateway
from deploy.aws.session import AwsContext
from deploy.engine.artifacts import remote_digest
from deploy.engine.desired import TAG_ARTIFACTS, DesiredState
from deploy.engine.naming import TAG_ENDPOINT, VARIANT, alarm_name, is_resource_of, resource_prefix, scaling_resource_id
from deploy.engine.observe_serving import read_prices, read_serving
from deploy.engine.snapshot import EndpointState, RemoteSnapshot
from deploy.errors import AwsError


def observe(ctx: AwsContext, endpoint_name: str, desired: DesiredState | None = None) -> RemoteSnapshot:
    """Read everything plan compares for ``endpoint_name`` (and the desired artifacts, when given)."""
    sm = SageMakerGateway(ctx)
    endpoint = read_endpoint(sm, endpoint_name)
    config = (sm.describe_endpoint_config(endpoint.config_name) or {}) if endpoint else {}
    instance_type, is_async, components = _serving_config(config)
    models = _managed(sm, endpoint_name, sm.list_models(resource_prefix(endpoint_name)), "ModelName", "ModelArn")
    configs = _managed(
        sm,
        endpoint_name,
        sm.list_endpoint_configs(resource_prefix(endpoint_name)),
        "EndpointConfigName",
        "EndpointConfigArn",
    )
    scaling = AutoScalingGateway(ctx)
    resource_id = scaling_resource_id(endpoint_name, desired.variant_name if desired else VARIANT)
    target = scaling.describe_target(resource_id)
    policies = tuple(scaling.describe_policies(resource_id))
    alarm = CloudWatchGateway(ctx).describe_alarm(alarm_name(endpoint_name))
    digest, bucket_exists = _artifact_state(S3Gateway(ctx), desired)
    return RemoteSnapshot(
        endpoint_name=endpoint_name,
        endpoint=endpoint,
        instance_type=instance_type,
        models=models,
        configs=configs,
        scaling_target=target,
        scaling_policies=policies,
        alarm=alarm,
        artifact_digest=digest,
        artifact_uri=_artifact_uri(sm, endpoint, models) or _uploaded_uri(ctx, endpoint_name, desired, digest),
        bucket_exists=bucket_exists,
        region=ctx.region,
        is_async=is_async,
        hosts_components=components,
        serving=read_serving(sm, S3Gateway(ctx), endpoint, config, _secret_names(desired)) if endpoint else None,
        prices=read_prices(ctx, {instance_type, desired.instance_type if desired else None}),
    )


def _secret_names(desired: DesiredState | None) -> frozenset[str]:
    return frozenset(desired.secret_env) if desired else frozenset()


def _uploaded_uri(ctx: AwsContext, name: str, desired: DesiredState | None, digest: str | None) -> str | None:
    """Uploads no tag points at yet (a run stopped before it created a model): with a spec, the desired prefix
    when anything is there, complete or not; by name, the ``lmi-deploy/<name>/`` folder of the default bucket."""
    if desired is None:
        from deploy.engine.leftovers import uploads_of

        return uploads_of(ctx, name)
    if desired.artifacts is None:
        return None
    if digest is not None or _any_key(S3Gateway(ctx), desired.artifacts.bucket, desired.artifacts.prefix):
        return desired.artifacts.uri
    return None


def _any_key(s3: S3Gateway, bucket: str, prefix: str) -> bool:
    try:
        return next(iter(s3.list_keys(bucket, prefix)), None) is not None
    except AwsError:
        return False  # e.g. the bucket does not exist yet


def _artifact_state(s3: S3Gateway, desired: DesiredState | None) -> tuple[str | None, bool | None]:
    """(last complete upload's digest, whether the bucket exists); the bucket is read only if needed."""
    if desired is None or desired.artifacts is None:
        return None, None
    if not s3.bucket_exists(desired.artifacts.bucket):
        return None, False
    return remote_digest(s3, desired.artifacts), True


def read_endpoint(sm: SageMakerGateway, name: str) -> EndpointState | None:
    """DescribeEndpoint (+ ListTags) as an EndpointState, or None when there is no such endpoint."""
    raw = sm.describe_endpoint(name)
    if raw is None:
        return None
    pending = raw.get("PendingDeploymentSummary") or {}
    variants = raw.get("ProductionVariants") or []
    return EndpointState(
        name=name,
        arn=str(raw["EndpointArn"]),
        status=str(raw["EndpointStatus"]),
        config_name=str(raw.get("EndpointConfigName", "")),
        pending_config_name=pending.get("EndpointConfigName"),
        failure_reason=raw.get("FailureReason"),
        tags=sm.list_tags(str(raw["EndpointArn"])),
        created=raw.get("CreationTime"),
        instance_counts=tuple(int(v.get("CurrentInstanceCount") or 0) for v in variants),
        last_deployment_config=raw.get("LastDeploymentConfig"),
    )


def _serving_config(config: dict[str, Any]) -> tuple[str | None, bool, bool]:
    """(instance type, whether it is asynchronous, whether inference components share it) of the serving config
    (its DescribeEndpointConfig; empty without an endpoint)."""
    variants = config.get("ProductionVariants") or []
    instance_type = str(variants[0].get("InstanceType")) if variants else None
    components = bool(variants) and not variants[0].get("ModelName")
    return instance_type, bool(config.get("AsyncInferenceConfig")), components


def _managed(
    sm: SageMakerGateway, endpoint: str, items: list[dict[str, Any]], key: str, arn_key: str
) -> tuple[str, ...]:
    """Names of listed resources that are this endpoint's: right name shape and our endpoint tag."""
    names = []
    for item in items:
        name = str(item[key])
        if is_resource_of(endpoint, name) and sm.list_tags(str(item[arn_key])).get(TAG_ENDPOINT) == endpoint:
            names.append(name)
    return tuple(sorted(names))


def _artifact_uri(sm: SageMakerGateway, endpoint: EndpointState | None, models: tuple[str, ...]) -> str | None:
    """Where this endpoint's uploads live, from the endpoint's tags (or, without an endpoint, a model's)."""
    if endpoint is not None and TAG_ARTIFACTS in endpoint.tags:
        return endpoint.tags[TAG_ARTIFACTS]
    for name in models:
        model = sm.describe_model(name)
        if model:
            uri = sm.list_tags(str(model["ModelArn"])).get(TAG_ARTIFACTS)
            if uri:
                return uri
    return None
