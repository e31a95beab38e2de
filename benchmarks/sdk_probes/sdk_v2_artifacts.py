"""SDK v2 doing lmi render's job: a DJL/LMI model for Qwen2.5-7B, its container definition and production variant.

Same inputs as examples/qwen25-7b.yaml (model id, instance type, tensor parallel degree, role). Prints nothing the
benchmark reads: calls and the container's environment go to the PROBE_OUT file.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _calls  # first: it counts the AWS calls of everything imported after it
from sagemaker import production_variant
from sagemaker.djl_inference import DJLModel

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"
INSTANCE = "ml.g6e.2xlarge"

model = DJLModel(model_id="Qwen/Qwen2.5-7B-Instruct", role=ROLE, tensor_parallel_degree=1, djl_version="0.33.0")
container = model.prepare_container_def(instance_type=INSTANCE)
variant = production_variant(model_name="qwen25-7b", instance_type=INSTANCE, initial_instance_count=1)
_calls.FACTS.update(image=container.get("Image"), environment=container.get("Environment"), variant=variant)
