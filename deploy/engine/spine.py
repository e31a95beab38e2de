"""The composition root: the one place that strings the stages of a deploy together.

    gather facts (read-only AWS: the S3 model's config.json, the account id when the default bucket is needed)
      -> resolve (sizing fills every ``auto``)   -> render (serving.properties, every request body)
      -> name (content-hashed names and tags)   -> observe (read-only describe/list)
      -> plan (pure diff)                        -> apply (the only writer, in deploy.engine.apply)

Rule: every AWS read of a deploy happens in :func:`gather_facts` or :func:`deploy.engine.observe.observe`, and both
are called from here; no stage reaches AWS behind another's back. The CLI and the Python API both come through
:func:`plan_deploy`, :func:`plan_teardown` and :func:`plan_scaling`; apply runs what they return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from typing import TYPE_CHECKING, Any

from deploy.engine.desired import DesiredState, build_desired
from deploy.engine.naming import TAG_MODEL_SHA
from deploy.engine.observe import observe
from deploy.engine.plan import Plan, plan_destroy, plan_scale
from deploy.engine.plan import plan as diff
from deploy.engine.plan_cost import PlanCost, plan_cost
from deploy.engine.plan_diff import FieldChange, field_changes
from deploy.engine.preflight import run_preflight
from deploy.engine.resolve import resolve
from deploy.engine.snapshot import RemoteSnapshot
from deploy.records import record
from deploy.render.bodies import artifact_layout
from deploy.render.properties import render
from deploy.secrets.masking import Secret
from deploy.secrets.references import resolve_reference, resolve_references, secret_fingerprints

if TYPE_CHECKING:
    from deploy.aws.session import AwsContext
    from deploy.engine.components.desired import ComponentEndpointDesired
    from deploy.engine.components.snapshot import ComponentEndpointSnapshot
    from deploy.engine.resolve import ResolvedSpec
    from deploy.render.properties import Rendered
    from deploy.sizing import ModelShape
    from deploy.spec.components import ComponentEndpointSpec
    from deploy.spec.model import DeploymentSpec

UNKNOWN_ACCOUNT = "unknown"  # the account id is read only when a name needs it (the default bucket)


@record
class Facts:
    """What a deploy reads from AWS before anything is decided (read-only, explicit)."""

    region: str
    account: str = UNKNOWN_ACCOUNT
    model_shape: ModelShape | None = None
    secrets: dict[str, Secret] = field(default_factory=dict)  # reference (env:NAME) -> value, masked in any repr
    preflight: tuple[Any, ...] = ()  # deploy.engine.preflight.Check verdicts (a refusal raised already)


@record
class PlanResult:
    """A plan plus what it was computed from; ``apply`` accepts it as is."""

    plan: Plan
    desired: DesiredState | ComponentEndpointDesired
    snapshot: RemoteSnapshot | ComponentEndpointSnapshot
    context: AwsContext
    preflight: tuple[Any, ...] = ()  # deploy.engine.preflight.Check verdicts of a deploy plan
    diff: tuple[FieldChange, ...] = ()  # old -> new per changed field (deploy plans)
    cost: PlanCost | None = None  # the bill before and after
    notes: tuple[str, ...] = ()  # what the spec asks but the plan leaves alone, and why (component copies)

    @property
    def actions(self) -> tuple[Any, ...]:
        return self.plan.actions

    @property
    def is_empty(self) -> bool:
        return self.plan.is_empty

    def to_dict(self) -> dict[str, Any]:
        out = self.plan.to_dict()
        out["diff"] = [change.to_dict() for change in self.diff]
        if self.cost is not None:
            out["cost"] = self.cost.to_dict()
        sha = self.desired.endpoint_tags.get(TAG_MODEL_SHA)
        if sha:  # the Hub commit that was sized (also tagged on every resource)
            out["model_sha"] = sha
        if self.preflight:
            out["preflight"] = [check.to_dict() for check in self.preflight]
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def __repr__(self) -> str:
        return repr(self.plan)

    def _repr_html_(self) -> str:
        return self.plan._repr_html_()


def gather_facts(
    spec: DeploymentSpec, ctx: AwsContext, *, with_secrets: bool = True, with_preflight: bool = False
) -> Facts:
    """The deploy's AWS reads that come before any decision; ``spec.region`` is already chosen.

    Secret references are resolved first (the deploying machine's environment): an unset variable or a broken
    token is refused before any AWS call, and the values feed the keyed fingerprints of :func:`desired_from`.
    ``with_preflight`` (deploy plans) runs :func:`deploy.engine.preflight.run_preflight`: quota, availability,
    role account, S3 prefix; a refusal raises before anything is decided or created.
    """
    secrets = resolve_references([spec.model.hf_token]) if with_secrets else {}
    account = UNKNOWN_ACCOUNT
    if spec.artifacts.bucket is None and artifact_layout(spec) in ("upload_weights", "upload_properties"):
        from deploy.aws.cloudwatch import account_id

        account = account_id(ctx)
    checks = run_preflight(spec, ctx) if with_preflight else ()
    shape = s3_model_shape(spec, ctx)
    return Facts(region=ctx.region, account=account, model_shape=shape, secrets=secrets, preflight=checks)


def s3_model_shape(spec: DeploymentSpec, ctx: AwsContext) -> ModelShape | None:
    """For an ``s3://`` model without ``model.config``, size from the prefix's own config.json (None if absent)."""
    from deploy.aws.s3 import S3Gateway
    from deploy.sizing import shape_from_document
    from deploy.sizing.config_check import parse_config_text

    if spec.model.kind != "s3" or spec.model.config is not None:
        return None
    bucket, _, prefix = spec.model.id.removeprefix("s3://").partition("/")
    key = prefix.rstrip("/") + "/config.json" if prefix.strip("/") else "config.json"
    text = S3Gateway(ctx).get_text(bucket, key)
    if text is None:
        return None
    source = f"s3://{bucket}/{key}"
    return shape_from_document(parse_config_text(text, source), spec.model.id, source)


def desired_from(spec: DeploymentSpec, facts: Facts) -> DesiredState:
    """resolve -> render -> name: pure once the facts are known (the fingerprint key aside, read once per install).

    A rotated token changes the model's name through its keyed fingerprint, never through its value.
    """
    return resolved_desired(spec, facts)[1]


def resolved_desired(
    spec: DeploymentSpec, facts: Facts, rendering: Callable[[ResolvedSpec], Rendered] = render
) -> tuple[ResolvedSpec, DesiredState]:
    """:func:`desired_from` plus the resolved spec it was built from (component endpoints size each copy);
    ``rendering``: a component's adds its LoRA switches (:func:`deploy.render.components.render_component`)."""
    resolved = resolve(spec, shape=facts.model_shape)
    rendered = rendering(resolved)
    known = {name: ref for name, ref in rendered.secret_env.items() if ref in facts.secrets}  # none for a teardown
    prints = secret_fingerprints(known, facts.secrets, endpoint=spec.name, environment=rendered.environment)
    desired = build_desired(resolved, rendered, region=facts.region, account=facts.account, secret_fingerprints=prints)
    return resolved, desired


def plan_deploy(spec: DeploymentSpec | ComponentEndpointSpec, ctx: AwsContext) -> PlanResult:
    """What apply would change for ``spec`` in ``ctx`` (read-only AWS calls), with the field diff and the bill."""
    from deploy.spec.components import ComponentEndpointSpec

    if isinstance(spec, ComponentEndpointSpec):
        return plan_components_deploy(spec, ctx)
    facts = gather_facts(spec, ctx, with_preflight=True)
    resolved, desired = resolved_desired(spec, facts)
    snapshot = observe(ctx, desired.endpoint_name, desired)
    changes, cost = field_changes(desired, snapshot), plan_cost(desired, snapshot, resolved.shape, ctx.region)
    return PlanResult(
        diff(desired, snapshot), desired, snapshot, ctx, preflight=facts.preflight, diff=changes, cost=cost
    )


def plan_teardown(
    name: str, spec: DeploymentSpec | ComponentEndpointSpec | None, ctx: AwsContext, *, keep_artifacts: bool = False
) -> PlanResult:
    """What destroy would delete: scaling, endpoint, configs, models, alarm and (unless kept) uploads."""
    from deploy.engine.components.observe import is_component_endpoint
    from deploy.spec.components import ComponentEndpointSpec

    if isinstance(spec, ComponentEndpointSpec) or (spec is None and is_component_endpoint(ctx, name)):
        return plan_components_teardown(name, spec, ctx, keep_artifacts=keep_artifacts)
    # Tearing down needs no token: the spec only says where the uploads are, so secrets are not resolved here.
    desired = desired_from(spec, gather_facts(spec, ctx, with_secrets=False)) if spec is not None else None
    snapshot = observe(ctx, name, desired)
    empty = DesiredState(name, "", {"ModelName": ""}, {"EndpointConfigName": ""}, {})
    cost = plan_cost(None, snapshot, None, ctx.region)  # what stops being paid (no $/M tokens: nothing after)
    return PlanResult(plan_destroy(snapshot, keep_artifacts=keep_artifacts), desired or empty, snapshot, ctx, cost=cost)


def plan_scaling(name: str, minimum: int, maximum: int, ctx: AwsContext) -> PlanResult:
    """A plan with one scaling action: new autoscaling bounds for endpoint ``name`` (checked against AWS)."""
    snapshot = observe(ctx, name)
    empty = DesiredState(name, "", {"ModelName": ""}, {"EndpointConfigName": ""}, {})
    return PlanResult(plan_scale(snapshot, minimum, maximum), empty, snapshot, ctx)


# -- component endpoints (inference components) ------------------------------------------------------------------
def gather_component_facts(
    spec: ComponentEndpointSpec, ctx: AwsContext, *, with_secrets: bool = True
) -> dict[str, Facts]:
    """:func:`gather_facts` for each component's view; the account id is read once, only when a name needs it."""
    from deploy.engine.components.desired import view_of

    views = {c.name: view_of(spec, c) for c in spec.components}
    account = UNKNOWN_ACCOUNT
    uploads = ("upload_weights", "upload_properties")
    if spec.artifacts.bucket is None and any(artifact_layout(v) in uploads for v in views.values()):
        from deploy.aws.cloudwatch import account_id

        account = account_id(ctx)
    tokens = [(f"components.{i}.model.hf_token", v.model.hf_token) for i, v in enumerate(views.values())]
    secrets = {  # every token is checked before any model is sized or read; an error names its component
        ref: resolve_reference(ref, field=field) for field, ref in tokens if ref and with_secrets
    }
    return {
        name: Facts(region=ctx.region, account=account, model_shape=s3_model_shape(v, ctx), secrets=secrets)
        for name, v in views.items()
    }


def component_models(
    spec: ComponentEndpointSpec, facts: dict[str, Facts]
) -> dict[str, tuple[ResolvedSpec, DesiredState]]:
    """Each component's view resolved, rendered (with its LoRA switches) and named by the single-model path (pure
    once facts are known)."""
    from functools import partial

    from deploy.engine.components.desired import view_of
    from deploy.render.components import render_component

    return {
        c.name: resolved_desired(view_of(spec, c), facts[c.name], partial(render_component, component=c))
        for c in spec.components
    }


def plan_components_deploy(spec: ComponentEndpointSpec, ctx: AwsContext) -> PlanResult:
    """What apply would change for a component endpoint (read-only AWS calls)."""
    from deploy.engine.components.desired import build_component_desired
    from deploy.engine.components.observe import observe_components
    from deploy.engine.components.plan import plan_components
    from deploy.engine.components.review import component_changes, component_cost, component_notes

    checks = run_preflight(spec, ctx)  # the instances' quota, availability and the role, as for one model
    desired = build_component_desired(spec, component_models(spec, gather_component_facts(spec, ctx)), ctx.region)
    snapshot = observe_components(ctx, desired.endpoint_name, desired)
    changes, cost = component_changes(desired, snapshot), component_cost(desired, snapshot, ctx.region)
    plan = plan_components(desired, snapshot)
    notes = component_notes(desired, snapshot)
    return PlanResult(plan, desired, snapshot, ctx, preflight=checks, diff=changes, cost=cost, notes=notes)


def plan_components_teardown(
    name: str, spec: ComponentEndpointSpec | None, ctx: AwsContext, *, keep_artifacts: bool = False
) -> PlanResult:
    """What destroy would delete for a component endpoint: scaling, alarms, components, endpoint, configs, models,
    uploads (found by name alone when no spec is given)."""
    from deploy.engine.components.desired import build_component_desired
    from deploy.engine.components.observe import observe_components
    from deploy.engine.components.review import component_cost
    from deploy.engine.components.teardown import plan_component_destroy

    desired = None
    if spec is not None:
        facts = gather_component_facts(spec, ctx, with_secrets=False)
        desired = build_component_desired(spec, component_models(spec, facts), ctx.region)
    snapshot = observe_components(ctx, name, desired)
    empty = DesiredState(name, "", {"ModelName": ""}, {"EndpointConfigName": ""}, {})
    plan = plan_component_destroy(snapshot, keep_artifacts=keep_artifacts)
    cost = component_cost(None, snapshot, ctx.region)  # what stops being paid
    return PlanResult(plan, desired or empty, snapshot, ctx, cost=cost)
