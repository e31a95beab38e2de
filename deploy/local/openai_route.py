"""SageMaker's OpenAI-compatible route, emulated: ``POST /endpoints/<name>/openai/v1/chat/completions``.

Rule: answer as the route does in front of an OpenAI-speaking container: the caller is authenticated first
(:mod:`deploy.local.auth`), the endpoint is found by the name in the URL (the ``model`` field is passed through,
not used for routing), the container's answer is returned as is (its status and body, not wrapped in
``ModelError``), and a stream is Server-Sent Events: ``data: {chunk}\\n\\n`` per chunk and ``data: [DONE]`` at
the end, with a usage chunk (empty ``choices``) before it when ``stream_options.include_usage`` is set, as
vLLM's OpenAI server sends it. Errors use OpenAI's ``{"error": {...}}`` shape so OpenAI clients show them.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

from werkzeug.wrappers import Request, Response

from deploy.local import perf_latency, runtime
from deploy.local.auth import authenticate
from deploy.local.endpoints import EndpointRegistry
from deploy.local.errors import ApiError
from deploy.local.lmi_protocol import ContainerError, GenerationRequest, vllm_error
from deploy.local.lmi_responses import full_response, usage

PATH = re.compile(
    r"^/endpoints/(?P<name>[^/]+)(?:/inference-components/(?P<component>[^/]+))?/openai/v1/(?P<rest>[^?]*)\Z"
)
OPERATION = "InvokeEndpointOpenAI"


def error_response(error: ApiError) -> Response:
    """An OpenAI-shaped error body (``error.message`` / ``type`` / ``code``) with AWS's error-type header."""
    body = {"error": {"message": error.message, "type": error.code, "code": error.status}, "message": error.message}
    headers = {"x-amzn-ErrorType": error.code, "Content-Type": "application/json"}
    return Response(json.dumps(body), status=error.status, headers=headers)


def handle(registry: EndpointRegistry, timing: runtime.Timing, request: Request) -> Response:
    """Authenticate, route by URL, run the chat completion; raises :class:`ApiError` for refusals."""
    match = PATH.match(request.path)
    assert match is not None
    region = authenticate(request)
    if match["rest"] != "chat/completions" or request.method != "POST":
        raise ApiError("UnknownOperationException", f"{request.method} /openai/v1/{match['rest']} is not served.", 404)
    if match["component"]:
        raise ApiError(
            "ValidationError",
            f"Inference component {match['component']} not found: the emulator does not emulate inference components.",
            404,
        )
    try:
        invocation = runtime.resolve(registry, region, match["name"], request)
    except ApiError as exc:
        raise ApiError(exc.code, exc.message, 404) from exc
    runtime.require_real_time(invocation)
    return _chat(invocation, timing)


def _chat(invocation: runtime.Invocation, timing: runtime.Timing) -> Response:
    started = time.monotonic()
    try:
        payload = _payload(invocation.body)
        request, generation = runtime.prepare(invocation)
    except ContainerError as exc:
        runtime.emit_metrics(invocation, time.monotonic() - started, exc.status)
        return Response(json.dumps(exc.body), status=exc.status, content_type="application/json")
    timing = perf_latency.timing_for(timing, invocation.container, request, len(generation.tokens))
    request_id = runtime.make_request_id(invocation.body)
    created = int(time.time())
    headers = runtime.response_headers(invocation.container)
    if not request.stream:
        time.sleep(timing.total(len(generation.tokens)))
        body = full_response(request, generation, request_id=request_id, created=created)
        runtime.emit_metrics(invocation, time.monotonic() - started, 200)
        return Response(json.dumps(body), status=200, headers={"Content-Type": "application/json", **headers})
    lines = runtime.stream_schedule(request, generation, timing, request_id=request_id, created=created)
    runtime.emit_metrics(invocation, timing.total(len(generation.tokens)), 200)
    include_usage = bool((payload.get("stream_options") or {}).get("include_usage"))
    final = _usage_chunk(request, usage(request, generation), request_id, created) if include_usage else None
    events = _sse(lines, final, include_usage)
    return Response(events, status=200, headers={"Content-Type": "text/event-stream", **headers})


def _payload(body: bytes) -> dict[str, Any]:
    """The request must be a chat completion: a JSON object with ``messages`` (vLLM's 400 otherwise)."""
    try:
        payload = json.loads(body or b"null")
    except ValueError as exc:
        raise vllm_error(f"Invalid JSON body: {exc}") from exc
    if not isinstance(payload, dict):
        raise vllm_error("The request body must be a JSON object.")
    if "messages" not in payload:
        raise vllm_error("messages: Field required")
    options = payload.get("stream_options")
    if options is not None and (not isinstance(options, dict) or not payload.get("stream")):
        raise vllm_error("Stream options can only be defined when `stream=True`.")
    return payload


def _usage_chunk(request: GenerationRequest, counts: dict[str, int], request_id: str, created: int) -> bytes:
    chunk = {
        "id": f"chatcmpl-{request_id}",
        "object": "chat.completion.chunk",
        "created": created,
        "model": request.model,
        "choices": [],
        "usage": counts,
    }
    return json.dumps(chunk, separators=(",", ":")).encode("utf-8")


def _sse(lines: list[tuple[float, bytes]], final: bytes | None, include_usage: bool) -> Iterator[bytes]:
    """Re-frame the container's JSON lines as SSE events, keeping the engine's per-token timing."""
    for delay, line in lines:
        if delay > 0:
            time.sleep(delay)
        text = line.strip()
        if not text:
            continue
        if include_usage:  # with include_usage every chunk carries "usage": null except the last
            obj = json.loads(text)
            obj["usage"] = None
            text = json.dumps(obj, separators=(",", ":")).encode("utf-8")
        yield b"data: " + text + b"\n\n"
    if final is not None:
        yield b"data: " + final + b"\n\n"
    yield b"data: [DONE]\n\n"


__all__ = ["OPERATION", "PATH", "error_response", "handle"]
