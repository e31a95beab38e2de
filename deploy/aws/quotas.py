"""The pre-flight reads: an instance type's endpoint quota, the account's use of it, the caller, an S3 prefix.

Why a module of its own: :mod:`deploy.engine.preflight` judges these facts before a plan creates anything, and
each read must say "unknown" (and why) rather than fail the plan: Service Quotas may be denied to a deploy role
(``servicequotas:GetServiceQuota`` is not in every policy), and a denied read is a warning, not a refusal.

Quota: ``service-quotas`` GetServiceQuota (service code ``sagemaker``, the code of ``<type> for endpoint usage``
from ``deploy/catalog/quota_codes.toml``), falling back to ListServiceQuotas by name and then to the AWS default
value. Use: ListEndpoints, then DescribeEndpoint + DescribeEndpointConfig of each endpoint that holds instances.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from deploy.aws.session import AwsContext, call
from deploy.errors import AwsError
from deploy.records import record

SERVICE_CODE = "sagemaker"
# Endpoint states that hold (or are about to hold) instances; SageMaker counts them against the quota.
HOLDING = frozenset({"InService", "Creating", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed"})
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


def quota_name(instance_type: str) -> str:
    """The Service Quotas name of an instance type's endpoint quota, e.g. ``ml.g5.2xlarge for endpoint usage``."""
    return f"{instance_type} for endpoint usage"


@cache
def quota_codes() -> dict[str, str]:
    """Instance type -> quota code (the bundled, cited table; types missing from it are found by name)."""
    from deploy.catalog import DATA_DIR
    from deploy.catalog.tables import load_table

    return {str(k): str(v) for k, v in load_table(DATA_DIR / "quota_codes.toml")["codes"].items()}


@record
class QuotaReading:
    """The endpoint quota of one type: ``value`` None = unknown; ``source`` applied | default | unknown;
    ``problem`` says why it is unknown (AccessDenied, no such quota in the region, another failure)."""

    instance_type: str
    value: float | None
    code: str | None
    source: str
    problem: str = ""
    denied: bool = False


def endpoint_quota(ctx: AwsContext, instance_type: str) -> QuotaReading:
    """The account's ``<type> for endpoint usage`` quota in ``ctx.region`` (never raises for an AWS failure)."""
    client = ctx.client("service-quotas")
    try:
        code = quota_codes().get(instance_type) or _code_by_name(client, instance_type)
        if code is None:
            return QuotaReading(instance_type, None, None, "unknown", f"no quota named {quota_name(instance_type)!r}")
        for method, operation, source in (
            ("get_service_quota", "GetServiceQuota", "applied"),
            ("get_aws_default_service_quota", "GetAWSDefaultServiceQuota", "default"),
        ):
            found = _quota_value(client, method, operation, code)
            if found is not None:
                return QuotaReading(instance_type, found, code, source)
        return QuotaReading(instance_type, None, code, "unknown", f"quota {code} is not defined in {ctx.region}")
    except AwsError as exc:
        denied = (exc.code or "") in DENIED_CODES or exc.status == 403
        return QuotaReading(instance_type, None, None, "unknown", exc.message, denied=denied)


def _quota_value(client: Any, method: str, operation: str, code: str) -> float | None:
    try:
        answer = call(client, method, operation, code, ServiceCode=SERVICE_CODE, QuotaCode=code)
    except AwsError as exc:
        if exc.code == "NoSuchResourceException":
            return None
        raise
    value = answer.get("Quota", {}).get("Value")
    return float(value) if isinstance(value, (int, float)) else None


def _code_by_name(client: Any, instance_type: str) -> str | None:
    wanted = quota_name(instance_type)
    for method, operation in (
        ("list_service_quotas", "ListServiceQuotas"),
        ("list_aws_default_service_quotas", "ListAWSDefaultServiceQuotas"),
    ):
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"ServiceCode": SERVICE_CODE, "MaxResults": 100}
            if token:
                kwargs["NextToken"] = token
            page = call(client, method, operation, SERVICE_CODE, **kwargs)
            for quota in page.get("Quotas", []):
                if quota.get("QuotaName") == wanted:
                    return str(quota["QuotaCode"])
            token = page.get("NextToken")
            if not token:
                break
    return None


@record
class Usage:
    """Instances of one type held by endpoints in the region: by other endpoints, and by the one named."""

    others: int
    own: int
    endpoints: tuple[str, ...]  # the other endpoints that hold some
    problem: str = ""


def instances_in_use(ctx: AwsContext, instance_type: str, own_endpoint: str) -> Usage:
    """How many ``instance_type`` instances the account's endpoints hold now (InService, Creating, Updating...)."""
    from deploy.aws.sagemaker import SageMakerGateway

    sm = SageMakerGateway(ctx)
    others, own, holders = 0, 0, []
    try:
        for summary in sm.list_endpoints():
            if summary.get("EndpointStatus") not in HOLDING:
                continue
            name = str(summary["EndpointName"])
            count = _held(sm, name, instance_type)
            if count and name == own_endpoint:
                own += count
            elif count:
                others += count
                holders.append(name)
    except AwsError as exc:
        return Usage(others, own, tuple(holders), exc.message)
    return Usage(others, own, tuple(holders))


def _held(sm: Any, endpoint: str, instance_type: str) -> int:
    described = sm.describe_endpoint(endpoint) or {}
    config = sm.describe_endpoint_config(str(described.get("EndpointConfigName", ""))) or {}
    live = {v.get("VariantName"): v for v in described.get("ProductionVariants") or []}
    total = 0
    for variant in config.get("ProductionVariants") or []:
        if variant.get("InstanceType") != instance_type:
            continue
        now = live.get(variant.get("VariantName"), {})
        counts = (now.get("CurrentInstanceCount"), now.get("DesiredInstanceCount"), variant.get("InitialInstanceCount"))
        total += max(int(c) for c in counts if isinstance(c, int)) if any(isinstance(c, int) for c in counts) else 0
    return total


def caller_account(ctx: AwsContext) -> tuple[str | None, str]:
    """(the caller's account id, why unknown) from STS GetCallerIdentity."""
    try:
        identity = call(ctx.client("sts"), "get_caller_identity", "GetCallerIdentity")
    except AwsError as exc:
        return None, exc.message
    return str(identity.get("Account", "")) or None, ""


def prefix_exists(ctx: AwsContext, bucket: str, prefix: str) -> tuple[bool | None, str]:
    """(whether any object starts with ``prefix`` in ``bucket``, why unknown): ListObjectsV2 with MaxKeys=1.

    A missing bucket is "no"; AccessDenied is unknown (the endpoint's role may read what the caller cannot).
    """
    try:
        page = call(
            ctx.client("s3"),
            "list_objects_v2",
            "ListObjectsV2",
            f"s3://{bucket}/{prefix}",
            Bucket=bucket,
            Prefix=prefix,
            MaxKeys=1,
        )
    except AwsError as exc:
        if exc.code == "NoSuchBucket":
            return False, f"bucket {bucket!r} does not exist"
        return None, exc.message
    return bool(page.get("KeyCount") or page.get("Contents")), ""
