"""Plan: a pure diff of the desired state against a remote snapshot, as an ordered list of typed actions.

Rule: no I/O. Every action says what it touches and why, in words a reviewer can read on a pull request. The
order is the order apply runs them: artifacts -> alarm -> model -> config -> (deregister scaling for an
instance-type change) -> create/update endpoint -> wait -> tags -> scaling -> delete superseded
models/configs. Deletions come last, so a failed update never removes what is still serving. Applying a plan
and planning again gives no actions.
"""

from __future__ import annotations

from typing import Any

from deploy.engine.actions import (
    AnyAction,
    CreateBucket,
    CreateEndpoint,
    CreateEndpointConfig,
    CreateModel,
    DeleteAlarm,
    DeleteArtifacts,
    DeleteEndpoint,
    DeleteEndpointConfig,
    DeleteModel,
    DeleteScalingPolicy,
    DeregisterScalableTarget,
    PutAlarm,
    PutScalingPolicy,
    RegisterScalableTarget,
    TagEndpoint,
    UpdateEndpoint,
    UploadArtifacts,
    WaitForDeletion,
    WaitForEndpoint,
)
from deploy.engine.desired import DesiredState
from deploy.engine.naming import TAG_MANAGED
from deploy.engine.snapshot import RemoteSnapshot
from deploy.errors import EndpointNotFoundError, ForeignResourceError, PlanError, UsageError
from deploy.records import record

TRANSITIONAL = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack"})


@record
class Plan:
    """An ordered list of self-contained actions for one endpoint; empty when everything already matches."""

    endpoint_name: str
    actions: tuple[AnyAction, ...]

    @property
    def is_empty(self) -> bool:
        return not self.actions

    @property
    def mutating_count(self) -> int:
        return sum(1 for a in self.actions if a.mutating)

    def to_dict(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint_name, "actions": [a.to_dict() for a in self.actions]}

    def _repr_html_(self) -> str:
        """A table in Jupyter: one row per action."""
        from html import escape

        if not self.actions:
            return f"<p><b>{escape(self.endpoint_name)}</b>: no changes</p>"
        rows = "".join(
            f"<tr><td>{i}</td><td>{escape(a.type)}</td><td>{escape(a.resource)}</td><td>{escape(a.reason)}</td></tr>"
            for i, a in enumerate(self.actions, 1)
        )
        head = "<tr><th>#</th><th>action</th><th>resource</th><th>reason</th></tr>"
        title = f"plan for {escape(self.endpoint_name)}: {len(self.actions)} action(s)"
        return f"<table><caption>{title}</caption>{head}{rows}</table>"

    def __repr__(self) -> str:
        if not self.actions:
            return f"<Plan {self.endpoint_name}: no changes>"
        lines = [f"<Plan {self.endpoint_name}: {len(self.actions)} action(s)"]
        lines += [f"  {a.type:<24} {a.resource:<40} {a.reason}" for a in self.actions]
        return "\n".join(lines) + ">"


def plan(desired: DesiredState, snapshot: RemoteSnapshot) -> Plan:
    """Diff ``desired`` against ``snapshot``; see the module docstring for the order."""
    actions: list[AnyAction] = []
    actions += _artifact_actions(desired, snapshot)
    actions += _alarm_actions(desired, snapshot)
    actions += _immutable_actions(desired, snapshot)
    instance_change = _scaled_instance_change(desired, snapshot)
    if instance_change:
        actions += _deregister_actions(snapshot, "instance type changes on an autoscaled variant; AWS requires it")
    actions += _endpoint_actions(desired, snapshot)
    actions += _scaling_actions(desired, snapshot, force=instance_change)
    actions += _cleanup_actions(desired, snapshot)
    return Plan(endpoint_name=desired.endpoint_name, actions=tuple(actions))


def _artifact_actions(desired: DesiredState, snapshot: RemoteSnapshot) -> list[AnyAction]:
    upload = desired.artifacts
    if upload is None or snapshot.artifact_digest == upload.digest:
        return []
    actions: list[AnyAction] = []
    if snapshot.bucket_exists is False:
        actions.append(
            CreateBucket(
                upload.bucket,
                "artifact bucket does not exist (created only with consent)",
                region=snapshot.region,
            )
        )
    why = "first upload" if snapshot.artifact_digest is None else "files changed"
    mib = upload.total_bytes / (1024 * 1024)
    text = f"{why}: {len(upload.files)} file(s), {mib:.1f} MiB (unchanged files skipped)"
    return [*actions, UploadArtifacts(upload.uri, text, upload=upload)]


