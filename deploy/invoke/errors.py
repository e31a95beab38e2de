"""Typed invoke errors and the rules that turn a container failure into one with a fix.

Why a classifier of its own: SageMaker wraps every non-2xx container answer in ``ModelError`` (HTTP 424)
and hides the container's status in ``OriginalStatusCode`` and its body in ``OriginalMessage``. The user needs
the *cause* (out of GPU memory, wrong schema, prompt too long, queue full), so we look at both and pick a
subclass with a fix.
Pure: no boto3, so the same rules serve the gateway, the stream parser and the tests.
"""

from __future__ import annotations

import json

from deploy.errors import EndpointNotFoundError, InvokeError
from deploy.records import record

# EndpointNotFoundError is defined in deploy.errors (one error for status, scale and invoke) and kept importable here.
__all__ = [
    "ComponentError",
    "ComponentRequiredError",
    "EndpointNotFoundError",
    "InputRejectedError",
    "InvokeTimeoutError",
    "ModelNotReadyError",
    "ModelOutOfMemoryError",
    "NoCapacityError",
    "OverloadedError",
    "PromptTooLongError",
    "Rule",
    "StreamError",
    "classify_container_error",
    "classify_failure_body",
    "classify_runtime_error",
    "container_rule",
    "container_text",
    "stream_broken",
    "timeout_error",
]


class ModelNotReadyError(InvokeError):
    """The endpoint exists but the model cannot take requests yet (starting, or scaled to zero)."""

    kind = "model_not_ready"


class NoCapacityError(ModelNotReadyError):
    """The inference component has no copy to serve the request (scaled to zero, or still scaling out)."""

    kind = "no_capacity"


class ComponentError(InvokeError):
    """The request's InferenceComponentName does not match the endpoint (unknown, or not allowed there)."""

    kind = "component_error"


class ComponentRequiredError(ComponentError):
    """The endpoint hosts inference components, and the request named none."""

    kind = "component_required"


class ModelOutOfMemoryError(InvokeError):
    """The container ran out of GPU memory while serving the request (HTTP 507)."""

    kind = "model_out_of_memory"


class InputRejectedError(InvokeError):
    """The container could not parse or accept the request body (schema or parameter problem)."""

    kind = "input_rejected"


class PromptTooLongError(InvokeError):
    """The prompt plus the requested output is longer than the model's ``max_model_len``."""

    kind = "prompt_too_long"


class OverloadedError(InvokeError):
    """The container or SageMaker refused the request because it is busy (queue full, throttled, 503)."""

    kind = "overloaded"


class InvokeTimeoutError(InvokeError):
    """No answer within the client's read timeout (non-streaming InvokeEndpoint allows at most 60 s)."""

    kind = "invoke_timeout"


class StreamError(InvokeError):
    """The stream started (HTTP 200) and then failed: an error event or an error object inside the stream."""

    kind = "stream_error"


PROMPT_TOO_LONG_MARKERS = (
    "maximum context length",
    "max_model_len",
    "is longer than the maximum model length",
    "prompt is too long",
    "input length",
    "exceeds the model's maximum",
)
INPUT_PARSING_MARKERS = ("input parsing failed", "invalid input", "failed to parse", "validation error")
OOM_MARKERS = ("out of memory", "cuda oom", "outofmemoryerror")
INPUT_FIX = (
    "send {'inputs': ..., 'parameters': {...}} (LMI) or {'messages': [...]} (chat); "
    "check parameter names against `lmi invoke --help`"
)


@record
class Rule:
    """One diagnosis: which error class, how to describe it, which field is at fault, and the fix."""

    cls: type[InvokeError]
    what: str
    field: str
    fix: str


