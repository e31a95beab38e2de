"""The background emulator (``lmi local start``) and ``connect()``, which every ``--local`` command uses.

Rule: one user-level state directory (:func:`deploy.local.state.state_dir`; ``LMI_LOCAL_DIR`` overrides it) is the
only shared state: the server process writes ``server.json`` there (pid, port, URL, settings, an identity secret)
once it listens and removes it on exit. A command that finds a server there *proven* to be the one that wrote the
file (:func:`deploy.local.state.verify`) talks to it; otherwise it gets an in-process emulator that lives until the
command exits. ``stop`` signals only a proven server, through a pidfd where the OS has one, so a recycled pid is
never hit. Nothing here imports moto unless the in-process fallback is used.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from deploy.local.credentials import fake_session, forget_aws_profile
from deploy.local.state import (
    START_LOCK,
    STATE_FILE,
    ask_identity,
    pid_alive,
    process_start_ticks,
    read_state,
    remove_state,
    state_dir,
    verify,
)
from deploy.records import record

__all__ = [
    "STATE_FILE",
    "fake_session",
    "read_state",
    "running_server",
    "start_background",
    "state_dir",
    "stop_background",
]
_IN_PROCESS: Any = None
SETTINGS = ("port", "time_scale", "ttft_s", "itl_s")


def running_server(directory: Path | None = None) -> dict[str, Any] | None:
    """The state of a live background server proven to be ours, or None (a stale state file is ignored)."""
    state = read_state(directory)
    if not state:
        return None
    verdict = verify(state)
    return {**state, "health": verdict.answer} if verdict.ours else None


def public(state: dict[str, Any]) -> dict[str, Any]:
    """The state without its secret (what ``--json`` prints)."""
    return {k: v for k, v in state.items() if k not in ("secret", "health")}


@contextlib.contextmanager
def _start_lock(directory: Path, timeout_s: float) -> Iterator[bool]:
    """Hold the directory's start lock; yields True when another `lmi local start` held it first (we waited)."""
    with open(directory / START_LOCK, "a") as handle:
        waited = False
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"another `lmi local start` holds {directory / START_LOCK}") from None
                waited = True
                time.sleep(0.05)
        try:
            yield waited
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _differences(state: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """The requested settings a running server does not have (port 0 means "any")."""
    out = []
    for key in SETTINGS:
        want, have = wanted.get(key), state.get(key)
        if key == "port" and want == 0:
            continue
        if want is not None and have is not None and float(want) != float(have):
            out.append(f"{key} {have} (asked: {want})")
    return out


def _usable_state_dir() -> Path:
    """The state directory, created if needed; one that cannot be (LMI_LOCAL_DIR naming a file, a read-only or
    missing mount) is a usage error naming the variable, not a FileExistsError traceback."""
    from deploy.errors import UsageError

    directory = state_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not os.access(directory, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied", str(directory))
    except OSError as exc:
        raise UsageError(
            f"cannot use {directory} as the emulator's state directory: {exc.strerror or exc}",
            field="LMI_LOCAL_DIR",
            value=str(directory),
            fix="point LMI_LOCAL_DIR at a directory you can write, or unset it for the default",
        ) from None
    return directory


def start_background(
    *, port: int = 0, time_scale: float = 1.0, ttft_s: float = 0.0, itl_s: float = 0.0, timeout_s: float = 30.0
) -> dict[str, Any]:
    """Spawn ``python -m deploy.local`` detached, wait until it proves its identity, return its state.

    A server already running is returned with ``already_running`` (``raced`` when another start was spawning it
    at the same moment, ``differs`` listing the asked settings it does not have). A stale state file is removed
    (``stale`` says why) without signalling anything.
    """
    directory = _usable_state_dir()
    wanted = {"port": port, "time_scale": time_scale, "ttft_s": ttft_s, "itl_s": itl_s}
    with _start_lock(directory, timeout_s) as waited:
        state = read_state(directory)
        stale = None
        if state:
            verdict = verify(state)
            if verdict.ours:
                existing = {**state, "health": verdict.answer, "already_running": True}
                return {**existing, "raced": waited, "differs": _differences(state, wanted)}
            stale = verdict.reason
            remove_state(directory, state.get("instance_id"))
        started = _spawn(directory, wanted, timeout_s)
        return {**started, "stale": stale} if stale else started


def _spawn(directory: Path, wanted: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    command = [sys.executable, "-m", "deploy.local", "--state-dir", str(directory)]
    for key, flag in (("port", "--port"), ("time_scale", "--time-scale"), ("ttft_s", "--ttft"), ("itl_s", "--itl")):
        command += [flag, str(wanted[key])]
    log_path = directory / "server.log"
    with open(log_path, "ab") as log:
        offset = log.tell()
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
            raise RuntimeError(f"the emulator exited with code {process.returncode}: {_last_line(log_path, offset)}")
        state = running_server(directory)
        if state and state.get("pid") == process.pid:
            return state
        time.sleep(0.05)
    process.terminate()  # our own child: its pid cannot have been reused while we hold it unreaped
    raise RuntimeError(f"the emulator did not answer within {timeout_s:.0f}s; see {log_path}")


def _last_line(path: Path, offset: int) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            lines = handle.read().decode(errors="replace").strip().splitlines()
    except OSError:
        lines = []
    return lines[-1] if lines else f"see {path}"


@record
class StopResult:
    """What ``lmi local stop`` did: ``stopped``, ``none`` (no state), ``stale`` (state removed, nothing signalled),
    ``unproven`` (the process may be ours but does not prove it: left alone), ``other`` (a different server than
    the one asked for is running: left alone) or ``stuck`` (proven, but it did not exit)."""

    outcome: str
    state: dict[str, Any] | None = None
    reason: str = ""


def stop_background(timeout_s: float = 10.0, *, instance_id: str | None = None) -> StopResult:
    """Stop the background server, but only once it has proven it is the one the state file names."""
    directory = state_dir()
    state = read_state(directory)
    if not state:
        return StopResult("none")
    verdict = verify(state)
    if not verdict.ours:
        if not verdict.stale:
            return StopResult("unproven", state, verdict.reason)
        remove_state(directory, state.get("instance_id"))
        return StopResult("stale", state, verdict.reason)
    if instance_id is not None and state.get("instance_id") != instance_id:
        return StopResult("other", state, f"the running emulator is instance {state.get('instance_id')}")
    if not _terminate(state, timeout_s):
        return StopResult("stuck", state, f"pid {state['pid']} did not exit after SIGTERM and SIGKILL")
    remove_state(directory, state.get("instance_id"))
    return StopResult("stopped", state)


def _terminate(state: dict[str, Any], timeout_s: float) -> bool:
    """SIGTERM, then SIGKILL after ``timeout_s``; through a pidfd (immune to pid reuse) where there is one.

    Without a pidfd, SIGKILL goes only to a process that still proves to be the same one: by its /proc start time,
    or (without /proc, e.g. macOS) by answering the identity challenge again.
    """
    pid, start_ticks = int(state["pid"]), state.get("process_start_ticks")
    pidfd = _open_pidfd(pid)
    try:
        if start_ticks is not None and process_start_ticks(pid) not in (None, start_ticks):
            return True  # it exited and the pid was reused between verify and now: nothing of ours to stop
        _signal(pid, pidfd, signal.SIGTERM)
        if _wait_exit(pid, pidfd, timeout_s):
            return True
        if pidfd is None and not _still_the_same(state):
            return True  # gone, and the pid belongs to someone else now: never SIGKILL that
        _signal(pid, pidfd, signal.SIGKILL)
        return _wait_exit(pid, pidfd, 2.0)
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _still_the_same(state: dict[str, Any]) -> bool:
    ticks = process_start_ticks(int(state["pid"]))
    if ticks is not None:
        return bool(ticks == state.get("process_start_ticks"))
    answer = ask_identity(str(state.get("endpoint_url")), str(state.get("secret")))
    return answer is not None and answer.get("pid") == state["pid"]


def _open_pidfd(pid: int) -> int | None:
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return int(opener(pid))
    except OSError:
        return None


def _signal(pid: int, pidfd: int | None, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        if pidfd is not None:
            signal.pidfd_send_signal(pidfd, signum)
        else:
            os.kill(pid, signum)


def _wait_exit(pid: int, pidfd: int | None, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pidfd is not None:
            if select.select([pidfd], [], [], 0.05)[0]:
                pid_alive(pid)  # reap it if it is our child
                return True
        elif not pid_alive(pid):
            return True
        else:
            time.sleep(0.05)
    return False


def _in_process_emulator() -> Any:
    global _IN_PROCESS
    if _IN_PROCESS is None:
        from deploy.local.emulator import Emulator

        scale = _env_time_scale()
        _IN_PROCESS = Emulator(time_scale=scale).start()
        atexit.register(_IN_PROCESS.stop)
        sys.stderr.write(
            "lmi: no background emulator is running (start one with `lmi local start`); using an in-process "
            "emulator whose state ends with this command\n"
        )
    return _IN_PROCESS


def _env_time_scale() -> float:
    """``LMI_LOCAL_TIME_SCALE`` for the in-process emulator, checked like ``lmi local start --time-scale``."""
    from deploy.cli.flags import check_time_scale

    return check_time_scale(os.environ.get("LMI_LOCAL_TIME_SCALE", "0.1"), flag="LMI_LOCAL_TIME_SCALE")


def connect(region: str = "us-east-1") -> Any:
    """An AwsContext for ``--local``: the background server when one is running, else an in-process emulator."""
    from deploy.aws.session import make_context

    forget_aws_profile()  # before moto is imported: --local never reads a profile
    server = running_server()
    if server:
        return make_context(region=region, endpoint_url=str(server["endpoint_url"]), session=fake_session(region))
    return _in_process_emulator().context(region)
