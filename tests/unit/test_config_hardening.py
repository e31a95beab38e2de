"""Hostile config.json documents: wrong types, impossible values, NaN/Infinity, huge numbers, wrong containers.

Each is refused with a SpecError naming the config field (``config.json: num_attention_heads=0: ...``), never a
traceback, and never a "fits" verdict with no KV-cache tokens. The property test mutates valid configs at random.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deploy.errors import LmiError, SpecError
from deploy.sizing import EngineParams, Hardware, estimate, resolve_engine
from deploy.sizing.config import checked_shape
from deploy.sizing.config_check import MAX_CONFIG_BYTES, parse_config_text
from deploy.sizing.loader import load_shape
from deploy.sizing.safetensors import directory_weight_bytes

CONFIGS = Path(__file__).resolve().parents[1] / "fixtures" / "configs"
BASES = {p.stem: json.loads(p.read_text()) for p in sorted(CONFIGS.glob("*.json"))}
L40S = Hardware(gpu_memory_mib=46068, gpu_count=1, gpu_name="L40S")
CORE = ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "vocab_size")
BAD_COUNTS = (0, -1, -(2**40), "32", True, False, [32], {"n": 32}, math.inf, -math.inf, math.nan, 10**30, 12.5)
READ_FIELDS = (
    *CORE,
    "head_dim",
    "intermediate_size",
    "max_position_embeddings",
    "sliding_window",
    "num_local_experts",
    "num_experts_per_tok",
    "moe_intermediate_size",
    "kv_lora_rank",
    "q_lora_rank",
    "first_k_dense_replace",
    "interleave_moe_layer_step",
    "rope_scaling",
    "quantization_config",
    "text_config",
    "vision_config",
    "architectures",
    "layer_types",
    "mlp_only_layers",
    "tie_word_embeddings",
    "torch_dtype",
)


def qwen(**changes: Any) -> dict[str, Any]:
    return {**BASES["qwen2.5-7b-instruct"], **changes}


@pytest.mark.parametrize("field", CORE)
@pytest.mark.parametrize("value", BAD_COUNTS, ids=repr)
def test_bad_core_numbers_are_refused_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(SpecError) as info:
        checked_shape(qwen(**{field: value}), "q", "config.json")
    assert info.value.message.startswith(f"config.json: {field}=") and info.value.field == "model.config"


@pytest.mark.parametrize("field", ["quantization_config", "rope_scaling", "text_config", "vision_config"])
@pytest.mark.parametrize("value", ["awq", ["awq"], 4, True])
def test_objects_given_as_scalars_or_lists_are_refused(field: str, value: Any) -> None:
    with pytest.raises(SpecError) as info:
        checked_shape(qwen(**{field: value}), "q", "config.json")
    assert info.value.message.startswith(f"config.json: {field}=") and "must be a JSON object" in info.value.message


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"quantization_config": {"quant_method": "awq", "bits": "4"}}, "quantization_config.bits"),
        ({"quantization_config": {"quant_method": "awq", "bits": 99}}, "quantization_config.bits"),
        ({"quantization_config": {"quant_method": "awq", "group_size": -128}}, "quantization_config.group_size"),
        ({"quantization_config": {"quant_method": "fp8", "weight_block_size": [128]}}, "weight_block_size"),
        ({"quantization_config": {"quant_method": "compressed-tensors", "config_groups": "x"}}, "config_groups"),
        ({"rope_scaling": {"rope_type": "yarn", "factor": math.inf}}, "rope_scaling.factor"),
        ({"rope_scaling": {"rope_type": "yarn", "factor": -4}}, "rope_scaling.factor"),
        ({"mlp_only_layers": ["a"]}, "mlp_only_layers"),
        ({"architectures": "Qwen2ForCausalLM"}, "architectures"),
        ({"hidden_size": 8, "num_attention_heads": 28, "head_dim": None}, "head_dim=0"),
        ({"num_key_value_heads": 64}, "more than num_attention_heads"),
        ({"text_config": {"hidden_size": 0}}, "text_config.hidden_size"),
        ({"vision_config": {"hidden_size": "big"}}, "vision_config.hidden_size"),
    ],
)
def test_nested_and_derived_values_are_refused(changes: dict[str, Any], needle: str) -> None:
    with pytest.raises(SpecError) as info:
        checked_shape(qwen(**changes), "q", "config.json")
    assert info.value.message.startswith("config.json: ") and needle in info.value.message


@pytest.mark.parametrize(
    "text",
    ["[" * 100_000 + "]" * 100_000, "[1, 2]", '"a string"', "{nope", b"\xff\xfe{}", "NaN"],
    ids=["deep", "list", "string", "broken", "not-utf8", "nan"],
)
def test_unparseable_documents_are_refused(text: str | bytes) -> None:
    with pytest.raises(SpecError) as info:
        parse_config_text(text, "config.json")
    assert info.value.message.startswith("config.json")


def test_a_huge_config_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "config.json"
    with big.open("wb") as handle:
        handle.truncate(MAX_CONFIG_BYTES + 1)  # sparse: no memory, no disk
    with pytest.raises(SpecError, match="limited to"):
        load_shape("x", config_path=big)


def _safetensors(path: Path, header: Any) -> None:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw)


@pytest.mark.parametrize(
    "entry",
    [
        {"dtype": "BF16", "shape": [-4096, 4096]},
        {"dtype": "BF16", "shape": ["4096"]},
        {"dtype": "BF16", "shape": [True, 2]},
        {"dtype": "BF16", "shape": "4096"},
        {"dtype": "BF16", "shape": [2**39, 2**39, 2**39]},
        {"dtype": "BF16", "shape": [1.5]},
    ],
)
def test_malformed_safetensors_headers_are_refused(tmp_path: Path, entry: dict[str, Any]) -> None:
    _safetensors(tmp_path / "model.safetensors", {"w": entry})
    with pytest.raises(SpecError, match="safetensors header"):
        directory_weight_bytes(tmp_path)


_bad_value = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=8),
    st.lists(st.integers(min_value=-4, max_value=64), max_size=3),
    st.dictionaries(
        st.sampled_from(["factor", "bits", "quant_method", "hidden_size"]), st.integers(-2, 64), max_size=2
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(sorted(BASES)),
    changes=st.dictionaries(st.sampled_from(READ_FIELDS), _bad_value, min_size=1, max_size=3),
)
def test_mutated_configs_give_a_clean_error_or_a_sane_estimate(base: str, changes: dict[str, Any]) -> None:
    cfg = {**BASES[base], **changes}
    try:
        shape = checked_shape(cfg, base, "config.json")
        est = estimate(shape, L40S, EngineParams(max_model_len=4096), with_fixes=False)
    except LmiError as exc:
        assert exc.exit_code == 2 and str(exc)
        return
    assert not est.fits or est.kv_cache_tokens > 0
    assert shape.head_dim >= 1 and shape.num_kv_heads >= 1 and shape.num_layers >= 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(sorted(BASES)), changes=st.dictionaries(st.sampled_from(CORE), _bad_value, max_size=2))
def test_resolving_auto_settings_on_mutated_configs_never_crashes(base: str, changes: dict[str, Any]) -> None:
    try:
        resolution = resolve_engine(checked_shape({**BASES[base], **changes}, base, "config.json"), L40S)
    except LmiError as exc:
        assert exc.exit_code == 2
        return
    assert resolution.estimate.kv_cache_tokens > 0


def test_a_deeply_nested_safetensors_header_is_refused(tmp_path: Path) -> None:
    raw = b"[" * 100_000 + b"]" * 100_000
    (tmp_path / "model.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw)
    with pytest.raises(SpecError, match="nests too deeply"):
        directory_weight_bytes(tmp_path)
