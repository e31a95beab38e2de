"""The one-loop ``iter_events`` must behave exactly like ``iter_lines`` (LineAssembler) + the full line parser.

Why: ``iter_events`` takes short cuts (no copy for a line that is one whole part, a direct JSON scan, a short path
for plain LMI token lines) because it runs per token. Each short cut is only allowed where it gives the same events
and the same errors as the line-by-line path, so random streams mixing every line kind (token lines with and without
details, error objects, OpenAI chunks, SSE prefixes, ``[DONE]``, blank lines, non-JSON, JSON that is not an object,
broken UTF-8), cut at random byte offsets, are run through both and compared event by event and error by error.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from deploy.invoke.streaming import StreamEvent, _parse_slow, iter_events, iter_lines, parse_line


def _reference(chunks: Iterable[bytes]) -> Iterator[StreamEvent]:
    for line in iter_lines(chunks):  # LineAssembler, unchanged
        event = _parse_slow(line.strip(), "ep")
        if event is not None:
            yield event


def _outcome(run: Callable[[], Iterable[StreamEvent]]) -> tuple[list[StreamEvent], tuple[str, str] | None]:
    """Events until the end or the first error, and that error's type and text."""
    events: list[StreamEvent] = []
    try:
        for event in run():
            events.append(event)
    except Exception as exc:  # the comparison is the point: whatever one raises, the other must too
        return events, (type(exc).__name__, str(exc))
    return events, None


TEXT = st.text(alphabet='a é漢🙂"\\\t{}', max_size=6)


def _token_line(text: str, details: Any, generated: Any) -> bytes:
    return json.dumps({"token": {"id": 1, "text": text}, "generated_text": generated, "details": details}).encode()


DETAILS = st.sampled_from([None, {}, {"finish_reason": "length", "generated_tokens": 3}, {"finish_reason": "error"}, 5])
ODD_LINES = [
    b"", b"  ", b"\r", b"data: [DONE]", b"[DONE]", b"not json", b"{", b'{"a": }', b'{"a": 1} x', b"[1, 2]",
    b'[{"generated_text": "w"}]', b"3", b"null", b'{"token": {"text": "\\u00e9"}}', b'  {"token": {"text": "s"}} ',
    b"\xff\xfe", b'{"token": {"text": "\xc3"}}',
]  # fmt: skip
LINES = st.one_of(
    st.builds(_token_line, TEXT, st.none(), st.none()),
    st.builds(_token_line, TEXT, DETAILS, st.one_of(st.none(), TEXT, st.just(7))),
    st.builds(lambda t: json.dumps({"generated_text": t}).encode(), TEXT),
    st.builds(lambda t: json.dumps({"token": t, "generated_text": None}).encode(), st.one_of(TEXT, st.none())),
    st.builds(lambda t: json.dumps({"error": t, "code": 424}).encode(), st.one_of(TEXT, st.just({"message": "x"}))),
    st.builds(lambda t: json.dumps({"choices": [{"delta": {"content": t}, "finish_reason": None}]}).encode(), TEXT),
    st.builds(lambda t: b"data: " + json.dumps({"choices": [{"text": t, "finish_reason": "stop"}]}).encode(), TEXT),
    st.sampled_from(ODD_LINES),
)


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in itertools.pairwise([0, *points, len(data)])]


@settings(max_examples=400, deadline=None)
@given(
    lines=st.lists(LINES, min_size=1, max_size=8),
    newline_at_end=st.booleans(),
    crlf=st.booleans(),
    cuts=st.lists(st.integers(0, 2000), max_size=12),
)
def test_iter_events_matches_the_line_by_line_reference(
    lines: list[bytes], newline_at_end: bool, crlf: bool, cuts: list[int]
) -> None:
    data = (b"\r\n" if crlf else b"\n").join(lines) + (b"\n" if newline_at_end else b"")
    chunks = _split(data, cuts)
    assert _outcome(lambda: iter_events(chunks, endpoint="ep")) == _outcome(lambda: _reference(chunks))


@settings(max_examples=200, deadline=None)
@given(line=LINES)
def test_parse_line_matches_the_full_parser(line: bytes) -> None:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return  # parse_line takes text; undecodable bytes are the stream loop's case, covered above
    assert _outcome(lambda: [parse_line(text, endpoint="ep")]) == _outcome(lambda: [_parse_slow(text.strip(), "ep")])
