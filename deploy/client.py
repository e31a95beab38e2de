"""The Python API: :class:`Client` holds the AWS context; module-level helpers wrap a default client.

    client = deploy.Client(region="eu-west-1")      # or Client(session), or deploy.local.Emulator().client()
    plan = client.plan("qwen.yaml")                 # read-only AWS calls
    client.apply(plan)                              # make it so

Rule: nothing here prints or asks; progress goes to an optional ``on_event`` callback. Every deploy runs through the
composition root (:mod:`deploy.engine.spine`), the same one the CLI uses. The region of each call is decided by
:func:`deploy.aws.region.choose_region` (spec, then the client's region, its session's, the AWS variables, the
profile). boto3 is imported on first AWS use, so ``deploy.size``/``deploy.recommend`` stay offline and fast.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Union

from deploy.errors import LmiError, NotFoundError, SpecError, UsageError

if TYPE_CHECKING:
    import boto3

    from deploy.aws.logs import LogLine
    from deploy.aws.region import RegionChoice
    from deploy.aws.session import AwsContext
    from deploy.catalog.prices import PriceLookup
    from deploy.engine.apply import ApplyResult, EventSink
    from deploy.engine.diagnose import Diagnosis
    from deploy.engine.leftovers import Leftover
    from deploy.engine.resolve import ResolvedSpec
    from deploy.engine.spine import PlanResult
    from deploy.engine.status import EndpointStatus
    from deploy.engine.waiting import Waiter
    from deploy.invoke.endpoint import Endpoint
    from deploy.sizing import Estimate, Recommendation
    from deploy.sizing.component_fit import EndpointFit
    from deploy.sizing.component_recommend import ComponentRanking
    from deploy.spec.components import ComponentEndpointSpec
    from deploy.spec.model import DeploymentSpec

SpecLike = Union["DeploymentSpec", str, Path]
AnySpecLike = Union["DeploymentSpec", "ComponentEndpointSpec", str, Path]
SPEC_SUFFIXES = (".yaml", ".yml", ".toml")

__all__ = [
    "Client",
    "SpecLike",
    "apply",
    "destroy",
    "destroy_plan",
    "leftovers",
    "list_endpoints",
    "load",
    "load_any",
    "plan",
    "price_lookup",
    "recommend",
    "recommend_components",
    "scale",
    "size",
    "size_components",
    "status",
]


def load(spec: SpecLike) -> DeploymentSpec:
    """A DeploymentSpec from a spec object or a path (a component-endpoint spec is refused: see :func:`load_any`)."""
    from deploy.spec.model import DeploymentSpec

    loaded = load_any(spec)
    if isinstance(loaded, DeploymentSpec):
        return loaded
    raise UsageError(
        f"{loaded.name}: component endpoints: not supported by this command yet",
        field="components",
        value=len(loaded.components),
        fix="validate, render, size --spec and recommend --spec take component specs today; this command takes a "
        "single-model spec (top-level model)",
    )


def load_any(spec: SpecLike | ComponentEndpointSpec) -> DeploymentSpec | ComponentEndpointSpec:
    """A single-model or a component-endpoint spec from a spec object or a path (``model`` vs ``components``)."""
    if isinstance(spec, (str, Path)):
        from deploy.spec.loader import load_any_spec

        return load_any_spec(spec)
    return spec


def _component_in_region(spec: ComponentEndpointSpec, region: str) -> ComponentEndpointSpec:
    """A component spec deployed to ``region``: the region must be known and the role of its partition."""
    if spec.region == region:
        return spec
    from deploy.catalog import region_info
    from deploy.spec.rules import check_role_partition

    region_info(region)
    try:
        check_role_partition(spec.role, region)
    except ValueError as exc:
        raise SpecError(str(exc), field="role", value=spec.role, fix=f"use a role of {region}'s partition") from None
    return spec.model_copy(update={"region": region})


class Client:
    """Where lmi-deploy's AWS calls go: an optional boto3 session, region and endpoint URL (the emulator's, say).

    Building one makes no AWS call. Each call picks its region with :func:`deploy.aws.region.choose_region`.
    """

    def __init__(
        self,
        session: boto3.Session | None = None,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        profile: str | None = None,
    ) -> None:
        self.session = session
        self.region = region
        self.endpoint_url = endpoint_url
        self.profile = profile
        self._contexts: dict[str, AwsContext] = {}

    @classmethod
    def from_context(cls, context: AwsContext, *, region: str | None = None) -> Client:
        """A client that reuses ``context`` (its session, endpoint URL and cached clients) for its own region."""
        client = cls(context.session, region=region, endpoint_url=context.endpoint_url)
        client._contexts[context.region] = context
        return client

    def __repr__(self) -> str:
        where = self.endpoint_url or "AWS"
        return f"<deploy.Client {where}, region={self.region or 'from the spec / AWS settings'}>"

    # -- where ---------------------------------------------------------------------------------------------------
    def _choose(self, spec: DeploymentSpec | ComponentEndpointSpec | None) -> RegionChoice:
        from deploy.aws.region import DEFAULT_SPEC_REGION, choose_region, environment

        return choose_region(
            spec_region=spec.region if spec is not None else None,
            asked=self.region,
            session_region=self.session.region_name if self.session is not None else None,
            environ=environment(),
            profile=self.profile,
            fallback=DEFAULT_SPEC_REGION if spec is not None else None,
        )

    def in_region(self, spec: SpecLike) -> DeploymentSpec:
        """``spec`` in the region this client would deploy it to (no AWS call: offline commands use this)."""
        loaded = load(spec)
        region = self._choose(loaded).region
        return loaded.in_region(region) if region else loaded

    def in_region_any(self, spec: AnySpecLike) -> DeploymentSpec | ComponentEndpointSpec:
        """Like :meth:`in_region`, for a single-model or a component-endpoint spec (no AWS call)."""
        from deploy.spec.model import DeploymentSpec

        loaded = load_any(spec)
        region = self._choose(loaded).region
        if isinstance(loaded, DeploymentSpec):
            return loaded.in_region(region) if region else loaded
        return _component_in_region(loaded, region) if region else loaded

    def resolve(self, spec: SpecLike) -> ResolvedSpec:
        """``spec`` in its region with every ``auto`` filled from the model's shape (no AWS call)."""
        from deploy.engine.resolve import resolve

        return resolve(self.in_region(spec))

    def context(self, spec: DeploymentSpec | ComponentEndpointSpec | None = None) -> AwsContext:
        """The AWS context for ``spec`` (its region first) or, without a spec, for the client's own region."""
        choice = self._choose(spec)
        if choice.region is None:
            if self.session is None:  # a missing profile is what is wrong, not the region it would have named
                from deploy.aws.session import require_profile

                require_profile(self.profile)
            raise UsageError(
                "no AWS region given",
                field="region",
                value=None,
                fix="give a region, or export AWS_REGION=us-east-1",
            )
        from deploy.catalog import region_info

        region_info(choice.region)  # an unknown region is a SpecError naming it, before any AWS (or emulator) call
        if choice.region not in self._contexts:
            from deploy.aws.session import make_context

            self._contexts[choice.region] = make_context(
                region=choice.region, profile=self.profile, endpoint_url=self.endpoint_url, session=self.session
            )
        return self._contexts[choice.region]

    def _spec_and_context(self, spec: SpecLike) -> tuple[DeploymentSpec, AwsContext]:
        loaded = load(spec)
        ctx = self.context(loaded)
        return loaded.in_region(ctx.region), ctx

    def _any_spec_and_context(self, spec: AnySpecLike) -> tuple[DeploymentSpec | ComponentEndpointSpec, AwsContext]:
        from deploy.spec.model import DeploymentSpec

        loaded = load_any(spec)
        ctx = self.context(loaded)
        if isinstance(loaded, DeploymentSpec):
            return loaded.in_region(ctx.region), ctx
        return _component_in_region(loaded, ctx.region), ctx

    # -- deploy --------------------------------------------------------------------------------------------------
    def plan(self, spec: AnySpecLike) -> PlanResult:
        """What :meth:`apply` would change for ``spec`` (read-only AWS calls); a spec with ``components`` plans a
        component endpoint."""
        from deploy.engine.spine import plan_deploy

        return plan_deploy(*self._any_spec_and_context(spec))

    def apply(
        self,
        spec_or_plan: AnySpecLike | PlanResult,
        *,
        on_event: EventSink | None = None,
        create_bucket: bool = False,
        waiter: Waiter | None = None,
        cancel: threading.Event | None = None,
    ) -> ApplyResult:
        """Make AWS match the spec (or run a plan computed by :meth:`plan`); returns what was done.

        ``cancel``: once set (e.g. by a Ctrl-C handler in another thread), apply stops before its next step or at
        its next poll and raises :class:`deploy.errors.Interrupted`; running it again finishes the job.
        ``create_bucket``: consent to create a missing artifact bucket.
        """
        from deploy.engine.apply import Applier
        from deploy.engine.spine import PlanResult
        from deploy.engine.waiting import Waiter

        result = spec_or_plan if isinstance(spec_or_plan, PlanResult) else self.plan(spec_or_plan)
        applier = Applier(
            result.context, on_event=on_event, create_bucket=create_bucket, waiter=waiter or Waiter(), cancel=cancel
        )
        return applier.run(result.plan)

    def destroy_plan(self, name_or_spec: AnySpecLike, *, keep_artifacts: bool = False) -> PlanResult:
        """What :meth:`destroy` would delete: scaling, endpoint, configs, models, alarm and (unless kept) uploads."""
        from deploy.engine.spine import plan_teardown

        spec = _spec_or_none(name_or_spec)
        if spec is None:
            name = _endpoint_name(str(name_or_spec))
            return plan_teardown(name, None, self.context(), keep_artifacts=keep_artifacts)
        loaded, ctx = self._any_spec_and_context(spec)
        return plan_teardown(loaded.name, loaded, ctx, keep_artifacts=keep_artifacts)

    def destroy(
        self,
        name_or_spec: AnySpecLike,
        *,
        keep_artifacts: bool = False,
        on_event: EventSink | None = None,
        waiter: Waiter | None = None,
    ) -> ApplyResult:
        """Delete everything lmi-deploy made for an endpoint (by name or spec); nothing is left behind."""
        result = self.destroy_plan(name_or_spec, keep_artifacts=keep_artifacts)
        return self.apply(result, on_event=on_event, waiter=waiter)

    def scale_plan(self, name: str, minimum: int, maximum: int) -> PlanResult:
        """A plan with the one scaling action that :meth:`scale` applies."""
        from deploy.engine.spine import plan_scaling

        name = _endpoint_name(name)  # before the context: a bad NAME never reaches AWS
        return plan_scaling(name, minimum, maximum, self.context())

    def scale(self, name: str, minimum: int, maximum: int, *, on_event: EventSink | None = None) -> EndpointStatus:
        """Change the autoscaling bounds of an endpoint's variant (the next deploy restores the spec's values)."""
        self.apply(self.scale_plan(name, minimum, maximum), on_event=on_event)
        return self.status(name)

    # -- look ----------------------------------------------------------------------------------------------------
    def status(self, name: str) -> EndpointStatus:
        """The endpoint's status, instance, count, spec hash, age and indicative hourly cost."""
        from deploy.engine.status import endpoint_status

        name = _endpoint_name(name)
        return endpoint_status(self.context(), name)

    def list(self) -> builtins.list[EndpointStatus]:
        """Endpoints lmi-deploy manages in the client's region."""
        from deploy.engine.status import managed_endpoints

        return managed_endpoints(self.context())

    def leftovers(self, name: str | None = None) -> builtins.list[Leftover]:
        """Models, endpoint configs and uploads lmi-deploy made for endpoints that do not exist (a run stopped
        half-way); ``destroy(NAME)`` removes them. See :mod:`deploy.engine.leftovers`."""
        from deploy.engine.leftovers import find_leftovers

        name = None if name is None else _endpoint_name(name)
        return find_leftovers(self.context(), name)

    def endpoint(
        self,
        name: str,
        *,
        read_timeout_s: float = 70.0,
        max_pool_connections: int = 10,
        max_attempts: int = 3,
        component: str | None = None,
    ) -> Endpoint:
        """A client for invoking endpoint ``name`` (generate, chat, stream; ``component``: an inference component)."""
        from deploy.invoke.endpoint import Endpoint

        return Endpoint(
            _endpoint_name(name),
            context=self.context(),
            read_timeout_s=read_timeout_s,
            max_pool_connections=max_pool_connections,
            max_attempts=max_attempts,
            component=component,
        )

    def logs(
        self, name: str, *, lines: int = 50, since: str | None = None, component: str | None = None
    ) -> builtins.list[LogLine]:
        """The last ``lines`` container log lines of endpoint ``name`` (``since``: ``10m``, ``1h`` or ISO time).

        ``component``: one inference component's lines (short or full name), from its own log group.
        """
        from deploy.aws import logs

        name = _endpoint_name(name)
        ctx = self.context()
        ic = self.resolve_component(name, component) if component is not None else None
        start_ms = logs.parse_since(since) if since else None
        try:
            return logs.tail(ctx, name, lines=lines, start_ms=start_ms, component=ic)
        except NotFoundError as exc:
            hinted = None if ic is not None else self._components_hint(name, exc)
            if hinted is None:
                raise
            raise hinted from exc

    def follow_logs(
        self,
        name: str,
        *,
        lines: int = 50,
        since: str | None = None,
        on_waiting: Callable[[str], None] | None = None,
        component: str | None = None,
    ) -> Iterator[LogLine]:
        """The last ``lines`` lines, then new ones as they arrive (until the caller stops iterating)."""
        from deploy.aws import logs

        start_ms = logs.parse_since(since) if since else None
        name = _endpoint_name(name)
        ic = self.resolve_component(name, component) if component is not None else None

        def waiting(group: str) -> None:  # the endpoint's group is missing: on a component endpoint it stays so
            hinted = None if ic is not None else self._components_hint(name, NotFoundError(f"no log group {group}"))
            if hinted is not None:
                raise hinted
            if on_waiting is not None:
                on_waiting(group)

        return logs.tail_then_follow(self.context(), name, lines=lines, start_ms=start_ms, on_waiting=waiting,
                                     component=ic)  # fmt: skip

    def inference_components(self, name: str) -> builtins.list[str]:
        """The inference components of endpoint ``name``, oldest first ([] when it serves one model directly)."""
        from deploy.aws.inference_components import InferenceComponentReader

        return InferenceComponentReader(self.context()).names(_endpoint_name(name))

    def resolve_component(self, name: str, component: str | None) -> str | None:
        """The full IC name for ``component`` (short or full) on endpoint ``name``; the only one when None.

        :class:`UsageError` (exit 2) lists the components when the name matches none, or when ``component`` is
        None and there are several.
        """
        from deploy.invoke.components import resolve_component

        return resolve_component(_endpoint_name(name), component, self.inference_components(name))

    def _components_hint(self, name: str, exc: NotFoundError) -> NotFoundError | None:
        """A missing endpoint log group on an endpoint with components: its lines are in the components' groups."""
        from deploy.invoke.components import component_choices

        try:
            names = self.inference_components(name)
        except LmiError:
            return None
        if not names:
            return None
        return NotFoundError(
            f"{exc.message}; endpoint {name!r} hosts inference components, whose containers log to groups of their own",
            code=exc.code,
            operation=exc.operation,
            field="component",
            value=None,
            fix=f"pass --component (or component=...) with one of: {component_choices(name, names)}",
        )

    def explain(self, name: str, *, lines: int = 50, component: str | None = None) -> tuple[str, Diagnosis]:
        """Why endpoint ``name`` (or its inference component ``component``) failed: its status and a diagnosis
        (FailureReason, log tail, hints)."""
        from deploy.aws.sagemaker import SageMakerGateway
        from deploy.engine.diagnose import explain_failure

        name = _endpoint_name(name)
        ctx = self.context()
        if component is not None:
            return self._explain_component(name, component, lines)
        description = SageMakerGateway(ctx).describe_endpoint(name) or {}
        status = str(description.get("EndpointStatus", "not found"))
        return status, explain_failure(ctx, name, description.get("FailureReason"), lines=lines)

    def _explain_component(self, name: str, component: str, lines: int) -> tuple[str, Diagnosis]:
        from deploy.aws.inference_components import InferenceComponentReader
        from deploy.engine.diagnose import explain_failure

        ctx = self.context()
        ic = self.resolve_component(name, component) or component
        described = InferenceComponentReader(ctx).describe(ic) or {}
        status = str(described.get("InferenceComponentStatus", "not found"))
        return status, explain_failure(ctx, name, described.get("FailureReason"), lines=lines, component=ic)

    @staticmethod
    def log_group(name: str, component: str | None = None) -> str:
        """The CloudWatch log group of endpoint ``name``'s containers (of inference component ``component``'s,
        given its full IC name)."""
        from deploy.aws.logs import log_group_name

        return log_group_name(name, component)

    # -- offline -------------------------------------------------------------------------------------------------
    def size(self, spec: SpecLike) -> Estimate:
        """The sizing estimate for a spec (no AWS call); :class:`SpecError` when the model's shape is unknown."""
        return size(spec)

    def recommend(
        self, model: str, *, max_model_len: int | None = None, concurrency: int | None = None
    ) -> builtins.list[Recommendation]:
        """Instance types that fit ``model`` (a Hub id, config.json or directory), cheapest first in the client's
        region (prices: a cached Price List answer, else the bundled table; no AWS call)."""
        from deploy.catalog import DEFAULT_SPEC_REGION

        region = self.region or DEFAULT_SPEC_REGION
        return recommend(model, max_model_len=max_model_len, concurrency=concurrency, region=region)


