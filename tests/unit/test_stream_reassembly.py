"""Stream reassembly: lines split anywhere across PayloadParts, both stream formats, mid-stream errors."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deploy.invoke.errors import StreamError
from deploy.invoke.results import ChatResult, Generation, StreamResult
from deploy.invoke.streaming import LineAssembler, StreamEvent, iter_events, iter_lines, parse_line


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def _lmi_lines(texts: list[str]) -> bytes:
    lines = []
    for i, text in enumerate(texts):
        last = i == len(texts) - 1
        lines.append(
            json.dumps(
                {
                    "token": {"id": i, "text": text},
                    "generated_text": "".join(texts) if last else None,
                    "details": {"finish_reason": "length"} if last else None,
                },
                ensure_ascii=False,
            )
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


TEXTS = st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(texts=TEXTS, cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=30))
def test_any_split_of_a_token_stream_yields_the_same_text(texts: list[str], cuts: list[int]) -> None:
    data = _lmi_lines(texts)
    events = list(iter_events(_split(data, cuts)))
    assert "".join(e.text for e in events) == "".join(texts)
    assert events[-1].finish_reason == "length"


@settings(max_examples=100, deadline=None)
@given(
    text=st.text(alphabet="é漢🙂a\n", min_size=1, max_size=40),
    cuts=st.lists(st.integers(0, 400), max_size=20),
)
def test_lines_split_inside_multibyte_characters_decode_whole(text: str, cuts: list[int]) -> None:
    parts = text.split("\n")
    expected = parts[:-1] if parts[-1] == "" else parts
    assert list(iter_lines(_split(text.encode("utf-8"), cuts))) == expected


def test_a_character_split_between_two_parts_survives() -> None:
    data = '{"token": {"text": "🙂"}}\n'.encode()
    cut = data.index("🙂".encode()) + 2
    assembler = LineAssembler()
    assert assembler.feed(data[:cut]) == []
    (line,) = assembler.feed(data[cut:])
    assert parse_line(line) == StreamEvent(text="🙂", raw={"token": {"text": "🙂"}})


def test_openai_chunks_sse_prefix_done_and_empty_lines() -> None:
    chunks = [
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
        {"choices": [{"index": 0, "delta": {"content": "Hel"}}]},
        {"choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": "stop"}]},
    ]
    data = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    events = list(iter_events([data.encode()]))
    assert [e.text for e in events] == ["", "Hel", "lo"]
    assert events[-1].finish_reason == "stop"


def test_whole_answer_without_stream_flag_is_one_event() -> None:
    events = list(iter_events([b'{"generated_text": "all at once"}']))
    assert [e.text for e in events] == ["all at once"]


@pytest.mark.parametrize(
    "line",
    [
        '{"error": "CUDA out of memory", "code": 507}',
        '{"error": {"message": "engine dead"}}',
        '{"token": {"text": ""}, "generated_text": "boom", "details": {"finish_reason": "error"}}',
        '{"choices": [{"delta": {}, "finish_reason": "error"}]}',
    ],
)
def test_mid_stream_error_objects_raise(line: str) -> None:
    with pytest.raises(StreamError) as info:
        list(iter_events([b'{"token": {"text": "a"}}\n', line.encode() + b"\n"], endpoint="ep"))
    assert info.value.fix and "'ep'" in info.value.message


def test_a_line_that_is_not_json_raises_stream_error() -> None:
    with pytest.raises(StreamError):
        parse_line("<html>")


def test_final_line_without_newline_is_flushed() -> None:
    assert [e.text for e in iter_events([b'{"token": {"text": "a"}}\n{"token": {"text": "b"}}'])] == [
        "a",
        "b",
    ]


def _clock(values: list[float]):  # type: ignore[no-untyped-def]
    it = iter(values)
    return lambda: next(it)


def test_stream_result_collects_text_timings_and_counts() -> None:
    events = [
        StreamEvent(text="a"),
        StreamEvent(text="b"),
        StreamEvent(text="c", finish_reason="length", completion_tokens=3),
    ]
    stream = StreamResult(iter(events), Generation, started=10.0, clock=_clock([10.1, 10.3, 10.6, 10.7]))
    assert list(stream) == ["a", "b", "c"]
    result = stream.result
    assert result.text == "abc" and result.finish_reason == "length" and result.completion_tokens == 3
    assert stream.token_times == pytest.approx([0.1, 0.3, 0.6])
    assert stream.ttft_s == pytest.approx(0.1)
    assert result.latency_s == pytest.approx(0.7)


def test_stream_result_counts_token_events_when_usage_is_missing_and_drains_on_result() -> None:
    events = [StreamEvent(text=""), StreamEvent(text="x"), StreamEvent(text="y", finish_reason="stop")]
    stream = StreamResult(iter(events), ChatResult, started=0.0, clock=_clock([1.0, 2.0, 3.0]))
    result = stream.result  # never iterated by the caller
    assert isinstance(result, ChatResult)
    assert (result.text, result.completion_tokens, result.finish_reason) == ("xy", 2, "stop")
    assert "xy" in repr(stream)
