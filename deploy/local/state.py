"""Where the background emulator's state lives, and how a command proves the process it names is really it.

Rule: one state directory per user, wherever the command runs: ``LMI_LOCAL_DIR`` when set, else
``$XDG_STATE_HOME/lmi-deploy/local`` (``~/.local/state/lmi-deploy/local`` without XDG). The server writes
``server.json`` there (mode 0600) with a random secret; a pid from that file is trusted only when (1) the
process with that pid, on Linux, still has the start time and the ``deploy.local`` command line recorded for it,
and (2) the server at the recorded URL answers a fresh challenge with an HMAC of the secret and reports that
pid. A state file that fails either test is stale: nothing is signalled because of it. Standard library only.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import urllib.request
from pathlib import Path
from typing import Any

from deploy.records import record

STATE_FILE = "server.json"
SERVER_LOCK = "server.lock"  # held (flock) by the server for its whole life: one server per directory
START_LOCK = "start.lock"  # held by `lmi local start` while it spawns a server: one starter at a time
COMMAND_MARKER = "deploy.local"
IDENTITY_ROUTE = "/_lmi/identity"


def state_dir() -> Path:
    """The user-level state directory (``LMI_LOCAL_DIR`` overrides it); independent of the current directory."""
    override = os.environ.get("LMI_LOCAL_DIR")
    if override:
        return Path(override).expanduser().absolute()
    xdg = os.environ.get("XDG_STATE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "state"
    return base / "lmi-deploy" / "local"


def read_state(directory: Path | None = None) -> dict[str, Any] | None:
    """The server's state file, or None when there is none or it is unreadable."""
    path = (directory or state_dir()) / STATE_FILE
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_state(directory: Path, state: dict[str, Any]) -> None:
    """Write the state file atomically and readable by its owner only (it holds the identity secret)."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{STATE_FILE}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(state, indent=2))
    os.replace(tmp, directory / STATE_FILE)


def remove_state(directory: Path, instance_id: str | None = None) -> None:
    """Remove the state file; with ``instance_id``, only while it still describes that server."""
    path = directory / STATE_FILE
    if instance_id is not None:
        current = read_state(directory)
        if not current or current.get("instance_id") != instance_id:
            return
    path.unlink(missing_ok=True)


def new_identity() -> tuple[str, str]:
    """(public instance id, secret) for a server about to start."""
    return secrets.token_hex(8), secrets.token_hex(32)


def proof(secret: str, nonce: str) -> str:
    """What the server answers to a challenge: an HMAC, so the secret itself never crosses the wire."""
    return hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).hexdigest()


def process_start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22); None without /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[-1].split()  # the command name in (...) may contain spaces
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def process_command_line(pid: int) -> str | None:
    """The process's command line (/proc/PID/cmdline), or None without /proc."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def pid_alive(pid: int) -> bool:
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


@record
class Verdict:
    """Whether the state file's pid is proven to be its emulator; ``reason`` says why not, ``answer`` is the
    server's identity answer (its health information) when it gave one."""

    ours: bool
    reason: str = ""
    answer: dict[str, Any] | None = None
    stale: bool = True  # False: the process looks like ours but could not be proven (do not forget it)


def ask_identity(url: str, secret: str, timeout: float = 2.0) -> dict[str, Any] | None:
    """The server's identity answer when it proves it holds ``secret``; None when nothing (or something else)
    answers there."""
    nonce = secrets.token_hex(16)
    try:
        with urllib.request.urlopen(f"{url}{IDENTITY_ROUTE}?nonce={nonce}", timeout=timeout) as response:
            data = json.loads(response.read())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("emulator") != "lmi-deploy":
        return None
    return data if hmac.compare_digest(str(data.get("proof", "")), proof(secret, nonce)) else None


def _process_mismatch(pid: int, state: dict[str, Any]) -> str | None:
    """Why the live process ``pid`` is not the one the state file recorded (None: it is, or /proc is absent)."""
    ticks = process_start_ticks(pid)
    if ticks is not None and state.get("process_start_ticks") not in (None, ticks):
        return f"pid {pid} now belongs to another process (it started at a different time)"
    command = process_command_line(pid)
    if command is not None and COMMAND_MARKER not in command:
        return f"pid {pid} now belongs to another process ({command[:80]!r})"
    return None


def verify(state: dict[str, Any]) -> Verdict:
    """Prove that the state file's pid is the emulator that wrote it; never signal anything without this."""
    pid = state.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 1 or pid == os.getpid():
        return Verdict(False, f"the state file holds no usable pid ({pid!r})")
    if not pid_alive(pid):
        return Verdict(False, f"process {pid} has exited")
    mismatch = _process_mismatch(pid, state)
    if mismatch:
        return Verdict(False, mismatch)
    secret, url = state.get("secret"), state.get("endpoint_url")
    if not isinstance(secret, str) or not isinstance(url, str):
        return Verdict(False, "the state file has no identity secret (written by an older version)")
    answer = ask_identity(url, secret)
    if answer is None:
        ticks = process_start_ticks(pid)
        looks_ours = ticks is not None and ticks == state.get("process_start_ticks")  # /proc confirmed it
        reason = f"no emulator holding this state file's secret answers at {url}"
        return Verdict(False, reason, stale=not looks_ours)
    if answer.get("pid") != pid:
        return Verdict(False, f"the emulator at {url} is pid {answer.get('pid')}, not {pid}")
    return Verdict(True, answer=answer)
