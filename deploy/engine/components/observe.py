"""Observe a component endpoint: read-only calls frozen into a ComponentEndpointSnapshot.

Rule: only describe/list/get calls. Models, configs and inference components count as ours only with our tags
(``lmi-deploy:managed`` and ``lmi-deploy:endpoint``) and, for models and configs, our name shape; an IC someone
else put on the endpoint is listed as foreign and never touched.
"""

from __future__ import annotations

import re
from typing import Any

from deploy.aws.autoscaling import AutoScalingGateway
from deploy.aws.cloudwatch import CloudWatchGateway
from deploy.aws.s3 import S3Gateway
from deploy.aws.sagemaker import SageMakerGateway
from deploy.aws.session import AwsContext
from deploy.engine.artifacts import remote_digest
from deploy.engine.components.desired import ComponentEndpointDesired
from deploy.engine.components.scaling import component_resource_id, no_capacity_alarm_name
from deploy.engine.components.snapshot import ComponentEndpointSnapshot, ComponentState
from deploy.engine.desired import TAG_ARTIFACTS
from deploy.engine.naming import HASH_LENGTH, TAG_ENDPOINT, TAG_MANAGED, resource_prefix
from deploy.engine.observe import read_endpoint

_SHAPE = re.compile(rf".+-[0-9a-f]{{{HASH_LENGTH}}}")


def observe_components(
    ctx: AwsContext, endpoint_name: str, desired: ComponentEndpointDesired | None = None
) -> ComponentEndpointSnapshot:
    """Read everything the component plan compares for ``endpoint_name``."""
    sm = SageMakerGateway(ctx)
    endpoint = read_endpoint(sm, endpoint_name)
    config = _first_variant(sm, endpoint.config_name) if endpoint else None
    prefix = resource_prefix(endpoint_name)
    models = _ours(sm, endpoint_name, sm.list_models(prefix), "ModelName", "ModelArn")
    configs = _ours(sm, endpoint_name, sm.list_endpoint_configs(prefix), "EndpointConfigName", "EndpointConfigArn")
    components, foreign = read_components(ctx, sm, endpoint_name) if endpoint else ((), ())
    elsewhere = names_taken_elsewhere(sm, endpoint_name, desired, {c.name for c in components} | set(foreign))
    digests, buckets = _artifact_state(S3Gateway(ctx), desired)
    return ComponentEndpointSnapshot(
        endpoint_name=endpoint_name,
        endpoint=endpoint,
        config=config,
        models=models,
        configs=configs,
        components=components,
        foreign_components=foreign,
        taken_elsewhere=elsewhere,
        artifact_digests=digests,
        artifact_uri=_artifact_root(sm, endpoint_name, models, desired, buckets),
        bucket_exists=buckets,
        region=ctx.region,
    )


def read_components(
    ctx: AwsContext, sm: SageMakerGateway, endpoint_name: str
) -> tuple[tuple[ComponentState, ...], tuple[str, ...]]:
    """(our ICs on the endpoint with their scaling and alarm, the names of ICs that are not ours)."""
    ours, foreign = [], []
    scaling, cloudwatch = AutoScalingGateway(ctx), CloudWatchGateway(ctx)
    for item in sm.list_inference_components(endpoint_name):
        name = str(item["InferenceComponentName"])
        described = sm.describe_inference_component(name)
        if described is None:
            continue  # deleted between the list and the describe
        tags = sm.list_tags(str(described["InferenceComponentArn"]))
        if tags.get(TAG_MANAGED) != "true" or tags.get(TAG_ENDPOINT) != endpoint_name:
            foreign.append(name)
            continue
        ours.append(_state(described, tags, scaling, cloudwatch))
    return tuple(sorted(ours, key=lambda c: c.name)), tuple(sorted(foreign))


def names_taken_elsewhere(
    sm: SageMakerGateway, endpoint_name: str, desired: ComponentEndpointDesired | None, on_endpoint: set[str]
) -> dict[str, str]:
    """Desired IC names that an IC on another endpoint already holds: IC name -> that endpoint.

    IC names are unique per account and region, not per endpoint (endpoint ``team`` with component ``llms-qwen``
    and endpoint ``team-llms`` with ``qwen`` both want ``team-llms-qwen``), so a name not on this endpoint is
    described once; after the first apply every name is on the endpoint and this costs no call.
    """
    taken: dict[str, str] = {}
    for name in sorted(desired.ic_names if desired else ()):
        if name in on_endpoint:
            continue
        described = sm.describe_inference_component(name)
        owner = str((described or {}).get("EndpointName", ""))
        if described is not None and owner != endpoint_name:
            taken[name] = owner or "another endpoint"
    return taken


