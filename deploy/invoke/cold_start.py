"""What to tell a caller whose request hit an inference component with no copies ("no capacity").

AWS answers such a request with ``ValidationError: Inference Component has no capacity to process this request``
and counts it in the component's ``NoCapacityInvocationFailures`` metric. On a component set up for scale to zero,
an alarm on that metric drives a step-scaling policy that adds a copy; if the endpoint has scaled its instances to
zero as well, managed instance scaling must first start an instance; then the model loads. So the useful answer
is not "retry" but "this request has (or has not) woken it; retry in about N minutes".

Pure: the facts (alarm, instance count, copy bounds, startup timeout) are read by the caller
(:meth:`deploy.invoke.endpoint.Endpoint`), so the wording is tested without AWS. The durations that AWS does not
report are assumptions, named as such in the text: bringing up an instance (:data:`INSTANCE_START_S`) and loading
the model (:data:`MODEL_LOAD_S`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from deploy.errors import LmiError
from deploy.records import record

if TYPE_CHECKING:
    from deploy.aws.session import AwsContext

INSTANCE_START_S = 300  # assumed: minutes, not seconds, for SageMaker to add an ML instance (not measured here)
MODEL_LOAD_S = 180  # assumed: download + load of a 7-8B model's weights from S3/the Hub (not measured here)

__all__ = ["INSTANCE_START_S", "MODEL_LOAD_S", "WakeFacts", "explain_no_capacity", "facts_from", "read_wake_facts"]


@record
class WakeFacts:
    """What decides whether and when a component with no copies gets one again (None: could not be read)."""

    endpoint: str
    component: str
    alarm_name: str | None = None
    alarm_delay_s: float | None = None  # Period x EvaluationPeriods of that alarm
    instances: int | None = None  # the endpoint's current instance count
    min_copies: int | None = None  # the component's scalable target
    max_copies: int | None = None
    startup_timeout_s: int | None = None  # the component's ContainerStartupHealthCheckTimeoutInSeconds

    @property
    def retry_minutes(self) -> int:
        """Whole minutes until a copy is likely up: the alarm's delay, an instance if there is none, the load."""
        seconds = (self.alarm_delay_s or 60.0) + MODEL_LOAD_S
        if not self.instances:
            seconds += INSTANCE_START_S
        return max(1, math.ceil(seconds / 60.0))


def facts_from(
    endpoint: str,
    component: str,
    *,
    alarms: list[dict[str, Any]] | None,
    target: dict[str, Any] | None,
    described_endpoint: dict[str, Any] | None,
    described_component: dict[str, Any] | None,
) -> WakeFacts:
    """The facts out of AWS's describe answers (any of which may be None when it could not be read)."""
    alarm = next((a for a in alarms or [] if a.get("ActionsEnabled", True) and a.get("AlarmActions")), None)
    delay = None
    if alarm is not None:
        delay = float(alarm.get("Period") or 60) * float(alarm.get("EvaluationPeriods") or 1)
    variants = (described_endpoint or {}).get("ProductionVariants") or [{}]
    instances = variants[0].get("CurrentInstanceCount")
    startup = ((described_component or {}).get("Specification") or {}).get("StartupParameters") or {}
    return WakeFacts(
        endpoint=endpoint,
        component=component,
        alarm_name=str(alarm["AlarmName"]) if alarm is not None else None,
        alarm_delay_s=delay,
        instances=int(instances) if instances is not None else None,
        min_copies=int(target["MinCapacity"]) if target else None,
        max_copies=int(target["MaxCapacity"]) if target else None,
        startup_timeout_s=startup.get("ContainerStartupHealthCheckTimeoutInSeconds"),
    )


def explain_no_capacity(facts: WakeFacts) -> tuple[str, str]:
    """(what happened, the fix) for a request that found no copy of ``facts.component``."""
    add_copies = (
        f"add a copy now: aws sagemaker update-inference-component-runtime-config --inference-component-name "
        f"{facts.component} --desired-runtime-config CopyCount=1 (or deploy the spec again)"
    )
    if facts.alarm_name is None:
        what = (
            f"inference component {facts.component!r} has no copies, and no alarm on its "
            "NoCapacityInvocationFailures scales it out of zero, so retrying will not help by itself"
        )
        return what, add_copies
    steps = [f"alarm {facts.alarm_name!r} adds a copy after about {_minutes(facts.alarm_delay_s or 60.0)}"]
    if not facts.instances:
        steps.append(f"the endpoint has no instance, so one must start (assumed ~{INSTANCE_START_S // 60} min)")
    steps.append(f"then the model loads (assumed ~{MODEL_LOAD_S // 60} min")
    if facts.startup_timeout_s:
        steps[-1] += f", at most the component's {_minutes(float(facts.startup_timeout_s))} startup timeout"
    steps[-1] += ")"
    what = (
        f"inference component {facts.component!r} is scaled to zero; this request counted as a "
        f"NoCapacityInvocationFailure, which starts the scale-out: " + "; ".join(steps)
    )
    return what, f"retry in about {facts.retry_minutes} minutes, or {add_copies}"


def _minutes(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:g} s"
    minutes = seconds / 60.0
    return f"{minutes:g} min" if minutes != 1 else "1 min"


def read_wake_facts(ctx: AwsContext, endpoint: str, component: str) -> WakeFacts:
    """Read the facts with describe/list calls; each one that fails (permissions, throttling) is left out."""
    from deploy.aws.inference_components import InferenceComponentReader
    from deploy.aws.sagemaker import SageMakerGateway

    reader = InferenceComponentReader(ctx)
    return facts_from(
        endpoint,
        component,
        alarms=_or_none(reader.no_capacity_alarms, component),
        target=_or_none(reader.scalable_target, component),
        described_endpoint=_or_none(SageMakerGateway(ctx).describe_endpoint, endpoint),
        described_component=_or_none(reader.describe, component),
    )


def _or_none(read: Callable[[str], Any], name: str) -> Any:
    try:
        return read(name)
    except LmiError:
        return None
