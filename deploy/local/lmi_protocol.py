"""The LMI v15 async-mode request/response protocol, simulated: parse, validate, generate, format.

Rule: pure functions of the request body and the container's settings, no clock and no I/O, so the same body
always yields the same answer (text is seeded by the prompt). The payload shape is detected as the LMI v15 async
handler does: ``messages`` -> OpenAI chat, ``prompt`` -> OpenAI completion, ``inputs`` -> LMI (TGI-style) schema,
anything else -> HTTP 424 "Input parsing failed". Every answer starts with ``[emulated]`` so nobody mistakes it
for a model's output. Status codes follow LMI: 424 for LMI-schema failures, vLLM's 400 for OpenAI-schema ones.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import replace
from typing import Any, Literal

from deploy.records import record

EMULATED_PREFIX = "[emulated]"
LMI_DEFAULT_MAX_NEW_TOKENS = 30
COMPLETION_DEFAULT_MAX_TOKENS = 16
_VOCABULARY = (
    "the model answers with a short deterministic sentence so tests can compare output across runs while "
    "streaming tokens at a steady pace through the endpoint and the container reports usage for each "
    "request served by vLLM inside LMI on SageMaker hosting with tensor parallel workers and a paged KV cache"
)
_WORDS = tuple(_VOCABULARY.split())
_TOKEN_RE = re.compile(r"\w+|[^\w\s]")

Kind = Literal["lmi", "chat", "completion"]


class ContainerError(Exception):
    """A non-2xx answer of the container: SageMaker turns it into ``ModelError`` with ``OriginalStatusCode``."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(json.dumps(body))
        self.status = status
        self.body = body


@record
class GenerationRequest:
    """What the engine is asked to do, whatever the schema of the request body."""

    kind: Kind
    prompt: str
    prompt_tokens: int
    max_tokens: int
    stop: tuple[str, ...]
    stream: bool
    echo: bool
    details: bool
    model: str
    seed: int | None
    ignore_eos: bool = False


@record
class Token:
    id: int
    text: str
    logprob: float


@record
class Generation:
    tokens: tuple[Token, ...]
    finish_reason: str

    @property
    def text(self) -> str:
        return "".join(t.text for t in self.tokens)


def count_tokens(text: str) -> int:
    """A tokenizer stand-in: words and punctuation marks (close to a BPE count for English prose)."""
    return max(1, len(_TOKEN_RE.findall(text)))


def lmi_error(message: str) -> ContainerError:
    return ContainerError(424, {"code": 424, "message": "invoke handler failure", "error": message})


def vllm_error(message: str, status: int = 400) -> ContainerError:
    kind = "BadRequestError" if status == 400 else "InternalServerError"
    return ContainerError(status, {"object": "error", "message": message, "type": kind, "param": None, "code": status})