def _spec_or_none(name_or_spec: AnySpecLike) -> DeploymentSpec | ComponentEndpointSpec | None:
    if isinstance(name_or_spec, Path) or (isinstance(name_or_spec, str) and name_or_spec.endswith(SPEC_SUFFIXES)):
        return load_any(name_or_spec)
    return None if isinstance(name_or_spec, str) else name_or_spec


def size(spec: SpecLike) -> Estimate:
    """The sizing estimate for a spec (no AWS call): memory budget, fit verdict, reasons and fixes.

    Never None: a model whose shape cannot be read offline raises :class:`SpecError` with the fix.
    """
    from deploy.engine.resolve import resolve

    loaded = load(spec)
    estimate = resolve(loaded).estimate
    if estimate is None:
        raise SpecError(
            f"the shape of model {loaded.model.id!r} is unknown offline, so it cannot be sized",
            field="model.config",
            value=loaded.model.config,
            fix="set model.config to the model's config.json (a file or directory), or use a bundled model id",
        )
    return estimate


def recommend(
    model: str, *, max_model_len: int | None = None, concurrency: int | None = None, region: str = "us-east-1"
) -> list[Recommendation]:
    """Instance types that fit ``model`` (a Hub id from the bundled library, a config.json or a directory),
    cheapest first at ``region``'s prices (unknown prices rank last)."""
    from deploy.sizing import load_shape
    from deploy.sizing import recommend as rank

    shape = load_shape(model)
    return rank(shape, max_model_len=max_model_len, concurrency=concurrency, region=region, prices=price_lookup(region))


