"""Turn the raw ``PayloadPart`` bytes of a SageMaker response stream into typed text events.

Rule: never decode or parse a partial line. SageMaker cuts the container's byte stream wherever it likes,
so one JSON line can arrive in several parts and a multi-byte UTF-8 character can be split between two of
them. We keep bytes until a ``\\n`` arrives, then decode and parse the whole line. Pure: no boto3, no clock.

Recognised lines (LMI v15 async and rolling-batch modes):

* LMI token stream: ``{"token": {"text": ...}, "generated_text": null | str, "details": {...}}``
* OpenAI ``chat.completion.chunk`` (``choices[].delta.content``) and completion chunks (``choices[].text``)
* an optional SSE ``data:`` prefix, ``[DONE]`` and empty lines (the end of an async-mode chat stream)
* mid-stream failures: ``{"error": ...}`` objects and ``finish_reason: "error"`` raise :class:`StreamError`
* a single non-streaming object ``{"generated_text": ...}`` (the container ignored ``"stream": true``)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from deploy.invoke.errors import StreamError

# json.loads without its wrappers: scan one value from index 0 (the caller checks it ended at the end)
_scan_once: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One parsed line: the new text (may be empty), plus whatever end-of-stream facts the line carried."""

    text: str = ""
    finish_reason: str | None = None
    generated_text: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


class LineAssembler:
    """Accumulate byte chunks and hand out complete, decoded lines (without the newline)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> list[str]:
        """Add ``chunk``; return every line it completed."""
        self._buffer.extend(chunk)
        if b"\n" not in chunk:
            return []
        *complete, rest = bytes(self._buffer).split(b"\n")
        self._buffer = bytearray(rest)
        return [line.decode("utf-8").rstrip("\r") for line in complete]

    def flush(self) -> list[str]:
        """The last line when the stream ended without a newline."""
        if not self._buffer:
            return []
        line = bytes(self._buffer).decode("utf-8").rstrip("\r")
        self._buffer.clear()
        return [line]


def iter_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Complete lines from an iterable of arbitrarily split byte chunks."""
    assembler = LineAssembler()
    for chunk in chunks:
        yield from assembler.feed(chunk)
    yield from assembler.flush()


def iter_events(chunks: Iterable[bytes], *, endpoint: str = "") -> Iterator[StreamEvent]:
    """Parsed events from raw stream bytes; lines that carry nothing (blank, ``[DONE]``) are skipped.

    The same result as ``parse_line`` over ``iter_lines`` (a test checks it on random streams), in one loop:
    this runs once per ``PayloadPart`` and once per token, so a part without a newline costs one append, and a
    line that is one whole part (the common case) is decoded without copying.
    """
    pending = bytearray()
    for chunk in chunks:
        if b"\n" not in chunk:
            pending += chunk
            continue
        if pending:
            pending += chunk
            chunk = bytes(pending)
            pending.clear()
        end = chunk.rindex(b"\n")
        if end + 1 < len(chunk):
            pending += chunk[end + 1 :]
        body = chunk[:end]
        # decode every line of the part before parsing any, as LineAssembler does
        lines = [raw.decode("utf-8") for raw in body.split(b"\n")] if b"\n" in body else (body.decode("utf-8"),)
        for line in lines:
            event = _parse_text(line.strip(), endpoint)
            if event is not None:
                yield event
    if pending:
        event = _parse_text(bytes(pending).decode("utf-8").strip(), endpoint)
        if event is not None:
            yield event


def parse_line(line: str, *, endpoint: str = "") -> StreamEvent | None:
    """One stream line -> event, None for lines without content, :class:`StreamError` for error objects."""
    return _parse_text(line.strip(), endpoint)


def _parse_text(text: str, endpoint: str) -> StreamEvent | None:
    """A stripped line -> event. A plain LMI token line takes a short path; everything else the full one."""
    if text[:1] == "{":
        try:
            data, end = _scan_once(text, 0)
        except (StopIteration, ValueError):  # not one JSON value: the full path raises the typed error
            end = -1
        if end == len(text) and not data.get("error") and data.get("details") is None and "choices" not in data:
            # no error key, no details, not OpenAI: _raise_if_error cannot fire and _lmi_event has no details
            token, generated = data.get("token"), data.get("generated_text")
            text = str(token.get("text") or "") if isinstance(token, dict) else str(generated or "")
            return StreamEvent(text, None, generated if isinstance(generated, str) else None, None, None, data)
    return _parse_slow(text, endpoint)


def _parse_slow(text: str, endpoint: str) -> StreamEvent | None:
    if text.startswith("data:"):
        text = text[5:].strip()
    if not text or text == "[DONE]":
        return None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StreamError(
            f"endpoint {endpoint!r}: the stream sent a line that is not JSON: {text[:200]!r}",
            field="stream",
            value=text[:200],
            fix="the container must stream JSON lines (option.output_formatter)",
        ) from exc
    if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict):
        data = data[0]  # tgi_compat wraps a whole answer in a one-element array
    if not isinstance(data, dict):
        return None
    _raise_if_error(data, endpoint)
    if "choices" in data:
        return _openai_event(data)
    return _lmi_event(data)


def _raise_if_error(data: dict[str, Any], endpoint: str) -> None:
    error = data.get("error")
    details = data.get("details") if isinstance(data.get("details"), dict) else {}
    finish = (details or {}).get("finish_reason") or _first_choice(data).get("finish_reason")
    if error or finish == "error":
        message = _error_text(error) if error else str(data.get("generated_text") or "finish_reason=error")
        raise StreamError(
            f"endpoint {endpoint!r}: the model failed mid-stream: {message}",
            status=data.get("code") if isinstance(data.get("code"), int) else None,
            field="stream",
            value=message[:200],
            fix="the request started but the engine failed; read the container log, lower the load or "
            "max_new_tokens, and retry",
        )


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error)


def _first_choice(data: dict[str, Any]) -> dict[str, Any]:
    choices = data.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        return choices[0]
    return {}


def _openai_event(data: dict[str, Any]) -> StreamEvent:
    choice = _first_choice(data)
    delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else None
    text = (delta or {}).get("content") if delta is not None else choice.get("text")
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    return StreamEvent(
        text=str(text or ""),
        finish_reason=choice.get("finish_reason"),
        prompt_tokens=(usage or {}).get("prompt_tokens"),
        completion_tokens=(usage or {}).get("completion_tokens"),
        raw=data,
    )


def _lmi_event(data: dict[str, Any]) -> StreamEvent:
    details = data.get("details") if isinstance(data.get("details"), dict) else {}
    details = details or {}
    token = data.get("token")
    generated = data.get("generated_text")
    # a whole (non-streamed) answer arrives as generated_text alone
    text = str(token.get("text") or "") if isinstance(token, dict) else str(generated or "")
    return StreamEvent(
        text=text,
        finish_reason=details.get("finish_reason"),
        generated_text=generated if isinstance(generated, str) else None,
        prompt_tokens=details.get("input_length"),
        completion_tokens=details.get("generated_tokens"),
        raw=data,
    )
