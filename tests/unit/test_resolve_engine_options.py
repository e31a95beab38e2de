"""A spec's engine options reach the estimator: a speculative draft takes memory.

Why: the estimator knows these terms (deploy/sizing/engine_memory.py), but a deploy sizes through
deploy.engine.resolve; if the options stopped there, `lmi plan` would promise KV-cache room the container never has.
"""

from __future__ import annotations

from typing import Any

from deploy.engine.resolve import resolve
from deploy.spec.model import DeploymentSpec

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"


def _resolved(options: dict[str, Any]) -> Any:
    spec = DeploymentSpec(
        name="opts",
        role=ROLE,
        region="us-east-1",
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


def test_options_without_memory_terms_change_nothing() -> None:
    # max_loras alone reserves nothing: vLLM allocates LoRA slots only with enable_lora (refused in LMI v15 async).
    assert _resolved({"max_loras": 4}).kv_cache_tokens == _resolved({}).kv_cache_tokens