def size_components(spec: SpecLike | ComponentEndpointSpec) -> EndpointFit:
    """Each component's estimate and the placement of its copies (no AWS call); SpecError (exit 2) if they do not
    fit the endpoint's maximum instances."""
    from deploy.sizing.placement import check_component_fit

    return check_component_fit(_components_spec(spec))


def recommend_components(spec: SpecLike | ComponentEndpointSpec, *, region: str = "us-east-1") -> ComponentRanking:
    """Instance types and counts that hold every component's copies, cheapest first (no AWS call)."""
    from deploy.sizing.component_recommend import recommend_components as rank

    return rank(_components_spec(spec), region=region)


def _components_spec(spec: SpecLike | ComponentEndpointSpec) -> ComponentEndpointSpec:
    from deploy.spec.components import ComponentEndpointSpec

    loaded = load_any(spec)
    if not isinstance(loaded, ComponentEndpointSpec):
        raise UsageError(
            f"{loaded.name} is a single-model spec (top-level model), not a component endpoint",
            field="components",
            value=None,
            fix="use size()/recommend() for a single-model spec",
        )
    return loaded


def _default(session: boto3.Session | None, context: AwsContext | None, region: str | None = None) -> Client:
    """The client behind the module-level helpers: from an explicit context, or a session and region."""
    if context is not None:
        return Client.from_context(context, region=region)
    return Client(session, region=region)


