"""The emulated LMI v15 container: what happens between "CreateEndpoint" and "the variant answers /ping".

Rule: start from exactly what SageMaker hands the real container (the model's image and environment, the
artifacts under the S3 prefix or in the tarball) and reach the same verdict the container would: refuse bad LMI
settings, ask the fit estimator whether vLLM finds room for weights and KV cache, and write the log lines a user
would read in CloudWatch (``/aws/sagemaker/Endpoints/<name>``, stream ``<variant>/i-<hex>``).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

from deploy.local import backends, perf_latency
from deploy.local.fit import FitOutcome, assess
from deploy.local.settings import EngineSettings, StartupError, engine_settings, merge_settings
from deploy.records import record

PING_FAILURE = (
    "The primary container for production variant {variant} did not pass the ping health check. "
    "Please check CloudWatch logs for this endpoint."
)
_BANNER = "[emulated by lmi-deploy: no container runs and no GPU is used]"


@record
class Container:
    """One started (or failed) variant container."""

    variant_name: str
    model_name: str
    instance_type: str
    instance_count: int
    image: str
    log_stream: str
    log_lines: tuple[str, ...]
    engine: EngineSettings | None
    max_model_len: int
    failure_reason: str | None = None
    latency: Any = None  # deploy.local.perf_latency.LatencyModel: token timing from the performance model

    @property
    def ok(self) -> bool:
        return self.failure_reason is None


def log_stream_name(endpoint: str, config: str, variant: str) -> str:
    digest = hashlib.sha256(f"{endpoint}/{config}/{variant}".encode()).hexdigest()
    return f"{variant}/i-{digest[:17]}"


def _gpu_count(instance_type: str) -> int:
    from deploy.catalog import get_instance
    from deploy.errors import SpecError

    try:
        return get_instance(instance_type).gpu_count
    except SpecError:  # a valid SageMaker type outside the GPU catalog (e.g. a CPU type)
        return 1


def _model_config_path(files: dict[str, bytes], workdir: Path) -> Path | None:
    data = files.get("config.json")
    if data is None:
        return None
    path = workdir / "config.json"
    path.write_bytes(data)
    return path


def start_variant(region: str, endpoint: str, config_name: str, variant: dict[str, Any]) -> Container:
    """Start the container of one production variant and write its log to CloudWatch Logs."""
    model = backends.sagemaker(region).describe_model(variant["ModelName"])
    primary = model.primary_container or (model.containers[0] if model.containers else {})
    stream = log_stream_name(endpoint, config_name, variant["VariantName"])
    return start_container(region, primary, variant, f"/aws/sagemaker/Endpoints/{endpoint}", stream)


def start_container(
    region: str,
    primary: dict[str, Any],
    variant: dict[str, Any],
    log_group: str,
    stream: str,
    gpu_count: int | None = None,
) -> Container:
    """Start one container from what SageMaker hands it (``primary``: image, environment, artifacts) on the
    variant's instance type; ``gpu_count`` limits it to fewer accelerators than the instance has (an inference
    component's share). Writes its log to ``log_group``/``stream``."""
    instance_type = str(variant.get("InstanceType", "ml.g5.2xlarge"))
    files = backends.read_model_files(primary, ("serving.properties", "config.json"))
    # DJL reads the file through an InputStream: ISO-8859-1, one byte per character (non-ASCII must be \uXXXX).
    properties = files.get("serving.properties", b"").decode("iso-8859-1") or None
    environment = {str(k): str(v) for k, v in (primary.get("Environment") or {}).items()}
    image = str(primary.get("Image", "unknown"))
    lines = [_BANNER, f"Starting model server: image {image}", f"Instance type: {instance_type}"]
    engine: EngineSettings | None = None
    failure: str | None = None
    max_model_len = 4096
    latency = None
    try:
        settings = merge_settings(environment, properties)
        engine = engine_settings(settings, gpu_count or _gpu_count(instance_type))
        with tempfile.TemporaryDirectory() as workdir:
            config_path = _model_config_path(files, Path(workdir))
            outcome = assess(engine.model_id, config_path, instance_type, engine, environment)
        max_model_len = outcome.max_model_len
        lines += _engine_lines(engine, outcome, settings)
        if not outcome.fits:
            raise StartupError(*outcome.error_lines)
        lines += _ready_lines(outcome)
        latency = perf_latency.model_for(
            outcome.shape, outcome.estimate, instance_type, int(variant.get("InitialInstanceCount", 1)), engine.quantize
        )
    except StartupError as exc:
        lines += [f"ERROR PyProcess W-model-stdout: {line}" for line in exc.lines]
        lines += [
            "ERROR ModelServer Failed to load model: engine exited",
            "INFO  ModelServer Model server stopped.",
        ]
        failure = PING_FAILURE.format(variant=variant["VariantName"])
    backends.write_log(region, log_group, stream, lines)
    return Container(
        variant_name=variant["VariantName"],
        model_name=str(variant.get("ModelName", "")),
        instance_type=instance_type,
        instance_count=int(variant.get("InitialInstanceCount", 1)),
        image=image,
        log_stream=stream,
        log_lines=tuple(lines),
        engine=engine,
        max_model_len=max_model_len,
        failure_reason=failure,
        latency=latency,
    )


def _engine_lines(engine: EngineSettings, outcome: FitOutcome, settings: dict[str, str]) -> list[str]:
    shown = {k: v for k, v in sorted(settings.items()) if "token" not in k.lower()}
    lines = [
        f"INFO  ModelInfo Effective LMI settings: {json.dumps(shown)}",
        f"INFO  LmiUtils tensor_parallel_degree: {engine.tensor_parallel_degree}, "
        f"max_rolling_batch_size: {engine.max_rolling_batch_size}, async_mode: {str(engine.async_mode).lower()}",
        f"INFO  PyProcess W-model-stdout: Initializing a V1 LLM engine (v0.8.4) with config: "
        f"model='{engine.model_id}', dtype={engine.dtype}, max_seq_len={outcome.max_model_len}, "
        f"tensor_parallel_size={engine.tensor_parallel_degree}, quantization={engine.quantize}, "
        f"kv_cache_dtype={engine.kv_cache_dtype}, gpu_memory_utilization={engine.gpu_memory_utilization}",
    ]
    if outcome.warning:
        lines.append(f"WARN  lmi-deploy emulator: {outcome.warning}")
    return lines


def _ready_lines(outcome: FitOutcome) -> list[str]:
    lines = []
    if outcome.kv_cache_tokens is not None:
        lines.append(f"INFO  PyProcess W-model-stdout: GPU KV cache size: {outcome.kv_cache_tokens:,} tokens")
        lines.append(
            f"INFO  PyProcess W-model-stdout: Maximum concurrency for {outcome.max_model_len:,} tokens per "
            f"request: {outcome.max_concurrency or 0.0:.2f}x"
        )
    lines += [
        "INFO  ModelServer Initialize BOTH server with: EpollServerSocketChannel.",
        "INFO  ModelServer BOTH API bind to: http://0.0.0.0:8080",
    ]
    return lines