OUT_OF_MEMORY = Rule(
    ModelOutOfMemoryError, "the model ran out of GPU memory serving this request", "engine.max_rolling_batch_size",
    "lower engine.max_rolling_batch_size or engine.max_model_len, or use a larger instance",
)  # fmt: skip
PROMPT_TOO_LONG = Rule(
    PromptTooLongError, "the prompt is too long for the model", "prompt",
    "shorten the prompt or lower max_new_tokens/max_tokens, or raise engine.max_model_len",
)  # fmt: skip
QUEUE_FULL = Rule(
    OverloadedError, "the container queue is full or the model is unavailable", "concurrency",
    "send fewer concurrent requests, raise max_rolling_batch_size, or scale out (scaling.max)",
)  # fmt: skip
INPUT_REJECTED = Rule(InputRejectedError, "the container rejected the request", "body", INPUT_FIX)
CONTAINER_FAILED = Rule(
    InvokeError,
    "the container failed",
    "endpoint",
    "read the container log in CloudWatch (/aws/sagemaker/Endpoints/<name>)",
)

# SageMaker runtime error codes (other than ModelError) -> diagnosis.
RUNTIME_RULES = {
    "ModelNotReadyException": Rule(
        ModelNotReadyError, "the model is not ready", "endpoint",
        "wait until the endpoint is InService and has at least one instance, then retry",
    ),
    "ThrottlingException": Rule(
        OverloadedError, "SageMaker refused the request", "concurrency",
        "lower the request rate or concurrency, or scale out the endpoint",
    ),
    "ModelStreamError": Rule(
        StreamError, "the response stream failed", "stream",
        "retry; if it repeats, read the container log in CloudWatch",
    ),
}  # fmt: skip
RUNTIME_RULES["ServiceUnavailable"] = RUNTIME_RULES["TooManyRequestsException"] = RUNTIME_RULES["ThrottlingException"]
RUNTIME_RULES["InternalStreamFailure"] = RUNTIME_RULES["ModelStreamError"]
ENDPOINT_NOT_FOUND = Rule(
    EndpointNotFoundError, "not found", "endpoint",
    "check the name and region (`lmi status`), or deploy it first (`lmi apply SPEC`)",
)  # fmt: skip
ASYNC_MISMATCH = Rule(
    InvokeError, "the call does not match how the endpoint is configured", "endpoint",
    "submit() needs an endpoint deployed with `async_inference:` in its spec; generate/chat/stream and "
    "`lmi invoke` need a real-time endpoint (no async_inference)",
)  # fmt: skip
NO_CAPACITY = Rule(
    NoCapacityError, "the inference component has no copy to serve the request", "component",
    "the component is scaled to zero (or still scaling out): if its scale-out alarm is configured, this request "
    "has triggered it; retry in a few minutes, or add copies now with UpdateInferenceComponentRuntimeConfig",
)  # fmt: skip
COMPONENT_REQUIRED = Rule(
    ComponentRequiredError, "the endpoint hosts inference components and the request named none", "component",
    "pass --component (or Endpoint(name, component=...)); `lmi status NAME` lists the components",
)  # fmt: skip
COMPONENT_NOT_ALLOWED = Rule(
    ComponentError, "the endpoint has no inference components, so a request cannot name one", "component",
    "drop --component (or component=...): the endpoint serves one model directly",
)  # fmt: skip
COMPONENT_NOT_FOUND = Rule(
    ComponentError, "no such inference component on the endpoint", "component",
    "check the component name (`lmi status NAME` lists the endpoint's components)",
)  # fmt: skip
CALL_FAILED = Rule(InvokeError, "the call failed", "endpoint", "retry; check the endpoint status with `lmi status`")


def container_rule(status: int | None, message: str) -> Rule:
    """Which diagnosis fits a container answer with HTTP ``status`` and body ``message``."""
    lowered = message.lower()
    if status == 507 or any(m in lowered for m in OOM_MARKERS):
        return OUT_OF_MEMORY
    if any(m in lowered for m in PROMPT_TOO_LONG_MARKERS):
        return PROMPT_TOO_LONG
    if status == 503:
        return QUEUE_FULL
    if status in (400, 422, 424) or any(m in lowered for m in INPUT_PARSING_MARKERS):
        return INPUT_REJECTED
    return CONTAINER_FAILED


