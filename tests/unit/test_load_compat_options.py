"""engine.options values checked as LMI v15 and vLLM 0.8.4's argparse parser will read them; keys LMI drops refused.

Each refusal quotes the error the container would print (vLLM 0.8.4 vllm/engine/arg_utils.py and vllm/utils.py
StoreBoolean; LMI djl_python/properties_manager/vllm_rb_properties.py, branch 0.33.0-dlc).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploy.engine.resolve import resolve
from deploy.render.properties import render
from deploy.spec.engine_options import DROPPED_BY_LMI, engine_args, forwarded_engine_args, option_problems
from deploy.spec.loader import parse_spec
from tests.unit.spec_helpers import base, error_of

LEGACY_SPECULATIVE = [
    "speculative_model",
    "num_speculative_tokens",
    "speculative_model_quantization",
    "speculative_draft_tensor_parallel_size",
    "speculative_max_model_len",
    "speculative_disable_by_batch_size",
    "ngram_prompt_lookup_max",
    "ngram_prompt_lookup_min",
]


def with_options(**options: Any) -> dict[str, Any]:
    return base(engine={"options": options})


def test_engine_argument_table_matches_the_0_8_4_dataclass() -> None:
    args = engine_args()
    assert len(args) == 105  # 104 EngineArgs fields + AsyncEngineArgs.disable_log_requests at tag v0.8.4
    assert args["disable_log_requests"]["class"] == "AsyncEngineArgs"
    assert "disable_log_requests" not in forwarded_engine_args()
    assert not set(LEGACY_SPECULATIVE) & set(args)
    block = {"class": "EngineArgs", "kind": "int", "choices": [8, 16, 32, 64, 128], "default": "None"}
    assert args["block_size"] == block
    assert args["reasoning_parser"]["choices"] == ["deepseek_r1", "granite"]
    assert args["enable_chunked_prefill"]["kind"] == "bool"  # StoreBoolean
    assert args["enforce_eager"]["kind"] == "flag"  # store_true
    assert args["speculative_config"]["kind"] == "json"


@pytest.mark.parametrize("key", [*LEGACY_SPECULATIVE, "disable_log_requests", "task", "job_queue_size"])
def test_keys_lmi_v15_drops_silently_are_refused(key: str) -> None:
    err = error_of(with_options(**{key: "4"}))
    assert err.field == f"engine.options.{key}"
    reason = DROPPED_BY_LMI[key]
    assert reason.partition("; ")[0] in err.message
    if key in LEGACY_SPECULATIVE:
        assert "speculative_config" in err.message


@pytest.mark.parametrize(
    ("options", "field", "quoted"),
    [
        ({"block_size": 24}, "block_size", "argument --block-size: invalid choice: 24 (choose from 8, 16, 32, 64"),
        ({"block_size": "12"}, "block_size", "invalid choice: 12 (choose from 8, 16, 32, 64, 128)"),
        ({"max_seq_len_to_capture": 4096.0}, "max_seq_len_to_capture", "invalid int value: '4096.0'"),
        ({"max_num_partial_prefills": "two"}, "max_num_partial_prefills", "invalid int value: 'two'"),
        ({"swap_space": "lots"}, "swap_space", "invalid float value: 'lots'"),
        ({"enforce_eager": "yes"}, "enforce_eager", "ignored explicit argument 'yes'"),
        ({"enable_chunked_prefill": "yes"}, "enable_chunked_prefill", "Invalid boolean value: yes. Expected 'true'"),
        (
            {"enable_reasoning": True, "reasoning_parser": "qwen3"},
            "reasoning_parser",
            "Invalid reasoning parser: qwen3 (chose from { deepseek_r1,granite })",
        ),
        ({"enable_auto_tool_choice": True}, "enable_auto_tool_choice", "Invalid tool call parser: None (chose from {"),
        (
            {"enable_auto_tool_choice": True, "tool_call_parser": "qwen3_xml"},
            "tool_call_parser",
            "Invalid tool call parser: qwen3_xml (chose from { granite-20b-fc,granite,hermes,",
        ),
        ({"enable_reasoning": True}, "enable_reasoning", "Invalid reasoning parser: None"),
        ({"tool_call_parser": "hermes"}, "tool_call_parser", "has no effect unless enable_auto_tool_choice"),
        ({"speculative_config": "model=foo"}, "speculative_config", "argument --speculative-config: invalid loads"),
        ({"speculative_config": "{'model': 'x'}"}, "speculative_config", "invalid loads value"),
        ({"kv_transfer_config": "[1, 2]"}, "kv_transfer_config", "invalid loads value"),
        ({"limit_mm_per_prompt": "image:4"}, "limit_mm_per_prompt", "Each item should be in the form KEY=VALUE"),
        ({"tokenizer_mode": "fast"}, "tokenizer_mode", "invalid choice: 'fast' (choose from 'auto', 'slow'"),
        ({"load_format": "bin"}, "load_format", "invalid choice: 'bin'"),
        ({"chat_template_content_format": "xml"}, "chat_template_content_format", "invalid choice: 'xml'"),
        ({"enable_auto_tool_choice": "maybe"}, "enable_auto_tool_choice", "Input should be a valid boolean"),
    ],
)
def test_values_vllm_or_lmi_would_reject_are_refused(options: dict[str, Any], field: str, quoted: str) -> None:
    err = error_of(with_options(**options))
    assert err.field == f"engine.options.{field}"
    assert quoted in err.message


@pytest.mark.parametrize(
    "options",
    [
        {"block_size": 32},
        {"block_size": "128"},
        {"max_seq_len_to_capture": 4096},
        {"swap_space": 2.5},
        {"enforce_eager": True},
        {"enable_chunked_prefill": False},
        {"enable_chunked_prefill": "true"},
        {"enable_reasoning": True, "reasoning_parser": "deepseek_r1"},
        {"enable_auto_tool_choice": True, "tool_call_parser": "llama3_json"},
        {"enable_auto_tool_choice": "yes", "tool_call_parser": "hermes"},  # LMI's pydantic field takes "yes"
        {"speculative_config": json.dumps({"model": "[ngram]", "num_speculative_tokens": 4})},
        {"limit_mm_per_prompt": "image=4,video=1"},
        {"tokenizer_mode": "mistral"},
    ],
)
def test_values_the_parser_accepts_pass(options: dict[str, Any]) -> None:
    spec = parse_spec(with_options(**options))
    assert dict(spec.engine.options) == options


@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer()))
def test_a_fraction_for_an_int_argument_is_always_refused(value: float) -> None:
    problems = option_problems({"max_num_partial_prefills": value})
    assert problems and problems[0].key == "max_num_partial_prefills" and "invalid int value" in problems[0].message


@given(st.integers(min_value=0, max_value=10**9), st.booleans())
def test_whole_numbers_for_an_int_argument_pass(value: int, as_text: bool) -> None:
    assert option_problems({"max_num_partial_prefills": str(value) if as_text else value}) == []


@given(st.text(min_size=1, max_size=8).filter(lambda s: s.lower() not in ("true", "false")))
def test_anything_but_true_false_for_a_flag_is_refused(value: str) -> None:
    problems = option_problems({"enforce_eager": value, "enable_chunked_prefill": value})
    assert [p.key for p in problems] == ["enforce_eager", "enable_chunked_prefill"]


def _properties(options: dict[str, Any]) -> tuple[dict[str, str], tuple[str, ...]]:
    rendered = render(resolve(parse_spec(with_options(**options))))
    return rendered.properties, rendered.warnings


def test_false_reaches_vllm_for_store_boolean_flags_only() -> None:
    props, warnings = _properties({"enable_chunked_prefill": False, "enforce_eager": False})
    assert props["option.enable_chunked_prefill"] == "false"  # --enable_chunked_prefill=false parses (StoreBoolean)
    assert "option.enforce_eager" not in props  # LMI v15 drops false for store_true flags
    assert any("options.enforce_eager=false omitted" in w for w in warnings)


def test_quantize_method_the_image_lacks_names_the_first_lmi_that_has_it() -> None:
    err = error_of(base(engine={"quantize": "mxfp4"}))
    assert err.field == "engine.quantize"
    assert "Unknown quantization method: mxfp4. Must be one of" in err.message
    assert "LMI v16 (vLLM 0.10.2)" in err.message
    assert parse_spec(base(lmi={"version": 16}, engine={"quantize": "mxfp4"})).engine.quantize == "mxfp4"


@pytest.mark.parametrize("method", ["aqlm", "nvfp4", "gptq_marlin_24", "qqq", "hqq", "torchao"])
def test_methods_vllm_0_8_4_lists_are_accepted(method: str) -> None:
    assert parse_spec(base(engine={"quantize": method})).engine.quantize == method
