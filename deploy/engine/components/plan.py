"""Plan a component endpoint: a pure diff of the desired state against a snapshot, as ordered typed actions.

Order: uploads -> models -> endpoint config -> create/update endpoint -> wait -> remove components no longer in the
spec (their alarm, policies and target first, so their capacity is free for what follows) -> every component's
create, update or copy change -> every component's wait (so they start and roll side by side, not one after
another: each can take minutes) -> their scaling -> adapters (created, then waited for) -> delete superseded
configs and models. Deletions of
models come last, so a failed IC update never removes what is still serving. Applying a plan and planning again
gives no actions.

Decisions:

* A copy-count change is one ``UpdateInferenceComponentRuntimeConfig``. When the component has ``scaling``,
  Application Auto Scaling owns the copy count: ``copies`` is the count an IC starts with, and the plan never
  resets what autoscaling chose (as a variant's autoscaled instance count is not reset either).
* A model or engine change is one ``UpdateInferenceComponent`` of that IC alone, rolled one copy at a time
  (``RollingUpdatePolicy``, batch of 1 copy, rollback batch of 1): the other components are not touched. It needs
  room for one extra copy; managed instance scaling adds an instance (up to ``scaling.max``) when there is none.
* A capacity change (instance type or count, ManagedInstanceScaling bounds, routing) is a new endpoint config and
  one ``UpdateEndpoint``; SageMaker moves every component's copies to the new instances and the old instances
  serve until then. The plan says so when the instance type changes.
"""

from __future__ import annotations

from typing import Any

from deploy.engine.actions import (
    AnyAction,
    CreateBucket,
    CreateEndpoint,
    CreateEndpointConfig,
    CreateInferenceComponent,
    CreateModel,
    DeleteAlarm,
    DeleteEndpoint,
    DeleteEndpointConfig,
    DeleteInferenceComponent,
    DeleteModel,
    DeleteScalingPolicy,
    DeregisterScalableTarget,
    PutScaleOutAlarm,
    PutScalingPolicy,
    RegisterScalableTarget,
    TagEndpoint,
    TagInferenceComponent,
    UpdateEndpoint,
    UpdateInferenceComponent,
    UpdateInferenceComponentRuntimeConfig,
    UploadArtifacts,
    WaitForDeletion,
    WaitForEndpoint,
    WaitForInferenceComponent,
    WaitForInferenceComponentDeletion,
)
from deploy.engine.components.desired import AdapterDesired, ComponentDesired, ComponentEndpointDesired
from deploy.engine.components.snapshot import ComponentEndpointSnapshot, ComponentState
from deploy.engine.plan import TRANSITIONAL, Plan, _subset, refuse_foreign, refuse_unchangeable, wait_in_flight
from deploy.engine.snapshot import RemoteSnapshot
from deploy.errors import ForeignResourceError, PlanError

IC_TRANSITIONAL = frozenset({"Creating", "Updating"})


def plan_components(desired: ComponentEndpointDesired, snapshot: ComponentEndpointSnapshot) -> Plan:
    """Diff ``desired`` against ``snapshot``; see the module docstring for the order and the decisions."""
    refuse_foreign(RemoteSnapshot(snapshot.endpoint_name, endpoint=snapshot.endpoint))
    refuse_single_model(snapshot)
    refuse_taken_names(desired, snapshot)
    endpoint_actions, fresh = _endpoint_actions(desired, snapshot)
    current = () if fresh else snapshot.components
    actions: list[AnyAction] = [*_artifact_actions(desired, snapshot), *_model_actions(desired, snapshot)]
    if desired.config_name not in snapshot.configs:
        why = "endpoint config content changed or new (capacity only: no model in the variant)"
        actions.append(CreateEndpointConfig(desired.config_name, why, request=desired.config_request))
    actions += endpoint_actions
    for gone in adapters_first(current):
        if gone.name not in desired.ic_names:
            actions += remove_component(gone, desired.endpoint_name, "component no longer in the spec")
    actions += _components_phase(desired, current)
    actions += _cleanup(desired, snapshot)
    return Plan(endpoint_name=desired.endpoint_name, actions=tuple(actions))


