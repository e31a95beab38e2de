"""Pre-flight: what AWS would refuse, found before a plan creates anything.

Checks (each a :class:`Check` with status ok | warning | refused | skipped, in ``lmi plan`` text and ``--json``):

* ``endpoint-quota``: the ``<type> for endpoint usage`` quota in the region minus the instances the account's
  other endpoints hold must cover ``instance.count`` (refused otherwise); an update of an existing endpoint runs
  old and new fleets side by side (blue/green), so a peak above the quota is a warning. A quota AWS will not
  show (AccessDenied) or cannot find is a warning, never a refusal.
* ``instance-availability``: the type must be offered for real-time hosting in the region, judged from the AWS
  Price List's hosting listing for that region (live or cached); skipped when no listing can be read.
* ``role-account``: the execution role's account vs the caller's (STS GetCallerIdentity): another account is a
  warning (cross-account roles work only with a trust policy that allows it).
* ``model-prefix``: an ``s3://`` model prefix must hold at least one object (ListObjectsV2, MaxKeys=1).

Rule: the reads live in :mod:`deploy.aws.quotas` and :mod:`deploy.aws.pricing`; the judging functions here are
pure, so every verdict is tested without AWS. Refusals raise :class:`PreflightRefused` (exit 2) naming the
field, the value and the fix, with every check in its JSON.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Literal

from deploy.errors import SpecError
from deploy.records import record

if TYPE_CHECKING:
    from deploy.aws.quotas import QuotaReading, Usage
    from deploy.aws.session import AwsContext

Status = Literal["ok", "warning", "refused", "skipped"]


@record
class Check:
    """One pre-flight verdict; ``field``/``value``/``fix`` are set for a refusal or a warning the user can act on."""

    check: str
    status: Status
    message: str
    field: str | None = None
    value: Any = None
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {key: val for key, val in asdict(self).items() if val is not None}


class PreflightRefused(SpecError):
    """A pre-flight check refused the plan (the user's problem: exit 2). ``checks`` holds every verdict."""

    kind = "preflight_refused"

    def __init__(self, checks: tuple[Check, ...]) -> None:
        refused = [c for c in checks if c.status == "refused"]
        first = refused[0]
        more = f" (and {len(refused) - 1} more refusal(s))" if len(refused) > 1 else ""
        super().__init__(f"pre-flight: {first.message}{more}", field=first.field, value=first.value, fix=first.fix)
        self.checks = checks

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "preflight": [c.to_dict() for c in self.checks]}


# -- verdicts (pure) ---------------------------------------------------------------------------------------------
def judge_quota(quota: QuotaReading, usage: Usage, needed: int, region: str, scaling_max: int | None = None) -> Check:
    """Quota minus the other endpoints' use must hold ``needed``; a blue/green peak or an autoscaling maximum
    above it is a warning (SageMaker refuses the update or the scale-out later, not the deploy)."""
    name = f"{quota.instance_type} for endpoint usage"
    if quota.value is None:
        why = "AWS denied the read" if quota.denied else "it could not be read"
        return Check(
            "endpoint-quota",
            "warning",
            f"the quota {name!r} in {region} is unknown ({why}: {quota.problem})",
            fix="allow servicequotas:GetServiceQuota and servicequotas:ListServiceQuotas to see it before deploying",
        )
    limit = int(quota.value)
    free = limit - usage.others
    held = f"; other endpoints hold {usage.others} ({', '.join(usage.endpoints[:3])})" if usage.others else ""
    if needed > free:
        return Check(
            "endpoint-quota",
            "refused",
            f"instance.count={needed} {quota.instance_type} exceeds the free quota in {region}: {name!r} is "
            f"{limit}{held}, so {max(free, 0)} are free",
            field="instance.count",
            value=needed,
            fix=f"request an increase of {name!r} in Service Quotas (to at least {usage.others + needed}), lower "
            "instance.count, free instances, or pick another instance type",
        )
    if usage.own and usage.own + usage.others + needed > limit:
        return Check(
            "endpoint-quota",
            "warning",
            f"an update replaces the endpoint's {usage.own} instance(s) blue/green: the peak of "
            f"{usage.own + usage.others + needed} exceeds {name!r} ({limit}) in {region}, so SageMaker may refuse it",
            field="instance.count",
            value=needed,
            fix=f"request {name!r} >= {usage.own + usage.others + needed}, or scale down before the update",
        )
    if scaling_max is not None and scaling_max > free:
        return Check(
            "endpoint-quota",
            "warning",
            f"scaling.max={scaling_max} exceeds the {max(free, 0)} {quota.instance_type} free under {name!r} "
            f"({limit}) in {region}: scale-out will stop at {max(free, 0)}",
            field="scaling.max",
            value=scaling_max,
            fix=f"request {name!r} >= {usage.others + scaling_max}, or lower scaling.max",
        )
    if usage.problem:  # the count is a lower bound: enough to refuse, not to pass
        return Check(
            "endpoint-quota",
            "warning",
            f"{name!r} is {limit} in {region}, but other endpoints' instances could not all be counted "
            f"({usage.problem}); {usage.others} found",
            fix="allow sagemaker:ListEndpoints, DescribeEndpoint and DescribeEndpointConfig on every endpoint",
        )
    return Check(
        "endpoint-quota",
        "ok",
        f"{name!r} is {limit} in {region}; {usage.others} in use elsewhere, {needed} needed",
    )


