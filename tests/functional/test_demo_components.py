"""``make demo-components`` runs ``examples/demo_components.py``: here it runs as a subprocess at an instant
emulator pace, and must succeed step by step (each ``lmi`` command with the exit code the demo expects)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytest.importorskip("deploy.engine.components", reason="the component deploy (deploy.engine.components) is not here")


def test_the_component_demo_runs_every_step() -> None:
    env = {**os.environ, "LMI_TIME_SCALE": "0", "LMI_TTFT": "0", "LMI_ITL": "0", "PYTHONPATH": str(REPO)}
    env.pop("AWS_ENDPOINT_URL", None)
    done = subprocess.run(
        [sys.executable, str(REPO / "examples" / "demo_components.py")],
        capture_output=True, text=True, env=env, timeout=600, cwd=REPO,
    )  # fmt: skip
    out = done.stdout
    assert done.returncode == 0, out[-4000:] + done.stderr[-4000:]
    assert "Every step succeeded" in out
    for marker in (
        "$ lmi deploy",
        "$ lmi invoke team-llms --component qwen",
        "qwen (team-llms-qwen)",  # the refusal of a request that names no component lists them
        "inference components of team-llms",
        "is scaled to zero",  # the no-capacity explanation
        "$ lmi logs team-llms --component qwen",
        "lmi bench team-llms component team-llms-qwen",
        "$ lmi destroy",
    ):
        assert marker in out + done.stderr, marker
