"""SageMaker runtime: InvokeEndpoint, InvokeEndpointWithResponseStream and InvokeEndpointAsync, emulated.

Rule: the runtime answers as SageMaker does around an LMI v15 container: a missing or not-yet-serving endpoint is
``ValidationError: Endpoint X of account Y not found.``; a container error is ``ModelError`` (HTTP 424) carrying
the container's status in ``OriginalStatusCode`` and body in ``OriginalMessage``; streams are event-stream
``PayloadPart`` events, one per line as the container writes it, a few lines cut in two
(:func:`deploy.local.eventstream.service_parts`). Each answer carries the custom attribute
``x-lmi-emulated=true`` and text starting with ``[emulated]``. Every invocation emits AWS/SageMaker metrics. An
asynchronous endpoint answers only InvokeEndpointAsync, a real-time one only the other two.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from deploy.local import backends, eventstream, perf_latency
from deploy.local.container import Container
from deploy.local.endpoints import EndpointRegistry
from deploy.local.errors import ApiError
from deploy.local.lmi_protocol import ContainerError, Generation, GenerationRequest, generate, parse_request
from deploy.local.lmi_responses import full_response, stream_events

EMULATED_ATTRIBUTE = "x-lmi-emulated=true"


@dataclass
class Timing:
    """Token timing of the simulated engine: time to first token and inter-token latency, in seconds."""

    ttft_s: float = 0.0
    itl_s: float = 0.0
    model: bool = False  # both 0: time each request with the container's performance model (perf_latency)

    def total(self, tokens: int) -> float:
        return self.ttft_s + self.itl_s * max(tokens - 1, 0) if tokens else 0.0


@dataclass
class Invocation:
    region: str
    endpoint: str
    container: Container
    body: bytes


def _not_found(region: str, name: str) -> ApiError:
    return ApiError("ValidationError", f"Endpoint {name} of account {backends.account_id()} not found.")


def resolve(registry: EndpointRegistry, region: str, name: str, request: Request) -> Invocation:
    variant = request.headers.get("X-Amzn-SageMaker-Target-Variant")
    with registry.lock:
        container = registry.serving_container(region, name, variant)
    if container is None:
        raise _not_found(region, name)
    return Invocation(region, name, container, request.get_data())


def model_error(invocation: Invocation, error: ContainerError) -> ApiError:
    region, group = invocation.region, f"/aws/sagemaker/Endpoints/{invocation.endpoint}"
    kind = "client" if error.status < 500 else "server"
    original = json.dumps(error.body)
    console = f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logEventViewer:group={group}"
    message = (
        f'Received {kind} error ({error.status}) from primary with message "{original}". '
        f"See {console} in account {backends.account_id()} for more information."
    )
    arn = f"arn:aws:logs:{region}:{backends.account_id()}:log-group:{group}"
    return ApiError(
        "ModelError",
        message,
        424,
        OriginalStatusCode=error.status,
        OriginalMessage=original,
        LogStreamArn=arn,
    )


def prepare(invocation: Invocation) -> tuple[GenerationRequest, Generation]:
    container = invocation.container
    served = container.engine.served_model_name if container.engine else "lmi"
    request = parse_request(invocation.body, max_model_len=container.max_model_len, served_model_name=served)
    return request, generate(request)


def make_request_id(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:24]


def response_headers(container: Container) -> dict[str, str]:
    return {
        "x-Amzn-Invoked-Production-Variant": container.variant_name,
        "X-Amzn-SageMaker-Custom-Attributes": EMULATED_ATTRIBUTE,
    }


def emit_metrics(invocation: Invocation, latency_s: float, status: int) -> None:
    """Invocations, InvocationsPerInstance, ModelLatency (microseconds) and error counts, per variant."""
    container = invocation.container
    dims = [
        {"Name": "EndpointName", "Value": invocation.endpoint},
        {"Name": "VariantName", "Value": container.variant_name},
    ]
    values = {
        "Invocations": (1.0, "None"),
        "InvocationsPerInstance": (1.0 / max(container.instance_count, 1), "None"),
        "ModelLatency": (latency_s * 1e6, "Microseconds"),
        "Invocation4XXErrors": (float(400 <= status < 500), "None"),
        "Invocation5XXErrors": (float(status >= 500), "None"),
    }
    data = [
        {"MetricName": name, "Value": value, "Unit": unit, "Dimensions": dims} for name, (value, unit) in values.items()
    ]
    backends.put_metrics(invocation.region, "AWS/SageMaker", data)


def invoke(invocation: Invocation, timing: Timing) -> Response:
    require_real_time(invocation)
    started = time.monotonic()
    try:
        request, generation = prepare(invocation)
    except ContainerError as exc:
        emit_metrics(invocation, time.monotonic() - started, exc.status)
        raise model_error(invocation, exc) from exc
    timing = perf_latency.timing_for(timing, invocation.container, request, len(generation.tokens))
    time.sleep(timing.total(len(generation.tokens)))
    body = full_response(request, generation, request_id=make_request_id(invocation.body), created=int(time.time()))
    emit_metrics(invocation, time.monotonic() - started, 200)
    headers = {"Content-Type": "application/json", **response_headers(invocation.container)}
    return Response(json.dumps(body), status=200, headers=headers)


def invoke_stream(invocation: Invocation, timing: Timing, stream_fault: ApiError | None = None) -> Response:
    require_real_time(invocation)
    started = time.monotonic()
    try:
        request, generation = prepare(invocation)
    except ContainerError as exc:
        emit_metrics(invocation, 0.0, exc.status)
        raise model_error(invocation, exc) from exc
    timing = perf_latency.timing_for(timing, invocation.container, request, len(generation.tokens))
    request_id = make_request_id(invocation.body)
    lines = stream_schedule(request, generation, timing, request_id=request_id, created=int(time.time()))
    emit_metrics(invocation, timing.total(len(generation.tokens)) + time.monotonic() - started, 200)
    headers = {
        "Content-Type": "application/vnd.amazon.eventstream",
        "X-Amzn-SageMaker-Content-Type": "application/jsonlines",
        **response_headers(invocation.container),
    }
    rng = random.Random(request_id)
    return Response(_events(lines, rng, stream_fault), status=200, headers=headers, direct_passthrough=True)


def stream_schedule(
    request: GenerationRequest, generation: Generation, timing: Timing, *, request_id: str, created: int
) -> list[tuple[float, bytes]]:
    """The lines of a response stream, each with the seconds the engine takes before it can be sent."""
    if request.stream:
        events = stream_events(request, generation, request_id=request_id, created=created)
        return [(_token_delay(token, timing), line) for token, line in events]
    # without "stream": true LMI answers one JSON object once generation ended; SageMaker streams it in parts
    body = full_response(request, generation, request_id=request_id, created=created)
    return [(timing.total(len(generation.tokens)), json.dumps(body).encode("utf-8"))]


def _token_delay(token: int | None, timing: Timing) -> float:
    """How long the engine takes before a line: TTFT for the first token, ITL for the next, none otherwise."""
    if token is None:
        return 0.0
    return timing.ttft_s if token == 0 else timing.itl_s


def _events(lines: list[tuple[float, bytes]], rng: random.Random, fault: ApiError | None) -> Iterator[bytes]:
    for index, (delay, line) in enumerate(lines):
        if delay > 0:
            time.sleep(delay)
        if fault is not None and index == min(2, len(lines) - 1):
            yield eventstream.stream_error(fault.code, fault.message, "ModelStreamError")
            return
        for piece in eventstream.service_parts(line, index, rng):
            yield eventstream.payload_part(piece)


def invoke_async(invocation: Invocation, timing: Timing, request: Request) -> Response:
    """Read the input from S3, run it, write ``<id>.out`` (or ``<id>-error.out``) under the config's paths."""
    config = _async_config(invocation)
    input_location = request.headers.get("X-Amzn-SageMaker-InputLocation", "")
    data = backends.read_s3(input_location) if input_location.startswith("s3://") else None
    if data is None:
        raise ApiError("ValidationError", f"Could not read the input from {input_location or '(missing)'}.")
    inference_id = request.headers.get("X-Amzn-SageMaker-Inference-Id") or str(uuid.uuid4())
    output = config.get("OutputConfig", {})
    out_uri = f"{output.get('S3OutputPath', '').rstrip('/')}/{inference_id}.out"
    failure_path = output.get("S3FailurePath") or output.get("S3OutputPath", "")
    fail_uri = f"{failure_path.rstrip('/')}/{inference_id}-error.out"
    job = Invocation(invocation.region, invocation.endpoint, invocation.container, data)
    run = threading.Thread(target=_run_async, args=(job, timing, out_uri, fail_uri), daemon=True)
    if timing.total(1) > 0 or timing.model:  # the model's delays must not hold the 202 answer
        run.start()
    else:
        _run_async(job, timing, out_uri, fail_uri)
    headers = {
        "X-Amzn-SageMaker-OutputLocation": out_uri,
        "X-Amzn-SageMaker-FailureLocation": fail_uri,
        "Content-Type": "application/json",
    }
    return Response(json.dumps({"InferenceId": inference_id}), status=202, headers=headers)


