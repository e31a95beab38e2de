"""Apply: the only module that changes AWS. Runs a Plan's actions in order, waits, reports progress.

Rule: apply decides nothing (plan does); it executes, stops at the first failure and says what is still
serving. Because plan orders deletions last, a failure never removes what serves traffic, and because names
are content hashes and every create/delete tolerates "already exists"/"already gone", re-running after a crash
at any step converges with no orphans. Secrets (``env:NAME`` references) are resolved here, at the last
moment, and masked in any error text.
"""

from __future__ import annotations

import copy
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from typing_extensions import assert_never

from deploy.aws.autoscaling import AutoScalingGateway
from deploy.aws.cloudwatch import CloudWatchGateway
from deploy.aws.s3 import S3Gateway
from deploy.aws.sagemaker import SageMakerGateway
from deploy.aws.session import AwsContext
from deploy.engine.actions import (
    Action,
    AnyAction,
    CreateBucket,
    CreateEndpoint,
    CreateEndpointConfig,
    CreateInferenceComponent,
    CreateModel,
    DeleteAlarm,
    DeleteArtifacts,
    DeleteEndpoint,
    DeleteEndpointConfig,
    DeleteInferenceComponent,
    DeleteModel,
    DeleteScalingPolicy,
    DeregisterScalableTarget,
    PutAlarm,
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
from deploy.engine.artifacts import UploadReport, delete_prefix, upload
from deploy.engine.components import run as ic
from deploy.engine.naming import tags_to_list
from deploy.engine.plan import Plan
from deploy.engine.races import (
    ConflictError,
    check_not_raced,
    conflict,
    give_way,
    interrupted,
    is_in_progress_error,
    remaining_steps,
    target_config,
)
from deploy.engine.waiting import SETTLED, Waiter
from deploy.errors import AwsError, DeployError, Interrupted, LmiError
from deploy.records import record

EventSink = Callable[[dict[str, Any]], None]
MASK = "****"
SETTLED_OR_GONE = SETTLED | {"Deleted"}


@record
class ApplyResult:
    """What an apply did. ``status`` is the endpoint's final status (or "Deleted"/"unchanged")."""

    endpoint_name: str
    status: str
    actions: tuple[str, ...] = ()
    config_name: str | None = None
    upload: UploadReport | None = None
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "endpoint": self.endpoint_name,
            "status": self.status,
            "actions": list(self.actions),
            "config": self.config_name,
            "elapsed_s": round(self.elapsed_s, 2),
        }
        if self.upload is not None:
            out["upload"] = {
                "uploaded": self.upload.uploaded,
                "skipped": self.upload.skipped,
                "bytes": self.upload.bytes_uploaded,
            }
        return out

    def _repr_html_(self) -> str:
        from html import escape

        items = "".join(f"<li>{escape(a)}</li>" for a in self.actions) or "<li>nothing to do</li>"
        head = f"<p><b>{escape(self.endpoint_name)}</b>: {escape(self.status)} in {self.elapsed_s:.1f}s</p>"
        return f"{head}<ol>{items}</ol>"

    def __repr__(self) -> str:
        return (
            f"<ApplyResult {self.endpoint_name}: {self.status}, {len(self.actions)} action(s), {self.elapsed_s:.1f}s>"
        )


def resolve_secret(name: str, ref: str, environ: dict[str, str] | None = None) -> str:
    """Turn a reference like ``env:HF_TOKEN`` into its value; raise with a fix when it is missing."""
    env = os.environ if environ is None else environ
    scheme, _, key = ref.partition(":")
    if scheme != "env" or not key:
        raise DeployError(
            f"secret {name} has an unsupported reference {ref!r}",
            field="model.hf_token",
            value=ref,
            fix="use a reference of the form env:VARIABLE",
        )
    value = env.get(key)
    if not value:
        raise DeployError(
            f"secret {name} refers to ${key}, which is not set",
            field="model.hf_token",
            value=ref,
            fix=f"export {key}=... before deploying",
        )
    return value


