"""The README's "Use it from the OpenAI SDK / LangChain / LiteLLM" snippets: the openai one runs against the
emulator (environment set as ``eval "$(lmi openai NAME --local)"`` sets it); the LangChain and LiteLLM ones are
not dependencies of lmi-deploy, so here they are only compiled (they were run once by hand against the emulator,
see docs/invoke.md)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from deploy.invoke.endpoint import Endpoint
from deploy.local import Emulator
from deploy.local.testing import deploy

pytest.importorskip("openai", reason="the [openai] extra is not installed")

README = Path(__file__).resolve().parents[2] / "README.md"


def _snippets() -> list[str]:
    text = README.read_text()
    section = text[text.index("### Use it from the OpenAI SDK / LangChain / LiteLLM") :]
    section = section[: section.index("\n### ", 5)]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_section_has_the_three_snippets() -> None:
    snippets = _snippets()
    assert len(snippets) == 3
    assert "from openai import OpenAI" in snippets[0]
    assert "ChatOpenAI(base_url=" in snippets[1] and "litellm.completion(" in snippets[2]
    for code in snippets:
        compile(code, "README.md", "exec")


def test_the_openai_snippet_runs_against_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    with Emulator(time_scale=0) as emu:
        deploy(emu.context(), "qwen25-7b")
        creds = Endpoint("qwen25-7b", context=emu.context()).openai_credentials(hours=1)
        monkeypatch.setenv("OPENAI_BASE_URL", creds.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", creds.api_key)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(_snippets()[0], "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and all(line.startswith("[emulated]") for line in lines)
