"""lmi-deploy: ``deploy.apply`` of examples/qwen25-7b.yaml run twice, the lmi side of sdk_v2_deploy_twice.py.

Against the emulator (PROBE_ENDPOINT_URL); same records: AWS calls per apply, resources left after both.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _calls  # first: it counts the AWS calls of everything imported after it

from deploy import client
from deploy.aws.session import make_context
from deploy.spec.loader import load_spec

SPEC = Path(__file__).resolve().parents[2] / "examples" / "qwen25-7b.yaml"
context = make_context(region="us-east-1", endpoint_url=os.environ["PROBE_ENDPOINT_URL"])
spec = load_spec(SPEC).model_copy(update={"name": os.environ.get("PROBE_NAME", "qwen25-7b")})


def apply_once() -> dict[str, int]:
    return _calls.calls_during(lambda: client.apply(spec, context=context, create_bucket=True))


first, second = apply_once(), apply_once()
_calls.record_twice(first, second, context.client("sagemaker"))