def _components_phase(desired: ComponentEndpointDesired, current: tuple[ComponentState, ...]) -> list[AnyAction]:
    """Every component's change, then every wait, then scaling, then the adapters (created, then waited for)."""
    changes: list[AnyAction] = []
    waits: list[AnyAction] = []
    scaling: list[AnyAction] = []
    adapter_changes: list[AnyAction] = []
    adapter_waits: list[AnyAction] = []
    for component in desired.components:
        state = next((s for s in current if s.name == component.ic_name), None)
        _split(_component_actions(component, state, desired), changes, waits)
        scaling += scaling_actions(component, state)
        base_fresh = state is None or state.status in ("Failed", "Deleting")
        for adapter in component.adapters:
            found = None if base_fresh else next((s for s in current if s.name == adapter.ic_name), None)
            _split(_adapter_actions(adapter, found, desired.endpoint_name), adapter_changes, adapter_waits)
    return [*changes, *waits, *scaling, *adapter_changes, *adapter_waits]


def refuse_single_model(snapshot: ComponentEndpointSnapshot) -> None:
    """An endpoint that serves a model in its variant cannot become a component endpoint by an update."""
    if snapshot.endpoint is None or snapshot.config is None or not snapshot.config.get("ModelName"):
        return
    name = snapshot.endpoint_name
    raise PlanError(
        f"endpoint {name} serves a single model (its variant names model {snapshot.config['ModelName']}); a "
        "component spec cannot take it over in place",
        field="name",
        value=name,
        fix=f"pick another endpoint name, or remove it first (lmi destroy {name})",
    )


def refuse_taken_names(desired: ComponentEndpointDesired, snapshot: ComponentEndpointSnapshot) -> None:
    """A component whose IC name is held by an IC lmi-deploy did not create on this endpoint is never adopted, and
    one whose name an IC on another endpoint holds (IC names are unique per account and region) is refused before
    anything is created."""
    elsewhere = sorted(set(desired.ic_names) & set(snapshot.taken_elsewhere))
    if elsewhere:
        listed = ", ".join(f"{name} (on endpoint {snapshot.taken_elsewhere[name]})" for name in elsewhere)
        raise ForeignResourceError(
            f"inference component name(s) already taken in {snapshot.region or 'this region'}: {listed}; IC names "
            f"are unique per account and region, so endpoint {desired.endpoint_name} cannot use them",
            field="components[].name",
            value=elsewhere[0],
            fix="rename the component (or the adapter, or the endpoint) so <endpoint>-<component> is a free name, "
            "or delete the other inference component if it is no longer needed",
        )
    taken = sorted(set(desired.ic_names) & set(snapshot.foreign_components))
    if taken:
        raise ForeignResourceError(
            f"inference component {taken[0]} already exists on {snapshot.endpoint_name} but was not created by "
            "lmi-deploy; refusing to take it over",
            field="components[].name",
            value=taken[0],
            fix="rename the component, or delete that IC first (aws sagemaker delete-inference-component)",
        )


def _artifact_actions(desired: ComponentEndpointDesired, snapshot: ComponentEndpointSnapshot) -> list[AnyAction]:
    actions: list[AnyAction] = []
    asked: set[str] = set()
    for component in desired.components:
        upload = component.model.artifacts
        if upload is None or snapshot.artifact_digests.get(upload.uri) == upload.digest:
            continue
        if snapshot.bucket_exists.get(upload.bucket) is False and upload.bucket not in asked:
            asked.add(upload.bucket)
            reason = "artifact bucket does not exist (created only with consent)"
            actions.append(CreateBucket(upload.bucket, reason, region=snapshot.region))
        why = "first upload" if snapshot.artifact_digests.get(upload.uri) is None else "files changed"
        text = f"{component.name}: {why}: {len(upload.files)} file(s), {upload.total_bytes / 2**20:.1f} MiB"
        actions.append(UploadArtifacts(upload.uri, text, upload=upload))
    return actions


