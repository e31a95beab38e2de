"""Read-only view of an endpoint's inference components for ``lmi status`` (and their count for ``lmi list``).

Rule: describe/list/get calls only, and a component whose details cannot be read still shows with what is known
(a status view must not fail because one read did). Per component: copies desired/current, accelerators (and
memory, CPU) per copy, the model, copy autoscaling (min/max, metric and target), status and FailureReason.

Where the model's id and Hub commit come from, first found wins: lmi-deploy's tags (``model-id``/``model-sha`` on
the IC or its SageMaker model), the model's environment (``HF_MODEL_ID``/``HF_REVISION``, env delivery), then the
``serving.properties`` lmi-deploy uploaded (``option.model_id``/``option.revision``, properties delivery; its S3
prefix is the model's ``artifacts`` tag). ICs made by other tools show what their model's environment says.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from deploy.aws.inference_components import InferenceComponentReader
from deploy.aws.sagemaker import SageMakerGateway
from deploy.aws.session import AwsContext
from deploy.engine.desired import TAG_ARTIFACTS
from deploy.engine.naming import TAG_MODEL_SHA
from deploy.errors import LmiError
from deploy.invoke.components import short_name
from deploy.records import record

TAG_MODEL_ID = "lmi-deploy:model-id"  # the Hub id / S3 prefix a component serves, where a deploy tagged it
TAG_COMPONENT = "lmi-deploy:component"  # the component's name in the spec, on ICs lmi-deploy made

# Application Auto Scaling predefined metric types of inference components -> the spec's metric names
METRIC_NAMES = {
    "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution": "concurrent_requests",
    "SageMakerInferenceComponentInvocationsPerCopy": "invocations_per_copy",
}

__all__ = ["ComponentScalingView", "ComponentStatus", "component_statuses"]


@record
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


@record
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
    model_id, model_sha = _model_facts(reader, model_name, tags)
    model_id = model_id or (spec.get("Container") or {}).get("ArtifactUrl")  # an adapter: its weights' prefix
    return ComponentStatus(
        name=name,
        short_name=tags.get(TAG_COMPONENT) or short_name(endpoint, name),
        status=str(described.get("InferenceComponentStatus") or summary.get("InferenceComponentStatus") or "?"),
        desired_copies=runtime.get("DesiredCopyCount"),
        current_copies=runtime.get("CurrentCopyCount"),
        accelerators_per_copy=needs.get("NumberOfAcceleratorDevicesRequired"),
        memory_mb_per_copy=needs.get("MinMemoryRequiredInMb"),
        cpu_cores_per_copy=needs.get("NumberOfCpuCoresRequired"),
        model_name=model_name,
        model_id=model_id,
        model_sha=model_sha,
        base_component=spec.get("BaseInferenceComponentName"),
        scaling=_scaling(reader, name),
        failure_reason=described.get("FailureReason"),
        created=described.get("CreationTime") or summary.get("CreationTime"),
    )


def _model_facts(
    reader: InferenceComponentReader, model_name: str | None, ic_tags: dict[str, str]
) -> tuple[str | None, str | None]:
    """(model id, Hub commit) of a component, from tags, the model's environment or its serving.properties."""
    model_id, sha = ic_tags.get(TAG_MODEL_ID), ic_tags.get(TAG_MODEL_SHA)
    if (model_id and sha) or not model_name:
        return model_id, sha
    sm = SageMakerGateway(reader.ctx)
    model = _read(sm.describe_model, model_name) or {}
    tags = (_read(sm.list_tags, str(model["ModelArn"])) or {}) if model.get("ModelArn") else {}
    env = (model.get("PrimaryContainer") or {}).get("Environment") or {}
    model_id = model_id or tags.get(TAG_MODEL_ID) or env.get("HF_MODEL_ID") or env.get("OPTION_MODEL_ID")
    sha = sha or tags.get(TAG_MODEL_SHA) or env.get("HF_REVISION") or env.get("OPTION_REVISION")
    if not model_id and tags.get(TAG_ARTIFACTS):
        properties = _properties(reader.ctx, tags[TAG_ARTIFACTS])
        model_id, sha = properties.get("option.model_id"), sha or properties.get("option.revision")
    return model_id, sha


def _properties(ctx: AwsContext, prefix: str) -> dict[str, str]:
    """The ``key=value`` lines of ``serving.properties`` under an ``s3://`` prefix ({} when unreadable)."""
    from deploy.aws.s3 import S3Gateway

    if not prefix.startswith("s3://"):
        return {}
    bucket, _, key = prefix[5:].partition("/")
    text = _read(lambda k: S3Gateway(ctx).get_text(bucket, k), key.rstrip("/") + "/serving.properties")
    pairs = (line.split("=", 1) for line in (text or "").splitlines() if "=" in line and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


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