def judge_availability(instance_type: str, region: str, offered: set[str] | None, why: str) -> Check:
    """Offered for real-time hosting per the Price List listing of the region; skipped without a listing."""
    if offered is None:
        return Check("instance-availability", "skipped", f"not checked: no Price List listing for {region} ({why})")
    if not any(name.startswith("ml.") for name in offered):
        return Check(
            "instance-availability", "skipped", f"not checked: the Price List lists no hosting type in {region}"
        )
    if instance_type in offered:
        return Check("instance-availability", "ok", f"{instance_type} is offered for real-time hosting in {region}")
    return Check(
        "instance-availability",
        "refused",
        f"{instance_type} is not offered for real-time endpoints in {region} (the AWS Price List has no hosting "
        "price for it there)",
        field="instance.type",
        value=instance_type,
        fix="pick a type `lmi recommend MODEL --region REGION` lists, or deploy to a region that offers it",
    )


def role_account(role: str) -> str | None:
    """The 12-digit account of an IAM role ARN (the spec already refused a malformed one)."""
    parts = role.split(":")
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else None


def judge_role(role: str, caller: str | None, why: str) -> Check:
    """A role of another account is a warning: it works only when its trust policy allows SageMaker there."""
    owner = role_account(role)
    if caller is None or owner is None:
        return Check("role-account", "skipped", f"not checked: the caller's account is unknown ({why})")
    if owner == caller:
        return Check("role-account", "ok", f"the role is in the caller's account {caller}")
    return Check(
        "role-account",
        "warning",
        f"the execution role is in account {owner}, the caller in {caller}: a cross-account role needs a trust "
        "policy that lets SageMaker in the caller's account assume it",
        field="role",
        value=role,
        fix="use a role of the deploying account, or confirm the role's trust policy",
    )


def judge_prefix(model_id: str, exists: bool | None, why: str) -> Check:
    """An ``s3://`` model prefix with no object is refused: SageMaker would fail the endpoint after minutes."""
    if exists is None:
        return Check(
            "model-prefix", "warning", f"could not list {model_id} ({why}); the endpoint's role may still read it"
        )
    if exists:
        return Check("model-prefix", "ok", f"{model_id} holds objects")
    return Check(
        "model-prefix",
        "refused",
        f"{model_id} holds no object{f' ({why})' if why else ''}",
        field="model.id",
        value=model_id,
        fix="upload the model there (config.json, tokenizer and weights) or correct model.id",
    )


# -- the reads, then the verdicts --------------------------------------------------------------------------------
def run_preflight(spec: Any, ctx: AwsContext) -> tuple[Check, ...]:
    """Every check for ``spec`` in ``ctx.region``; raises :class:`PreflightRefused` when one refuses."""
    from deploy.aws import pricing, quotas

    region, instance = ctx.region, getattr(spec, "instance", None)
    checks: list[Check] = []
    if instance is not None:
        quota = quotas.endpoint_quota(ctx, instance.type)
        usage = quotas.instances_in_use(ctx, instance.type, spec.name)
        scaling = getattr(spec, "scaling", None)
        top = getattr(scaling, "max", None)  # an endpoint's scaling, or a component endpoint's instance bounds
        top = int(top) if isinstance(top, int) else None
        checks.append(judge_quota(quota, usage, instance.count, region, top))
        checks.append(judge_availability(instance.type, region, *pricing.hosting_listing(region, ctx)))
    checks.append(judge_role(spec.role, *quotas.caller_account(ctx)))
    model = getattr(spec, "model", None)
    if model is not None and getattr(model, "kind", None) == "s3":
        bucket, _, key = model.id.removeprefix("s3://").partition("/")
        prefix = key if key.endswith(".tar.gz") or not key.strip("/") else key.rstrip("/") + "/"
        checks.append(judge_prefix(model.id, *quotas.prefix_exists(ctx, bucket, prefix)))
    result = tuple(checks)
    if any(c.status == "refused" for c in result):
        raise PreflightRefused(result)
    return result
