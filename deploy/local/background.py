"""The background emulator (``lmi local start``) and ``connect()``, which every ``--local`` command uses.

Rule: the project-local directory ``.lmi/local/`` (override: ``LMI_LOCAL_DIR``) is the only shared state: the
server process writes ``server.json`` (pid, port, URL, settings) once it listens and removes it on exit. A
command that finds a live server there talks to it (state survives across commands); otherwise it gets an
in-process emulator that lives until the command exits. Nothing here imports moto unless that fallback is used.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from deploy.local.credentials import fake_session

STATE_FILE = "server.json"
_IN_PROCESS: Any = None


def state_dir() -> Path:
    return Path(os.environ.get("LMI_LOCAL_DIR", ".lmi/local"))


def read_state(directory: Path | None = None) -> dict[str, Any] | None:
    """The server's state file, or None when there is none or it is unreadable."""
    path = (directory or state_dir()) / STATE_FILE
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def health(url: str, timeout: float = 1.0) -> dict[str, Any] | None:
    """The emulator's ``/_lmi/health`` answer, or None when nothing (or something else) listens there."""
    try:
        with urllib.request.urlopen(f"{url}/_lmi/health", timeout=timeout) as response:
            data = json.loads(response.read())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("emulator") == "lmi-deploy" else None


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    with contextlib.suppress(ChildProcessError):  # reap our own exited child: a zombie answers kill(pid, 0)
        os.waitpid(pid, os.WNOHANG)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_server(directory: Path | None = None) -> dict[str, Any] | None:
    """The state of a live background server, or None (a stale state file is ignored)."""
    state = read_state(directory)
    if not state or not _pid_alive(int(state.get("pid", 0))):
        return None
    info = health(str(state.get("endpoint_url", "")))
    return {**state, "health": info} if info else None


def start_background(
    *, port: int = 0, time_scale: float = 1.0, ttft_s: float = 0.0, itl_s: float = 0.0, timeout_s: float = 30.0
) -> dict[str, Any]:
    """Spawn ``python -m deploy.local`` detached, wait until it answers, return its state."""
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    existing = running_server(directory)
    if existing:
        return {**existing, "already_running": True}
    (directory / STATE_FILE).unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "deploy.local",
        "--port",
        str(port),
        "--time-scale",
        str(time_scale),
        "--ttft",
        str(ttft_s),
        "--itl",
        str(itl_s),
        "--state-dir",
        str(directory.resolve()),
    ]
    with open(directory / "server.log", "ab") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the emulator exited with code {process.returncode}; see {directory / 'server.log'}")
        state = running_server(directory)
        if state:
            return state
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"the emulator did not answer within {timeout_s:.0f}s; see {directory / 'server.log'}")


def stop_background(timeout_s: float = 10.0) -> dict[str, Any] | None:
    """Stop the background server (SIGTERM, then SIGKILL after ``timeout_s``); None when none was running."""
    directory = state_dir()
    state = read_state(directory)
    if not state:
        return None
    pid = int(state.get("pid", 0))
    if pid and _pid_alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
    (directory / STATE_FILE).unlink(missing_ok=True)
    return state


def _in_process_emulator() -> Any:
    global _IN_PROCESS
    if _IN_PROCESS is None:
        from deploy.local.emulator import Emulator

        scale = float(os.environ.get("LMI_LOCAL_TIME_SCALE", "0.1"))
        _IN_PROCESS = Emulator(time_scale=scale).start()
        atexit.register(_IN_PROCESS.stop)
        sys.stderr.write(
            "lmi: no background emulator is running (start one with `lmi local start`); using an in-process "
            "emulator whose state ends with this command\n"
        )
    return _IN_PROCESS


def connect(region: str = "us-east-1") -> Any:
    """An AwsContext for ``--local``: the background server when one is running, else an in-process emulator."""
    from deploy.aws.session import make_context

    server = running_server()
    if server:
        return make_context(region=region, endpoint_url=str(server["endpoint_url"]), session=fake_session(region))
    return _in_process_emulator().context(region)