def plan(spec: AnySpecLike, session: boto3.Session | None = None, *, context: AwsContext | None = None) -> PlanResult:
    """What ``apply`` would change for ``spec`` (read-only AWS calls)."""
    return _default(session, context).plan(spec)


def apply(
    spec_or_plan: AnySpecLike | PlanResult,
    session: boto3.Session | None = None,
    *,
    context: AwsContext | None = None,
    on_event: EventSink | None = None,
    create_bucket: bool = False,
    waiter: Waiter | None = None,
    cancel: threading.Event | None = None,
) -> ApplyResult:
    """Make AWS match the spec (or run a plan computed by :func:`plan`); see :meth:`Client.apply`."""
    client = _default(session, context)
    return client.apply(spec_or_plan, on_event=on_event, create_bucket=create_bucket, waiter=waiter, cancel=cancel)


def destroy_plan(
    name_or_spec: AnySpecLike,
    session: boto3.Session | None = None,
    *,
    context: AwsContext | None = None,
    region: str | None = None,
    keep_artifacts: bool = False,
) -> PlanResult:
    """What ``destroy`` would delete; see :meth:`Client.destroy_plan`."""
    return _default(session, context, region).destroy_plan(name_or_spec, keep_artifacts=keep_artifacts)


def destroy(
    name_or_spec: AnySpecLike,
    session: boto3.Session | None = None,
    *,
    context: AwsContext | None = None,
    region: str | None = None,
    keep_artifacts: bool = False,
    on_event: EventSink | None = None,
    waiter: Waiter | None = None,
) -> ApplyResult:
    """Delete everything lmi-deploy made for an endpoint (by name or spec); nothing is left behind."""
    client = _default(session, context, region)
    return client.destroy(name_or_spec, keep_artifacts=keep_artifacts, on_event=on_event, waiter=waiter)


