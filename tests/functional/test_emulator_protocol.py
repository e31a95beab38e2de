"""Pure pieces of the emulator: event-stream framing (checked by botocore's own parser), the LMI protocol
simulator and the container's settings merge. No server is started here."""

from __future__ import annotations

import json
import random

import pytest
from botocore.eventstream import EventStreamBuffer
from hypothesis import given, settings
from hypothesis import strategies as st

from deploy.local import eventstream
from deploy.local.lmi_protocol import ContainerError, generate, parse_request
from deploy.local.lmi_responses import stream_lines
from deploy.local.settings import StartupError, engine_settings, merge_settings


@given(payload=st.binary(max_size=2000), seed=st.integers(0, 2**32), chunk=st.integers(1, 64))
@settings(max_examples=60, deadline=None)
def test_payload_parts_reassemble_through_botocores_parser(payload, seed, chunk):
    parts = eventstream.split_payload(payload, random.Random(seed))
    wire = b"".join(eventstream.payload_part(part) for part in parts)
    buffer = EventStreamBuffer()
    for start in range(0, len(wire), chunk):  # the network delivers arbitrary byte ranges too
        buffer.add_data(wire[start : start + chunk])
    messages = list(buffer)
    assert b"".join(message.payload for message in messages) == payload
    assert all(message.headers[":event-type"] == "PayloadPart" for message in messages)


def test_stream_error_event_headers():
    (message,) = list(_decode(eventstream.stream_error("ModelStreamError", "boom", "ModelStreamError")))
    assert message.headers[":message-type"] == "exception"
    assert json.loads(message.payload) == {"Message": "boom", "ErrorCode": "ModelStreamError"}


def _decode(wire: bytes):
    buffer = EventStreamBuffer()
    buffer.add_data(wire)
    return buffer


@given(
    prompt=st.text(min_size=1, max_size=200),
    max_tokens=st.integers(1, 60),
    kind=st.sampled_from(["lmi", "chat", "completion"]),
)
@settings(max_examples=60, deadline=None)
def test_generation_honours_max_tokens_and_streams_valid_json_lines(prompt, max_tokens, kind):
    body = {
        "lmi": {"inputs": prompt, "parameters": {"max_new_tokens": max_tokens}, "stream": True},
        "chat": {"messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens, "stream": True},
        "completion": {"prompt": prompt, "max_tokens": max_tokens, "stream": True},
    }[kind]
    request = parse_request(json.dumps(body).encode(), max_model_len=100_000)
    generation = generate(request)
    assert 1 <= len(generation.tokens) <= max_tokens
    assert generation == generate(request)
    lines = b"".join(stream_lines(request, generation, request_id="r", created=0)).split(b"\n")
    assert all(json.loads(line) for line in lines if line)


@given(start=st.integers(0, 200), length=st.integers(1, 12), kind=st.sampled_from(["lmi", "chat"]))
@settings(max_examples=80, deadline=None)
def test_stop_strings_cut_before_their_first_character_even_across_tokens(start, length, kind):
    """vLLM drops everything from the stop string's first character on, also when it spans several tokens."""

    def body(stop):
        if kind == "lmi":
            return {"inputs": "stop across tokens", "parameters": {"max_new_tokens": 40, "stop": stop}}
        return {"messages": [{"role": "user", "content": "stop across tokens"}], "max_tokens": 40, "stop": stop}

    full = generate(parse_request(json.dumps(body([])).encode(), max_model_len=4096)).text
    start = start % len(full)
    stop = full[start : start + length]
    cut = generate(parse_request(json.dumps(body([stop])).encode(), max_model_len=4096))
    assert cut.text == full[: full.index(stop)]
    assert cut.finish_reason == "stop" and len(cut.tokens) >= 1


def test_schema_detection_rejects_unknown_bodies():
    with pytest.raises(ContainerError) as exc:
        parse_request(b'{"text": "hi"}', max_model_len=100)
    assert exc.value.status == 424 and exc.value.body["error"] == "Input parsing failed"


def test_serving_properties_win_and_aliases_fill_gaps():
    merged = merge_settings(
        {
            "OPTION_MAX_MODEL_LEN": "8192",
            "HF_MODEL_ID": "org/model",
            "MAX_BATCH_SIZE": "64",
            "OPTION_ENTRYPOINT": "djl_python.lmi_vllm.vllm_async_service",
        },
        "option.max_model_len=4096\n# a comment\noption.model_id=s3://b/p/\n",
    )
    assert merged["option.max_model_len"] == "4096" and merged["option.model_id"] == "s3://b/p/"
    assert merged["option.max_rolling_batch_size"] == "64"
    assert merged["option.entryPoint"] == "djl_python.lmi_vllm.vllm_async_service"
    engine = engine_settings({**merged, "option.async_mode": "true"}, gpu_count=4)
    assert engine.tensor_parallel_degree == 4 and engine.max_rolling_batch_size == 64


def test_async_mode_defaults_and_refusals():
    assert engine_settings({"option.async_mode": "true"}, 1).max_rolling_batch_size == 32
    with pytest.raises(StartupError, match="Pipeline parallelism"):
        engine_settings({"option.pipeline_parallel_degree": "2"}, 2)


@pytest.mark.parametrize(
    "body",
    [
        {"inputs": "hi", "parameters": {"max_new_tokens": 100, "ignore_eos_token": True}},
        {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 100, "ignore_eos": True},
    ],
)
def test_ignore_eos_generates_exactly_max_tokens(body: dict[str, object]) -> None:
    from deploy.local.lmi_protocol import generate, parse_request

    request = parse_request(json.dumps(body).encode(), max_model_len=4096)
    result = generate(request)
    assert len(result.tokens) == 100
    assert result.finish_reason == "length"