def _model_actions(desired: ComponentEndpointDesired, snapshot: ComponentEndpointSnapshot) -> list[AnyAction]:
    actions: list[AnyAction] = []
    for component in desired.components:
        model = component.model
        if model.model_name in snapshot.models or any(isinstance(a, CreateModel) and a.resource == model.model_name
                                                      for a in actions):  # fmt: skip
            continue
        actions.append(
            CreateModel(
                model.model_name,
                f"{component.name}: model content changed or new",
                request=model.model_request,
                secret_env=dict(model.secret_env),
                secret_fingerprints=dict(model.secret_fingerprints),
                endpoint=model.endpoint_name,
            )
        )
    return actions


def _endpoint_actions(
    desired: ComponentEndpointDesired, snapshot: ComponentEndpointSnapshot
) -> tuple[list[AnyAction], bool]:
    """(the endpoint's actions, whether the endpoint starts empty: created or recreated, so no IC exists)."""
    name, current = desired.endpoint_name, snapshot.endpoint
    wait = WaitForEndpoint(name, "until InService", expected_config=desired.config_name,
                           timeout_s=desired.wait_timeout_s)  # fmt: skip
    create = CreateEndpoint(name, "endpoint does not exist", request=desired.endpoint_request)
    if current is None:
        return [create, wait], True
    if current.status == "Failed":
        why = f"endpoint is Failed ({current.failure_reason or 'no reason given'}); recreate it"
        drop: list[AnyAction] = []
        for state in snapshot.components:
            drop += remove_component(state, name, "the endpoint is recreated")
        return [*drop, DeleteEndpoint(name, why), WaitForDeletion(name, "until deleted"), create, wait], True
    if current.status == "Deleting":
        return [WaitForDeletion(name, "a deletion is in progress"), create, wait], True
    return _live_endpoint_actions(desired, snapshot, current, wait), False


def _live_endpoint_actions(
    desired: ComponentEndpointDesired, snapshot: ComponentEndpointSnapshot, current: Any, wait: WaitForEndpoint
) -> list[AnyAction]:
    """An endpoint that exists and is not failing: wait for it, update its capacity, retag it, or refuse."""
    name = desired.endpoint_name
    tags: list[AnyAction] = []
    if not _subset(desired.endpoint_tags, current.tags):
        tags = [TagEndpoint(name, "spec hash or tags changed", arn=current.arn, tags=desired.endpoint_tags)]
    if current.status in TRANSITIONAL:
        in_flight = wait_in_flight(
            name, current.status, desired.config_name, current.config_name, current.pending_config_name, wait
        )
        return [*in_flight, *tags]
    refuse_unchangeable(name, current.status)
    if current.config_name == desired.config_name:
        return tags
    update = UpdateEndpoint(name, _capacity_reason(desired, snapshot), request=desired.update_request,
                            previous_config=current.config_name)  # fmt: skip
    done = WaitForEndpoint(name, "until the update finishes", expected_config=desired.config_name,
                           timeout_s=desired.wait_timeout_s, previous_config=current.config_name)  # fmt: skip
    return [update, done, *tags]


def _capacity_reason(desired: ComponentEndpointDesired, snapshot: ComponentEndpointSnapshot) -> str:
    old, new = snapshot.instance_type, desired.instance_type
    base = f"config {snapshot.endpoint.config_name if snapshot.endpoint else '?'} -> {desired.config_name}"
    if old and new and old != new:
        return (
            f"{base}: instance type {old} -> {new}; SageMaker moves every component's copies to new instances, "
            "the old instances serve until then"
        )
    scaling = desired.variant.get("ManagedInstanceScaling", {})
    return (
        f"{base}: capacity {desired.variant.get('InitialInstanceCount')} x {new}, managed instance scaling "
        f"{scaling.get('MinInstanceCount')}..{scaling.get('MaxInstanceCount')}; the components keep serving"
    )


