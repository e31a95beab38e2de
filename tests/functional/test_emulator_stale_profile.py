"""``from deploy.local import Emulator`` works whatever AWS_PROFILE says: the emulator needs no profile.

moto builds a boto3 Session when it is imported, so a profile the AWS config files lack was a ProfileNotFound
traceback at the import in a notebook (the CLI's ``--local`` already dropped it). Each case runs in a fresh
interpreter: in this one moto is already imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = """
import os
from deploy.local import Emulator
with Emulator(time_scale=0, latency="off") as emu:
    print(len(emu.context().client("sagemaker").list_endpoints()["Endpoints"]))
print(os.environ.get("AWS_PROFILE", "-"), os.environ.get("AWS_DEFAULT_PROFILE", "-"))
"""


@pytest.mark.parametrize("variable", ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"])
@pytest.mark.parametrize("profile", ["nosuch", "typo-prod", "default"])
def test_the_emulator_starts_with_any_profile_set(tmp_path: Path, variable: str, profile: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    empty = tmp_path / "empty-config"
    empty.write_text("")
    env.update({variable: profile, "AWS_CONFIG_FILE": str(empty), "AWS_SHARED_CREDENTIALS_FILE": str(empty)})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert done.stdout.split() == ["0", "-", "-"]  # served; the profile was dropped in this process only
