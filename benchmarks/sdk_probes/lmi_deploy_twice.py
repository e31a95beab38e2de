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
    before = dict(_calls.CALLS)
    client.apply(spec, context=context, create_bucket=True)
    return {op: n - before.get(op, 0) for op, n in _calls.CALLS.items() if n - before.get(op, 0)}


first, second = apply_once(), apply_once()
sagemaker = context.client("sagemaker")
_calls.FACTS.update(
    first=first,
    second=second,
    left_behind={
        "models": len(sagemaker.list_models()["Models"]),
        "endpoint_configs": len(sagemaker.list_endpoint_configs()["EndpointConfigs"]),
        "endpoints": len(sagemaker.list_endpoints()["Endpoints"]),
    },
)