def _endpoint_async_config(invocation: Invocation) -> dict[str, Any]:
    backend = backends.sagemaker(invocation.region)
    endpoint = backend.endpoints.get(invocation.endpoint)
    config = backend.describe_endpoint_config(endpoint.endpoint_config_name) if endpoint else {}
    return dict(config.get("AsyncInferenceConfig") or {})


def require_real_time(invocation: Invocation) -> None:
    """SageMaker refuses InvokeEndpoint(WithResponseStream) on an asynchronous endpoint with a ValidationError."""
    if _endpoint_async_config(invocation):
        raise ApiError(
            "ValidationError",
            f"Endpoint {invocation.endpoint} is configured for asynchronous inference; "
            "send requests with InvokeEndpointAsync.",
        )


def _async_config(invocation: Invocation) -> dict[str, Any]:
    async_config = _endpoint_async_config(invocation)
    if not async_config.get("OutputConfig", {}).get("S3OutputPath"):
        raise ApiError(
            "ValidationError",
            f"Endpoint {invocation.endpoint} is not configured for asynchronous "
            "inference (its endpoint configuration has no AsyncInferenceConfig).",
        )
    return dict(async_config)


def _run_async(job: Invocation, timing: Timing, out_uri: str, fail_uri: str) -> None:
    started = time.monotonic()
    try:
        request, generation = prepare(job)
    except ContainerError as exc:
        backends.write_s3(fail_uri, json.dumps(exc.body).encode("utf-8"))
        emit_metrics(job, time.monotonic() - started, exc.status)
        return
    timing = perf_latency.timing_for(timing, job.container, request, len(generation.tokens))
    time.sleep(timing.total(len(generation.tokens)))
    body = full_response(request, generation, request_id=make_request_id(job.body), created=int(time.time()))
    backends.write_s3(out_uri, json.dumps(body).encode("utf-8"))
    emit_metrics(job, time.monotonic() - started, 200)