def check_unchanged_since_plan(action: CreateModel, name: str, value: str) -> None:
    """The model's name carries the plan-time fingerprint of each secret; refuse to send a different value under it."""
    from deploy.secrets.masking import register
    from deploy.secrets.references import fingerprint

    register(value)
    planned = action.secret_fingerprints.get(name)
    if planned and fingerprint(value, endpoint=action.endpoint, name=name) != planned:
        raise DeployError(
            f"secret {name} changed between plan and apply; nothing was created with it",
            field="model.hf_token",
            value=action.secret_env.get(name),
            fix="run lmi plan (or deploy) again: it picks up the new value as a change",
        )


@dataclass
class RunState:
    """What a run has learnt so far: the endpoint's status and config, the upload, where a failure is explained from."""

    status: str = "unchanged"
    config: str | None = None
    upload: UploadReport | None = None
    since_ms: int | None = None  # the log lines after this explain a failed create/update
    scaling_off: str | None = None  # a scalable target deregistered for an instance-type change, until re-registered
    created: list[tuple[str, str]] = field(default_factory=list)  # ("model"|"config", name) this run created
    scaling_backup: Any = None  # the target and policies an instance-type update removed (put back if it loses)


@dataclass
class Applier:
    """Executes plans against one AWS context. ``on_event`` receives progress dicts."""

    ctx: AwsContext
    on_event: EventSink | None = None
    create_bucket: bool = False
    waiter: Waiter = field(default_factory=Waiter)
    cancel: threading.Event | None = None
    _secrets: list[str] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.sm = SageMakerGateway(self.ctx)
        self.scaling = AutoScalingGateway(self.ctx)
        self.cw = CloudWatchGateway(self.ctx)
        self.s3 = S3Gateway(self.ctx)

    def emit(self, event: dict[str, Any]) -> None:
        if self.on_event is not None:
            self.on_event(event)

    def run(self, plan: Plan) -> ApplyResult:
        """Run the actions in order; the first failure stops the run with an error saying what serves.

        Ctrl-C (a ``KeyboardInterrupt`` in this thread, or ``cancel`` set from another) becomes
        :class:`Interrupted` listing the steps left; losing a race to another deploy becomes a
        :class:`ConflictError` once this run has undone its own changes (:mod:`deploy.engine.races`).
        """
        start = time.monotonic()
        state = RunState()
        done: list[str] = []
        for index, action in enumerate(plan.actions):
            if self.cancel is not None and self.cancel.is_set():
                raise interrupted(plan.actions, plan.endpoint_name, index, None)
            self._step(action, plan, state, index)
            done.append(f"{action.type} {action.resource}")
        if state.status == "unchanged" and done:
            state.status = "updated"  # e.g. a scaling-only change: actions ran, the endpoint was not touched
        elapsed = time.monotonic() - start
        return ApplyResult(plan.endpoint_name, state.status, tuple(done), state.config, state.upload, elapsed)

    def _step(self, action: AnyAction, plan: Plan, state: RunState, index: int) -> None:
        """One action between its start and done events; a Ctrl-C anywhere in it is reported with what is left."""
        event = {"event": "action", "type": action.type, "resource": action.resource}
        try:
            self.emit({**event, "phase": "start"})
            if isinstance(action, (DeleteScalingPolicy, DeregisterScalableTarget)):  # never take another run's
                resource_id = action.resource_id if isinstance(action, DeleteScalingPolicy) else action.resource
                check_not_raced(self.sm, self.scaling, plan.actions, state, resource_id)
            self._dispatch(action, state)
            self.emit({**event, "phase": "done"})
        except KeyboardInterrupt:
            raise interrupted(plan.actions, plan.endpoint_name, index, f"{action.type} {action.resource}") from None
        except Interrupted as exc:  # a wait noticed the cancel: say what is left
            exc.remaining = remaining_steps(plan.actions, index)
            raise
        except ConflictError as exc:
            give_way(self.sm, self.scaling, state, exc)  # restore scaling it took, delete what it created
            raise
        except LmiError as exc:
            raise self._explain(exc, action, plan, state) from exc

    def _dispatch(self, action: AnyAction, state: RunState) -> None:
        """Run one action; the match is exhaustive over :data:`AnyAction` (mypy fails if a type is left out)."""
        match action:
            case CreateBucket():
                self._create_bucket(action)
            case UploadArtifacts():
                state.upload = self._upload(action)
            case DeleteArtifacts():
                delete_prefix(self.s3, action.bucket, action.prefix)
            case PutAlarm():
                self.cw.put_alarm(action.request)
            case DeleteAlarm():
                self.cw.delete_alarm(action.resource)
            case CreateModel():
                if self._create_model(action):
                    state.created.append(("model", action.resource))
            case CreateEndpointConfig():
                if self.sm.create_endpoint_config(action.request):
                    state.created.append(("config", action.resource))
            case CreateEndpoint():
                state.since_ms = int(time.time() * 1000)
                if not self.sm.create_endpoint(action.request):  # another run created it first
                    self._give_way_unless_same(action.resource, str(action.request["EndpointConfigName"]))
            case UpdateEndpoint():
                state.since_ms = int(time.time() * 1000)
                self._update_endpoint(action)
            case DeleteEndpoint():
                self.sm.delete_endpoint(action.resource)
            case WaitForDeletion():
                self.waiter.until_deleted(self.sm, action.resource, action.timeout_s, self._wait_event)
                state.status = "Deleted"
            case WaitForEndpoint():
                self._wait_for_endpoint(action, state)
            case TagEndpoint():
                self.sm.add_tags(action.arn, tags_to_list(action.tags))
            case DeleteEndpointConfig():
                self.sm.delete_endpoint_config(action.resource)
            case DeleteModel():
                self.sm.delete_model(action.resource)
            case RegisterScalableTarget():
                self.scaling.register_target(action.request)
                state.scaling_off = None
            case PutScalingPolicy():
                self.scaling.put_policy(action.request)
            case DeleteScalingPolicy():
                self.scaling.delete_policy(action.resource_id, action.resource)
            case DeregisterScalableTarget():
                self.scaling.deregister_target(action.resource)
                state.scaling_off = action.resource if action.resource.startswith("endpoint/") else None
            case CreateInferenceComponent():
                ic.create_component(self.sm, action)  # "already exists": a crashed run's call, if it is ours
            case UpdateInferenceComponent():
                ic.update_component(self.sm, action)
            case UpdateInferenceComponentRuntimeConfig():
                self.sm.update_inference_component_runtime_config(action.request)
            case DeleteInferenceComponent():
                self.sm.delete_inference_component(action.resource)
            case WaitForInferenceComponent():
                ic.wait_for_component(self.waiter, self.sm, action, self._wait_event)
            case WaitForInferenceComponentDeletion():
                ic.until_deleted(self.waiter, self.sm, action.resource, action.endpoint, action.timeout_s,
                                 self._wait_event)  # fmt: skip
            case TagInferenceComponent():
                self.sm.add_tags(action.arn, tags_to_list(action.tags))
            case PutScaleOutAlarm():
                ic.put_scale_out_alarm(self.scaling, self.cw, action)
            case _:
                assert_never(action)

    # -- the actions that take more than one line -------------------------------------------------------------
    def _create_bucket(self, action: CreateBucket) -> None:
        if not self.create_bucket:
            raise DeployError(
                f"S3 bucket {action.resource} does not exist",
                field="artifacts.bucket",
                value=action.resource,
                fix="consent to creating it (create_bucket=True; the CLI asks first), or set artifacts.bucket",
            )
        self.s3.create_bucket(action.resource, action.region or self.ctx.region)

    def _upload(self, action: UploadArtifacts) -> UploadReport:
        if action.upload is None:
            raise DeployError(f"{action.type} {action.resource} carries no files", field="plan", value=action.resource)
        return upload(self.s3, action.upload, self.on_event)

    def _create_model(self, action: CreateModel) -> bool:
        request = copy.deepcopy(action.request)
        env = request.get("PrimaryContainer", {}).setdefault("Environment", {})
        for name, ref in action.secret_env.items():
            env[name] = resolve_secret(name, ref)
            self._secrets.append(env[name])
            check_unchanged_since_plan(action, name, env[name])
        return self.sm.create_model(request)

    def _give_way_unless_same(self, name: str, wanted: str) -> None:
        """After losing a race for the endpoint: wait when it is moving to our config, else refuse cleanly."""
        status, other = target_config(self.sm.describe_endpoint(name))
        if other != wanted:
            raise conflict(name, status, other or "(none)", wanted)

    def _update_endpoint(self, action: UpdateEndpoint) -> None:
        wanted = str(action.request["EndpointConfigName"])
        status, serving = target_config(self.sm.describe_endpoint(action.resource))
        if serving == wanted:
            return  # another run is already taking it where this one wants it: the wait follows
        if serving != action.previous_config:  # changed since the plan was made: that plan is stale
            raise conflict(action.resource, status, serving, wanted)
        try:
            self.sm.update_endpoint(action.request)
        except AwsError as exc:
            if is_in_progress_error(exc):
                self._give_way_unless_same(action.resource, wanted)
                return
            raise DeployError(
                f"{exc.message}; {action.previous_config} is still serving",  # AWS's text already names the call
                field="name",
                value=action.resource,
                fix=exc.fix or "fix the cause above and run deploy again",
                hint=exc.hint,
            ) from exc

    def _wait_for_endpoint(self, action: WaitForEndpoint, state: RunState) -> None:
        described = self.waiter.until_settled(self.sm, action.resource, action.timeout_s, self._wait_event)
        status, serving = str(described["EndpointStatus"]), str(described.get("EndpointConfigName"))
        reason = described.get("FailureReason") or "no FailureReason given"
        if status == "InService" and serving == action.expected_config:
            state.status, state.config = status, serving
            return
        if status == "InService" and serving != action.previous_config:  # not a rollback: someone else's config
            raise conflict(action.resource, status, serving, action.expected_config)
        hint = self._diagnose(action.resource, reason, state.since_ms)
        if status == "InService":
            raise DeployError(
                f"update of {action.resource} to {action.expected_config} failed, rolled back: {reason}; "
                f"{serving} is still serving",
                field="name",
                value=action.resource,
                fix="fix the cause and run deploy again",
                hint=hint,
            )
        still = f"; {action.previous_config} may still be serving" if action.previous_config else ""
        raise DeployError(
            f"endpoint {action.resource} is {status}: {reason}{still}",
            field="name",
            value=action.resource,
            fix="fix the cause and run deploy again (a Failed endpoint is recreated)",
            hint=hint,
        )

    def _wait_event(self, event: dict[str, Any]) -> None:
        """Report a poll; when cancelled, stop waiting (SageMaker carries on; a re-run waits for it again)."""
        self.emit(event)
        if self.cancel is not None and self.cancel.is_set() and event.get("status") not in SETTLED_OR_GONE:
            name = str(event.get("endpoint"))
            raise Interrupted(
                f"interrupted while {name} was {event.get('status')}; SageMaker carries on without lmi-deploy",
                field="name",
                value=name,
                fix="run the same command again: it waits for the endpoint and finishes the remaining steps",
            )

    # -- errors ----------------------------------------------------------------------------------------------
    def _diagnose(self, endpoint_name: str, reason: str, since_ms: int | None = None) -> str | None:
        """Best effort: the container's log lines since the create/update began, with hints for known errors."""
        from deploy.engine.diagnose import explain_failure

        try:
            diagnosis = explain_failure(self.ctx, endpoint_name, reason, start_ms=since_ms)
        except LmiError:  # a hint must never hide the real failure
            return None
        text = diagnosis.render()
        lines = [line for line in text.splitlines() if not line.startswith("FailureReason:")]  # already in the message
        if lines and lines[0].startswith("hint: "):  # the error prints this text after its own "hint: "
            lines[0] = lines[0].removeprefix("hint: ")
        return "\n".join(lines) or None

    def _explain(self, exc: LmiError, action: Action, plan: Plan, state: RunState) -> LmiError:
        """Mask secrets in the error and add where the run stopped; re-running is always safe."""
        if state.scaling_off and any(isinstance(a, RegisterScalableTarget) for a in plan.actions):
            exc.message += (  # an instance-type update deregisters scaling first; say so when it stops half-way
                f"; autoscaling of {state.scaling_off} is deregistered (the instance count stays fixed) until "
                "deploy runs again"
            )
            exc.args = (exc.message,)
        for secret in self._secrets:
            exc.message = exc.message.replace(secret, MASK)
            exc.args = (exc.message,)
        if isinstance(exc, AwsError) and exc.fix is None:
            exc.fix = f"fix the cause and run deploy again: apply resumes safely (stopped at {action.type})"
        return exc
