"""StyledLines (deploy/cli/_output.py) writes what rich's Console would for the same styled line, minus wrapping.

Why rich is the oracle: `lmi validate` printed through rich before, and users' terminals, NO_COLOR and FORCE_COLOR
settings must keep meaning what they meant. Each case renders the same markup with rich (a wide console, so rich
does not wrap) and with StyledLines, under one environment and one stream, and compares the bytes.
"""

from __future__ import annotations

import io
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from deploy.cli._output import StyledLines


class FakeStream(io.StringIO):
    """A text stream that says whether it is a terminal."""

    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


class ClosedStream(FakeStream):
    def isatty(self) -> bool:
        raise ValueError("I/O operation on closed file")


# Every combination of the variables rich reads to decide on styles, on a terminal and on a pipe.
ENV_CHOICES = {
    "NO_COLOR": (None, "", "1"),
    "FORCE_COLOR": (None, "", "1"),
    "TTY_COMPATIBLE": (None, "0", "1"),
    "TERM": (None, "xterm-256color", "dumb", "UNKNOWN"),
}
ENVIRONMENTS = [
    {k: v for k, v in zip(ENV_CHOICES, values, strict=True) if v is not None}
    for values in itertools.product(*ENV_CHOICES.values())
]
STYLES = ("green", "yellow", "dim", "bold", "red")


def _rich(markup_text: str, tty: bool, env: dict[str, str]) -> str:
    stream = FakeStream(tty)
    Console(file=stream, highlight=False, soft_wrap=False, width=10_000, _environ=env).print(markup_text)
    return stream.getvalue()


def _ours(word: str, style: str, rest: str, tty: bool, env: dict[str, str]) -> str:
    stream = FakeStream(tty)
    out = StyledLines(stream, env)
    out.print(f"  {out.style(word, style)} {rest}")
    return stream.getvalue()


@pytest.mark.parametrize("tty", [True, False], ids=["tty", "pipe"])
@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda env: ",".join(f"{k}={v}" for k, v in env.items()) or "-")
def test_same_bytes_as_rich_under_every_environment(env: dict[str, str], tty: bool) -> None:
    for style in STYLES:
        rest = "examples/qwen25-7b.yaml: qwen25-7b on 1 x ml.g6e.2xlarge"
        assert _ours("note:", style, rest, tty, env) == _rich(f"  [{style}]note:[/{style}] {rest}", tty, env)


@given(
    word=st.text(st.characters(min_codepoint=97, max_codepoint=122), min_size=1, max_size=12),
    rest=st.text(
        st.characters(min_codepoint=97, max_codepoint=122) | st.sampled_from(" ,.:=()/-0123456789x"), max_size=300
    ),
    style=st.sampled_from(STYLES),
    tty=st.booleans(),
)
def test_long_plain_lines_match_rich_and_are_never_wrapped(word: str, rest: str, style: str, tty: bool) -> None:
    env = {"TERM": "xterm"}
    ours = _ours(word, style, rest, tty, env)
    assert ours == _rich(f"  [{style}]{word}[/{style}] {rest}", tty, env)
    assert ours.count("\n") == 1


def test_text_is_written_as_it_is_not_read_as_markup_or_emoji() -> None:
    stream = FakeStream(False)
    StyledLines(stream, {}).print("  note: option [bold] :warning: stays")
    assert stream.getvalue() == "  note: option [bold] :warning: stays\n"


def test_a_stream_that_cannot_answer_isatty_gets_no_styles() -> None:
    out = StyledLines(ClosedStream(True), {})
    assert out.style("ok", "green") == "ok"
