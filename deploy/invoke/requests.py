"""Request bodies for LMI v15 endpoints, with the parameter rules of its async (vLLM) mode.

Rule: reject what the container would silently ignore. In LMI v15 async mode the LMI schema
(``{"inputs", "parameters"}``) is converted to a vLLM completion request, and parameters it does not map are
dropped without a word (``stop_sequences`` is the famous one). A typo in a parameter name therefore changes
nothing and says nothing; we refuse it here and list the accepted names instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from deploy.errors import UsageError

# LMI schema parameters that LMI v15 async mode maps or passes through to vLLM.
LMI_PARAMETERS = frozenset({
    "max_new_tokens", "do_sample", "return_full_text", "details", "decoder_input_details", "truncate",
    "ignore_eos_token", "top_n_tokens", "temperature", "top_p", "top_k", "min_p", "repetition_penalty",
    "presence_penalty", "frequency_penalty", "seed", "stop", "stop_token_ids", "logprobs", "n", "best_of",
    "include_stop_str_in_output", "skip_special_tokens",
})  # fmt: skip

# OpenAI chat parameters (plus the vLLM 0.8.4 extras the async mode forwards to ChatCompletionRequest).
CHAT_PARAMETERS = frozenset({
    "max_tokens", "max_completion_tokens", "temperature", "top_p", "n", "stop", "seed", "logprobs",
    "top_logprobs", "presence_penalty", "frequency_penalty", "logit_bias", "ignore_eos", "tools",
    "tool_choice", "user", "model", "top_k", "min_p", "repetition_penalty", "stop_token_ids",
    "chat_template_kwargs",
    "response_format", "skip_special_tokens", "include_stop_str_in_output", "min_tokens", "stream_options",
    "parallel_tool_calls", "guided_json", "guided_regex", "guided_choice", "guided_grammar",
})  # fmt: skip

# Names users bring from other schemas, and what to use instead.
LMI_RENAMES = {
    "stop_sequences": ("stop", "LMI v15 async mode does not map stop_sequences; it would be ignored"),
    "max_tokens": ("max_new_tokens", "the LMI schema calls it max_new_tokens"),
    "ignore_eos": ("ignore_eos_token", "the LMI schema calls it ignore_eos_token"),
}
CHAT_RENAMES = {
    "stop_sequences": ("stop", "the chat schema has no stop_sequences"),
    "max_new_tokens": ("max_tokens", "the chat schema calls it max_tokens"),
    "ignore_eos_token": ("ignore_eos", "the chat schema calls it ignore_eos"),
}

POSITIVE_INTS = ("max_new_tokens", "max_tokens", "max_completion_tokens", "n", "best_of", "top_n_tokens")
NON_NEGATIVE_FLOATS = ("temperature", "repetition_penalty")
CHAT_ROLES = frozenset({"system", "user", "assistant", "tool", "developer"})


def check_parameters(params: Mapping[str, Any], *, schema: str) -> dict[str, Any]:
    """Validate ``params`` for ``schema`` ("lmi" or "chat"); return them as a plain dict."""
    accepted, renames = (LMI_PARAMETERS, LMI_RENAMES) if schema == "lmi" else (CHAT_PARAMETERS, CHAT_RENAMES)
    for name, value in params.items():
        if name in renames:
            replacement, why = renames[name]
            raise UsageError(
                f"parameter {name!r} is not accepted for the {schema} schema: {why}",
                field=name,
                value=value,
                fix=f"use {replacement}={value!r}",
            )
        if name not in accepted:
            raise UsageError(
                f"unknown {schema} parameter {name!r}",
                field=name,
                value=value,
                fix=f"use one of: {', '.join(sorted(accepted))}",
            )
        _check_value(name, value)
    return dict(params)


def _check_value(name: str, value: Any) -> None:
    if not _finite(value):  # json.dumps would write NaN/Infinity, which is not JSON
        raise UsageError(f"{name} must be a finite number", field=name, value=value, fix=f"e.g. {name}=0.5")
    if name in POSITIVE_INTS and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise UsageError(f"{name} must be a positive integer", field=name, value=value, fix=f"e.g. {name}=128")
    if name in NON_NEGATIVE_FLOATS and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
        raise UsageError(f"{name} must be a number >= 0", field=name, value=value, fix=f"e.g. {name}=0.7")
    if name == "top_p" and (isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1):
        raise UsageError("top_p must be in (0, 1]", field=name, value=value, fix="e.g. top_p=0.9")
    if name == "stop" and not _is_str_or_str_list(value):
        raise UsageError(
            "stop must be a string or a list of strings", field=name, value=value, fix='e.g. stop=["\\n\\n"]'
        )


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return all(_finite(v) for v in value)
    if isinstance(value, Mapping):
        return all(_finite(v) for v in value.values())
    return True


def _is_str_or_str_list(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


def lmi_body(prompt: str, params: Mapping[str, Any], *, stream: bool = False) -> dict[str, Any]:
    """``{"inputs": prompt, "parameters": {...}}`` (plus ``"stream": true`` for streaming)."""
    if not isinstance(prompt, str) or not prompt:
        raise UsageError(
            "the prompt must be a non-empty string",
            field="prompt",
            value=prompt,
            fix="pass the text to complete, e.g. --prompt 'Hello'",
        )
    body: dict[str, Any] = {"inputs": prompt, "parameters": check_parameters(params, schema="lmi")}
    if stream:
        body["stream"] = True
    return body


def chat_body(
    messages: Sequence[Mapping[str, Any]] | str, params: Mapping[str, Any], *, stream: bool = False
) -> dict[str, Any]:
    """``{"messages": [...], ...params}`` (plus ``"stream": true`` for streaming)."""
    body: dict[str, Any] = {
        "messages": normalize_messages(messages),
        **check_parameters(params, schema="chat"),
    }
    if stream:
        body["stream"] = True
    return body


def normalize_messages(messages: Sequence[Mapping[str, Any]] | str) -> list[dict[str, Any]]:
    """A list of ``{"role", "content"}`` dicts; a bare string becomes one user message."""
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    if not messages:
        raise UsageError("messages is empty", field="messages", value=[], fix="pass at least one user message")
    out = []
    for index, message in enumerate(messages):
        if (
            not isinstance(message, Mapping)
            or message.get("role") not in CHAT_ROLES
            or ("content" not in message and "tool_calls" not in message)
        ):
            raise UsageError(
                f"messages[{index}] is not a chat message",
                field=f"messages[{index}]",
                value=message,
                fix=f'use {{"role": one of {sorted(CHAT_ROLES)}, "content": "..."}}',
            )
        out.append(dict(message))
    return out


def parse_param(text: str) -> tuple[str, Any]:
    """``k=v`` from the command line; the value is JSON when it parses (7, 0.5, true, ["a"]), else text."""
    import json

    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise UsageError(
            f"--param {text!r} is not key=value",
            field="--param",
            value=text,
            fix="e.g. --param max_new_tokens=64 --param temperature=0.2",
        )
    try:  # NaN/Infinity are not JSON: "-p stop=NaN" is the text NaN
        value: Any = json.loads(raw, parse_constant=_not_json)
    except ValueError:
        value = raw
    return name.strip(), value


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")
