"""``lmi chat`` on an endpoint with several inference components and no (or a wrong) ``--component``.

Found on the emulator: chat printed its prompt, took the user's first message and only then refused a wrong
``--component``, while ``lmi bench`` refuses before anything is typed. Now a named component is resolved first:
exit 2 naming the components, before the prompt. (With no ``--component`` on an endpoint with several, chat still
refuses at the first message: the invoke layer resolves lazily so a single-model endpoint costs no extra call.)
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

try:
    from tests.functional.component_ops_setup import build
except ImportError:  # rootdir not on sys.path: the test directory is
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "functional"))
    from component_ops_setup import build  # type: ignore[no-redef]

from deploy.cli import main
from deploy.client import Client
from deploy.local.testing import lmi_emulator

__all__ = ["lmi_emulator"]


@pytest.fixture
def team(lmi_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    ctx = lmi_emulator.context()
    build(ctx)
    monkeypatch.setattr("deploy.cli._common.make_client", lambda *_a, **_k: Client.from_context(ctx))
    return ctx


def chat(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], typed: str) -> Any:
    """``lmi chat team ARGS`` as the console script runs it (errors mapped to exit codes), with ``typed`` as stdin."""
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))
    with pytest.raises(SystemExit) as done:
        main(["chat", "team", *args])
    out = capsys.readouterr()
    return done.value.code or 0, out.out + out.err


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["--component", "gpt"], "no inference component 'gpt'"), (["--component", "GPT-x"], "no inference component"),
     (["--component", " "], "component name is empty")],
)  # fmt: skip
def test_chat_refuses_an_unclear_component_before_the_prompt(
    team: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    code, output = chat(monkeypatch, capsys, args, "a message the user typed\n")
    assert code == 2, output
    assert needle in output and "you>" not in output and "fix:" in output
    assert "Traceback" not in output


def test_chat_with_the_component_named_still_talks(
    team: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = chat(monkeypatch, capsys, ["--component", "qwen"], "hello\n/exit\n")
    assert code == 0, output
    assert "you>" in output and "[emulated]" in output


def test_chat_without_a_component_on_several_still_refuses_at_the_first_message(
    team: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = chat(monkeypatch, capsys, [], "hello\n")
    assert code == 2 and "hosts 2 inference components" in output and "fix:" in output, output