def _state(
    described: dict[str, Any], tags: dict[str, str], scaling: AutoScalingGateway, cloudwatch: CloudWatchGateway
) -> ComponentState:
    name = str(described["InferenceComponentName"])
    spec = dict(described.get("Specification") or {})
    runtime = described.get("RuntimeConfig") or {}
    resource_id = component_resource_id(name)
    return ComponentState(
        name=name,
        arn=str(described["InferenceComponentArn"]),
        status=str(described.get("InferenceComponentStatus", "")),
        model_name=str(spec.get("ModelName", "")),
        specification=spec,
        desired_copies=runtime.get("DesiredCopyCount"),
        current_copies=runtime.get("CurrentCopyCount"),
        failure_reason=described.get("FailureReason"),
        tags=tags,
        scaling_target=scaling.describe_target(resource_id),
        scaling_policies=tuple(scaling.describe_policies(resource_id)),
        alarm=cloudwatch.describe_alarm(no_capacity_alarm_name(name)),
    )


def _first_variant(sm: SageMakerGateway, config_name: str) -> dict[str, Any] | None:
    config = sm.describe_endpoint_config(config_name) or {}
    variants = config.get("ProductionVariants") or []
    return dict(variants[0]) if variants else None


def _ours(sm: SageMakerGateway, endpoint: str, items: list[dict[str, Any]], key: str, arn: str) -> tuple[str, ...]:
    """Listed models/configs of this endpoint: our name shape, our prefix and our endpoint tag."""
    prefix = resource_prefix(endpoint)
    names = []
    for item in items:
        name = str(item[key])
        if not (name.startswith(prefix) and _SHAPE.fullmatch(name)):
            continue
        tags = sm.list_tags(str(item[arn]))
        if tags.get(TAG_MANAGED) == "true" and tags.get(TAG_ENDPOINT) == endpoint:
            names.append(name)
    return tuple(sorted(names))


def _artifact_state(
    s3: S3Gateway, desired: ComponentEndpointDesired | None
) -> tuple[dict[str, str | None], dict[str, bool]]:
    """Per upload: the last complete digest; per bucket: whether it exists (read once each)."""
    digests: dict[str, str | None] = {}
    buckets: dict[str, bool] = {}
    for component in desired.components if desired else ():
        upload = component.model.artifacts
        if upload is None:
            continue
        if upload.bucket not in buckets:
            buckets[upload.bucket] = s3.bucket_exists(upload.bucket)
        digests[upload.uri] = remote_digest(s3, upload) if buckets[upload.bucket] else None
    return digests, buckets


def _artifact_root(
    sm: SageMakerGateway,
    endpoint_name: str,
    models: tuple[str, ...],
    desired: ComponentEndpointDesired | None,
    buckets: dict[str, bool],
) -> str | None:
    """Where this endpoint's uploads live: a component's upload, else a model's ``lmi-deploy:artifacts`` tag, else
    the default bucket's ``lmi-deploy/<endpoint>/`` folder (a run that stopped before it created a model)."""
    for component in desired.components if desired else ():
        upload = component.model.artifacts
        if upload is not None and buckets.get(upload.bucket):
            return upload.uri
    for name in models:
        model = sm.describe_model(name)
        uri = sm.list_tags(str(model["ModelArn"])).get(TAG_ARTIFACTS) if model else None
        if uri:
            return uri
    if desired is None:
        from deploy.engine.leftovers import uploads_of

        return uploads_of(sm.ctx, endpoint_name)
    return None


def is_component_endpoint(ctx: AwsContext, name: str) -> bool:
    """By name alone (``lmi destroy NAME``): the endpoint's variant names no model, or, with no endpoint, a model
    lmi-deploy made for one of its components remains."""
    from deploy.engine.components.desired import TAG_COMPONENT
    from deploy.engine.naming import is_resource_of

    sm = SageMakerGateway(ctx)
    described = sm.describe_endpoint(name)
    if described is not None:
        variant = _first_variant(sm, str(described.get("EndpointConfigName", "")))
        return variant is not None and not variant.get("ModelName")
    for item in sm.list_models(resource_prefix(name)):
        model = str(item["ModelName"])
        if _SHAPE.fullmatch(model) and model.startswith(resource_prefix(name)) and not is_resource_of(name, model):
            tags = sm.list_tags(str(item["ModelArn"]))
            if tags.get(TAG_ENDPOINT) == name and TAG_COMPONENT in tags:
                return True
    return False
