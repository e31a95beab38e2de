"""What apply does for the inference-component actions (apply's dispatch calls these; they decide nothing).

Rule as in :mod:`deploy.engine.apply`: every step can be repeated after a crash. A create that finds the IC
already there is done (a previous run's call went through; the next plan compares what it points at); an update
that finds the IC already on the wanted model sends nothing; waits are bounded, visible and explain a Failed IC
with its FailureReason and the hints known for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deploy.aws.autoscaling import AutoScalingGateway
from deploy.aws.cloudwatch import CloudWatchGateway
from deploy.aws.sagemaker import SageMakerGateway
from deploy.engine.actions import (
    CreateInferenceComponent,
    PutScaleOutAlarm,
    UpdateInferenceComponent,
    WaitForInferenceComponent,
)
from deploy.engine.naming import TAG_ENDPOINT, TAG_MANAGED
from deploy.engine.waiting import Waiter
from deploy.errors import DeployError

EventSink = Callable[[dict[str, Any]], None]
IC_SETTLED = frozenset({"InService", "Failed"})


def create_component(sm: SageMakerGateway, action: CreateInferenceComponent) -> None:
    """CreateInferenceComponent; "already exists" is done only when that IC is ours, on this endpoint.

    IC names are unique per account and region, not per endpoint: endpoint ``team`` with component ``llms-qwen``
    and endpoint ``team-llms`` with ``qwen`` both want ``team-llms-qwen``, and anyone may have created an IC of
    that name by hand. Taking such an IC for a crashed run's create would wait on, and report, someone else's.
    """
    if sm.create_inference_component(action.request):
        return
    endpoint = str(action.request["EndpointName"])
    described = sm.describe_inference_component(action.resource) or {}
    arn = described.get("InferenceComponentArn")
    tags = sm.list_tags(str(arn)) if arn else {}
    owner = str(described.get("EndpointName", endpoint))
    if owner == endpoint and tags.get(TAG_MANAGED) == "true" and tags.get(TAG_ENDPOINT) == endpoint:
        return  # a previous run's call went through
    where = f"on endpoint {owner}" if owner != endpoint else f"on {endpoint}, not created by lmi-deploy"
    raise DeployError(
        f"inference component name {action.resource} is already taken ({where}); IC names are unique per "
        "account and region, not per endpoint",
        field="components[].name",
        value=action.resource,
        fix="rename the component (or the endpoint) so <endpoint>-<component> is a free name",
    )


def update_component(sm: SageMakerGateway, action: UpdateInferenceComponent) -> None:
    """UpdateInferenceComponent, unless the IC already points at the wanted model (a re-run after a crash)."""
    wanted = str(action.request["Specification"]["ModelName"])
    described = sm.describe_inference_component(action.resource) or {}
    current = str((described.get("Specification") or {}).get("ModelName", ""))
    if current == wanted and described.get("InferenceComponentStatus") in ("Updating", "InService"):
        return
    sm.update_inference_component(action.request)


def put_scale_out_alarm(scaling: AutoScalingGateway, cw: CloudWatchGateway, action: PutScaleOutAlarm) -> None:
    """The alarm whose action is the step policy's ARN, read now (AWS assigned it when the policy was put)."""
    policies = scaling.describe_policies(action.resource_id)
    arn = next((p.get("PolicyARN") for p in policies if p.get("PolicyName") == action.policy_name), None)
    if not arn:
        raise DeployError(
            f"step-scaling policy {action.policy_name} of {action.resource_id} does not exist, so alarm "
            f"{action.resource} has nothing to trigger",
            field="scaling",
            value=action.policy_name,
            fix="run deploy again: it puts the policy first",
        )
    cw.put_alarm({**action.request, "AlarmActions": [arn]})


def wait_for_component(
    waiter: Waiter, sm: SageMakerGateway, action: WaitForInferenceComponent, emit: EventSink
) -> dict[str, Any]:
    """Until the IC settles; a Failed IC (or one on another model) is an error naming its FailureReason."""
    described = until_settled(waiter, sm, action.resource, action.endpoint, action.timeout_s, emit)
    status = str(described.get("InferenceComponentStatus"))
    model = str((described.get("Specification") or {}).get("ModelName", ""))
    if status == "InService" and (not action.expected_model or model == action.expected_model):
        return described
    reason = described.get("FailureReason") or "no FailureReason given"
    if status == "InService":  # rolled back to the model it served before
        message = (
            f"update of {action.resource} to {action.expected_model} failed, rolled back: {reason}; {model} serves"
        )
    else:
        message = f"inference component {action.resource} is {status}: {reason}"
    raise DeployError(
        f"{message}; the endpoint's other components keep serving",
        field="components",
        value=action.resource,
        fix="fix the cause and run deploy again (a Failed component is recreated)",
        hint=_hints(str(reason)),
    )


def _hints(reason: str) -> str | None:
    from deploy.engine.diagnose import recognise

    hints = recognise(reason)
    return "\n".join(f"{h.title}: {h.fix}" for h in hints) or None


def until_settled(
    waiter: Waiter, sm: SageMakerGateway, name: str, endpoint: str, timeout_s: float, emit: EventSink
) -> dict[str, Any]:
    """Poll DescribeInferenceComponent on the waiter's schedule until InService or Failed."""
    start = waiter.clock()
    delays = waiter.schedule.delays()
    while True:
        described = sm.describe_inference_component(name)
        elapsed = waiter.clock() - start
        if described is None:
            raise DeployError(
                f"inference component {name} disappeared while waiting",
                field="components",
                value=name,
                fix="check who deleted it (CloudTrail), then run deploy again",
            )
        status = str(described.get("InferenceComponentStatus"))
        emit(_event(endpoint, name, status, elapsed))
        if status in IC_SETTLED:
            return described
        waiter.pause_or_timeout(f"inference component {name}", status, elapsed, timeout_s, next(delays))


def until_deleted(
    waiter: Waiter, sm: SageMakerGateway, name: str, endpoint: str, timeout_s: float, emit: EventSink
) -> None:
    """Poll until DescribeInferenceComponent says the IC is gone."""
    start = waiter.clock()
    delays = waiter.schedule.delays()
    while True:
        described = sm.describe_inference_component(name)
        elapsed = waiter.clock() - start
        status = "Deleted" if described is None else str(described.get("InferenceComponentStatus"))
        emit(_event(endpoint, name, status, elapsed))
        if described is None:
            return
        if status == "Failed":
            raise DeployError(
                f"deleting inference component {name} failed: {described.get('FailureReason')}",
                field="components",
                value=name,
                fix="look at the component in the console; run the command again",
            )
        waiter.pause_or_timeout(f"inference component {name}", status, elapsed, timeout_s, next(delays))


def _event(endpoint: str, component: str, status: str, elapsed: float) -> dict[str, Any]:
    return {"event": "wait", "endpoint": endpoint, "component": component, "status": status,
            "elapsed_s": round(elapsed, 1)}  # fmt: skip
