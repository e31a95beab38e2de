"""Typed invoke errors and the rules that turn a container failure into one with a fix.

Why a classifier of its own: SageMaker wraps every non-2xx container answer in ``ModelError`` (HTTP 424)
and hides the container's status in ``OriginalStatusCode`` and its body in ``OriginalMessage``. The user needs
the *cause* (out of GPU memory, wrong schema, prompt too long, queue full), so we look at both and pick a
subclass with a fix.
Pure: no boto3, so the same rules serve the gateway, the stream parser and the tests.
"""

from __future__ import annotations

from deploy.errors import InvokeError


class EndpointNotFoundError(InvokeError):
    """SageMaker has no endpoint of that name in this account and region."""

    kind = "endpoint_not_found"


class ModelNotReadyError(InvokeError):
    """The endpoint exists but the model cannot take requests yet (starting, or scaled to zero)."""

    kind = "model_not_ready"


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


def classify_container_error(status: int | None, message: str, *, endpoint: str) -> InvokeError:
    """The typed error for a container answer with HTTP ``status`` and body ``message``."""
    text = message.strip()
    lowered = text.lower()
    where = f"endpoint {endpoint!r}"
    if status == 507 or any(m in lowered for m in OOM_MARKERS):
        return ModelOutOfMemoryError(
            f"{where}: the model ran out of GPU memory serving this request (HTTP {status}): {text}",
            status=status,
            field="engine.max_rolling_batch_size",
            value=status,
            fix="lower engine.max_rolling_batch_size or engine.max_model_len, or use a larger instance",
        )
    if any(m in lowered for m in PROMPT_TOO_LONG_MARKERS):
        return PromptTooLongError(
            f"{where}: the prompt is too long for the model (HTTP {status}): {text}",
            status=status,
            field="prompt",
            value=status,
            fix="shorten the prompt or lower max_new_tokens/max_tokens, or raise engine.max_model_len",
        )
    if status == 503:
        return OverloadedError(
            f"{where}: the container queue is full or the model is unavailable (HTTP 503): {text}",
            status=status,
            field="concurrency",
            value=status,
            fix="send fewer concurrent requests, raise max_rolling_batch_size, or scale out (scaling.max)",
        )
    if status in (400, 422, 424) or any(m in lowered for m in INPUT_PARSING_MARKERS):
        return InputRejectedError(
            f"{where}: the container rejected the request (HTTP {status}): {text}",
            status=status,
            field="body",
            value=status,
            fix="send {'inputs': ..., 'parameters': {...}} (LMI) or {'messages': [...]} (chat); "
            "check parameter names against `lmi invoke --help`",
        )
    return InvokeError(
        f"{where}: the container failed (HTTP {status}): {text}",
        status=status,
        field="endpoint",
        value=endpoint,
        fix="read the container log in CloudWatch (/aws/sagemaker/Endpoints/<name>)",
    )


def classify_runtime_error(
    code: str, message: str, *, endpoint: str, status: int | None = None
) -> InvokeError:
    """The typed error for a SageMaker runtime error code other than ``ModelError``."""
    where = f"endpoint {endpoint!r}"
    if code in {"ValidationError", "ValidationException"} and "not found" in message.lower():
        return EndpointNotFoundError(
            f"{where} not found: {message}",
            status=status,
            field="endpoint",
            value=endpoint,
            fix="check the name and region (`lmi status`), or deploy it first (`lmi apply SPEC`)",
        )
    if code == "ModelNotReadyException":
        return ModelNotReadyError(
            f"{where}: the model is not ready: {message}",
            status=status,
            field="endpoint",
            value=endpoint,
            fix="wait until the endpoint is InService and has at least one instance, then retry",
        )
    if code in {"ThrottlingException", "ServiceUnavailable", "TooManyRequestsException"}:
        return OverloadedError(
            f"{where}: SageMaker refused the request ({code}): {message}",
            status=status,
            field="concurrency",
            value=code,
            fix="lower the request rate or concurrency, or scale out the endpoint",
        )
    if code in {"ModelStreamError", "InternalStreamFailure"}:
        return StreamError(
            f"{where}: the response stream failed ({code}): {message}",
            status=status,
            field="stream",
            value=code,
            fix="retry; if it repeats, read the container log in CloudWatch",
        )
    return InvokeError(
        f"{where}: the call failed ({code}): {message}",
        status=status,
        field="endpoint",
        value=endpoint,
        fix="retry; check the endpoint status with `lmi status`",
    )


def timeout_error(endpoint: str, seconds: float) -> InvokeTimeoutError:
    """The error for a read that took longer than ``seconds``."""
    return InvokeTimeoutError(
        f"endpoint {endpoint!r}: no response within {seconds:g} s",
        field="timeout",
        value=seconds,
        fix="use --stream (no 60 s limit on the first byte after it starts), ask for fewer tokens, "
        "or submit the request asynchronously",
    )
