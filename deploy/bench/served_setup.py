"""What a benchmark's prediction is computed for: the served model's shape and the estimator's verdict on it.

Why a module of its own: a single-model endpoint (:mod:`deploy.bench.prediction`) and an inference component
(:mod:`deploy.bench.component_prediction`) read their LMI options differently but size them the same way, so both
build their :class:`Setup` with these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deploy.invoke.endpoint import Endpoint


@dataclass(frozen=True)
class Setup:
    """What the prediction is computed for (None fields: unknown, with ``note`` saying why)."""

    model: str | None = None
    instance_type: str | None = None
    instance_count: int = 1
    tensor_parallel_degree: int | None = None
    copies_per_instance: int | None = None
    shape: Any = None
    estimate: Any = None
    quantize: str | None = None
    note: str = ""
    copies: int | None = None  # an inference component: its copies in all (each on its own GPUs)

    @property
    def usable(self) -> bool:
        return self.shape is not None and self.estimate is not None and bool(self.instance_type)


def served_shape(endpoint: Endpoint, model: str | None, model_data: str | None) -> Any:
    """The model's shape: its config.json on S3 (an S3 model or uploaded weights), else the Hub id as ``lmi size``."""
    from deploy.errors import SpecError
    from deploy.sizing import load_shape

    if model and not model.startswith(("s3://", "/")):
        return load_shape(model)
    prefix = model if model and model.startswith("s3://") else model_data
    if not prefix or not prefix.startswith("s3://"):
        raise SpecError("the served model's shape is unknown (no Hub id, no S3 prefix)")
    return _s3_shape(endpoint, prefix)


def _s3_shape(endpoint: Endpoint, prefix: str) -> Any:
    from deploy.aws.s3 import S3Gateway
    from deploy.errors import SpecError
    from deploy.sizing import shape_from_document
    from deploy.sizing.config_check import parse_config_text

    bucket, _, key = prefix.removeprefix("s3://").partition("/")
    key = key.rstrip("/") + "/config.json" if key.strip("/") else "config.json"
    text = S3Gateway(endpoint.gateway.context).get_text(bucket, key)
    if text is None:
        raise SpecError(f"no config.json at s3://{bucket}/{key}: the served model's shape is unknown")
    source = f"s3://{bucket}/{key}"
    return shape_from_document(parse_config_text(text, source), prefix, source)


def sized(setup: Setup, options: dict[str, str]) -> Setup:
    """The setup with the estimator's verdict for these options on this instance type."""
    from dataclasses import replace

    from deploy.engine.plan_cost import engine_params_of
    from deploy.sizing import Hardware, estimate

    hardware = Hardware.from_instance(str(setup.instance_type))
    params = engine_params_of(options, hardware.gpu_count)
    est = estimate(setup.shape, hardware, params, with_fixes=False)
    if not est.fits:
        return replace(setup, note="no prediction: the estimator says this configuration does not fit")
    return replace(
        setup,
        tensor_parallel_degree=est.tensor_parallel_degree,
        copies_per_instance=max(1, est.copies_per_instance),
        estimate=est,
        quantize=params.quantize,
    )
