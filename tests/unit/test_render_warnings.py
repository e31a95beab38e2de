"""``render_warnings`` (what `lmi validate` prints) says exactly what ``render`` says, without the template engine."""

from __future__ import annotations

from typing import Any

import pytest
from test_render import resolved

from deploy.errors import SpecError
from deploy.render.properties import render, render_warnings

CASES: dict[str, dict[str, Any]] = {
    "no warnings": {},
    "false prefix caching": {"engine": {"enable_prefix_caching": False}},
    "false option": {"engine": {"options": {"enforce_eager": False}}},
    "two false flags": {"engine": {"enable_prefix_caching": False, "options": {"enforce_eager": False}}},
    "env delivery": {"delivery": "env", "engine": {"options": {"enforce_eager": False}}},
    "NVMe volume": {"instance": {"type": "ml.g5.2xlarge", "volume_size_gb": 200}},
    "NVMe volume, key and a false flag": {
        "instance": {"type": "ml.g5.2xlarge", "volume_size_gb": 200},
        "security": {"kms_key_id": "alias/k"},
        "engine": {"enable_prefix_caching": False},
    },
}


@pytest.mark.parametrize("overrides", CASES.values(), ids=CASES.keys())
def test_the_same_warnings_in_the_same_order(overrides: dict[str, Any]) -> None:
    spec = resolved(**overrides)
    assert render_warnings(spec) == render(spec).warnings


@pytest.mark.parametrize(
    "overrides",
    [
        {"engine": {"env": {"VLLM_BIG": "x" * 1025}}},
        {"engine": {"env": {f"VLLM_K{i}": "1" for i in range(120)}}},
        {"delivery": "env", "engine": {"options": {"chat_template": "x" * 1025}}},
    ],
    ids=["long value", "too many variables", "env delivery long option"],
)
def test_the_same_errors(overrides: dict[str, Any]) -> None:
    spec = resolved(**overrides)
    with pytest.raises(SpecError) as rendering:
        render(spec)
    with pytest.raises(SpecError) as warning:
        render_warnings(spec)
    assert warning.value.to_dict() == rendering.value.to_dict()
