"""A Hub (HF_ENDPOINT: a mirror, a proxy, a captive portal) that answers garbage: huggingface_hub itself fails on
it (a TypeError on ``siblings`` that is not a list, an AttributeError on an agent registry that is a list, a
JSONDecodeError on an HTML page). That is the Hub being unusable, like a 5xx: a bundled model is sized from the
library with a note, any other model is exit 2 naming model.id and the fix, and never a traceback."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from deploy.cli import main
from deploy.sizing.hub import HubUnavailableError, read_model

COMMIT = "a" * 40
REGISTRY_OK = b'{"standardEnvVars": [], "harnesses": {}}'

Answer = Callable[[str], tuple[int, str, bytes]]


def _json(data: object) -> tuple[int, str, bytes]:
    return 200, "application/json", json.dumps(data).encode()


def _info(**fields: object) -> dict[str, object]:
    return {"id": "acme/garbage-7b", "sha": COMMIT, **fields}


def _model_info_only(info: object) -> Answer:
    """A well-behaved agent registry; ``info`` as the model info; an empty object for every other path."""

    def answer(path: str) -> tuple[int, str, bytes]:
        if "agent-harnesses" in path:
            return 200, "application/json", REGISTRY_OK
        return _json(info) if "/api/models/" in path else _json({})

    return answer


def _everything(status: int, content_type: str, body: bytes) -> Answer:
    return lambda path: (status, content_type, body)


GARBAGE: dict[str, Answer] = {
    "siblings-a-string": _model_info_only(_info(siblings="nope")),
    "siblings-numbers": _model_info_only(_info(siblings=[1, 2])),
    "siblings-without-names": _model_info_only(_info(siblings=[{"size": 1}])),
    "captive-portal-html": _everything(200, "text/html", b"<html><body>Sign in to the hotel wifi</body></html>"),
    "binary-noise": _everything(200, "application/octet-stream", bytes(range(256)) * 8),
    "everything-a-json-list": _everything(200, "application/json", b"[1, 2, 3]"),  # the agent registry too
}


@pytest.fixture
def garbage_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[[Answer], None]]:
    """A local server answering with the chosen garbage. huggingface_hub caches its agent registry in-process and
    under HF_HOME for a day, so both are isolated and reset: a list there would break every later Hub read."""
    from huggingface_hub import constants
    from huggingface_hub.utils import _detect_agent

    current: dict[str, Answer] = {"answer": _everything(404, "text/plain", b"")}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            status, content_type, body = current["answer"](self.path)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setattr(constants, "AGENT_HARNESSES_PATH", str(tmp_path / "agent-harnesses.json"))
    monkeypatch.setattr(_detect_agent, "_registry", None)
    yield lambda answer: current.update(answer=answer)
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("garbage", sorted(GARBAGE))
def test_garbage_from_the_hub_is_the_hub_being_unavailable(garbage: str, garbage_hub: Callable[[Answer], None]) -> None:
    garbage_hub(GARBAGE[garbage])
    with pytest.raises(HubUnavailableError) as refused:
        read_model("acme/garbage-7b")
    assert refused.value.field == "model.id"
    assert refused.value.value == "acme/garbage-7b"
    assert "could not read" in str(refused.value) or "not reachable" in str(refused.value)
    assert "model.config" in (refused.value.fix or "")


@pytest.mark.parametrize("garbage", sorted(GARBAGE))
def test_the_cli_refuses_an_unknown_model_cleanly_and_sizes_a_bundled_one_from_the_library(
    garbage: str, garbage_hub: Callable[[Answer], None], capsys: pytest.CaptureFixture[str]
) -> None:
    garbage_hub(GARBAGE[garbage])
    code, out, err = _lmi(capsys, "size", "acme/garbage-7b", "--instance", "ml.g6e.2xlarge", "--json")
    assert code == 2, err
    assert "Traceback" not in out + err
    error = json.loads(out)
    assert error["field"] == "model.id"
    assert error["fix"]

    code, out, err = _lmi(capsys, "size", "Qwen/Qwen2.5-7B-Instruct", "--instance", "ml.g6e.2xlarge", "--json")
    assert code == 0, err
    estimate = json.loads(out)
    assert estimate["fits"] is True
    assert any("bundled" in source for source in estimate["sources"])
    assert any("Hub not read" in note for note in estimate["notes"])


def test_a_bug_of_lmi_deploy_itself_is_still_raised(
    garbage_hub: Callable[[Answer], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The classification looks at where the error was raised: one raised by our own code is not the Hub's."""
    import deploy.sizing.hub as hub

    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("a bug in lmi-deploy")

    monkeypatch.setattr(hub, "_model_info", broken)
    with pytest.raises(TypeError, match="a bug in lmi-deploy"):
        read_model("acme/garbage-7b")


def _lmi(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err