def _alarm_actions(desired: DesiredState, snapshot: RemoteSnapshot) -> list[AnyAction]:
    want = desired.alarm_request
    if want is None:
        return (
            [DeleteAlarm(snapshot.alarm["AlarmName"], "built-in 5xx alarm no longer wanted")] if snapshot.alarm else []
        )
    if snapshot.alarm is not None and _subset({k: v for k, v in want.items() if k != "Dimensions"}, snapshot.alarm):
        return []
    return [PutAlarm(want["AlarmName"], "5xx alarm that rolls back a bad update", request=want)]


def _immutable_actions(desired: DesiredState, snapshot: RemoteSnapshot) -> list[AnyAction]:
    actions: list[AnyAction] = []
    if desired.model_name not in snapshot.models:
        why = "model content changed or new"
        actions.append(
            CreateModel(
                desired.model_name,
                why,
                request=desired.model_request,
                secret_env=dict(desired.secret_env),
                secret_fingerprints=dict(desired.secret_fingerprints),
                endpoint=desired.endpoint_name,
            )
        )
    if desired.config_name not in snapshot.configs:
        reason = "endpoint config content changed or new"
        actions.append(CreateEndpointConfig(desired.config_name, reason, request=desired.config_request))
    return actions


def _endpoint_actions(desired: DesiredState, snapshot: RemoteSnapshot) -> list[AnyAction]:
    name, current = desired.endpoint_name, snapshot.endpoint
    wait = WaitForEndpoint(
        name, "until InService", expected_config=desired.config_name, timeout_s=desired.wait_timeout_s
    )
    if current is None:
        return [CreateEndpoint(name, "endpoint does not exist", request=desired.endpoint_request), wait]
    refuse_foreign(snapshot)
    if snapshot.hosts_components:
        raise PlanError(
            f"endpoint {name} hosts inference components (a component spec made it); a single-model spec cannot "
            "take it over in place",
            field="name",
            value=name,
            fix=f"pick another endpoint name, or remove it first (lmi destroy {name})",
        )
    if current.status == "Failed":
        why = f"endpoint is Failed ({current.failure_reason or 'no reason given'}); recreate it"
        return [
            DeleteEndpoint(name, why),
            WaitForDeletion(name, "until deleted"),
            CreateEndpoint(name, "recreate after failure", request=desired.endpoint_request),
            wait,
        ]
    if current.status == "Deleting":  # e.g. a run stopped while recreating a Failed endpoint: finish that
        return [
            WaitForDeletion(name, "a deletion is in progress"),
            CreateEndpoint(name, "recreate after the deletion", request=desired.endpoint_request),
            wait,
        ]
    if current.status in TRANSITIONAL:
        in_flight = wait_in_flight(
            name, current.status, desired.config_name, current.config_name, current.pending_config_name, wait
        )
        return in_flight + _tag_actions(desired, current.arn, current.tags)
    refuse_unchangeable(name, current.status)
    return _update_actions(desired, current.config_name) + _tag_actions(desired, current.arn, current.tags)


def _update_actions(desired: DesiredState, serving: str) -> list[AnyAction]:
    if serving == desired.config_name:
        return []
    why = f"config {serving} -> {desired.config_name} ({_strategy(desired)})"
    return [
        UpdateEndpoint(desired.endpoint_name, why, request=desired.update_request, previous_config=serving),
        WaitForEndpoint(
            desired.endpoint_name,
            "until the update finishes",
            expected_config=desired.config_name,
            timeout_s=desired.wait_timeout_s,
            previous_config=serving,
        ),
    ]


def _tag_actions(desired: DesiredState, arn: str, tags: dict[str, str]) -> list[AnyAction]:
    if _subset(desired.endpoint_tags, tags):
        return []
    return [TagEndpoint(desired.endpoint_name, "spec hash or tags changed", arn=arn, tags=desired.endpoint_tags)]


