"""Typed results of a call to an endpoint, and the parsers that build them from response bodies.

Rule: a result holds what the endpoint said, never a guess. Token counts come from the response (``details``
for the LMI schema, ``usage`` for chat); when the endpoint does not report them they are ``None``, except for
streams, where each token event is one output token (that is how LMI and vLLM stream) and we count them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import field
from typing import Any, Generic, TypeVar

from deploy.invoke.errors import InputRejectedError
from deploy.invoke.streaming import StreamEvent
from deploy.records import record

REPR_TEXT = 60


def _short(text: str) -> str:
    return text if len(text) <= REPR_TEXT else text[: REPR_TEXT - 1] + "…"


@record
class Generation:
    """The answer to an LMI-schema request (``generate`` / ``stream``)."""

    text: str
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float = 0.0
    raw: Any = field(default=None, repr=False)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(text={_short(self.text)!r}, finish_reason={self.finish_reason!r}, "
            f"tokens={self.prompt_tokens}->{self.completion_tokens}, latency={self.latency_s:.3f}s)"
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``lmi invoke --json``."""
        return {
            "text": self.text,
            "finish_reason": self.finish_reason,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_s": round(self.latency_s, 6),
            "raw": self.raw,
        }


@record
class ChatResult(Generation):
    """The answer to a chat request; ``text`` is the assistant message content."""

    role: str = "assistant"

    __repr__ = Generation.__repr__  # the short form (a record would list every field)

    @property
    def message(self) -> dict[str, str]:
        """The assistant turn, ready to append to the conversation history."""
        return {"role": self.role, "content": self.text}


def _load(body: bytes, endpoint: str) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise InputRejectedError(
            f"endpoint {endpoint!r} answered with a body that is not JSON: {body[:200]!r}",
            field="response",
            value=body[:200].decode("utf-8", "replace"),
            fix="check that the endpoint runs an LMI container (it answers application/json)",
        ) from exc


def parse_generation(body: bytes, *, latency_s: float, endpoint: str = "") -> Generation:
    """``{"generated_text", "details"}`` (or the one-element array of ``tgi_compat``) -> Generation."""
    data = _load(body, endpoint)
    if isinstance(data, list) and data and isinstance(data[0], dict):
        data = data[0]
    if not isinstance(data, dict) or "generated_text" not in data:
        if isinstance(data, dict) and "choices" in data:
            return parse_chat(body, latency_s=latency_s, endpoint=endpoint)
        raise InputRejectedError(
            f"endpoint {endpoint!r}: no generated_text in the response: {str(data)[:200]}",
            field="response",
            value=str(data)[:200],
            fix="send the LMI schema {'inputs': ..., 'parameters': ...}",
        )
    details = data.get("details") if isinstance(data.get("details"), dict) else {}
    details = details or {}
    prefill = details.get("prefill")
    prompt_tokens = details.get("input_length", len(prefill) if isinstance(prefill, list) else None)
    return Generation(
        text=str(data.get("generated_text") or ""),
        finish_reason=details.get("finish_reason"),
        prompt_tokens=prompt_tokens,
        completion_tokens=details.get("generated_tokens"),
        latency_s=latency_s,
        raw=data,
    )


def parse_chat(body: bytes, *, latency_s: float, endpoint: str = "") -> ChatResult:
    """An OpenAI ``chat.completion`` object -> :class:`ChatResult`."""
    data = _load(body, endpoint)
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or not choices:
        raise InputRejectedError(
            f"endpoint {endpoint!r}: no choices in the chat response: {str(data)[:200]}",
            field="response",
            value=str(data)[:200],
            fix="send the chat schema {'messages': [...]}",
        )
    choice = choices[0]
    message = choice.get("message") or {}
    usage = data.get("usage") or {}
    return ChatResult(
        text=str(message.get("content") or choice.get("text") or ""),
        role=str(message.get("role") or "assistant"),
        finish_reason=choice.get("finish_reason"),
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
        latency_s=latency_s,
        raw=data,
    )


R = TypeVar("R", Generation, ChatResult)


class StreamResult(Generic[R]):
    """Iterate to receive text as it arrives; after the last piece, ``.result`` holds the typed result.

    Also records when each token arrived (``token_times``, seconds since the request was sent), which is what
    the benchmark needs for time to first token and inter-token latency.
    """

    def __init__(
        self,
        events: Iterable[StreamEvent],
        result_type: type[R],
        *,
        started: float,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._events = iter(events)
        self._result_type: type[R] = result_type
        self._clock = clock
        self.started = started
        self.token_times: list[float] = []
        self._parts: list[str] = []
        self._last: StreamEvent | None = None
        self._prompt_tokens: int | None = None
        self._completion_tokens: int | None = None
        self._result: R | None = None

    def __iter__(self) -> Iterator[str]:
        # one loop, locals bound once: it runs once per token, and a method call per token is measurable
        clock, started, token_times, parts = self._clock, self.started, self.token_times, self._parts
        for event in self._events:
            text = event.text
            if text:
                token_times.append(clock() - started)
                parts.append(text)
            self._prompt_tokens = event.prompt_tokens or self._prompt_tokens
            self._completion_tokens = event.completion_tokens or self._completion_tokens
            if event.finish_reason or self._last is None or not self._last.finish_reason:
                self._last = event
            if text:
                yield text
        self._finish()

    def _finish(self) -> None:
        if self._result is not None:
            return
        finish = self._last.finish_reason if self._last else None
        self._result = self._result_type(
            text="".join(self._parts),
            finish_reason=finish,
            prompt_tokens=self._prompt_tokens,
            completion_tokens=self._completion_tokens or len(self.token_times),
            latency_s=self._clock() - self.started,
            raw=self._last.raw if self._last else None,
        )

    @property
    def result(self) -> R:
        """The typed result; reads the rest of the stream first if the caller stopped iterating early."""
        if self._result is None:
            for _ in self:
                pass
        assert self._result is not None
        return self._result

    @property
    def server_completion_tokens(self) -> int | None:
        """The output token count the server reported (usage or details), None when it sent none."""
        return self._completion_tokens

    @property
    def ttft_s(self) -> float | None:
        """Seconds from sending the request to the first token, None before any token arrived."""
        return self.token_times[0] if self.token_times else None

    def __repr__(self) -> str:
        state = repr(self._result) if self._result is not None else f"{len(self.token_times)} tokens so far"
        return f"StreamResult({state})"
