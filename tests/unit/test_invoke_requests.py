"""Request bodies, parameter rules, response parsing and error classification for LMI v15 endpoints."""

from __future__ import annotations

import json

import pytest

from deploy.errors import InvokeError, UsageError
from deploy.invoke.errors import (
    EndpointNotFoundError,
    InputRejectedError,
    ModelNotReadyError,
    ModelOutOfMemoryError,
    OverloadedError,
    PromptTooLongError,
    StreamError,
    classify_container_error,
    classify_runtime_error,
)
from deploy.invoke.requests import chat_body, check_parameters, lmi_body, normalize_messages, parse_param
from deploy.invoke.results import ChatResult, Generation, parse_chat, parse_generation


def test_lmi_body_has_inputs_parameters_and_stream_flag() -> None:
    body = lmi_body("Hello", {"max_new_tokens": 8, "temperature": 0.2}, stream=True)
    assert body == {
        "inputs": "Hello",
        "parameters": {"max_new_tokens": 8, "temperature": 0.2},
        "stream": True,
    }
    assert "stream" not in lmi_body("Hello", {})


def test_chat_body_puts_parameters_at_top_level() -> None:
    body = chat_body([{"role": "user", "content": "hi"}], {"max_tokens": 5})
    assert body == {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}


def test_a_bare_string_becomes_one_user_message() -> None:
    assert normalize_messages("hi") == [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    ("schema", "name", "replacement"),
    [
        ("lmi", "stop_sequences", "stop"),
        ("lmi", "max_tokens", "max_new_tokens"),
        ("chat", "max_new_tokens", "max_tokens"),
        ("chat", "stop_sequences", "stop"),
    ],
)
def test_parameters_from_the_other_schema_name_the_replacement(schema: str, name: str, replacement: str) -> None:
    with pytest.raises(UsageError) as info:
        check_parameters({name: 4}, schema=schema)
    assert info.value.field == name
    assert info.value.fix is not None and info.value.fix.startswith(f"use {replacement}=")
    assert info.value.exit_code == 2


def test_stop_sequences_error_explains_the_async_mode_mapping() -> None:
    with pytest.raises(UsageError, match="does not map stop_sequences"):
        lmi_body("x", {"stop_sequences": ["\n"]})


def test_unknown_parameter_lists_the_accepted_ones() -> None:
    with pytest.raises(UsageError) as info:
        check_parameters({"temprature": 0.5}, schema="lmi")
    assert "temperature" in (info.value.fix or "")
    assert "max_new_tokens" in (info.value.fix or "")


@pytest.mark.parametrize(
    ("name", "value"),
    [("max_new_tokens", 0), ("max_new_tokens", "8"), ("max_new_tokens", True), ("temperature", -1),
     ("top_p", 0), ("top_p", 1.5), ("stop", 3), ("stop", ["a", 1]), ("top_p", True),
     ("temperature", float("nan")), ("presence_penalty", float("inf")), ("min_p", float("-inf"))],
)  # fmt: skip
def test_bad_values_are_rejected(name: str, value: object) -> None:
    with pytest.raises(UsageError) as info:
        check_parameters({name: value}, schema="lmi")
    assert info.value.field == name


def test_bad_messages_and_empty_prompt_are_rejected() -> None:
    with pytest.raises(UsageError, match=r"messages\[1\]"):
        normalize_messages([{"role": "user", "content": "a"}, {"role": "robot", "content": "b"}])
    with pytest.raises(UsageError):
        normalize_messages([])
    with pytest.raises(UsageError):
        lmi_body("", {})


@pytest.mark.parametrize(
    ("text", "expected"),
    [("max_new_tokens=64", ("max_new_tokens", 64)), ("temperature=0.5", ("temperature", 0.5)),
     ("details=true", ("details", True)), ('stop=["a","b"]', ("stop", ["a", "b"])),
     ("stop=END", ("stop", "END")), ("x==y", ("x", "=y"))],
)  # fmt: skip
def test_parse_param_reads_json_values_else_text(text: str, expected: tuple[str, object]) -> None:
    assert parse_param(text) == expected


def test_parse_param_requires_key_value() -> None:
    with pytest.raises(UsageError):
        parse_param("novalue")