def refuse_foreign(snapshot: RemoteSnapshot) -> None:
    """Never update or delete an endpoint lmi-deploy did not create (it carries no ``lmi-deploy:managed`` tag)."""
    endpoint = snapshot.endpoint
    if endpoint is None or endpoint.tags.get(TAG_MANAGED) == "true":
        return
    raise ForeignResourceError(
        f"endpoint {endpoint.name} exists but was not created by lmi-deploy; refusing to change it",
        field="name",
        value=endpoint.name,
        fix=f"pick another name, or adopt it on purpose: tag it {TAG_MANAGED}=true (aws sagemaker add-tags)",
    )


def wait_in_flight(
    name: str, status: str, desired_config: str, config: str, pending: str | None, wait: WaitForEndpoint
) -> list[AnyAction]:
    """An endpoint already moving (Creating, Updating, ...) towards the desired config is waited for; one moving
    towards another config is refused. Single-model and component plans share it: the endpoint rule is the same."""
    if desired_config in (config, pending):
        return [wait]
    raise PlanError(
        f"endpoint {name} is {status} towards another configuration ({pending or config})",
        field="name",
        value=name,
        fix="wait for it to finish (lmi status NAME), then run again",
    )


def refuse_unchangeable(name: str, status: str) -> None:
    """An endpoint neither InService nor in a state the plan handles (Failed, Deleting, moving) is left alone, for
    single-model and component endpoints alike."""
    if status != "InService":
        raise PlanError(
            f"endpoint {name} is {status}; lmi-deploy will not change it in that state",
            field="name",
            value=name,
            fix="wait until it is InService or Failed (lmi status NAME), then run again",
        )


def _strategy(desired: DesiredState) -> str:
    return "rolling" if "RollingUpdatePolicy" in desired.deployment_config else "blue/green"


def _scaled_instance_change(desired: DesiredState, snapshot: RemoteSnapshot) -> bool:
    return (
        snapshot.endpoint is not None
        and snapshot.scaling_target is not None
        and snapshot.instance_type is not None
        and snapshot.instance_type != desired.instance_type
    )


def _deregister_actions(snapshot: RemoteSnapshot, reason: str) -> list[AnyAction]:
    if snapshot.scaling_target is None:
        return []
    resource_id = str(snapshot.scaling_target["ResourceId"])
    actions: list[AnyAction] = [
        DeleteScalingPolicy(str(p["PolicyName"]), reason, resource_id=resource_id) for p in snapshot.scaling_policies
    ]
    actions.append(DeregisterScalableTarget(resource_id, reason))
    return actions


def _scaling_actions(desired: DesiredState, snapshot: RemoteSnapshot, *, force: bool) -> list[AnyAction]:
    want = desired.scaling
    if want is None:
        return _deregister_actions(snapshot, "the spec has no scaling section")
    actions: list[AnyAction] = []
    target = snapshot.scaling_target
    if force or target is None or not _subset(want.target, target):
        actions.append(RegisterScalableTarget(want.resource_id, _target_reason(want.target), request=want.target))
    policies = {str(p["PolicyName"]): p for p in snapshot.scaling_policies}
    name = str(want.policy["PolicyName"])
    if force or name not in policies or not _subset(want.policy, policies[name]):
        actions.append(PutScalingPolicy(name, "target-tracking policy new or changed", request=want.policy))
    actions += [
        DeleteScalingPolicy(other, "policy not in the spec", resource_id=want.resource_id)
        for other in sorted(policies)
        if other != name and not force
    ]
    return actions


def _target_reason(target: dict[str, Any]) -> str:
    return f"scale between {target.get('MinCapacity')} and {target.get('MaxCapacity')} instances"


def _cleanup_actions(desired: DesiredState, snapshot: RemoteSnapshot) -> list[AnyAction]:
    actions: list[AnyAction] = [
        DeleteEndpointConfig(name, "superseded (deleted only after the endpoint serves the new config)")
        for name in snapshot.configs
        if name != desired.config_name
    ]
    actions += [
        DeleteModel(name, "superseded (deleted only after the endpoint serves the new model)")
        for name in snapshot.models
        if name != desired.model_name
    ]
    return actions


