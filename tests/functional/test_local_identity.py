"""``lmi local stop`` signals only its own emulator: a stale or forged state file never gets a process signalled.

Also: the state directory does not depend on the current directory, every numeric flag of ``lmi local start`` is
bounded (exit 2), two starts at once give one server, and a second server for one directory refuses to start.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from deploy.cli import main
from deploy.local import background
from deploy.local.state import STATE_FILE, read_state, state_dir, write_state

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def local_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _capsys: None) -> Path:
    monkeypatch.setenv("LMI_LOCAL_DIR", str(tmp_path / "local"))
    return tmp_path / "local"


@pytest.fixture
def bystander() -> Iterator[subprocess.Popen[bytes]]:
    """A live process that is not the emulator (what a recycled pid points at)."""
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


@pytest.fixture
def signals(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every signal the code under test sends (recorded, and still sent)."""
    sent: list[Any] = []
    real_kill, real_pidfd = os.kill, signal.pidfd_send_signal

    def kill(pid: int, signum: int) -> None:
        if signum != 0:
            sent.append((pid, signum))
        real_kill(pid, signum)

    def pidfd_send(fd: int, signum: int, *args: Any) -> None:
        sent.append(("pidfd", signum))
        real_pidfd(fd, signum, *args)

    monkeypatch.setattr(os, "kill", kill)
    monkeypatch.setattr(signal, "pidfd_send_signal", pidfd_send)
    return sent


@dataclass
class Ran:
    exit_code: int
    output: str


