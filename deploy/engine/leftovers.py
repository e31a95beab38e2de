"""Leftovers: what lmi-deploy made for an endpoint that no longer (or not yet) exists, so nothing stays hidden.

Rule: read-only. A run stopped half-way (Ctrl-C, a crash, a lost race) can leave tagged models and endpoint
configs without an endpoint, and uploads under ``lmi-deploy/<endpoint>/`` in the default bucket before any model
points at them. ``lmi list`` and ``lmi status`` show them, and ``lmi destroy NAME`` removes them: models and
configs are found by name shape *and* the ``lmi-deploy:managed``/``lmi-deploy:endpoint`` tags; uploads by the
prefix convention in the default bucket (``sagemaker-<region>-<account>``), since no tag can point at them yet.
"""

from __future__ import annotations

import re
from typing import Any

from deploy.aws.s3 import S3Gateway
from deploy.aws.sagemaker import SageMakerGateway
from deploy.aws.session import AwsContext
from deploy.engine.naming import ARTIFACT_ROOT, HASH_LENGTH, TAG_ENDPOINT, TAG_MANAGED, default_bucket, resource_prefix
from deploy.errors import AwsError, EndpointNotFoundError
from deploy.records import record

_SHAPE = re.compile(rf".+-[0-9a-f]{{{HASH_LENGTH}}}")
NOT_ENDPOINTS = frozenset({"async-inputs"})  # the default bucket's other lmi-deploy folder (async requests)


@record
class Leftover:
    """One resource lmi-deploy made for ``endpoint``, which does not exist."""

    endpoint: str
    kind: str  # "model", "endpoint-config" or "upload"
    resource: str

    def to_dict(self) -> dict[str, str]:
        return {"endpoint": self.endpoint, "kind": self.kind, "resource": self.resource}


def find_leftovers(ctx: AwsContext, endpoint: str | None = None) -> list[Leftover]:
    """Leftovers of every endpoint in the region (or of ``endpoint`` only), sorted by endpoint and kind."""
    sm = SageMakerGateway(ctx)
    existing = {str(e["EndpointName"]) for e in sm.list_endpoints(endpoint)}
    if endpoint is not None and endpoint in existing:
        return []
    contains = resource_prefix(endpoint) if endpoint else None
    found = _tagged(sm, sm.list_models(contains), "model", "ModelName", "ModelArn", existing)
    found += _tagged(sm, sm.list_endpoint_configs(contains), "endpoint-config", "EndpointConfigName",
                     "EndpointConfigArn", existing)  # fmt: skip
    found += _uploads(ctx, existing, endpoint)
    wanted = [item for item in found if endpoint is None or item.endpoint == endpoint]
    return sorted(wanted, key=lambda item: (item.endpoint, item.kind, item.resource))


def _tagged(
    sm: SageMakerGateway, items: list[dict[str, Any]], kind: str, key: str, arn_key: str, existing: set[str]
) -> list[Leftover]:
    out = []
    for item in items:
        name = str(item[key])
        if not _SHAPE.fullmatch(name):
            continue  # only names lmi-deploy makes (<endpoint>-<hash>) are worth a ListTags call
        tags = sm.list_tags(str(item[arn_key]))
        owner = tags.get(TAG_ENDPOINT)
        if tags.get(TAG_MANAGED) == "true" and owner and owner not in existing:
            out.append(Leftover(owner, kind, name))
    return out


def default_bucket_of(ctx: AwsContext) -> str | None:
    """The default artifact bucket of this account and region, or None when the account cannot be read."""
    from deploy.aws.cloudwatch import account_id

    try:
        return default_bucket(ctx.region, account_id(ctx))
    except AwsError:
        return None


def _uploads(ctx: AwsContext, existing: set[str], endpoint: str | None) -> list[Leftover]:
    """Upload folders ``lmi-deploy/<endpoint>/`` in the default bucket whose endpoint does not exist."""
    if endpoint is not None:
        uri = uploads_of(ctx, endpoint)
        return [Leftover(endpoint, "upload", uri)] if uri else []
    bucket = default_bucket_of(ctx)
    s3 = S3Gateway(ctx)
    try:
        if bucket is None or not s3.bucket_exists(bucket):
            return []
        prefixes = s3.list_prefixes(bucket, f"{ARTIFACT_ROOT}/")
    except AwsError:
        return []  # best effort: listing leftovers must never hide the endpoints themselves
    out = []
    for prefix in prefixes:
        owner = prefix.removeprefix(f"{ARTIFACT_ROOT}/").strip("/")
        if owner and owner not in existing and owner not in NOT_ENDPOINTS:
            out.append(Leftover(owner, "upload", f"s3://{bucket}/{ARTIFACT_ROOT}/{owner}/"))
    return out


def _has_keys(s3: S3Gateway, bucket: str, endpoint: str) -> bool:
    return next(iter(s3.list_keys(bucket, f"{ARTIFACT_ROOT}/{endpoint}/")), None) is not None


def uploads_of(ctx: AwsContext, endpoint: str) -> str | None:
    """``s3://<default bucket>/lmi-deploy/<endpoint>/`` when something is uploaded there (how ``destroy NAME``
    finds the uploads of a run that stopped before it created a model)."""
    bucket = default_bucket_of(ctx)
    s3 = S3Gateway(ctx)
    try:
        if bucket is None or not s3.bucket_exists(bucket) or not _has_keys(s3, bucket, endpoint):
            return None
    except AwsError:
        return None
    return f"s3://{bucket}/{ARTIFACT_ROOT}/{endpoint}/"


def not_found(ctx: AwsContext, name: str) -> EndpointNotFoundError:
    """No endpoint ``name``; when lmi-deploy resources made for it remain, the error lists them and the fix."""
    left = find_leftovers(ctx, name)
    if not left:
        return EndpointNotFoundError(
            f"endpoint {name} does not exist in {ctx.region}",
            field="name",
            value=name,
            fix="check the name and region (lmi list shows lmi-deploy endpoints)",
        )
    listed = ", ".join(f"{item.kind} {item.resource}" for item in left)
    return EndpointNotFoundError(
        f"endpoint {name} does not exist in {ctx.region}, but lmi-deploy resources made for it remain: {listed}",
        field="name",
        value=name,
        fix=f"remove them with: lmi destroy {name} --region {ctx.region} --yes (or deploy its spec again)",
    )
