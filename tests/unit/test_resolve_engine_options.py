"""A spec's engine options reach the estimator: a speculative draft takes memory.

Why: the estimator knows these terms (deploy/sizing/engine_memory.py), but a deploy sizes through
deploy.engine.resolve; if the options stopped there, `lmi plan` would promise KV-cache room the container never has.
"""

from __future__ import annotations

from typing import Any

from deploy.engine.resolve import resolve
from deploy.spec.model import DeploymentSpec

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"


def _resolved(options: dict[str, Any], version: int = 15) -> Any:
    spec = DeploymentSpec(
        name="opts",
        role=ROLE,
        region="us-east-1",
        lmi={"version": version},
        model={"id": "meta-llama/Llama-3.1-8B-Instruct"},
        engine={"max_model_len": 8192, "tensor_parallel_degree": 1, "options": options},
        instance={"type": "ml.g6e.2xlarge"},
    )
    return resolve(spec).estimate


def test_a_bundled_draft_model_lowers_the_kv_cache() -> None:
    plain = _resolved({})
    draft = _resolved(
        {"speculative_config": '{"model": "meta-llama/Llama-3.2-1B-Instruct", "num_speculative_tokens": 4}'}
    )
    assert draft.kv_cache_tokens < plain.kv_cache_tokens


def test_lora_slots_lower_the_kv_cache() -> None:
    # enable_lora (LMI 16 or later) preallocates max_loras slots; more slots, less KV cache.
    plain = _resolved({}, 16).kv_cache_tokens
    one = _resolved({"enable_lora": True}, 16).kv_cache_tokens
    eight = _resolved({"enable_lora": True, "max_loras": 8}, 16).kv_cache_tokens
    assert plain > one > eight