def _component_actions(
    component: ComponentDesired, state: ComponentState | None, desired: ComponentEndpointDesired
) -> list[AnyAction]:
    ic, timeout = component.ic_name, component.model.wait_timeout_s
    wait = WaitForInferenceComponent(ic, "until InService", endpoint=desired.endpoint_name,
                                     expected_model=component.model_name, timeout_s=timeout)  # fmt: skip
    create = CreateInferenceComponent(ic, _create_reason(component), request=component.create_request)
    if state is None:
        return [create, wait]
    if state.status == "Failed":
        why = f"{ic} is Failed ({state.failure_reason or 'no reason given'}); recreate it"
        gone = WaitForInferenceComponentDeletion(ic, "until deleted", endpoint=desired.endpoint_name)
        return [DeleteInferenceComponent(ic, why), gone, create, wait]
    if state.status == "Deleting":
        gone = WaitForInferenceComponentDeletion(ic, "a deletion is in progress", endpoint=desired.endpoint_name)
        return [gone, create, wait]
    actions: list[AnyAction] = []
    if state.status in IC_TRANSITIONAL:  # e.g. a run stopped during an update: let it settle, then compare
        actions.append(WaitForInferenceComponent(ic, f"{ic} is {state.status}", endpoint=desired.endpoint_name,
                                                 timeout_s=timeout))  # fmt: skip
    actions += _change_actions(component, state, wait)
    if not _subset(component.tags, state.tags):
        actions.append(TagInferenceComponent(ic, "tags changed", arn=state.arn, tags=component.tags))
    return actions


def _split(actions: list[AnyAction], changes: list[AnyAction], waits: list[AnyAction]) -> None:
    """A component's final wait goes after every component's change, so the components start (and roll) side by
    side instead of one after another; anything before it (a deletion to wait for) keeps its order."""
    if actions and isinstance(actions[-1], WaitForInferenceComponent):
        changes += actions[:-1]
        waits.append(actions[-1])
    else:
        changes += actions


def adapters_first(states: tuple[ComponentState, ...]) -> list[ComponentState]:
    """Adapter ICs before their bases: SageMaker serves an adapter only on its base, so it goes first."""
    return sorted(states, key=lambda s: (not s.specification.get("BaseInferenceComponentName"), s.name))


def _adapter_actions(adapter: AdapterDesired, state: ComponentState | None, endpoint: str) -> list[AnyAction]:
    """Create an adapter IC; a changed source is a new adapter (delete, then create: adapters have no rollout)."""
    ic = adapter.ic_name
    create = CreateInferenceComponent(ic, f"adapter {adapter.name} on {adapter.base}", request=adapter.create_request)
    wait = WaitForInferenceComponent(ic, "until InService", endpoint=endpoint)
    gone = WaitForInferenceComponentDeletion(ic, "until deleted", endpoint=endpoint)
    if state is None:
        return [create, wait]
    if state.status == "Deleting":
        return [gone, create, wait]
    if state.status == "Failed" or not _subset(adapter.specification, state.specification):
        why = f"{ic} is Failed; recreate it" if state.status == "Failed" else "adapter source changed; replace it"
        return [DeleteInferenceComponent(ic, why), gone, create, wait]
    actions: list[AnyAction] = [wait] if state.status in IC_TRANSITIONAL else []
    if not _subset(adapter.tags, state.tags):
        actions.append(TagInferenceComponent(ic, "tags changed", arn=state.arn, tags=adapter.tags))
    return actions


def _change_actions(component: ComponentDesired, state: ComponentState, wait: Any) -> list[AnyAction]:
    ic = component.ic_name
    copies = not component.copies_owned_by_scaling and state.desired_copies != component.copies
    if not _subset(component.specification, state.specification):
        what = "model" if state.model_name != component.model_name else "requirements"
        why = (
            f"{what} {state.model_name} -> {component.model_name}: rolling, one copy at a time; the other "
            "components keep serving"
        )
        request = component.update_request(with_copies=copies)
        update = UpdateInferenceComponent(ic, why, request=request, previous_model=state.model_name)
        return [update, wait]
    if copies:
        why = f"copies {state.desired_copies} -> {component.copies} (no new model, no rolling update)"
        return [UpdateInferenceComponentRuntimeConfig(ic, why, request=component.runtime_request()), wait]
    return []


def _create_reason(component: ComponentDesired) -> str:
    need = component.requirements
    head = (
        f"new: {component.copies} cop{'y' if component.copies == 1 else 'ies'} x ({need.accelerators} GPU, "
        f"{need.memory_mib:,} MiB, {need.cpu_cores:g} CPU cores)"
    )
    return "; ".join([head, *need.reasoning] + ([component.cold_start] if component.cold_start else []))


