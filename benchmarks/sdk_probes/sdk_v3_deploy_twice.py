"""SDK v3: ``ModelBuilder(...).build()`` then ``deploy()``, run twice with the same inputs, as a CI job re-running an
unchanged deploy would.

Against the emulator (PROBE_ENDPOINT_URL; the benchmark seeds the role and the JumpStart manifest). Records, per
deploy, the AWS calls made, and after both the models, endpoint configs and endpoints that exist. A failure is
recorded (``error``, ``stage``) for the benchmark to print, never timed as a deploy.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _calls  # first: it counts the AWS calls of everything imported after it
import _v3
import boto3


def build_and_deploy() -> None:
    builder = _v3.builder()
    builder.build()
    builder.deploy(initial_instance_count=1, instance_type=_v3.INSTANCE_TYPE, wait=True)


def deploy_once(stage: str) -> dict[str, int]:
    _calls.FACTS["stage"] = stage
    return _calls.calls_during(build_and_deploy)


try:
    first = deploy_once("first")
    second = deploy_once("second")
except Exception as exc:
    _calls.FACTS.update(error=f"{type(exc).__name__}: {exc}"[:500], trace=traceback.format_exc()[-1500:])
    raise
_calls.record_twice(first, second, boto3.client("sagemaker"))
