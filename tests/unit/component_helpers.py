"""Helpers shared by the component-endpoint tests: a valid component document and the errors documents raise."""

from __future__ import annotations

from typing import Any

import pytest

from deploy.errors import SpecError
from deploy.spec.components import ComponentEndpointSpec
from deploy.spec.loader import parse_any_spec

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"
QWEN_7B = "Qwen/Qwen2.5-7B-Instruct"
LLAMA_8B = "meta-llama/Llama-3.1-8B-Instruct"


def component(name: str, model_id: str = QWEN_7B, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": name, "model": {"id": model_id}}
    data.update(overrides)
    return data


def endpoint(*components: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A component document on one ml.g6e.12xlarge (4 x L40S 48 GB) with ``components`` (default: one qwen)."""
    data: dict[str, Any] = {
        "name": "team-llms",
        "role": ROLE,
        "instance": {"type": "ml.g6e.12xlarge", "count": 1},
        "components": list(components) or [component("qwen")],
    }
    data.update(overrides)
    return data


def parsed(data: dict[str, Any]) -> ComponentEndpointSpec:
    spec = parse_any_spec(data)
    assert isinstance(spec, ComponentEndpointSpec)
    return spec


def error_of(data: dict[str, Any]) -> SpecError:
    """The SpecError that parsing ``data`` raises (fails the test when it parses)."""
    with pytest.raises(SpecError) as info:
        parse_any_spec(data)
    return info.value


ISSUE_SPEC: dict[str, Any] = {
    "name": "team-llms",
    "role": ROLE,
    "instance": {"type": "ml.g6e.12xlarge", "count": 1},
    "scaling": {"min": 0, "max": 2},
    "components": [
        {
            "name": "qwen",
            "model": {"id": QWEN_7B},
            "engine": {"max_model_len": 8192},
            "copies": 2,
            "scaling": {"min": 0, "max": 4, "metric": "concurrent_requests", "target": 4},
        },
        {"name": "llama", "model": {"id": LLAMA_8B, "hf_token": "env:HF_TOKEN"}, "copies": 1},
    ],
}
