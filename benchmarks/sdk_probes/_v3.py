"""SDK v3's ``ModelBuilder`` for Qwen2.5-7B on the LMI container, as the v3 probes build it, with its one outside
read stood in for.

The SDK reads the model's ``config.json`` from the Hugging Face Hub (``_get_model_config_properties_from_hf``):
here it returns the published config from lmi-deploy's bundled library (PROBE_HF_CONFIG), counted as
``hub_requests``. The JumpStart manifest it also looks up is seeded into the emulator's S3 by the benchmark.
Import ``_calls`` before this module, so the SDK's AWS calls are counted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import _calls
from sagemaker.serve import model_builder_servers
from sagemaker.serve.builder.schema_builder import SchemaBuilder
from sagemaker.serve.model_builder import ModelBuilder
from sagemaker.serve.utils.types import ModelServer

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"
SAMPLE_INPUT = {"inputs": "The capital of France is", "parameters": {"max_new_tokens": 8}}
SAMPLE_OUTPUT = [{"generated_text": " Paris."}]
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.33.0-lmi15.0.0-cu128"
INSTANCE_TYPE = "ml.g6e.2xlarge"


def _config_from_library(model_id: str, hf_hub_token: str | None = None) -> dict[str, object]:
    _calls.FACTS["hub_requests"] = int(_calls.FACTS.get("hub_requests", 0)) + 1
    published: dict[str, object] = json.loads(Path(os.environ["PROBE_HF_CONFIG"]).read_text())
    return {k: v for k, v in published.items() if not k.startswith("_")}


model_builder_servers._get_model_config_properties_from_hf = _config_from_library


def builder() -> Any:
    """A new ModelBuilder with the same inputs every time (what a re-run CI job constructs)."""
    return ModelBuilder(
        model="Qwen/Qwen2.5-7B-Instruct",
        role_arn=ROLE,
        image_uri=IMAGE,
        instance_type=INSTANCE_TYPE,
        env_vars={"HF_MODEL_ID": "Qwen/Qwen2.5-7B-Instruct", "OPTION_TENSOR_PARALLEL_DEGREE": "1"},
        model_metadata={"HF_TASK": "text-generation"},
        model_server=ModelServer.DJL_SERVING,
        schema_builder=SchemaBuilder(SAMPLE_INPUT, SAMPLE_OUTPUT),
    )