def scaling_actions(component: ComponentDesired, state: ComponentState | None) -> list[AnyAction]:
    """Register the copy-count target, put its policies (and the scale-out alarm), drop what the spec left out."""
    want = component.scaling
    if want is None:
        return deregister(state, "the component has no scaling section") if state else []
    fresh = state is None or state.status in ("Failed", "Deleting")
    target = None if fresh or state is None else state.scaling_target
    have = {} if fresh or state is None else {str(p["PolicyName"]): p for p in state.scaling_policies}
    actions: list[AnyAction] = []
    if target is None or not _subset(want.target, target):
        why = f"copies of {component.ic_name} between {want.target['MinCapacity']} and {want.target['MaxCapacity']}"
        actions.append(RegisterScalableTarget(want.resource_id, why, request=want.target))
    for policy in want.policies:
        name = str(policy["PolicyName"])
        if name not in have or not _subset(policy, have[name]):
            kind = "step-scaling policy (adds a copy from zero)" if policy.get("StepScalingPolicyConfiguration") \
                else "target-tracking policy"  # fmt: skip
            actions.append(PutScalingPolicy(name, f"{kind} new or changed", request=policy))
    wanted = {str(p["PolicyName"]) for p in want.policies}
    actions += [DeleteScalingPolicy(n, "policy not in the spec", resource_id=want.resource_id)
                for n in sorted(have) if n not in wanted]  # fmt: skip
    actions += _alarm_actions(component, None if fresh else state, have)
    return actions


def _alarm_actions(component: ComponentDesired, state: ComponentState | None, have: dict[str, Any]) -> list[AnyAction]:
    want = component.scaling
    alarm = state.alarm if state else None
    if want is None or want.alarm is None or want.step_policy is None:
        return [DeleteAlarm(str(alarm["AlarmName"]), "scale to zero no longer wanted")] if alarm else []
    step = have.get(str(want.step_policy["PolicyName"]))
    arn = step.get("PolicyARN") if step else None
    if alarm is not None and arn and _subset(want.alarm, alarm) and alarm.get("AlarmActions") == [arn]:
        return []
    why = f"NoCapacityInvocationFailures of {component.ic_name} >= 1 adds a copy (scale out from zero)"
    step_name = str(want.step_policy["PolicyName"])
    alarm_name = str(want.alarm["AlarmName"])
    return [PutScaleOutAlarm(alarm_name, why, request=want.alarm, policy_name=step_name, resource_id=want.resource_id)]


def deregister(state: ComponentState, reason: str) -> list[AnyAction]:
    """Remove a component's alarm, policies and scalable target (in that order)."""
    actions: list[AnyAction] = []
    if state.alarm is not None:
        actions.append(DeleteAlarm(str(state.alarm["AlarmName"]), reason))
    actions += [DeleteScalingPolicy(str(p["PolicyName"]), reason, resource_id=state.resource_id)
                for p in state.scaling_policies]  # fmt: skip
    if state.scaling_target is not None:
        actions.append(DeregisterScalableTarget(state.resource_id, reason))
    return actions


def remove_component(state: ComponentState, endpoint: str, reason: str) -> list[AnyAction]:
    """One IC gone, with its scaling and alarm first; the other components keep serving."""
    actions = deregister(state, f"{reason}: scaling goes first")
    if state.status != "Deleting":
        actions.append(DeleteInferenceComponent(state.name, reason))
    actions.append(WaitForInferenceComponentDeletion(state.name, "until deleted", endpoint=endpoint))
    return actions


def _cleanup(desired: ComponentEndpointDesired, snapshot: ComponentEndpointSnapshot) -> list[AnyAction]:
    why = "superseded (deleted only after every component serves its new model)"
    actions: list[AnyAction] = [DeleteEndpointConfig(name, "superseded (deleted only after the endpoint serves the "
                                                     "new config)") for name in snapshot.configs
                                if name != desired.config_name]  # fmt: skip
    actions += [DeleteModel(name, why) for name in snapshot.models if name not in desired.model_names]
    return actions
