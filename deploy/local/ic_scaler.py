"""One round of automatic scaling for inference components, run on demand (tests and demos call it).

Rule: AWS evaluates alarms and scaling policies on its own schedule; the emulator does it when asked
(``Emulator.run_autoscaling()`` or ``POST /_lmi/autoscaling/run``), so a test decides when time "passes".
One round: (1) every CloudWatch metric alarm is evaluated over its last ``Period x EvaluationPeriods`` seconds of
data; an alarm that *enters* ALARM runs its actions, and an action that is a StepScaling policy of an inference
component applies the matching step (ChangeInCapacity, ExactCapacity or PercentChangeInCapacity) -- the way
scale-out from zero works; (2) each TargetTracking policy of a component computes ``ceil(copies x metric /
target)`` from the invocations the component served since the previous round (the emulator's stand-in for both
per-copy metrics) and scales in to ``MinCapacity`` on no traffic unless ``DisableScaleIn``; a component at 0 copies
is left alone, as on AWS (target tracking cannot scale out from zero). Every change goes through the same path
as UpdateInferenceComponentRuntimeConfig and is recorded as a scaling activity.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import Any

from deploy.local import backends
from deploy.local.endpoints import EndpointRegistry
from deploy.local.ic_autoscaling import DIMENSION, PREFIX
from deploy.local.ic_model import Component, wall_clock

_COMPARE = {
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "GreaterThanThreshold": lambda v, t: v > t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}


def _datapoints(region: str, alarm: Any, now: dt.datetime) -> list[float]:
    start = now - dt.timedelta(seconds=int(alarm.period or 60) * int(alarm.evaluation_periods or 1))
    wanted = {(d.name, d.value) for d in alarm.dimensions}
    values = []
    for datum in backends.cloudwatch(region).get_all_metrics():
        if datum.namespace != alarm.namespace or datum.name != alarm.metric_name:
            continue
        stamp = datum.timestamp
        if stamp.tzinfo is not None:  # a client's PutMetricData may carry an aware timestamp; moto's own are naive UTC
            stamp = stamp.astimezone(dt.timezone.utc).replace(tzinfo=None)
        if {(d.name, d.value) for d in datum.dimensions} != wanted or stamp < start:
            continue
        values.append(float(getattr(datum, "value", 0.0)))
    return values


def _statistic(values: list[float], statistic: str | None) -> float:
    if statistic == "SampleCount":
        return float(len(values))
    if statistic == "Average":
        return sum(values) / len(values)
    if statistic == "Maximum":
        return max(values)
    if statistic == "Minimum":
        return min(values)
    return sum(values)


def evaluate_alarm(region: str, alarm: Any) -> tuple[str, float | None]:
    """The alarm's new state and the value it saw (None: no data, which counts as not breaching)."""
    values = _datapoints(region, alarm, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
    if not values:
        return "OK", None
    value = _statistic(values, alarm.statistic)
    breaching = _COMPARE.get(alarm.comparison_operator, _COMPARE["GreaterThanThreshold"])(value, alarm.threshold)
    return ("ALARM" if breaching else "OK"), value


def _step(config: dict[str, Any], value: float, threshold: float, current: int) -> int:
    """The copy count a StepScaling configuration asks for, given the alarm's value."""
    delta = value - threshold
    adjustment = 0
    for step in config.get("StepAdjustments") or []:
        low = step.get("MetricIntervalLowerBound", -math.inf)
        high = step.get("MetricIntervalUpperBound", math.inf)
        if float(low) <= delta < float(high) or (delta == float(high) == float(low)):
            adjustment = int(step["ScalingAdjustment"])
            break
    kind = config.get("AdjustmentType", "ChangeInCapacity")
    if kind == "ExactCapacity":
        return adjustment
    if kind == "PercentChangeInCapacity":
        change = current * adjustment / 100.0
        minimum = int(config.get("MinAdjustmentMagnitude") or 0)
        step_size = max(abs(math.trunc(change)), minimum) * (1 if change >= 0 else -1)
        return current + step_size
    return current + adjustment


def _policy_by_arn(region: str, policy_arn: str) -> Any:
    for policy in backends.autoscaling(region).policies.values():
        if policy_arn.startswith(policy.policy_arn):  # alarms made by AAS append ":createdBy/<id>"
            return policy
    return None


def _target(region: str, resource_id: str) -> Any:
    return backends.autoscaling(region).targets.get(DIMENSION, {}).get(resource_id)


def _scale(registry: EndpointRegistry, region: str, policy: Any, wanted: int, cause: str) -> dict[str, Any] | None:
    """Set the component's desired copies within the target's bounds; the activity, or None if nothing changed."""
    from deploy.local.components import begin

    target = _target(region, policy.resource_id)
    component = registry.components.get(region, policy.resource_id[len(PREFIX) :])
    if target is None or component is None or component.status != "InService":
        return None
    if target.suspended_state and (
        target.suspended_state.get("DynamicScalingOutSuspended") and wanted > component.desired
    ):
        return None
    bounded = max(int(target.min_capacity), min(int(target.max_capacity), wanted))
    if bounded == component.desired:
        return None
    previous, component.desired = component.desired, bounded
    begin(component, registry.components, "update", "Updating", registry.clock())
    return _record(registry, region, component, policy, previous, bounded, cause)


def _record(
    registry: EndpointRegistry, region: str, component: Component, policy: Any, old: int, new: int, cause: str
) -> dict[str, Any]:
    stamp = wall_clock().timestamp()
    activity = {
        "Region": region,
        "ActivityId": str(uuid.uuid4()),
        "ServiceNamespace": "sagemaker",
        "ResourceId": policy.resource_id,
        "ScalableDimension": DIMENSION,
        "Description": f"Setting desired copy count to {new}.",
        "Cause": f"{cause} triggered policy {policy.policy_name}, changing the desired copy count from {old} to {new}",
        "StartTime": stamp,
        "EndTime": stamp,
        "StatusCode": "Successful",
        "StatusMessage": f"Successfully set desired copy count to {new}. Change successfully fulfilled by sagemaker.",
    }
    registry.components.activities.append(activity)
    return {"component": component.name, "policy": policy.policy_name, "from": old, "to": new, "cause": cause}


def _run_alarms(registry: EndpointRegistry, region: str) -> list[dict[str, Any]]:
    done = []
    cloudwatch = backends.cloudwatch(region)
    for alarm in list(cloudwatch.alarms.values()):
        if not alarm.metric_name:
            continue  # metric-math alarms are not evaluated
        state, value = evaluate_alarm(region, alarm)
        entered = state == "ALARM" and alarm.state_value != "ALARM"
        if state != alarm.state_value:
            reason = f"Threshold Crossed: evaluated value {value} against threshold {alarm.threshold}"
            cloudwatch.set_alarm_state(alarm.name, reason, "{}", state)
        if not entered or not alarm.actions_enabled or value is None:
            continue
        for action in alarm.alarm_actions or []:
            policy = _policy_by_arn(region, str(action))
            if policy is None or not str(policy.resource_id).startswith(PREFIX) or policy.policy_type != "StepScaling":
                continue
            component = registry.components.get(region, policy.resource_id[len(PREFIX) :])
            current = component.desired if component is not None else 0
            wanted = _step(policy.step_scaling_policy_configuration or {}, value, float(alarm.threshold), current)
            activity = _scale(registry, region, policy, wanted, f"monitor alarm {alarm.name} in state ALARM")
            if activity:
                done.append(activity)
    return done


def _run_target_tracking(registry: EndpointRegistry, region: str) -> list[dict[str, Any]]:
    done = []
    store = registry.components
    for policy in list(backends.autoscaling(region).policies.values()):
        if policy.policy_type != "TargetTrackingScaling" or not str(policy.resource_id).startswith(PREFIX):
            continue
        config = policy.target_tracking_scaling_policy_configuration or {}
        component = store.get(region, policy.resource_id[len(PREFIX) :])
        if component is None or component.desired == 0:
            continue  # target tracking cannot scale out from zero: that takes a step-scaling alarm
        served = store.invocations.get((region, component.name), 0)
        per_copy = served / component.desired
        target_value = float(config.get("TargetValue") or 1.0)
        wanted = math.ceil(component.desired * per_copy / target_value) if served else 0
        if wanted < component.desired and config.get("DisableScaleIn"):
            continue
        activity = _scale(registry, region, policy, wanted, "target tracking")
        if activity:
            done.append(activity)
    for key in [k for k in store.invocations if k[0] == region]:
        store.invocations[key] = 0
    return done


def run(registry: EndpointRegistry, region: str) -> list[dict[str, Any]]:
    """One round of alarms then target tracking in ``region``; the scaling changes it made."""
    with registry.lock:
        registry.tick()
        return _run_alarms(registry, region) + _run_target_tracking(registry, region)