def _subset(want: Any, have: Any) -> bool:
    """True when every key/value in ``want`` appears in ``have`` (AWS adds defaults to what it returns)."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(k in have and _subset(v, have[k]) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(have, list) and len(want) == len(have) and all(map(_subset, want, have))
    if isinstance(want, float) or isinstance(have, float):
        return isinstance(have, (int, float)) and isinstance(want, (int, float)) and float(want) == float(have)
    return bool(want == have)


def plan_destroy(snapshot: RemoteSnapshot, *, keep_artifacts: bool = False) -> Plan:
    """Everything lmi-deploy made for this endpoint, removed in a safe order; nothing left behind.

    Uploads go after the endpoint but before the models: the models' ``lmi-deploy:artifacts`` tag is how a re-run
    after a crash still finds them.
    """
    name = snapshot.endpoint_name
    refuse_foreign(snapshot)
    actions: list[AnyAction] = _deregister_actions(snapshot, "destroy: scaling goes first")
    if snapshot.endpoint is not None:
        actions += [DeleteEndpoint(name, "destroy"), WaitForDeletion(name, "until deleted")]
    if snapshot.artifact_uri and not keep_artifacts:
        bucket, prefix = _artifact_root(name, snapshot.artifact_uri)
        uri = f"s3://{bucket}/{prefix}"
        actions.append(DeleteArtifacts(uri, "destroy: uploaded artifacts", bucket=bucket, prefix=prefix))
    actions += [DeleteEndpointConfig(c, "destroy") for c in snapshot.configs]
    actions += [DeleteModel(m, "destroy") for m in snapshot.models]
    if snapshot.alarm is not None:
        actions.append(DeleteAlarm(str(snapshot.alarm["AlarmName"]), "destroy"))
    return Plan(endpoint_name=name, actions=tuple(actions))


SCALING_BOUND_MAX = 2**31 - 1  # MinCapacity/MaxCapacity are Integer in the API, as the spec's scaling.min/max


def plan_scale(snapshot: RemoteSnapshot, minimum: int, maximum: int) -> Plan:
    """New autoscaling bounds for an existing lmi-deploy endpoint, as a plan with one scaling action.

    The next deploy restores the spec's own bounds. Scaling to zero needs an asynchronous endpoint.
    """
    from deploy.engine.naming import scalable_target_request

    name = snapshot.endpoint_name
    if minimum < 0 or maximum < 1 or minimum > maximum or maximum > SCALING_BOUND_MAX:
        raise UsageError(
            f"scaling bounds {minimum}..{maximum} are not a valid range",
            field="minimum",
            value=f"{minimum}..{maximum}",
            fix=f"use 0 <= minimum <= maximum, maximum >= 1 and at most {SCALING_BOUND_MAX:,} "
            "(Application Auto Scaling's capacities are 32-bit integers)",
        )
    if snapshot.endpoint is None:
        raise EndpointNotFoundError(
            f"endpoint {name} does not exist in {snapshot.region}",
            field="name",
            value=name,
            fix="check the name and region (lmi list shows lmi-deploy endpoints)",
        )
    refuse_foreign(snapshot)  # endpoints lmi-deploy did not create are never touched
    if snapshot.hosts_components:
        raise UsageError(
            f"{name} hosts inference components: its instances follow ManagedInstanceScaling and each component's "
            "copies its own autoscaling, so there is no variant target to rescale",
            field="name",
            value=name,
            fix="change scaling (instances) or components[].scaling (copies) in the spec and run lmi deploy",
        )
    if minimum == 0 and not snapshot.is_async:
        raise UsageError(
            f"minimum 0 on {name}: only asynchronous endpoints can scale to zero instances",
            field="minimum",
            value=minimum,
            fix="use a minimum of 1 or more (scaling.min: 0 needs async_inference in the spec)",
        )
    request = scalable_target_request(name, minimum, maximum)
    action = RegisterScalableTarget(request["ResourceId"], _target_reason(request), request=request)
    return Plan(endpoint_name=name, actions=(action,))


def _artifact_root(endpoint_name: str, uri: str) -> tuple[str, str]:
    """Our uploads live under ``lmi-deploy/<endpoint>/``: delete that root; a user prefix only as given."""
    from deploy.engine.naming import ARTIFACT_ROOT

    bucket, _, key = uri.removeprefix("s3://").partition("/")
    root = f"{ARTIFACT_ROOT}/{endpoint_name}/"
    return bucket, root if key.startswith(root) else key