def status(
    name: str, session: boto3.Session | None = None, *, context: AwsContext | None = None, region: str | None = None
) -> EndpointStatus:
    """The endpoint's status, instance, count, spec hash, age and indicative hourly cost."""
    return _default(session, context, region).status(name)


def list_endpoints(
    session: boto3.Session | None = None, *, context: AwsContext | None = None, region: str | None = None
) -> list[EndpointStatus]:
    """Endpoints tagged ``lmi-deploy:managed=true`` in the region."""
    return _default(session, context, region).list()


def leftovers(
    session: boto3.Session | None = None, *, context: AwsContext | None = None, region: str | None = None
) -> list[Leftover]:
    """What runs that did not finish left behind in the region; see :meth:`Client.leftovers`."""
    return _default(session, context, region).leftovers()


def scale(
    name: str,
    minimum: int,
    maximum: int,
    session: boto3.Session | None = None,
    *,
    context: AwsContext | None = None,
    region: str | None = None,
) -> EndpointStatus:
    """Change the autoscaling bounds of an endpoint's variant (the next deploy restores the spec's values)."""
    return _default(session, context, region).scale(name, minimum, maximum)


def _endpoint_name(name: str) -> str:
    """An endpoint name from the caller, checked offline against SageMaker's rule (exit 2 naming it), so an empty,
    multi-line or path-like NAME is refused before any AWS call rather than reported as "not found"."""
    from deploy.engine.naming import check_endpoint_name

    return check_endpoint_name(name)


def price_lookup(
    region: str, *, live: bool = False, offline: bool = False, context: AwsContext | None = None
) -> PriceLookup:
    """Hourly prices in ``region`` as :class:`~deploy.catalog.prices.PriceQuote` (``lookup("ml.g5.xlarge")``).

    ``offline``: the bundled table only. Default: a fresh cached Price List answer, else the table (no boto3 is
    imported, so offline commands stay fast). ``live`` (or a ``context``): ask the AWS Price List API when
    credentials allow it, caching the answer; any failure falls back to the table, the quote says which.
    """
    if offline:
        from deploy.catalog.prices import table_lookup

        return table_lookup(region)
    if live or context is not None:
        from deploy.aws.pricing import price_lookup as ask

        return ask(region, context)
    from deploy.aws.pricing_cache import cached_lookup

    return cached_lookup(region)
