"""The Python API for notebooks and scripts: the same core as the CLI, with typed results and no prompts.

Rule: nothing here prints or asks; progress goes to an optional ``on_event`` callback. A spec may be a
``DeploymentSpec`` or a path to one. AWS access comes from an explicit boto3 session or ``AwsContext``;
without either, the standard AWS settings (profile, region, endpoint URL variables) apply.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from deploy.aws.session import AwsContext, make_context
from deploy.engine.apply import Applier, ApplyResult, EventSink
from deploy.engine.desired import DesiredState
from deploy.engine.naming import TAG_MANAGED, TAG_SPEC_HASH
from deploy.engine.observe import RemoteSnapshot, observe
from deploy.engine.plan import Plan, plan_destroy, refuse_foreign
from deploy.engine.plan import plan as diff
from deploy.engine.waiting import Waiter
from deploy.errors import AwsError, NotFoundError


@dataclass(frozen=True)
class PlanResult:
    """A plan plus what it was computed from; ``apply`` accepts it as is."""

    plan: Plan
    desired: DesiredState
    snapshot: RemoteSnapshot
    context: AwsContext

    @property
    def actions(self) -> tuple[Any, ...]:
        return self.plan.actions

    @property
    def is_empty(self) -> bool:
        return self.plan.is_empty

    def to_dict(self) -> dict[str, Any]:
        return self.plan.to_dict()

    def __repr__(self) -> str:
        return repr(self.plan)


@dataclass(frozen=True)
class EndpointStatus:
    """One endpoint as ``lmi status``/``lmi list`` show it; ``hourly_cost`` is indicative (catalog prices)."""

    name: str
    status: str
    config_name: str
    instance_type: str | None
    instance_count: int
    spec_hash: str | None
    created: datetime | None
    failure_reason: str | None
    hourly_cost: float | None
    scaling: tuple[int, int] | None = None
    metrics: dict[str, float | None] | None = None  # last hour of AWS/SageMaker invocation metrics (status only)

    @property
    def age_s(self) -> float | None:
        return (datetime.now(timezone.utc) - self.created).total_seconds() if self.created else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "config": self.config_name,
            "instance_type": self.instance_type,
            "instance_count": self.instance_count,
            "spec_hash": self.spec_hash,
            "created": self.created.isoformat() if self.created else None,
            "age_s": round(self.age_s) if self.age_s is not None else None,
            "failure_reason": self.failure_reason,
            "hourly_cost_usd": self.hourly_cost,
            "scaling": {"min": self.scaling[0], "max": self.scaling[1]} if self.scaling else None,
            "metrics_last_hour": self.metrics,
        }

    def __repr__(self) -> str:
        cost = f", ~${self.hourly_cost:.2f}/h" if self.hourly_cost is not None else ""
        return f"<Endpoint {self.name}: {self.status}, {self.instance_count}x {self.instance_type}{cost}>"


def load(spec: Any) -> Any:
    """A DeploymentSpec from a spec object or a path."""
    if isinstance(spec, (str, Path)):
        from deploy.spec.model import load_spec

        return load_spec(spec)
    return spec


def context_for(region: str | None, session: Any = None, context: AwsContext | None = None) -> AwsContext:
    """The given context, or one from the session/region and the standard AWS settings (a region is required)."""
    if context is not None:
        return context
    ctx = make_context(region=region, session=session)
    if not ctx.session.region_name:
        from deploy.errors import UsageError

        raise UsageError(
            "no AWS region given", field="--region", value=None, fix="pass --region, or export AWS_REGION=us-east-1"
        )
    return ctx


def desired_state(spec: Any, ctx: AwsContext) -> DesiredState:
    """resolve -> render -> desired (the account id is read only when the default bucket is needed)."""
    from deploy.engine.desired import build_desired
    from deploy.engine.resolve import resolve
    from deploy.render.bodies import artifact_layout
    from deploy.render.properties import render

    resolved = resolve(spec, shape=s3_model_shape(spec, ctx))
    rendered = render(resolved)
    account = "unknown"
    if spec.artifacts.bucket is None and artifact_layout(spec) in ("upload_weights", "upload_properties"):
        from deploy.aws.cloudwatch import account_id

        account = account_id(ctx)
    return build_desired(resolved, rendered, region=ctx.region, account=account)


def s3_model_shape(spec: Any, ctx: AwsContext) -> Any:
    """For an ``s3://`` model without ``model.config``, size from the prefix's own config.json (None if absent)."""
    import json

    from deploy.aws.s3 import S3Gateway
    from deploy.sizing import shape_from_document

    if spec.model.kind != "s3" or spec.model.config is not None:
        return None
    bucket, _, prefix = spec.model.id.removeprefix("s3://").partition("/")
    key = prefix.rstrip("/") + "/config.json" if prefix.strip("/") else "config.json"
    text = S3Gateway(ctx).get_text(bucket, key)
    if text is None:
        return None
    return shape_from_document(json.loads(text), spec.model.id, f"s3://{bucket}/{key}")


