"""How the emulator cuts a response stream into PayloadParts: as SageMaker passes the container's writes on.

Usually one whole JSON line per part (LMI writes one line per token), but not always: one line in
``SPLIT_EVERY`` straddles two parts, so a client that assumes whole lines breaks here as it would on AWS.
"""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deploy.local import eventstream
from deploy.local.eventstream import SPLIT_EVERY, service_parts
from deploy.local.testing import deploy, lmi_emulator  # noqa: F401 - pytest fixture


@given(line=st.binary(max_size=400), index=st.integers(0, 200), seed=st.integers(0, 2**32))
@settings(max_examples=200, deadline=None)
def test_parts_are_the_line_whole_or_cut_once(line: bytes, index: int, seed: int) -> None:
    parts = service_parts(line, index, random.Random(seed))
    assert b"".join(parts) == line
    cut = index % SPLIT_EVERY == SPLIT_EVERY - 1 and len(line) >= 2
    assert len(parts) == (2 if cut else 1)
    assert all(parts) or parts == [b""]  # a cut never makes an empty part


@pytest.mark.parametrize("tokens", [1, SPLIT_EVERY - 1, SPLIT_EVERY, 3 * SPLIT_EVERY + 2])
def test_a_token_stream_arrives_line_by_line_with_a_few_lines_cut(lmi_emulator, tokens: int) -> None:
    context = lmi_emulator.context()
    assert deploy(context, "qwen", env={"OPTION_MAX_MODEL_LEN": "512"})["EndpointStatus"] == "InService"
    payload = {"inputs": "Tell me a story", "parameters": {"max_new_tokens": tokens}, "stream": True}
    response = context.client("sagemaker-runtime").invoke_endpoint_with_response_stream(
        EndpointName="qwen", Body=json.dumps(payload)
    )
    parts = [event["PayloadPart"]["Bytes"] for event in response["Body"]]
    lines = b"".join(parts).splitlines(keepends=True)
    assert len(lines) == tokens
    assert len(parts) == tokens + tokens // SPLIT_EVERY
    whole = [part for part in parts if part in lines]
    assert len(whole) == tokens - tokens // SPLIT_EVERY
    assert all(json.loads(line)["token"]["text"] is not None for line in lines)


def test_framing_of_whole_and_cut_lines_reads_back_through_botocore() -> None:
    from botocore.eventstream import EventStreamBuffer

    rng = random.Random(15)
    lines = [json.dumps({"token": {"id": i, "text": f" w{i}"}}).encode() + b"\n" for i in range(3 * SPLIT_EVERY)]
    wire = b"".join(eventstream.payload_part(p) for i, line in enumerate(lines) for p in service_parts(line, i, rng))
    buffer = EventStreamBuffer()
    buffer.add_data(wire)
    payloads = [message.payload for message in buffer]
    assert b"".join(payloads) == b"".join(lines)
    assert len(payloads) == len(lines) + 3
