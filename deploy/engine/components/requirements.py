"""What one copy of a component asks SageMaker for, what a cold start from zero costs, and where scale to zero
is offered. Pure.

The per-copy requirements are the placement estimator's (:mod:`deploy.sizing.copy_resources`, the same figures
``lmi validate`` places); the cold-start estimate names every assumption it makes (:data:`COLD_START_ASSUMPTIONS`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploy.errors import SpecError

if TYPE_CHECKING:
    from deploy.engine.resolve import ResolvedSpec
    from deploy.sizing.copy_resources import CopyRequirements

ALARM_DELAY_S = 30  # one 30 s NoCapacityInvocationFailures datapoint fires the scale-out alarm
INSTANCE_PROVISION_S = 300  # a new GPU instance ("several minutes" in AWS's scale-to-zero guide)
DOWNLOAD_MIB_S = 150.0  # weights from S3 or the Hub to one instance
LOAD_GIB_S = 2.0  # weights from local disk into GPU memory
ENGINE_WARMUP_S = 60  # vLLM memory profiling and CUDA-graph capture
COLD_START_ASSUMPTIONS = (
    f"alarm {ALARM_DELAY_S}s, new instance {INSTANCE_PROVISION_S}s (only when the endpoint scaled to zero "
    f"instances), download {DOWNLOAD_MIB_S:.0f} MiB/s, load {LOAD_GIB_S:.0f} GiB/s, engine warm-up {ENGINE_WARMUP_S}s"
)
SCALE_TO_ZERO_PARTITIONS = frozenset({"aws"})


def requirements_of(resolved: ResolvedSpec) -> CopyRequirements:
    """The requirements of one copy of a resolved component view (accelerators = tensor-parallel degree)."""
    from deploy.sizing.copy_resources import requirements_of as sized

    return sized(resolved)


def weights_bytes(resolved: ResolvedSpec) -> int | None:
    """The weights of one copy, from the estimator (None when the model's shape is unknown offline)."""
    estimate = resolved.estimate
    if estimate is None:
        return None
    return int(estimate.weights_bytes_per_gpu) * resolved.tensor_parallel_degree


def cold_start_parts(weights: int, *, instances_to_zero: bool) -> dict[str, float]:
    """The cold start's phases in seconds, under :data:`COLD_START_ASSUMPTIONS` (new instance only when the endpoint
    itself scaled to zero instances)."""
    return {
        "alarm": float(ALARM_DELAY_S),
        "new instance": float(INSTANCE_PROVISION_S if instances_to_zero else 0),
        "download": weights / (DOWNLOAD_MIB_S * 1024 * 1024),
        "load": weights / (LOAD_GIB_S * 1024**3),
        "warm-up": float(ENGINE_WARMUP_S),
    }


def cold_start_s(weights: int | None, *, instances_to_zero: bool) -> float | None:
    """Seconds from the first refused request to a copy serving (None when the model's size is unknown)."""
    return None if weights is None else sum(cold_start_parts(weights, instances_to_zero=instances_to_zero).values())


def cold_start_text(weights: int | None, *, instances_to_zero: bool) -> str:
    """The plan's sentence on how long a copy takes to come back from zero, phase by phase."""
    if weights is None:
        return "cold start from zero: unknown (the model's size is unknown offline); requests fail until a copy runs"
    parts = cold_start_parts(weights, instances_to_zero=instances_to_zero)
    phases = " + ".join(f"{name} {seconds:.0f}s" for name, seconds in parts.items() if seconds)
    return (
        f"cold start from zero ~{sum(parts.values()) / 60:.1f} min ({phases}) for {weights / 1024**3:.1f} GiB of "
        f"weights; requests fail until a copy runs (assumed: {COLD_START_ASSUMPTIONS})"
    )


def check_scale_to_zero_region(region: str, partition: str, field: str) -> None:
    """Scale to zero with inference components is documented for the commercial partition only: refuse elsewhere."""
    if partition in SCALE_TO_ZERO_PARTITIONS:
        return
    raise SpecError(
        f"{field}: 0 (scale to zero) is not available in {region} (partition {partition}); AWS documents scaling "
        "inference components to zero for the commercial partition (aws) only",
        field=field,
        value=0,
        fix=f"set {field} to 1 or more, or deploy to a commercial region (e.g. us-east-1)",
    )
