"""SDK v2: ``DJLModel(...).deploy()`` run twice with the same inputs, as a CI job re-running an unchanged deploy would.

Against the emulator (PROBE_ENDPOINT_URL). Records, per deploy, the AWS calls made, and after both the models,
endpoint configs and endpoints that exist: what a second, no-op deploy costs and what it leaves behind.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _calls  # first: it counts the AWS calls of everything imported after it
import boto3
from sagemaker.djl_inference import DJLModel

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"


def deploy() -> None:
    model = DJLModel(model_id="Qwen/Qwen2.5-7B-Instruct", role=ROLE, tensor_parallel_degree=1, djl_version="0.33.0")
    model.deploy(instance_type="ml.g6e.2xlarge", initial_instance_count=1, wait=True)


def deploy_once() -> dict[str, int]:
    return _calls.calls_during(deploy)


first, second = deploy_once(), deploy_once()
_calls.record_twice(first, second, boto3.client("sagemaker"))
