"""SDK v3 doing lmi plan's job: ``ModelBuilder(...).build()`` for Qwen2.5-7B on the LMI container.

``build()`` makes AWS calls (role, session bucket, CreateModel ...): run it against the emulator (AWS_ENDPOINT_URL).
The calls and what was built go to the PROBE_OUT file; a failure is recorded there too, not hidden.

No network here: the two places where the SDK needs the outside world are stood in for, and counted.
The JumpStart manifest is seeded into the emulator's S3 by the benchmark (one placeholder model, so the lookup ends
"not a JumpStart model" as it does on AWS for this id), and the SDK's Hugging Face Hub read of ``config.json``
(``_get_model_config_properties_from_hf``) returns the published config from lmi-deploy's bundled library, counted
as ``hub_requests``.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _calls  # first: it counts the AWS calls of everything imported after it
from sagemaker.serve import model_builder_servers
from sagemaker.serve.builder.schema_builder import SchemaBuilder
from sagemaker.serve.model_builder import ModelBuilder
from sagemaker.serve.utils.types import ModelServer

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"
SAMPLE_INPUT = {"inputs": "The capital of France is", "parameters": {"max_new_tokens": 8}}
SAMPLE_OUTPUT = [{"generated_text": " Paris."}]
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.33.0-lmi15.0.0-cu128"


def _config_from_library(model_id: str, hf_hub_token: str | None = None) -> dict[str, object]:
    _calls.FACTS["hub_requests"] = int(_calls.FACTS.get("hub_requests", 0)) + 1
    published: dict[str, object] = json.loads(Path(os.environ["PROBE_HF_CONFIG"]).read_text())
    return {k: v for k, v in published.items() if not k.startswith("_")}


model_builder_servers._get_model_config_properties_from_hf = _config_from_library

try:
    builder = ModelBuilder(
        model="Qwen/Qwen2.5-7B-Instruct",
        role_arn=ROLE,
        image_uri=IMAGE,
        instance_type="ml.g6e.2xlarge",
        env_vars={"HF_MODEL_ID": "Qwen/Qwen2.5-7B-Instruct", "OPTION_TENSOR_PARALLEL_DEGREE": "1"},
        model_metadata={"HF_TASK": "text-generation"},
        model_server=ModelServer.DJL_SERVING,
        schema_builder=SchemaBuilder(SAMPLE_INPUT, SAMPLE_OUTPUT),
    )
    model = builder.build()
    _calls.FACTS.update(built=type(model).__name__, model_name=getattr(model, "model_name", None))
except Exception as exc:  # recorded for the benchmark to print: it must say why, not time a failure as success
    _calls.FACTS.update(error=f"{type(exc).__name__}: {exc}"[:500], trace=traceback.format_exc()[-1500:])
    raise