def parse_request(body: bytes, *, max_model_len: int, served_model_name: str = "lmi") -> GenerationRequest:
    """Detect the schema, validate it as LMI v15 would, and normalise it to a :class:`GenerationRequest`."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise lmi_error(f"Input parsing failed: {exc}") from exc
    if not isinstance(payload, dict):
        raise lmi_error("Input parsing failed")
    if "messages" in payload:
        request = _parse_chat(payload, served_model_name)
    elif "prompt" in payload:
        request = _parse_completion(payload, served_model_name)
    elif "inputs" in payload:
        request = _parse_lmi(payload, served_model_name)
    else:
        raise lmi_error("Input parsing failed")
    return _check_length(request, max_model_len)


def _stop_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise TypeError("stop must be a string or a list of strings")


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}.")
    return value


def _parse_lmi(payload: dict[str, Any], model: str) -> GenerationRequest:
    inputs, params = payload.get("inputs"), payload.get("parameters") or {}
    if not isinstance(inputs, str) or not isinstance(params, dict):
        raise lmi_error("Input parsing failed: 'inputs' must be a string and 'parameters' an object")
    try:
        max_tokens = _positive_int(params.get("max_new_tokens", LMI_DEFAULT_MAX_NEW_TOKENS), "max_new_tokens")
        stop = _stop_list(params.get("stop"))
    except (TypeError, ValueError) as exc:
        raise lmi_error(str(exc)) from exc
    return GenerationRequest(
        kind="lmi",
        prompt=inputs,
        prompt_tokens=count_tokens(inputs),
        max_tokens=max_tokens,
        stop=stop,
        stream=bool(payload.get("stream", False)),
        echo=bool(params.get("return_full_text", False)),
        details=bool(params.get("details", False)),
        model=model,
        seed=_seed(params.get("seed")),
        ignore_eos=bool(params.get("ignore_eos_token", params.get("ignore_eos", False))),
    )


def _parse_chat(payload: dict[str, Any], model: str) -> GenerationRequest:
    messages = payload["messages"]
    if not isinstance(messages, list) or not messages:
        raise vllm_error("messages: Input should be a valid non-empty list")
    parts: list[str] = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message:
            raise vllm_error(f"messages.{index}: Field required: role")
        content = message.get("content") or ""
        if isinstance(content, list):
            content = " ".join(str(c.get("text", "")) for c in content if isinstance(c, dict))
        parts.append(f"<|im_start|>{message['role']}\n{content}<|im_end|>")
    prompt = "\n".join(parts) + "\n<|im_start|>assistant\n"
    return _openai_request("chat", payload, prompt, model, default_max=None)


def _parse_completion(payload: dict[str, Any], model: str) -> GenerationRequest:
    prompt = payload["prompt"]
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise vllm_error("prompt: Input should be a valid string")
    return _openai_request("completion", payload, prompt, model, default_max=COMPLETION_DEFAULT_MAX_TOKENS)


def _openai_request(
    kind: Kind, payload: dict[str, Any], prompt: str, model: str, default_max: int | None
) -> GenerationRequest:
    raw_max = payload.get("max_completion_tokens", payload.get("max_tokens", default_max))
    try:
        max_tokens = 0 if raw_max is None else _positive_int(raw_max, "max_tokens")
        stop = _stop_list(payload.get("stop"))
    except (TypeError, ValueError) as exc:
        raise vllm_error(str(exc)) from exc
    return GenerationRequest(
        kind=kind,
        prompt=prompt,
        prompt_tokens=count_tokens(prompt),
        max_tokens=max_tokens,
        stop=stop,
        stream=bool(payload.get("stream", False)),
        echo=bool(payload.get("echo", False)),
        details=False,
        model=str(payload.get("model") or model),
        seed=_seed(payload.get("seed")),
        ignore_eos=bool(payload.get("ignore_eos", False)),
    )


def _seed(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _check_length(request: GenerationRequest, max_model_len: int) -> GenerationRequest:
    """vLLM rejects prompt + max_tokens beyond max_model_len; LMI-schema failures surface as 424 in v15."""
    if request.max_tokens == 0:  # OpenAI chat without max_tokens: vLLM fills in the remaining context
        if request.prompt_tokens >= max_model_len:  # vLLM 0.8.4's wording when there is no max_tokens
            raise vllm_error(
                f"This model's maximum context length is {max_model_len} tokens. However, you requested "
                f"{request.prompt_tokens} tokens in the messages, Please reduce the length of the messages."
            )
        request = replace(request, max_tokens=max_model_len - request.prompt_tokens)
    total = request.prompt_tokens + request.max_tokens
    if request.prompt_tokens < max_model_len and total <= max_model_len:
        return request
    where = "messages" if request.kind == "chat" else "prompt"
    message = (
        f"This model's maximum context length is {max_model_len} tokens. However, you requested {total} tokens "
        f"({request.prompt_tokens} in the {where}, {request.max_tokens} in the completion). "
        f"Please reduce the length of the {where} or completion."
    )
    raise lmi_error(message) if request.kind == "lmi" else vllm_error(message)


def generate(request: GenerationRequest) -> Generation:
    """Deterministic tokens seeded by the prompt (and ``seed``); honours max_tokens and stop strings."""
    digest = hashlib.sha256(f"{request.seed}|{request.prompt}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    natural_length = max(request.max_tokens + 1, 2) if request.ignore_eos else rng.randint(12, 48)
    texts = [EMULATED_PREFIX] + [" " + rng.choice(_WORDS) for _ in range(natural_length - 2)] + ["."]
    limit = min(request.max_tokens, len(texts))
    finish = "length" if request.max_tokens < len(texts) else "stop"
    texts = texts[:limit]
    texts, stopped = _apply_stop(texts, request.stop)
    if stopped:
        finish = "stop"
    tokens = tuple(
        Token(
            id=int.from_bytes(hashlib.sha256(t.encode()).digest()[:2], "big"),
            text=t,
            logprob=-round(rng.random(), 4),
        )
        for t in texts
    )
    return Generation(tokens=tokens, finish_reason=finish)


def _apply_stop(texts: list[str], stops: tuple[str, ...]) -> tuple[list[str], bool]:
    """Cut the output before the first stop string (vLLM's default: the stop string is not returned).

    As vLLM does, the check runs after each token, stop strings in the order given, and a stop string may
    span several tokens: everything from its first character on is dropped, including the start of an
    earlier token.
    """
    text = ""
    for index, piece in enumerate(texts):
        text += piece
        for stop in stops:
            at = text.find(stop) if stop else -1
            if at != -1:
                # the token that completed the stop string is still generated: an empty one when nothing is left
                return _keep_chars(texts[: index + 1], at) or [""], True
    return texts, False


def _keep_chars(texts: list[str], length: int) -> list[str]:
    """The leading pieces of ``texts`` that hold the first ``length`` characters (the last one cut)."""
    kept: list[str] = []
    used = 0
    for piece in texts:
        if used + len(piece) > length:
            if length > used:
                kept.append(piece[: length - used])
            break
        kept.append(piece)
        used += len(piece)
    return kept
