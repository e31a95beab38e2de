"""The performance model's prediction beside what ``lmi bench`` measured, level by level, with the ratio.

Why: every benchmark run on a real endpoint is then also a test of :mod:`deploy.sizing.perf` (a ratio far from 1
says which of TTFT, ITL or throughput the model gets wrong, and on which GPU). The setup is read once, before the
run, from what the endpoint serves: its instance type and count, and its LMI options (serving.properties under the
model's S3 prefix, then ``OPTION_*`` variables, as the container merges them) give the model, the tensor-parallel
degree and the engine limits; the estimator then sizes it exactly as ``lmi size`` does. Reading is best effort: when
the model's shape or the instance is unknown the prediction is absent and ``note`` says why; a benchmark never fails
for it.

Each concurrency level C spreads over N = copies per instance x instances (an inference component: its copies,
see :mod:`deploy.bench.component_prediction`): every copy runs ceil(C / N) streams, and the output tokens/s is the
per-stream rate times C. Open-loop (``--rate``) levels get no prediction:
the model is closed-loop. Compared: TTFT p50, ITL p50 and output tokens/s; ratio = measured / predicted.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from deploy.errors import LmiError
from deploy.records import record

if TYPE_CHECKING:
    from deploy.bench.runner import BenchConfig, BenchReport
    from deploy.invoke.endpoint import Endpoint


@record
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


def setup_for(endpoint: Endpoint, config: BenchConfig) -> Setup:
    """Read what the endpoint serves and size it (best effort: a Setup with a note when something is unknown).

    For a single-model endpoint; an inference component: :func:`deploy.bench.component_prediction.component_setup`.
    """
    instance_type, count = config.instance_type, int(config.instance_count or 1)
    if not instance_type:
        return Setup(note="no prediction: the endpoint's instance type is unknown (pass --instance-type)")
    try:
        options, model_data = _serving_options(endpoint)
    except LmiError as exc:
        return Setup(instance_type=instance_type, instance_count=count, note=f"no prediction: {exc.message}")
    model = options.get("option.model_id")
    try:
        shape = _shape(endpoint, model, model_data)
        return _sized(Setup(model, instance_type, count, shape=shape), options)
    except LmiError as exc:
        return Setup(model, instance_type, count, note=f"no prediction: {exc.message}")
    except ValueError as exc:  # an option the estimator cannot read (e.g. option.tensor_parallel_degree=abc)
        return Setup(model, instance_type, count, note=f"no prediction: {exc}")


def _serving_options(endpoint: Endpoint) -> tuple[dict[str, str], str | None]:
    """(the LMI options the serving container reads, the model's S3 prefix) from DescribeModel and S3."""
    from deploy.aws.sagemaker import SageMakerGateway
    from deploy.engine.snapshot import EndpointState
    from deploy.errors import NotFoundError

    sm = SageMakerGateway(endpoint.gateway.context)
    raw = sm.describe_endpoint(endpoint.name) or {}
    config_name = str(raw.get("EndpointConfigName") or "")
    config = (sm.describe_endpoint_config(config_name) if config_name else None) or {}
    if not config:
        raise NotFoundError(f"the serving configuration of {endpoint.name} is unknown", field="name")
    state = EndpointState(
        endpoint.name, str(raw.get("EndpointArn", "")), str(raw.get("EndpointStatus", "")), config_name
    )
    return served_options(endpoint, state, config)


def served_options(endpoint: Endpoint, state: Any, config: dict[str, Any]) -> tuple[dict[str, str], str | None]:
    """(the LMI options, the model's S3 prefix) of the model ``config``'s variant names, as its container reads them
    (serving.properties under its prefix, then ``OPTION_*``): one reading for an endpoint and for a component."""
    from deploy.aws.s3 import S3Gateway
    from deploy.aws.sagemaker import SageMakerGateway
    from deploy.engine.observe_serving import read_serving
    from deploy.engine.plan_diff import lmi_options

    ctx = endpoint.gateway.context
    serving = read_serving(SageMakerGateway(ctx), S3Gateway(ctx), state, config)
    return lmi_options(serving.environment, serving.properties), serving.model_data


def _shape(endpoint: Endpoint, model: str | None, model_data: str | None) -> Any:
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


def _sized(setup: Setup, options: dict[str, str]) -> Setup:
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


def predict_level(setup: Setup, concurrency: int, input_tokens: int, output_tokens: int) -> dict[str, float]:
    """Predicted TTFT and ITL (ms) and the endpoint's output tokens/s at ``concurrency`` streams in total."""
    from deploy.sizing.perf import Workload
    from deploy.sizing.perf_inputs import predict_for_instance

    copies = setup.copies or int(setup.copies_per_instance or 1) * max(1, setup.instance_count)
    per_copy = max(1, math.ceil(concurrency / copies))
    work = Workload(per_copy, input_tokens, output_tokens)
    perf = predict_for_instance(
        setup.shape, setup.estimate, str(setup.instance_type), work, quantize=setup.quantize, price_per_hour=None
    )
    return {
        "ttft_ms": perf.ttft_ms,
        "itl_ms": perf.itl_ms,
        "output_tokens_per_s": perf.output_tokens_per_s / per_copy * concurrency,
    }


def compare(report: BenchReport, setup: Setup) -> dict[str, Any]:
    """The ``prediction`` object of ``lmi bench --json``: the setup, and per level predicted, measured, ratio."""
    config = report.config
    out: dict[str, Any] = {
        "model": setup.model,
        "instance_type": setup.instance_type,
        "instance_count": setup.instance_count,
        "tensor_parallel_degree": setup.tensor_parallel_degree,
        "copies_per_instance": setup.copies_per_instance,
        **({"component": config.component, "copies": setup.copies} if config.component else {}),
        "input_tokens": config.input_tokens,
        "output_tokens": config.output_tokens,
        "note": setup.note,
        "levels": [],
    }
    if not setup.usable:
        return out
    if config.mode != "concurrency":
        out["note"] = "no prediction for --rate levels: the performance model is closed-loop (use --concurrency)"
        return out
    for level in report.levels:
        try:
            predicted = predict_level(setup, int(level.level), config.input_tokens, config.output_tokens)
        except LmiError as exc:  # one request of I + O tokens does not fit the KV cache
            out["note"] = f"no prediction at concurrency {int(level.level)}: {exc.message}"
            continue
        measured = {
            "ttft_ms": _ms(level.ttft.p50),
            "itl_ms": _ms(level.itl.p50),
            "output_tokens_per_s": level.output_tokens_per_s if level.completed else None,
        }
        ratio = {key: _ratio(measured[key], value) for key, value in predicted.items()}
        out["levels"].append(
            {
                "level": int(level.level),
                "predicted": _rounded(predicted),
                "measured": _rounded(measured),
                "ratio": ratio,
            }
        )
    return out


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000.0


def _ratio(measured: float | None, predicted: float) -> float | None:
    return None if measured is None or predicted <= 0 else round(measured / predicted, 3)


def _rounded(values: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in values.items()}
