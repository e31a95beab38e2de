"""The README's first command: ``scripts/quickstart.sh`` runs the whole main job on the emulator and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "quickstart.sh"


@pytest.mark.slow
def test_quickstart_runs_every_step_against_the_emulator(tmp_path):
    venv_python = ROOT / ".venv" / "bin" / "python"
    if not venv_python.exists() or Path(sys.prefix).resolve() != venv_python.parent.parent.resolve():
        pytest.skip("needs the project's .venv (the script would otherwise create one and install packages)")
    env = {
        **os.environ,
        "LMI_TIME_SCALE": "0",
        "LMI_TTFT": "0",
        "LMI_ITL": "0",
        "LMI_LOCAL_DIR": str(tmp_path / "local"),
        "PATH": f"{venv_python.parent}:{os.environ['PATH']}",
    }
    result = subprocess.run(["bash", str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    for marker in ("InService", "[emulated]", "GPU KV cache size", "Deleted", "Every step succeeded"):
        assert marker in output
    assert not (tmp_path / "local" / "server.json").exists(), "the trap must stop the emulator"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    venv_python = ROOT / ".venv" / "bin" / "python"
    if not venv_python.exists() or Path(sys.prefix).resolve() != venv_python.parent.parent.resolve():
        pytest.skip("needs the project's .venv (the script would otherwise create one and install packages)")
    base = {"LMI_TIME_SCALE": "0", "LMI_TTFT": "0", "LMI_ITL": "0", "LMI_LOCAL_DIR": str(tmp_path / "local")}
    return {**os.environ, **base, **extra, "PATH": f"{venv_python.parent}:{os.environ['PATH']}"}


@pytest.mark.slow
def test_quickstart_leaves_an_emulator_it_did_not_start_alone(tmp_path, monkeypatch):
    from deploy.local import background

    monkeypatch.setenv("LMI_LOCAL_DIR", str(tmp_path / "local"))
    mine = background.start_background(time_scale=0)
    try:
        env = _env(tmp_path, TMPDIR=str(tmp_path))
        result = subprocess.run(["bash", str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-3000:]
        assert f"already running at {mine['endpoint_url']}" in output and "leaving it alone" in output
        still = background.running_server()
        assert still is not None and still["pid"] == mine["pid"], "the user's emulator must survive the demo"
        assert still["health"]["endpoints"] == [], "the demo must not deploy into the user's emulator"
        assert not list(tmp_path.glob("lmi-demo.*")), "the demo's private state directory is removed"
    finally:
        background.stop_background()


@pytest.mark.parametrize("setting", [{"LMI_PORT": "99999"}, {"LMI_TIME_SCALE": "nan"}, {"LMI_TTFT": "inf"}])
def test_quickstart_refuses_bad_settings_before_doing_anything(tmp_path, setting):
    result = subprocess.run(
        ["bash", str(SCRIPT)], cwd=ROOT, env=_env(tmp_path, **setting), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "the emulator did not start" in result.stderr and "invalid --" in result.stderr
    assert "1. Validate" not in result.stdout
