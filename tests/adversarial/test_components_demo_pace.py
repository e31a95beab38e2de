"""``make demo-components`` at the pace it runs for a user (a non-zero emulator time scale), not only instantly.

Found: at its default pace (LMI_TIME_SCALE 0.2) the demo failed ("autoscaling did not take team-llms-qwen to 0
copies in 4 rounds"): target tracking took qwen 2 -> 1 and put it in Updating, and the next rounds ran at once,
while the emulator (like AWS) scales only an InService component. The functional test ran the demo at pace 0, where
Updating ends at once, so it never saw it. The demo now waits for the change to settle between rounds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_component_demo_scales_to_zero_and_back_at_its_default_pace() -> None:
    """About 30 s: the pace a user of `make demo-components` sees (0.05 was quick enough to hide the failure)."""
    env = {**os.environ, "LMI_TTFT": "0", "LMI_ITL": "0", "PYTHONPATH": str(REPO)}
    for name in ("AWS_ENDPOINT_URL", "LMI_TIME_SCALE"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, str(REPO / "examples" / "demo_components.py")],
        capture_output=True, text=True, env=env, timeout=900, cwd=REPO,
    )  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    assert "1 -> 0 copies" in out and "0 -> 1 copies" in out and "Every step succeeded" in out
    assert "Traceback" not in out
