"""Read-only view of an endpoint's inference components for ``lmi status`` (and their count for ``lmi list``).

Rule: describe/list calls only, and a component whose details cannot be read still shows with what is known
(a status view must not fail because one read did). Per component: copies desired/current, accelerators (and
memory, CPU) per copy, the model (id and Hub commit from lmi-deploy's tags, else the model's environment),
copy autoscaling (min/max, metric and target), status and FailureReason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deploy.aws.inference_components import InferenceComponentReader
from deploy.aws.sagemaker import SageMakerGateway
from deploy.aws.session import AwsContext
from deploy.engine.naming import TAG_MODEL_SHA
from deploy.errors import LmiError
from deploy.invoke.components import short_name

TAG_MODEL_ID = "lmi-deploy:model-id"  # the Hub id / S3 prefix a component serves (with properties delivery the
# container's environment does not name it)

# Application Auto Scaling predefined metric types of inference components -> the spec's metric names
METRIC_NAMES = {
    "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution": "concurrent_requests",
    "SageMakerInferenceComponentInvocationsPerCopy": "invocations_per_copy",
}

__all__ = ["ComponentScalingView", "ComponentStatus", "component_statuses"]


@dataclass(frozen=True)
class ComponentScalingView:
    """A component's copy autoscaling as registered: bounds, and the target tracking metric and value."""

    min_copies: int
    max_copies: int
    metric: str | None = None
    target: float | None = None
    scale_out_from_zero: bool = False  # a step policy (driven by the NoCapacityInvocationFailures alarm) exists

    def to_dict(self) -> dict[str, Any]:
        return {
            "min": self.min_copies,
            "max": self.max_copies,
            "metric": self.metric,
            "target": self.target,
            "scale_out_from_zero": self.scale_out_from_zero,
        }


@dataclass(frozen=True)
class ComponentStatus:
    """One inference component as ``lmi status`` shows it."""

    name: str  # the full IC name
    short_name: str  # as the spec calls it (the IC name without ``<endpoint>-``)
    status: str
    desired_copies: int | None = None
    current_copies: int | None = None
    accelerators_per_copy: int | None = None
    memory_mb_per_copy: int | None = None
    cpu_cores_per_copy: float | None = None
    model_name: str | None = None  # the SageMaker model
    model_id: str | None = None
    model_sha: str | None = None
    base_component: str | None = None  # set for a LoRA adapter component
    scaling: ComponentScalingView | None = None
    failure_reason: str | None = None
    created: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "component": self.short_name,
            "status": self.status,
            "copies": {"desired": self.desired_copies, "current": self.current_copies},
            "accelerators_per_copy": self.accelerators_per_copy,
            "memory_mb_per_copy": self.memory_mb_per_copy,
            "cpu_cores_per_copy": self.cpu_cores_per_copy,
            "model": {"name": self.model_name, "id": self.model_id, "sha": self.model_sha},
            "base_component": self.base_component,
            "scaling": self.scaling.to_dict() if self.scaling else None,
            "failure_reason": self.failure_reason,
            "created": self.created.isoformat() if self.created else None,
        }


def component_statuses(ctx: AwsContext, endpoint: str) -> tuple[ComponentStatus, ...]:
    """Every inference component of ``endpoint``, oldest first; () for an endpoint that serves one model."""
    reader = InferenceComponentReader(ctx)
    return tuple(_one(reader, endpoint, summary) for summary in reader.list_for_endpoint(endpoint))


def _one(reader: InferenceComponentReader, endpoint: str, summary: dict[str, Any]) -> ComponentStatus:
    name = str(summary["InferenceComponentName"])
    described = _read(reader.describe, name) or {}
    spec = described.get("Specification") or {}
    runtime = described.get("RuntimeConfig") or {}
    needs = spec.get("ComputeResourceRequirements") or {}
    arn = str(described.get("InferenceComponentArn") or summary.get("InferenceComponentArn") or "")
    tags = (_read(reader.tags, arn) or {}) if arn else {}
    model_name = spec.get("ModelName")
    return ComponentStatus(
        name=name,
        short_name=short_name(endpoint, name),
        status=str(described.get("InferenceComponentStatus") or summary.get("InferenceComponentStatus") or "?"),
        desired_copies=runtime.get("DesiredCopyCount"),
        current_copies=runtime.get("CurrentCopyCount"),
        accelerators_per_copy=needs.get("NumberOfAcceleratorDevicesRequired"),
        memory_mb_per_copy=needs.get("MinMemoryRequiredInMb"),
        cpu_cores_per_copy=needs.get("NumberOfCpuCoresRequired"),
        model_name=model_name,
        model_id=tags.get(TAG_MODEL_ID) or _env_model_id(reader, model_name),
        model_sha=tags.get(TAG_MODEL_SHA),
        base_component=spec.get("BaseInferenceComponentName"),
        scaling=_scaling(reader, name),
        failure_reason=described.get("FailureReason"),
        created=described.get("CreationTime") or summary.get("CreationTime"),
    )


def _env_model_id(reader: InferenceComponentReader, model_name: str | None) -> str | None:
    """``HF_MODEL_ID`` of the component's model, for ICs without lmi-deploy's tag (env delivery, other tools)."""
    if not model_name:
        return None
    model = _read(SageMakerGateway(reader.ctx).describe_model, model_name) or {}
    env = (model.get("PrimaryContainer") or {}).get("Environment") or {}
    value = env.get("HF_MODEL_ID") or env.get("OPTION_MODEL_ID")
    return str(value) if value else None


def _scaling(reader: InferenceComponentReader, name: str) -> ComponentScalingView | None:
    target = _read(reader.scalable_target, name)
    if not target:
        return None
    metric, value, from_zero = None, None, False
    for policy in _read(reader.scaling_policies, name) or []:
        tracking = policy.get("TargetTrackingScalingPolicyConfiguration")
        if tracking:
            predefined = (tracking.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
            metric = METRIC_NAMES.get(str(predefined), predefined) if predefined else "custom"
            value = tracking.get("TargetValue")
        elif policy.get("PolicyType") == "StepScaling":
            from_zero = True
    return ComponentScalingView(int(target["MinCapacity"]), int(target["MaxCapacity"]), metric, value, from_zero)


def _read(read: Any, name: str) -> Any:
    """One best-effort read: a status view shows what it can rather than fail on one call."""
    try:
        return read(name)
    except LmiError:
        return None