def plan(spec: Any, session: Any = None, *, context: AwsContext | None = None) -> PlanResult:
    """What ``apply`` would change for ``spec`` (read-only AWS calls)."""
    spec = load(spec)
    ctx = context_for(spec.region, session, context)
    desired = desired_state(spec, ctx)
    snapshot = observe(ctx, desired.endpoint_name, desired)
    return PlanResult(diff(desired, snapshot), desired, snapshot, ctx)


def apply(
    spec_or_plan: Any,
    session: Any = None,
    *,
    context: AwsContext | None = None,
    on_event: EventSink | None = None,
    create_bucket: bool = False,
    waiter: Waiter | None = None,
    cancel: threading.Event | None = None,
) -> ApplyResult:
    """Make AWS match the spec (or run a plan computed by :func:`plan`); returns what was done.

    ``cancel``: once set (e.g. by a Ctrl-C handler in another thread), apply stops before its next step or at its
    next poll and raises :class:`deploy.engine.apply.Interrupted`; running it again finishes the job.
    """
    result = spec_or_plan if isinstance(spec_or_plan, PlanResult) else plan(spec_or_plan, session, context=context)
    applier = Applier(
        result.context, on_event=on_event, create_bucket=create_bucket, waiter=waiter or Waiter(), cancel=cancel
    )
    return applier.run(result.plan)


def destroy_plan(
    name_or_spec: Any,
    session: Any = None,
    *,
    context: AwsContext | None = None,
    region: str | None = None,
    keep_artifacts: bool = False,
) -> PlanResult:
    """What ``destroy`` would delete: scaling, endpoint, configs, models, alarm and (unless kept) uploads."""
    spec = _spec_or_none(name_or_spec)
    name = spec.name if spec is not None else str(name_or_spec)
    ctx = context_for(region or (spec.region if spec is not None else None), session, context)
    desired = desired_state(spec, ctx) if spec is not None else None
    snapshot = observe(ctx, name, desired)
    empty = DesiredState(name, "", {"ModelName": ""}, {"EndpointConfigName": ""}, {})
    return PlanResult(plan_destroy(snapshot, keep_artifacts=keep_artifacts), desired or empty, snapshot, ctx)


def destroy(
    name_or_spec: Any,
    session: Any = None,
    *,
    context: AwsContext | None = None,
    region: str | None = None,
    keep_artifacts: bool = False,
    on_event: EventSink | None = None,
    waiter: Waiter | None = None,
) -> ApplyResult:
    """Delete everything lmi-deploy made for an endpoint (by name or spec); nothing is left behind."""
    result = destroy_plan(name_or_spec, session, context=context, region=region, keep_artifacts=keep_artifacts)
    return Applier(result.context, on_event=on_event, waiter=waiter or Waiter()).run(result.plan)


def _spec_or_none(name_or_spec: Any) -> Any:
    text = str(name_or_spec)
    if isinstance(name_or_spec, Path) or (isinstance(name_or_spec, str) and text.endswith((".yaml", ".yml", ".toml"))):
        return load(name_or_spec)
    return None if isinstance(name_or_spec, str) else name_or_spec


def status(
    name: str, session: Any = None, *, context: AwsContext | None = None, region: str | None = None
) -> EndpointStatus:
    """The endpoint's status, instance, count, spec hash, age and indicative hourly cost."""
    from deploy.aws.autoscaling import AutoScalingGateway
    from deploy.aws.sagemaker import SageMakerGateway
    from deploy.engine.naming import scaling_resource_id

    ctx = context_for(region, session, context)
    sm = SageMakerGateway(ctx)
    described = sm.describe_endpoint(name)
    if described is None:
        raise NotFoundError(
            f"endpoint {name} does not exist in {ctx.region}",
            field="name",
            value=name,
            fix="check the name and region (lmi list shows lmi-deploy endpoints)",
        )
    target = AutoScalingGateway(ctx).describe_target(scaling_resource_id(name))
    return replace(_status_from(sm, described, target), metrics=_last_hour_metrics(ctx, name))