def classify_container_error(status: int | None, message: str, *, endpoint: str) -> InvokeError:
    """The typed error for a container answer with HTTP ``status`` and body ``message``."""
    text = message.strip()
    rule = container_rule(status, text)
    return rule.cls(
        f"endpoint {endpoint!r}: {rule.what} (HTTP {status}): {text}",
        status=status,
        field=rule.field,
        value=endpoint if rule is CONTAINER_FAILED else status,
        fix=rule.fix,
    )


def container_text(message: str) -> str:
    """The useful part of an LMI error body (``{"code":…,"message":…,"error":…}``), else the text itself."""
    try:
        data = json.loads(message)
    except ValueError:
        return message
    if isinstance(data, dict):
        parts = [str(data[k]) for k in ("message", "error", "detail") if data.get(k)]
        return ": ".join(parts) or message
    return message


def classify_failure_body(body: bytes, *, endpoint: str) -> InvokeError:
    """The typed error for the failure object of an async request (the container's error body)."""
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    code = data.get("code") if isinstance(data, dict) else None
    status = code if isinstance(code, int) and not isinstance(code, bool) else None
    return classify_container_error(status, container_text(text), endpoint=endpoint)


def classify_runtime_error(
    code: str, message: str, *, endpoint: str, status: int | None = None, component: str | None = None
) -> InvokeError:
    """The typed error for a SageMaker runtime error code other than ``ModelError``.

    ``component``: the InferenceComponentName the request carried, named in the message when given.
    """
    rule = _runtime_rule(code, message.lower())
    value: object = code if rule.field in {"concurrency", "stream"} else endpoint
    if rule.field == "component" and component:
        value = component
    where = f"endpoint {endpoint!r}" + (f", component {component!r}" if component else "")
    return rule.cls(f"{where}: {rule.what} ({code}): {message}", status=status, field=rule.field, value=value,
                    fix=rule.fix)  # fmt: skip


def _runtime_rule(code: str, lowered: str) -> Rule:
    validation = code in {"ValidationError", "ValidationException"}
    component_rule = _component_rule(lowered) if validation else None
    if component_rule is not None:
        return component_rule
    if validation and "not found" in lowered:
        return ENDPOINT_NOT_FOUND
    if validation and "asynchronous" in lowered:
        return ASYNC_MISMATCH
    return RUNTIME_RULES.get(code, CALL_FAILED)


def _component_rule(lowered: str) -> Rule | None:
    """The inference-component diagnoses of a ValidationError (AWS's wording, lower-cased), None for others."""
    if "no capacity" in lowered:
        return NO_CAPACITY
    if "inference component name header is required" in lowered:
        return COMPONENT_REQUIRED
    if "inference component name header is not allowed" in lowered:
        return COMPONENT_NOT_ALLOWED
    if "inference component" in lowered and ("not found" in lowered or "does not exist" in lowered):
        return COMPONENT_NOT_FOUND
    return None


def timeout_error(endpoint: str, seconds: float, *, stream: bool = False) -> InvokeTimeoutError:
    """The error for a read that took longer than ``seconds`` (``stream``: a stream that stopped sending)."""
    if stream:
        return InvokeTimeoutError(
            f"endpoint {endpoint!r}: the response stream sent nothing for {seconds:g} s",
            field="timeout",
            value=seconds,
            fix="raise the read timeout (Endpoint(read_timeout_s=...)), lower the load, or read the container log",
        )
    return InvokeTimeoutError(
        f"endpoint {endpoint!r}: no response within {seconds:g} s",
        field="timeout",
        value=seconds,
        fix="use --stream (no 60 s limit on the first byte after it starts), ask for fewer tokens, "
        "or submit the request asynchronously",
    )


def stream_broken(endpoint: str, cause: object) -> StreamError:
    """The error for a response stream whose connection closed before the stream ended."""
    return StreamError(
        f"endpoint {endpoint!r}: the connection closed in the middle of the response stream: {cause}",
        field="stream",
        value=endpoint,
        fix="retry; if it repeats, check the network path to the endpoint and the container log in CloudWatch",
    )
