"""Per-component autoscaling bodies: the copy count of ``inference-component/<ic>``. Pure.

Target tracking keeps the copies near the spec's target (concurrent requests per copy, high resolution, or
invocations per copy). ``min: 0`` is real-time scale to zero: target tracking can take the copies to zero but can
never bring the first one back (a component with no copy emits no per-copy metric), so AWS's recipe adds a
step-scaling policy that adds one copy, driven by a CloudWatch alarm on ``NoCapacityInvocationFailures`` of that
component (a request that found no copy). The alarm's action is the step policy's ARN, which AWS assigns: apply
looks it up right before it puts the alarm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deploy.engine.components.requirements import check_scale_to_zero_region
from deploy.records import record

if TYPE_CHECKING:
    from deploy.spec.components import ComponentScaling

NAMESPACE = "sagemaker"
COPY_DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
METRICS = {
    "concurrent_requests": "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution",
    "invocations_per_copy": "SageMakerInferenceComponentInvocationsPerCopy",
}
ALARM_PERIOD_S = 30  # AWS's scale-to-zero example: one 30 s datapoint of one refused request fires it
SCALE_OUT_COOLDOWN_S = 60


def component_resource_id(ic_name: str) -> str:
    """Application Auto Scaling resource id of an inference component's copy count."""
    return f"inference-component/{ic_name}"


def no_capacity_alarm_name(ic_name: str) -> str:
    return f"{ic_name}-lmi-no-capacity"


@record
class ComponentScalingDesired:
    """RegisterScalableTarget, the target-tracking policy and (scale to zero) the step policy and its alarm."""

    target: dict[str, Any]
    policy: dict[str, Any]
    step_policy: dict[str, Any] | None = None
    alarm: dict[str, Any] | None = None

    @property
    def resource_id(self) -> str:
        return str(self.target["ResourceId"])

    @property
    def policies(self) -> tuple[dict[str, Any], ...]:
        return (self.policy,) if self.step_policy is None else (self.policy, self.step_policy)


def component_scaling(
    ic_name: str, scaling: ComponentScaling | None, partition: str, region: str, index: int
) -> ComponentScalingDesired | None:
    """The bodies for one component's scaling block (None without one); scale to zero is checked per region."""
    if scaling is None:
        return None
    resource = {"ServiceNamespace": NAMESPACE, "ResourceId": component_resource_id(ic_name),
                "ScalableDimension": COPY_DIMENSION}  # fmt: skip
    target = {**resource, "MinCapacity": scaling.min, "MaxCapacity": scaling.max}
    policy = {
        **resource,
        "PolicyName": f"{ic_name}-{scaling.metric.replace('_', '-')}",
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": float(scaling.target),
            "PredefinedMetricSpecification": {"PredefinedMetricType": METRICS[scaling.metric]},
            "ScaleInCooldown": scaling.scale_in_cooldown_s,
            "ScaleOutCooldown": scaling.scale_out_cooldown_s,
        },
    }
    if scaling.min > 0:
        return ComponentScalingDesired(target, policy)
    check_scale_to_zero_region(region, partition, f"components[{index}].scaling.min")
    step = {
        **resource,
        "PolicyName": f"{ic_name}-scale-out-from-zero",
        "PolicyType": "StepScaling",
        "StepScalingPolicyConfiguration": {
            "AdjustmentType": "ChangeInCapacity",
            "MetricAggregationType": "Maximum",
            "Cooldown": SCALE_OUT_COOLDOWN_S,
            "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}],
        },
    }
    return ComponentScalingDesired(target, policy, step, no_capacity_alarm(ic_name))


def no_capacity_alarm(ic_name: str) -> dict[str, Any]:
    """PutMetricAlarm without its action (the step policy's ARN, added by apply)."""
    return {
        "AlarmName": no_capacity_alarm_name(ic_name),
        "AlarmDescription": f"lmi-deploy: a request found no copy of {ic_name}; adds one (scale out from zero)",
        "Namespace": "AWS/SageMaker",
        "MetricName": "NoCapacityInvocationFailures",
        "Dimensions": [{"Name": "InferenceComponentName", "Value": ic_name}],
        "Statistic": "Maximum",
        "Period": ALARM_PERIOD_S,
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "missing",
    }