def _last_hour_metrics(ctx: AwsContext, name: str) -> dict[str, float | None] | None:
    """Invocation metrics for `lmi status`; None when CloudWatch cannot be read (status still works)."""
    from deploy.aws.cloudwatch import CloudWatchGateway
    from deploy.render.bodies import VARIANT

    try:
        return CloudWatchGateway(ctx).invocation_metrics(name, VARIANT)
    except AwsError:
        return None


def list_endpoints(
    session: Any = None, *, context: AwsContext | None = None, region: str | None = None
) -> list[EndpointStatus]:
    """Endpoints tagged ``lmi-deploy:managed=true`` in the region."""
    from deploy.aws.sagemaker import SageMakerGateway

    ctx = context_for(region, session, context)
    sm = SageMakerGateway(ctx)
    found = []
    for summary in sm.list_endpoints():
        if sm.list_tags(str(summary["EndpointArn"])).get(TAG_MANAGED) != "true":
            continue
        described = sm.describe_endpoint(str(summary["EndpointName"]))
        if described is not None:
            found.append(_status_from(sm, described, None))
    return sorted(found, key=lambda e: e.name)


def _status_from(sm: Any, described: dict[str, Any], target: dict[str, Any] | None) -> EndpointStatus:
    config = sm.describe_endpoint_config(str(described.get("EndpointConfigName", ""))) or {}
    variants = config.get("ProductionVariants") or [{}]
    instance_type = variants[0].get("InstanceType")
    live = described.get("ProductionVariants") or [{}]
    count = int(live[0].get("CurrentInstanceCount") or variants[0].get("InitialInstanceCount") or 0)
    if described.get("EndpointStatus") == "Failed":
        count = 0  # a Failed endpoint holds no instances (and costs nothing) until it is deleted or recreated
    tags = sm.list_tags(str(described["EndpointArn"]))
    return EndpointStatus(
        name=str(described["EndpointName"]),
        status=str(described["EndpointStatus"]),
        config_name=str(described.get("EndpointConfigName", "")),
        instance_type=instance_type,
        instance_count=count,
        spec_hash=tags.get(TAG_SPEC_HASH),
        created=described.get("CreationTime"),
        failure_reason=described.get("FailureReason"),
        hourly_cost=_hourly_cost(instance_type, count),
        scaling=(int(target["MinCapacity"]), int(target["MaxCapacity"])) if target else None,
    )


def _hourly_cost(instance_type: str | None, count: int) -> float | None:
    if not instance_type:
        return None
    from deploy.catalog import get_instance
    from deploy.errors import SpecError

    try:
        price = get_instance(instance_type).price_per_hour
    except SpecError:
        return None
    return round(price * count, 3) if price is not None else None


def scale(
    name: str,
    minimum: int,
    maximum: int,
    session: Any = None,
    *,
    context: AwsContext | None = None,
    region: str | None = None,
) -> EndpointStatus:
    """Change the autoscaling bounds of an endpoint's variant (the next deploy restores the spec's values)."""
    from deploy.aws.autoscaling import NAMESPACE, VARIANT_DIMENSION, AutoScalingGateway
    from deploy.engine.naming import scaling_resource_id
    from deploy.errors import UsageError

    if minimum < 0 or maximum < 1 or minimum > maximum:
        raise UsageError(
            f"--min {minimum} --max {maximum} is not a valid range",
            field="--min/--max",
            value=f"{minimum}..{maximum}",
            fix="use 0 <= min <= max and max >= 1",
        )
    ctx = context_for(region, session, context)
    current = status(name, context=ctx)
    refuse_foreign(observe(ctx, name))  # endpoints lmi-deploy did not create are never touched
    if minimum == 0 and not _is_async(ctx, current.config_name):
        raise UsageError(
            f"--min 0 on {name}: only asynchronous endpoints can scale to zero instances",
            field="--min",
            value=minimum,
            fix="use --min 1 or more (scaling.min: 0 needs async_inference in the spec)",
        )
    resource_id = scaling_resource_id(name)
    AutoScalingGateway(ctx).register_target(
        {
            "ServiceNamespace": NAMESPACE,
            "ResourceId": resource_id,
            "ScalableDimension": VARIANT_DIMENSION,
            "MinCapacity": minimum,
            "MaxCapacity": maximum,
        }
    )
    return status(name, context=ctx)


def _is_async(ctx: AwsContext, config_name: str) -> bool:
    from deploy.aws.sagemaker import SageMakerGateway

    config = SageMakerGateway(ctx).describe_endpoint_config(config_name) or {}
    return bool(config.get("AsyncInferenceConfig"))


def size(spec: Any) -> Any:
    """The sizing estimate for a spec (no AWS call): memory budget, fit verdict, reasons and fixes."""
    from deploy.engine.resolve import resolve

    return resolve(load(spec)).estimate