def test_parse_generation_reads_details_when_present() -> None:
    body = json.dumps(
        {
            "generated_text": "Paris",
            "details": {"finish_reason": "stop", "generated_tokens": 2, "prefill": [1, 2, 3]},
        }
    ).encode()
    result = parse_generation(body, latency_s=0.25)
    assert (result.text, result.finish_reason, result.prompt_tokens, result.completion_tokens) == (
        "Paris", "stop", 3, 2,
    )  # fmt: skip
    assert "Paris" in repr(result) and "0.250s" in repr(result)


def test_parse_generation_accepts_the_tgi_compat_array_and_no_details() -> None:
    result = parse_generation(b'[{"generated_text": "hi"}]', latency_s=0.0)
    assert result.text == "hi"
    assert result.completion_tokens is None


def test_parse_generation_rejects_bodies_without_text() -> None:
    with pytest.raises(InputRejectedError):
        parse_generation(b'{"foo": 1}', latency_s=0.0)
    with pytest.raises(InputRejectedError):
        parse_generation(b"not json", latency_s=0.0)


def test_parse_chat_reads_message_and_usage() -> None:
    body = json.dumps({
        "choices": [{"message": {"role": "assistant", "content": "Hello"}, "finish_reason": "length"}],
        "usage": {"prompt_tokens": 7, "completion_tokens": 1},
    }).encode()  # fmt: skip
    result = parse_chat(body, latency_s=0.1)
    assert isinstance(result, ChatResult) and isinstance(result, Generation)
    assert result.message == {"role": "assistant", "content": "Hello"}
    assert (result.prompt_tokens, result.completion_tokens, result.finish_reason) == (7, 1, "length")
    assert result.to_dict()["text"] == "Hello"


def test_long_text_is_shortened_in_repr() -> None:
    assert "…" in repr(Generation(text="x" * 500))


@pytest.mark.parametrize(
    ("status", "message", "cls", "field"),
    [
        (507, "CUDA out of memory", ModelOutOfMemoryError, "engine.max_rolling_batch_size"),
        (424, "Input parsing failed", InputRejectedError, "body"),
        (424, "This model's maximum context length is 4096 tokens", PromptTooLongError, "prompt"),
        (400, "prompt is too long", PromptTooLongError, "prompt"),
        (503, "queue is full", OverloadedError, "concurrency"),
        (500, "boom", InvokeError, "endpoint"),
    ],
)
def test_container_errors_get_a_cause_and_a_fix(status: int, message: str, cls: type, field: str) -> None:
    error = classify_container_error(status, message, endpoint="ep")
    assert type(error) is cls
    assert error.field == field and error.fix and error.status == status
    assert message in error.message and "'ep'" in error.message


def test_out_of_memory_hint_names_max_rolling_batch_size() -> None:
    error = classify_container_error(507, "", endpoint="ep")
    assert "max_rolling_batch_size" in (error.fix or "")


@pytest.mark.parametrize(
    ("code", "message", "cls"),
    [
        ("ValidationError", "Endpoint ep of account 123 not found.", EndpointNotFoundError),
        ("ModelNotReadyException", "not ready", ModelNotReadyError),
        ("ThrottlingException", "Rate exceeded", OverloadedError),
        ("ServiceUnavailable", "busy", OverloadedError),
        ("ModelStreamError", "broke", StreamError),
        ("InternalFailure", "oops", InvokeError),
    ],
)
def test_runtime_error_codes_map_to_typed_errors(code: str, message: str, cls: type) -> None:
    error = classify_runtime_error(code, message, endpoint="ep")
    assert type(error) is cls
    assert error.exit_code == 1 and error.fix


def test_nan_is_never_sent_as_a_body_that_is_not_json() -> None:
    """Python's json reads and writes NaN/Infinity; JSON has neither. On the command line they are text."""
    assert parse_param("stop=NaN") == ("stop", "NaN") and parse_param("seed=Infinity") == ("seed", "Infinity")
    with pytest.raises(UsageError, match="temperature must be a number"):
        check_parameters(dict([parse_param("temperature=NaN")]), schema="lmi")
    with pytest.raises(UsageError, match="finite"):
        check_parameters({"logit_bias": {"5": float("inf")}}, schema="chat")
