"""Helpers shared by the spec tests: a minimal valid spec document and the SpecError a document raises."""

from __future__ import annotations

from typing import Any

import pytest

from deploy.errors import SpecError
from deploy.spec.loader import parse_spec

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"


def base(**overrides: Any) -> dict[str, Any]:
    """A valid spec document (Qwen2.5-7B on the default instance) with ``overrides`` applied."""
    data: dict[str, Any] = {"name": "ep", "role": ROLE, "model": {"id": "Qwen/Qwen2.5-7B-Instruct"}}
    data.update(overrides)
    return data


def error_of(data: dict[str, Any]) -> SpecError:
    """The SpecError that parsing ``data`` raises (fails the test when it parses)."""
    with pytest.raises(SpecError) as info:
        parse_spec(data)
    return info.value
