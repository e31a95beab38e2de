"""Read-only views of running endpoints for ``lmi status`` and ``lmi list``: what serves, on what, at what cost.

Rule: describe/list calls only; never a write. Costs use the region's own price (Price List API, its cache, or the
bundled table): a us-east-1 price is never passed off as another region's.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from html import escape
from typing import Any

from deploy.aws.autoscaling import AutoScalingGateway
from deploy.aws.cloudwatch import CloudWatchGateway
from deploy.aws.sagemaker import SageMakerGateway
from deploy.aws.session import AwsContext
from deploy.engine.component_status import ComponentStatus, component_statuses
from deploy.engine.naming import TAG_MANAGED, TAG_SPEC_HASH, VARIANT, scaling_resource_id
from deploy.errors import AwsError
from deploy.records import record


@record
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
    components: tuple[ComponentStatus, ...] = ()  # inference components, in detail (status only)
    component_count: int | None = None  # how many inference components it hosts (None: not read)

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
            "component_count": self.component_count,
            "components": [component.to_dict() for component in self.components],
        }

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in self.to_dict().items())
        return f"<table>{rows}</table>"

    def __repr__(self) -> str:
        cost = f", ~${self.hourly_cost:.2f}/h" if self.hourly_cost is not None else ""
        return f"<Endpoint {self.name}: {self.status}, {self.instance_count}x {self.instance_type}{cost}>"


def endpoint_status(ctx: AwsContext, name: str) -> EndpointStatus:
    """The endpoint's status, instance, count, spec hash, age and indicative hourly cost."""
    sm = SageMakerGateway(ctx)
    described = sm.describe_endpoint(name)
    if described is None:
        from deploy.engine.leftovers import not_found

        raise not_found(ctx, name)  # names what a run that did not finish left behind, if anything
    target = AutoScalingGateway(ctx).describe_target(scaling_resource_id(name))
    components = _components(ctx, name)
    return replace(
        _status_from(sm, described, target),
        metrics=_last_hour_metrics(ctx, name),
        components=components or (),
        component_count=None if components is None else len(components),
    )


def _components(ctx: AwsContext, name: str) -> tuple[ComponentStatus, ...] | None:
    """The endpoint's inference components; None when they cannot be listed (status still works)."""
    try:
        return component_statuses(ctx, name)
    except AwsError:
        return None


def _component_count(ctx: AwsContext, name: str) -> int | None:
    """How many inference components an endpoint hosts (one list call); None when it cannot be read."""
    from deploy.aws.inference_components import InferenceComponentReader

    try:
        return len(InferenceComponentReader(ctx).names(name))
    except AwsError:
        return None


def _last_hour_metrics(ctx: AwsContext, name: str) -> dict[str, float | None] | None:
    """Invocation metrics for `lmi status`; None when CloudWatch cannot be read (status still works)."""
    try:
        return CloudWatchGateway(ctx).invocation_metrics(name, VARIANT)
    except AwsError:
        return None


def managed_endpoints(ctx: AwsContext) -> list[EndpointStatus]:
    """Endpoints tagged ``lmi-deploy:managed=true`` in the context's region."""
    sm = SageMakerGateway(ctx)
    found = []
    for summary in sm.list_endpoints():
        if sm.list_tags(str(summary["EndpointArn"])).get(TAG_MANAGED) != "true":
            continue
        described = sm.describe_endpoint(str(summary["EndpointName"]))
        if described is not None:
            count = _component_count(ctx, str(summary["EndpointName"]))
            found.append(replace(_status_from(sm, described, None), component_count=count))
    return sorted(found, key=lambda e: e.name)


def _status_from(sm: SageMakerGateway, described: dict[str, Any], target: dict[str, Any] | None) -> EndpointStatus:
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
        hourly_cost=_hourly_cost(instance_type, count, sm.ctx),
        scaling=_bounds(target, variants[0].get("ManagedInstanceScaling")),
    )


def _bounds(target: dict[str, Any] | None, managed: dict[str, Any] | None) -> tuple[int, int] | None:
    """Instance bounds: the variant's scalable target, or (endpoints with components) its managed scaling."""
    if target:
        return int(target["MinCapacity"]), int(target["MaxCapacity"])
    if managed and managed.get("Status") == "ENABLED":
        return int(managed.get("MinInstanceCount", 0)), int(managed.get("MaxInstanceCount", 0))
    return None


def _hourly_cost(instance_type: str | None, count: int, ctx: Any) -> float | None:
    """Cost in the region actually used (Price List API, its cache or the bundled table; None when unknown)."""
    from deploy.aws.pricing import hourly_price
    from deploy.errors import SpecError

    if not instance_type:
        return None
    try:
        price = hourly_price(instance_type, ctx.region, ctx).usd_per_hour
    except SpecError:  # a type outside the catalog (a CPU endpoint someone else made)
        return None
    return round(price * count, 3) if price is not None else None
