"""Every refusal of a spec value carries a fix that is more than the problem said again: ``must be a positive
integer or 'auto', got nan`` once came back as its own fix. Digits of other scripts (fullwidth ``３２７６８``) are
not numbers in a spec, look-alike letters are no Hub id, and a number YAML 1.1 reads as text (``1e-3``,
``"0.9"``) gets a fix that YAML reads as a number."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import deploy
from deploy.errors import SpecError

BASE: dict[str, Any] = {
    "name": "adv",
    "region": "us-east-1",
    "role": "arn:aws:iam::123456789012:role/SageMakerExecutionRole",
    "model": {"id": "Qwen/Qwen2.5-7B-Instruct"},
}
REFUSED: dict[str, dict[str, Any]] = {
    "max-model-len-nan": {"engine": {"max_model_len": float("nan")}},
    "max-model-len-negative": {"engine": {"max_model_len": -1}},
    "max-model-len-word": {"engine": {"max_model_len": "long"}},
    "max-model-len-superscript": {"engine": {"max_model_len": "²"}},
    "tp-zero": {"engine": {"tensor_parallel_degree": 0}},
    "batched-tokens-zero": {"engine": {"max_num_batched_tokens": 0}},
    "batch-size-date": {"engine": {"max_rolling_batch_size": "2024-01-01"}},
    "scaling-target-astronomic": {"scaling": {"min": 1, "max": 2, "target": 1e200}},
    "env-key-digit": {"engine": {"env": {"1BAD": "x"}}},
    "env-key-dash": {"engine": {"env": {"MY-VAR": "x"}}},
    "option-enable-lora": {"engine": {"options": {"enable_lora": True}}},
    "option-tgi-compat": {"engine": {"options": {"tgi_compat": True}}},
    "model-id-spaces": {"model": {"id": "not an id"}},
    "model-id-cyrillic-e": {"model": {"id": "Qwen/Qw\u0435n2.5-7B-Instruct"}},
    "model-id-unicode-hyphen": {"model": {"id": "Qwen/Qwen2.5\u20107B-Instruct"}},
    "gpu-util-exponent": {"engine": {"gpu_memory_utilization": "9e-1"}},
    "count-quoted": {"instance": {"type": "ml.g6e.2xlarge", "count": "1"}},
    "target-quoted": {"scaling": {"min": 1, "max": 2, "target": "5"}},
}


def refusal(overrides: dict[str, Any]) -> SpecError:
    with pytest.raises(SpecError) as refused:
        deploy.parse_spec({**BASE, **overrides})
    return refused.value


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_the_fix_is_not_the_problem_said_again(case: str) -> None:
    error = refusal(REFUSED[case])
    problem = str(error).splitlines()[1].split(": ", 1)[1]  # "<spec> field: problem"
    assert error.field and error.fix
    assert error.fix.strip() != problem.strip()
    assert not problem.strip().startswith(error.fix.strip())  # the whole problem offered as the fix


@given(digits=st.integers(min_value=1, max_value=10**6), script=st.sampled_from([0xFF10, 0x0660, 0x0966, 0x1D7CE]))
def test_digits_of_other_scripts_are_not_numbers(digits: int, script: int) -> None:
    """Fullwidth, Arabic-Indic, Devanagari and mathematical digits: str.isdigit says yes, a spec says no."""
    text = "".join(chr(script + int(d)) for d in str(digits))
    for field in ("max_model_len", "tensor_parallel_degree", "max_rolling_batch_size"):
        error = refusal({"engine": {field: text}})
        assert error.field == f"engine.{field}"
        assert "0-9" in (error.fix or "")


@given(digits=st.integers(min_value=1, max_value=131072))
def test_ascii_digit_strings_are_still_numbers(digits: int) -> None:
    spec = deploy.parse_spec({**BASE, "engine": {"max_model_len": f" {digits} "}})
    assert spec.engine.max_model_len == digits


@given(
    mantissa=st.integers(min_value=1, max_value=9),
    exponent=st.integers(min_value=-3, max_value=3),
    sign=st.sampled_from(["", "+"]),
)
def test_the_fix_for_an_exponent_yaml_reads_as_text_is_read_as_a_number(
    mantissa: int, exponent: int, sign: str
) -> None:
    written = f"{mantissa}e{sign if exponent >= 0 else ''}{exponent}"
    text = f"name: adv\nscaling: {{target: {written}}}\n"
    assert isinstance(yaml.safe_load(text)["scaling"]["target"], str)  # the YAML 1.1 trap itself
    error = refusal({"scaling": {"min": 1, "max": 2, "target": written}})
    suggested = (error.fix or "").split("write scaling.target: ", 1)[1].split(" ", 1)[0]
    assert yaml.safe_load(f"v: {suggested}")["v"] == pytest.approx(float(written))


@given(length=st.integers(min_value=64, max_value=300))
def test_a_component_name_too_long_says_how_long_it_may_be(length: int) -> None:
    spec = {
        **{k: v for k, v in BASE.items() if k != "model"},
        "instance": {"type": "ml.g6e.12xlarge", "count": 1},
        "components": [{"name": "q" * length, "model": {"id": "Qwen/Qwen2.5-7B-Instruct"}, "copies": 1}],
    }
    from deploy.spec.loader import parse_any_spec

    with pytest.raises(SpecError) as refused:
        parse_any_spec(spec)
    assert refused.value.field == "components.0.name"
    assert f"({length} characters)" in str(refused.value)
    assert "at most 63 characters" in (refused.value.fix or "")
