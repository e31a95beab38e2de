"""lmi validate and the emulator's container size a deployment with the same engine parameters (one mapping,
deploy.sizing.params): the V0/V1 switch and the prefill-token limit reach both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from deploy.engine.resolve import resolve
from deploy.local.fit import assess
from deploy.local.settings import engine_settings, merge_settings
from deploy.render.properties import render
from deploy.sizing.params import engine_params, vllm_engine
from deploy.spec.loader import parse_spec

REPO = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::123456789012:role/R"
CONFIG = REPO / "deploy/sizing/library/Qwen--Qwen2.5-7B-Instruct.json"


@pytest.mark.parametrize(
    "engine",
    [
        {"tensor_parallel_degree": 1, "max_model_len": 16384},
        {"tensor_parallel_degree": 1, "max_model_len": 16384, "env": {"VLLM_USE_V1": "0"}},
        {"tensor_parallel_degree": 1, "max_model_len": 16384, "max_num_batched_tokens": 4096},
        {
            "tensor_parallel_degree": 1,
            "max_model_len": 8192,
            "env": {"VLLM_USE_V1": "0"},
            "max_num_batched_tokens": 2048,
        },
    ],
    ids=["v1", "v0", "v1-prefill", "v0-prefill"],
)
def test_validate_and_the_emulated_container_agree(engine: dict[str, Any]) -> None:
    spec = parse_spec(
        {
            "name": "agree",
            "role": ROLE,
            "model": {"id": "Qwen/Qwen2.5-7B-Instruct", "config": str(CONFIG)},
            "instance": {"type": "ml.g6e.2xlarge"},
            "engine": engine,
        }
    )
    resolved = resolve(spec)
    rendered = render(resolved)
    environment = dict(rendered.environment)
    settings = merge_settings(environment, rendered.serving_properties)
    container = engine_settings(settings, gpu_count=1)
    outcome = assess("Qwen/Qwen2.5-7B-Instruct", CONFIG, "ml.g6e.2xlarge", container, environment)
    assert resolved.estimate is not None
    assert outcome.kv_cache_tokens == resolved.estimate.kv_cache_tokens


@pytest.mark.parametrize(
    ("env", "engine"), [({}, "v1"), ({"VLLM_USE_V1": "0"}, "v0"), ({"VLLM_USE_V1": "1"}, "v1"), (None, "v1")]
)
def test_the_engine_switch(env: dict[str, str] | None, engine: str) -> None:
    assert vllm_engine(env) == engine == engine_params(env=env).engine
