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
