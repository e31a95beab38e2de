"""Response bodies of the LMI v15 async handler: LMI (TGI-style) JSON, OpenAI chat/completion JSON, and the
JSON lines it streams.

Rule: pure formatting of a finished :class:`~deploy.local.lmi_protocol.Generation`; async mode strips vLLM's SSE
framing, so every streamed object is one JSON line, and OpenAI streams end with an empty line where vLLM sent
``[DONE]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from deploy.local.lmi_protocol import Generation, GenerationRequest, Token


def usage(request: GenerationRequest, generation: Generation) -> dict[str, int]:
    completion = len(generation.tokens)
    return {
        "prompt_tokens": request.prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": request.prompt_tokens + completion,
    }


def full_response(
    request: GenerationRequest, generation: Generation, *, request_id: str, created: int
) -> dict[str, Any]:
    """The non-streaming JSON body for the request's schema."""
    text = (request.prompt if request.echo else "") + generation.text
    if request.kind == "lmi":
        out: dict[str, Any] = {"generated_text": text}
        if request.details:
            out["details"] = _lmi_details(request, generation)
        return out
    choice: dict[str, Any] = {
        "index": 0,
        "logprobs": None,
        "finish_reason": generation.finish_reason,
        "stop_reason": None,
    }
    if request.kind == "chat":
        choice["message"] = {"role": "assistant", "content": generation.text, "tool_calls": []}
        obj, prefix = "chat.completion", "chatcmpl"
    else:
        choice["text"] = text
        obj, prefix = "text_completion", "cmpl"
    return {
        "id": f"{prefix}-{request_id}",
        "object": obj,
        "created": created,
        "model": request.model,
        "choices": [choice],
        "usage": usage(request, generation),
    }


def _lmi_details(request: GenerationRequest, generation: Generation) -> dict[str, Any]:
    return {
        "finish_reason": generation.finish_reason,
        "generated_tokens": len(generation.tokens),
        "input_length": request.prompt_tokens,
        "seed": request.seed,
        "tokens": [{"id": t.id, "text": t.text, "logprob": t.logprob} for t in generation.tokens],
    }


def stream_lines(
    request: GenerationRequest, generation: Generation, *, request_id: str, created: int
) -> Iterator[bytes]:
    """JSON lines as LMI v15 async mode streams them (one object per token; OpenAI ends with an empty line)."""
    for _, line in stream_events(request, generation, request_id=request_id, created=created):
        yield line


def stream_events(
    request: GenerationRequest, generation: Generation, *, request_id: str, created: int
) -> Iterator[tuple[int | None, bytes]]:
    """Each streamed line with the index of the token it carries (None for the chat role chunk and the end line).

    The engine's clock runs per token, not per line: vLLM sends the chat role chunk together with the first
    token and the end line right after the last one, so only token lines wait for the model.
    """
    last = len(generation.tokens) - 1
    if request.kind == "chat":
        yield None, _line(_chunk(request, request_id, created, {"role": "assistant", "content": ""}, None))
    for index, token in enumerate(generation.tokens):
        finish = generation.finish_reason if index == last else None
        if request.kind == "lmi":
            yield index, _line(_lmi_stream_line(request, generation, index, token, finish))
        elif request.kind == "chat":
            yield index, _line(_chunk(request, request_id, created, {"content": token.text}, finish))
        else:
            yield index, _line(_chunk(request, request_id, created, token.text, finish))
    if request.kind != "lmi":
        yield None, b"\n"


def _lmi_stream_line(
    request: GenerationRequest, generation: Generation, index: int, token: Token, finish: str | None
) -> dict[str, Any]:
    line: dict[str, Any] = {
        "index": index,
        "token": {"id": token.id, "text": token.text, "logprob": token.logprob},
        "generated_text": None,
        "details": None,
    }
    if finish is not None:
        line["generated_text"] = (request.prompt if request.echo else "") + generation.text
        if request.details:
            line["details"] = {k: v for k, v in _lmi_details(request, generation).items() if k != "tokens"}
    return line


def _chunk(request: GenerationRequest, request_id: str, created: int, delta: Any, finish: str | None) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "logprobs": None, "finish_reason": finish, "stop_reason": None}
    if request.kind == "chat":
        choice["delta"] = delta
        return {
            "id": f"chatcmpl-{request_id}",
            "object": "chat.completion.chunk",
            "created": created,
            "model": request.model,
            "choices": [choice],
        }
    choice["text"] = delta
    return {
        "id": f"cmpl-{request_id}",
        "object": "text_completion",
        "created": created,
        "model": request.model,
        "choices": [choice],
    }


def _line(obj: dict[str, Any]) -> bytes:
    return (json.dumps(obj, separators=(",", ":")) + "\n").encode("utf-8")