@pytest.fixture
def _capsys(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    global _CAPTURE
    _CAPTURE = capsys
    yield
    _CAPTURE = None


_CAPTURE: Any = None


def _cli(*args: str) -> Ran:
    """Run ``lmi ARGS`` through the real entry point (its error-to-exit-code mapping included)."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = _CAPTURE.readouterr()
    return Ran(int(exit_info.value.code or 0), out + err)


@pytest.fixture
def live_server(local_dir: Path) -> Iterator[dict[str, Any]]:
    """A real emulator, stopped afterwards even when the test forged or removed its state file.

    Tests here overwrite the state file on purpose (a wrong secret, a recycled pid), after which ``stop_background``
    rightly refuses to signal: the teardown puts the true state back first, so no emulator outlives its test.
    """
    state = background.start_background(time_scale=0)
    on_disk = read_state(local_dir)
    assert on_disk is not None
    yield state
    if background.verify(on_disk).ours:  # still serving (the test did not stop it): stop it through its true state
        write_state(local_dir, on_disk)
        assert background.stop_background().outcome == "stopped", "the test's emulator must not be left running"


def _forge(directory: Path, **fields: Any) -> None:
    base = {"pid": 1, "endpoint_url": "http://127.0.0.1:9", "secret": "0" * 64, "instance_id": "forged"}
    write_state(directory, {**base, **fields})


STALE_KINDS = ["pid-1", "bystander", "this-test", "exited", "string-pid", "bool-pid", "no-secret", "wrong-secret"]


@pytest.mark.parametrize("kind", STALE_KINDS)
def test_stop_with_a_stale_state_file_signals_nothing(
    kind: str, local_dir: Path, bystander: Any, signals: list[Any], request: pytest.FixtureRequest
) -> None:
    exited = subprocess.Popen(["true"])
    exited.wait()
    fields: dict[str, Any] = {
        "pid-1": {"pid": 1},
        "bystander": {"pid": bystander.pid},
        "this-test": {"pid": os.getpid()},
        "exited": {"pid": exited.pid},
        "string-pid": {"pid": str(bystander.pid)},
        "bool-pid": {"pid": True},
        "no-secret": {"pid": bystander.pid, "secret": None},
    }.get(kind, {})
    if kind == "wrong-secret":  # a real emulator answers at the URL, but it does not hold this secret
        server = request.getfixturevalue("live_server")
        _forge(local_dir, pid=server["pid"], endpoint_url=server["endpoint_url"], secret="f" * 64)
    else:
        _forge(local_dir, **fields)
    if kind == "pid-1":
        shown = _cli("local", "status")
        assert "the state file there is stale" in shown.output and "no emulator running" in shown.output
    result = _cli("local", "stop", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["outcome"] == "stale" and not body["stopped"], body
    assert signals == []
    assert bystander.poll() is None, "the bystander must still run"
    assert not (local_dir / STATE_FILE).exists()
    if kind == "wrong-secret":  # the real emulator was not signalled either: it still serves
        url = request.getfixturevalue("live_server")["endpoint_url"]
        with urllib.request.urlopen(f"{url}/_lmi/health", timeout=5) as response:
            assert json.loads(response.read())["emulator"] == "lmi-deploy"


def test_state_pointing_at_a_bystander_with_a_real_emulator_url_is_stale(
    live_server: dict[str, Any], local_dir: Path, bystander: Any, signals: list[Any]
) -> None:
    state = read_state(local_dir)
    assert state is not None
    write_state(local_dir, {**state, "pid": bystander.pid})  # right secret and URL, recycled pid
    result = _cli("local", "stop")
    assert result.exit_code == 0 and "stale state file" in result.output and "nothing was signalled" in result.output
    assert signals == [] and bystander.poll() is None


def test_stop_proves_identity_then_signals_only_that_process(live_server: dict[str, Any], signals: list[Any]) -> None:
    other = _cli("local", "stop", "--instance-id", "not-this-one")
    assert other.exit_code == 0 and "left the running emulator alone" in other.output
    assert signals == []
    result = _cli("local", "stop", "--instance-id", live_server["instance_id"])
    assert result.exit_code == 0 and f"stopped the emulator (pid {live_server['pid']})" in result.output
    assert [s for s in signals if s[1] == signal.SIGTERM], signals
    assert background.running_server() is None


def test_state_file_is_private_and_json_never_prints_the_secret(live_server: dict[str, Any], local_dir: Path) -> None:
    path = local_dir / STATE_FILE
    assert path.stat().st_mode & 0o077 == 0
    secret = json.loads(path.read_text())["secret"]
    for command in (("local", "status", "--json"), ("local", "start", "--json"), ("local", "status")):
        result = _cli(*command)
        assert result.exit_code == 0 and secret not in result.output


def test_state_directory_does_not_depend_on_the_current_directory(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("LMI_LOCAL_DIR")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert state_dir() == tmp_path / "xdg" / "lmi-deploy" / "local"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")  # the XDG spec: relative paths are invalid
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert state_dir() == tmp_path / "home" / ".local" / "state" / "lmi-deploy" / "local"
    shown = set()
    for cwd in (tmp_path, ROOT):
        monkeypatch.chdir(cwd)
        result = _cli("local", "status", "--json")
        shown.add(json.loads(result.output)["state_dir"])
    assert shown == {str(tmp_path / "home" / ".local" / "state" / "lmi-deploy" / "local")}
    monkeypatch.setenv("LMI_LOCAL_DIR", "rel/dir")
    monkeypatch.chdir(tmp_path)
    assert state_dir() == tmp_path / "rel" / "dir"  # an override is made absolute once, where it is read


BAD_NUMBERS = {
    "--port": ["99999", "65536", "-1", "1.5", "abc"],
    "--time-scale": ["nan", "inf", "-inf", "-1", "1e9", "NaN"],
    "--ttft": ["inf", "nan", "-0.1", "1e6"],
    "--itl": ["inf", "nan", "-1", "601"],
}


@pytest.mark.parametrize(("flag", "value"), [(flag, value) for flag, values in BAD_NUMBERS.items() for value in values])
def test_every_numeric_flag_of_local_start_is_bounded(flag: str, value: str, local_dir: Path) -> None:
    result = _cli("local", "start", flag, value)
    assert result.exit_code == 2, result.output
    assert flag in result.output and "Traceback" not in result.output
    assert not (local_dir / STATE_FILE).exists()


@pytest.mark.parametrize(("flag", "value"), [("--time-scale", "nan"), ("--port", "99999"), ("--ttft", "inf")])
def test_the_server_entry_point_applies_the_same_bounds(flag: str, value: str, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "deploy.local", "--state-dir", str(tmp_path), flag, value]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and flag in result.stderr and "Traceback" not in result.stderr


def _lmi(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "deploy.cli", *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_two_starts_at_once_give_one_server_and_the_other_says_so(local_dir: Path) -> None:
    env = {**os.environ, "LMI_LOCAL_DIR": str(local_dir)}
    try:
        first, second = (_lmi("local", "start", "--time-scale", "0", env=env) for _ in range(2))
        outputs = [process.communicate(timeout=90) for process in (first, second)]
        assert [p.returncode for p in (first, second)] == [0, 0], outputs
        state = read_state(local_dir)
        assert state is not None
        said = [out for out, _ in outputs if "already running" in out or "at the same time" in out]
        assert len(said) == 1, outputs
        assert all(f"pid {state['pid']}" in out for out, _ in outputs)
    finally:
        background.stop_background()


def test_a_second_server_for_one_directory_refuses_to_start(live_server: dict[str, Any], local_dir: Path) -> None:
    command = [sys.executable, "-m", "deploy.local", "--state-dir", str(local_dir), "--time-scale", "0"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 3 and "another emulator already serves" in result.stdout
    assert read_state(local_dir)["pid"] == live_server["pid"]  # type: ignore[index]


def test_a_port_in_use_is_reported_with_the_reason(live_server: dict[str, Any], tmp_path: Path) -> None:
    env = {**os.environ, "LMI_LOCAL_DIR": str(tmp_path / "other")}
    process = _lmi("local", "start", "--port", str(live_server["port"]), env=env)
    out, err = process.communicate(timeout=90)
    assert process.returncode == 1 and "cannot listen on" in err, (out, err)


def test_stop_waits_for_the_process_to_exit(live_server: dict[str, Any]) -> None:
    start = time.monotonic()
    assert background.stop_background().outcome == "stopped"
    assert time.monotonic() - start < 10
    with pytest.raises(ProcessLookupError):
        os.kill(live_server["pid"], 0)


@pytest.fixture
def ignores_sigterm() -> Iterator[subprocess.Popen[bytes]]:
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); " + (
        "time.sleep(60)"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
    yield process
    process.kill()
    process.wait()


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "no-pidfd"])
def test_sigkill_only_after_the_process_is_proven_still_the_same(
    ignores_sigterm: Any, monkeypatch: pytest.MonkeyPatch, pidfd: bool
) -> None:
    from deploy.local.state import process_start_ticks

    if not pidfd:
        monkeypatch.setattr(background, "_open_pidfd", lambda pid: None)
    pid = ignores_sigterm.pid
    assert background._terminate({"pid": pid, "process_start_ticks": process_start_ticks(pid)}, 0.3)
    from deploy.local.state import pid_alive

    assert not pid_alive(pid), "SIGTERM was ignored, so SIGKILL ended it"


def test_no_sigkill_when_the_pid_changed_hands_during_the_wait(
    ignores_sigterm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(background, "_open_pidfd", lambda pid: None)
    recycled = {"pid": ignores_sigterm.pid, "process_start_ticks": -1, "endpoint_url": "http://127.0.0.1:9"}
    signals = []
    monkeypatch.setattr(background, "_signal", lambda pid, fd, signum: signals.append(signum))
    background._terminate(recycled, 0.3)
    assert signals == [] and ignores_sigterm.poll() is None, "a process that is not ours is never signalled"
    monkeypatch.undo()
    no_proc = {"pid": ignores_sigterm.pid, "process_start_ticks": None, "endpoint_url": "http://127.0.0.1:9"}
    monkeypatch.setattr(background, "process_start_ticks", lambda pid: None)  # as on macOS: no /proc
    monkeypatch.setattr(background, "_open_pidfd", lambda pid: None)
    assert not background._still_the_same({**no_proc, "secret": "0" * 64})  # no identity answer: no SIGKILL
