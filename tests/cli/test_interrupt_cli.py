"""Ctrl-C in `lmi deploy` and `lmi destroy`: the first stops at the next safe point, the second stops waiting; both
print what is left and the exact command that finishes, and that command does finish. Also a real SIGINT sent
to a subprocess `lmi destroy` against a background emulator."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deploy.cli import interrupts
from deploy.local.testing import lmi_emulator
from tests.cli import test_deploy_cli as deploy_cli
from tests.cli.test_deploy_cli import lmi

__all__ = ["lmi_emulator"]
REPO = Path(__file__).resolve().parents[2]
ORIGINAL_WAIT = interrupts.wait_a_moment


def write_spec(tmp_path: Path, name: str) -> Path:
    return deploy_cli.write_spec(tmp_path, name, artifacts={"bucket": "interrupt-bucket"})


def summary(out: str) -> dict[str, Any]:
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return dict(rows[-1]["results"][0])


@pytest.fixture
def emulated(lmi_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", lmi_emulator.endpoint_url)
    yield lmi_emulator


class CtrlCWhileWaiting:
    """Raises KeyboardInterrupt in the CLI's main thread ``presses`` times once the endpoint is being waited for."""

    def __init__(self, emulator: Any, presses: int) -> None:
        self.emulator, self.left = emulator, presses
        self.original = interrupts.wait_a_moment

    def __call__(self, threads: Any) -> None:
        self.original(threads)
        records = self.emulator.state.registry.records
        busy = any(record.pending is not None for record in records.values())  # Creating/Updating/Deleting
        if busy and self.left > 0:
            self.left -= 1
            raise KeyboardInterrupt


def finish(capsys: pytest.CaptureFixture[str], fix: str) -> tuple[int, str, str]:
    command = shlex.split(fix.removeprefix("finish with: "))
    assert command[0] == "lmi" and command[-1] == "--yes"
    return lmi(capsys, *command[1:], "--json")


@pytest.mark.parametrize("presses", [1, 2], ids=["safe-point", "stop-waiting"])
def test_ctrl_c_during_deploy_says_what_is_left_and_the_command_finishes(
    emulated: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, presses: int
) -> None:
    spec = write_spec(tmp_path, f"cli-int-deploy-{presses}")
    monkeypatch.setattr(interrupts, "wait_a_moment", CtrlCWhileWaiting(emulated, presses))
    with emulated.paused():
        code, out, _ = lmi(capsys, "deploy", str(spec), "--yes", "--json")
    row = summary(out)
    assert code == 130 and row["status"] == "interrupted" and row["error"]["exit_code"] == 130
    left = row["error"]["remaining"]
    assert left[0].startswith("WaitForEndpoint") and any(step.startswith("PutScalingPolicy") for step in left)
    assert row["error"]["fix"] == f"finish with: lmi deploy {spec} --yes"
    monkeypatch.setattr(interrupts, "wait_a_moment", ORIGINAL_WAIT)
    time.sleep(1.5)  # an abandoned apply thread (second Ctrl-C) notices the cancel at its next poll
    code, out, _ = finish(capsys, row["error"]["fix"])
    assert code == 0 and summary(out)["status"] in ("InService", "updated"), out  # never "unchanged"
    code, out, _ = lmi(capsys, "plan", str(spec), "--json")
    assert json.loads(out)["actions"] == []


@pytest.mark.parametrize("presses", [1, 2], ids=["safe-point", "stop-waiting"])
def test_ctrl_c_during_destroy_says_what_is_left_and_the_command_finishes(
    emulated: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, presses: int
) -> None:
    name = f"cli-int-destroy-{presses}"
    spec = write_spec(tmp_path, name)
    assert lmi(capsys, "deploy", str(spec), "--yes", "--json")[0] == 0
    monkeypatch.setattr(interrupts, "wait_a_moment", CtrlCWhileWaiting(emulated, presses))
    with emulated.paused():
        code, out, _ = lmi(capsys, "destroy", name, "--yes")  # the text output, as a person sees it
    assert code == 130
    assert f"fix: finish with: lmi destroy {name} --region us-east-1 --yes" in out
    assert "  left: WaitForDeletion" in out and f"  left: DeleteModel {name}-" in out
    code, out, _ = lmi(capsys, "list", "--json")
    listed = json.loads(out)
    assert [e["name"] for e in listed["endpoints"]] == [name] or listed["leftovers"]  # nothing hidden
    monkeypatch.setattr(interrupts, "wait_a_moment", ORIGINAL_WAIT)
    time.sleep(1.5)
    code, out, _ = finish(capsys, f"finish with: lmi destroy {name} --region us-east-1 --yes")
    assert code == 0, out
    code, out, _ = lmi(capsys, "list", "--json")
    assert json.loads(out) == {"endpoints": [], "leftovers": []}


def _lmi_process(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "deploy.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_real_sigint_to_lmi_destroy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from deploy.local import background

    monkeypatch.setenv("LMI_LOCAL_DIR", str(tmp_path / "local"))
    env = {**os.environ, "LMI_LOCAL_DIR": str(tmp_path / "local")}
    background.start_background(time_scale=2.0)  # phases of several seconds: time to press Ctrl-C
    try:
        spec = write_spec(tmp_path, "cli-sigint")
        deployed = _lmi_process("deploy", str(spec), "--local", "--yes", "--json", env=env)
        assert deployed.wait(timeout=180) == 0, deployed.communicate()
        process = _lmi_process("destroy", "cli-sigint", "--local", "--yes", env=env)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(process.stderr or []), daemon=True)
        reader.start()
        deadline = time.monotonic() + 60
        while not any("Deleting" in line for line in lines) and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=60)
        reader.join(5)
        assert process.returncode == 130, (out, lines)
        assert "finish with: lmi destroy cli-sigint --region us-east-1 --local --yes" in out
        assert "left: " in out
        listed = subprocess.run(
            [sys.executable, "-m", "deploy.cli", "list", "--local", "--json"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        shown = json.loads(listed.stdout)
        assert shown["endpoints"] or shown["leftovers"], "what is left must be visible"
        again = subprocess.run(
            [sys.executable, "-m", "deploy.cli", "destroy", "cli-sigint", "--local", "--yes"],
            env=env, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert again.returncode == 0, again.stdout + again.stderr
        listed = subprocess.run(
            [sys.executable, "-m", "deploy.cli", "list", "--local", "--json"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert json.loads(listed.stdout) == {"endpoints": [], "leftovers": []}
    finally:
        background.stop_background()
