"""Model shapes: KV bytes per token, weights per rank, tp constraints, quantization, loading (no network)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from deploy.errors import SpecError
from deploy.sizing import load_shape
from deploy.sizing.shape import ModelShape

CONFIGS = Path(__file__).resolve().parents[1] / "fixtures" / "configs"
KIB = 1024
GIB = 1024**3


def shape(name: str) -> ModelShape:
    return load_shape(str(CONFIGS / f"{name}.json"))


# ---- KV cache per token: the worked numbers of the sizing reference (bf16) --------------------------------------


@pytest.mark.parametrize(
    ("name", "tp", "kib"),
    [
        ("llama-3.1-8b-instruct", 1, 128),
        ("llama-3.1-8b-instruct", 2, 64),
        ("llama-3.1-8b-instruct", 4, 32),
        ("llama-3.1-8b-instruct", 8, 16),
        ("qwen2.5-7b-instruct", 1, 56),
        ("qwen2.5-7b-instruct", 2, 28),
        ("qwen2.5-7b-instruct", 4, 14),
        ("mixtral-8x7b", 1, 128),
        ("mixtral-8x7b", 8, 16),
        ("qwen3-30b-a3b", 1, 96),
        ("qwen3-30b-a3b", 4, 24),
        ("gemma-3-27b-it", 1, 496),
        ("llama-4-scout", 1, 192),
    ],
)
def test_kv_bytes_per_token_matches_reference(name: str, tp: int, kib: int) -> None:
    assert shape(name).kv_bytes_per_token(tp, 2) == kib * KIB


def test_kv_heads_replicated_when_fewer_than_tp() -> None:
    qwen3 = shape("qwen3-30b-a3b")  # 4 KV heads: tp=8 replicates, KV per rank stops shrinking
    assert qwen3.kv_heads_per_rank(8) == 1
    assert qwen3.kv_bytes_per_token(8, 2) == qwen3.kv_bytes_per_token(4, 2)


@pytest.mark.parametrize("tp", [1, 2, 4, 8])
def test_mla_kv_is_one_latent_head_not_sharded(tp: int) -> None:
    ds = shape("deepseek-v3")
    assert ds.kv_bytes_per_token(tp, 2) == 61 * (512 + 64) * 2  # 68.6 KiB at any tp
    assert round(ds.kv_bytes_per_token(tp, 2) / KIB, 1) == 68.6


def test_fp8_kv_cache_halves_bytes_per_token() -> None:
    llama = shape("llama-3.1-8b-instruct")
    assert llama.kv_bytes_per_token(1, 1) * 2 == llama.kv_bytes_per_token(1, 2)


# ---- parameters and weights per rank ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "billions"),
    [
        ("llama-3.1-8b-instruct", 8.03),
        ("qwen2.5-7b-instruct", 7.62),
        ("mixtral-8x7b", 46.7),
        ("qwen3-30b-a3b", 30.5),
        ("deepseek-v3", 671.0),
        ("llama-3.2-1b-instruct", 1.24),
        ("gemma-3-27b-it", 27.4),
        ("llama-4-scout", 109.0),
    ],
)
def test_total_parameters_match_published_sizes(name: str, billions: float) -> None:
    assert shape(name).total_params() / 1e9 == pytest.approx(billions, rel=0.02)


def test_tied_embeddings_are_counted_once() -> None:
    tied = shape("llama-3.2-1b-instruct")
    untied = ModelShape(**{**tied.__dict__, "tie_word_embeddings": False})
    assert untied.total_params() - tied.total_params() == tied.vocab_size * tied.hidden_size


def test_weights_per_rank_shard_but_keep_replicated_parts() -> None:
    llama = shape("llama-3.1-8b-instruct")
    one = llama.weight_bytes_per_rank(1, dtype_bytes=2)
    two = llama.weight_bytes_per_rank(2, dtype_bytes=2)
    assert one / 2 < two < one / 2 * 1.01
    assert one == pytest.approx(14.96 * GIB, rel=0.01)  # vLLM logs "Model loading took 14.99 GiB"


def test_moe_weights_count_all_experts() -> None:
    mixtral = shape("mixtral-8x7b")
    assert mixtral.moe is not None and mixtral.moe.num_experts == 8
    assert mixtral.weight_bytes_per_rank(1, dtype_bytes=2) / 1e9 == pytest.approx(46.7 * 2, rel=0.02)


def test_moe_layer_counting_rules() -> None:
    ds = shape("deepseek-v3")
    assert ds.moe is not None and ds.moe.num_moe_layers == 61 - 3  # first_k_dense_replace
    assert ds.moe.shared_intermediate_size == 2048
    scout = shape("llama-4-scout")
    assert scout.moe is not None and scout.moe.num_moe_layers == 48  # interleave step 1
    assert scout.intermediate_size == 16384 and scout.moe.expert_intermediate_size == 8192


def test_text_config_is_unwrapped_and_vision_tower_counted() -> None:
    gemma = shape("gemma-3-27b-it")
    assert gemma.hidden_size == 5376 and gemma.num_layers == 62
    assert 0.3e9 < gemma.vision_params < 0.6e9
    assert gemma.tie_word_embeddings  # Gemma ties embeddings unless the config says otherwise


def test_sliding_window_layers_are_noted_as_full_attention() -> None:
    gemma = shape("gemma-3-27b-it")
    assert gemma.num_sliding_layers == 52
    assert any("charges them as full attention" in note for note in gemma.notes)
    assert shape("qwen2.5-7b-instruct").num_sliding_layers == 0  # use_sliding_window: false


# ---- quantization ----------------------------------------------------------------------------------------------


def test_awq_checkpoint_weights() -> None:
    awq = shape("qwen2.5-7b-instruct-awq")
    assert awq.quantization is not None and awq.quantization.method == "awq"
    assert awq.quantization.bytes_per_weight() == pytest.approx(0.5 + 2.5 / 128)
    # vLLM log for this checkpoint (RTX 4080): "weights 5.29 GiB"
    assert awq.weight_bytes_per_rank(1, dtype_bytes=2) / GIB == pytest.approx(5.29, rel=0.04)


def test_compressed_tensors_w4a16() -> None:
    w4 = shape("llama-3.1-8b-w4a16")
    assert w4.quantization is not None and w4.quantization.weight_bits == 4
    assert w4.quantization.group_size == 128
    full = shape("llama-3.1-8b-instruct").weight_bytes_per_rank(1, dtype_bytes=2)
    assert w4.weight_bytes_per_rank(1, dtype_bytes=2) < 0.4 * full


def test_fp8_block_wise_checkpoint() -> None:
    ds = shape("deepseek-v3")
    assert ds.quantization is not None and ds.quantization.group_size == 128 * 128
    assert ds.weight_bytes_per_rank(8, dtype_bytes=2) / GIB == pytest.approx(671e9 / 8 / GIB, rel=0.05)


def test_runtime_fp8_halves_linear_weights() -> None:
    from deploy.sizing.quant import runtime_quantization

    llama = shape("llama-3.1-8b-instruct")
    fp8 = llama.weight_bytes_per_rank(1, dtype_bytes=2, runtime=runtime_quantization("fp8", None))
    assert 0.5 < fp8 / llama.weight_bytes_per_rank(1, dtype_bytes=2) < 0.6  # embeddings stay bf16


def test_prequantized_method_without_checkpoint_is_refused() -> None:
    from deploy.sizing.quant import runtime_quantization

    with pytest.raises(SpecError) as err:
        runtime_quantization("awq", None)
    assert err.value.field == "engine.quantize" and err.value.fix


# ---- tensor-parallel constraints -------------------------------------------------------------------------------


def test_tp_must_divide_attention_heads() -> None:
    qwen = shape("qwen2.5-7b-instruct")
    assert qwen.valid_tp_degrees(8) == [1, 2, 4]
    with pytest.raises(SpecError) as err:
        qwen.check_tp(8)
    assert "Total number of attention heads (28) must be divisible by tensor parallel size (8)" in err.value.message
    assert err.value.value == 8 and "1, 2, 4" in (err.value.fix or "")


def test_tp_a_multiple_of_kv_heads_is_allowed() -> None:
    assert shape("qwen3-30b-a3b").tp_problem(8) is None
    assert shape("deepseek-v3").tp_problem(8) is None


# ---- loading ---------------------------------------------------------------------------------------------------


def _write_safetensors(path: Path, tensors: dict[str, tuple[str, list[int]]]) -> int:
    header = {name: {"dtype": dt, "shape": shp, "data_offsets": [0, 0]} for name, (dt, shp) in tensors.items()}
    header["__metadata__"] = {"format": "pt"}  # type: ignore[assignment]
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw)
    widths = {"BF16": 2, "F32": 4, "I32": 4}
    return sum(widths[dt] * int.__mul__(*shp) for dt, shp in tensors.values())


def test_model_directory_uses_exact_safetensors_bytes(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text((CONFIGS / "llama-3.1-8b-instruct.json").read_text())
    expected = _write_safetensors(tmp_path / "model-00001.safetensors", {"a": ("BF16", [1000, 1000])})
    expected += _write_safetensors(tmp_path / "model-00002.safetensors", {"b": ("F32", [10, 20])})
    loaded = load_shape(str(tmp_path))
    assert loaded.exact_weight_bytes == expected
    assert loaded.weight_bytes_source == "safetensors headers"
    assert loaded.weight_bytes_per_rank(1, dtype_bytes=2) == pytest.approx(expected)


def test_broken_safetensors_header_is_a_spec_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text((CONFIGS / "llama-3.1-8b-instruct.json").read_text())
    (tmp_path / "model.safetensors").write_bytes(b"\x01")
    with pytest.raises(SpecError):
        load_shape(str(tmp_path))


def test_bundled_library_is_case_insensitive() -> None:
    assert load_shape("META-LLAMA/llama-3.1-8b-instruct").model_id == "meta-llama/Llama-3.1-8B-Instruct"


def test_unknown_model_suggests_close_ids() -> None:
    with pytest.raises(SpecError) as err:
        load_shape("meta-llama/Llama-3.1-8B-Instrct")
    assert err.value.field == "model.id" and "Llama-3.1-8B-Instruct" in (err.value.fix or "")


def test_s3_model_needs_a_config_and_config_path_wins() -> None:
    with pytest.raises(SpecError) as err:
        load_shape("s3://bucket/prefix/")
    assert err.value.field == "model.config"
    loaded = load_shape("s3://bucket/prefix/", config_path=CONFIGS / "qwen2.5-7b-instruct.json")
    assert loaded.num_kv_heads == 4 and loaded.model_id == "s3://bucket/prefix/"


def test_missing_local_model_directory_says_so(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        load_shape(str(tmp_path / "weights"))
    assert "does not exist" in info.value.message and info.value.field == "model.id"
    with pytest.raises(SpecError) as unknown:
        load_shape("nobody/xyzzy-unknown-model")
    assert unknown.value.fix is not None and not unknown.value.fix.startswith("or ")


@pytest.mark.parametrize(
    ("header", "needle"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b'{"w": {"dtype": "BF16", "shape": [2, "a"], "data_offsets": [0, 4]}}', "malformed tensor entry"),
        (b'{"w": {"dtype": "BF16", "shape": null}}', "malformed tensor entry"),
    ],
)
def test_broken_safetensors_header_is_a_spec_error(tmp_path: Path, header: bytes, needle: str) -> None:
    # These used to end in a JSONDecodeError / ValueError / TypeError traceback.
    config = {
        "model_type": "llama",
        "hidden_size": 256,
        "intermediate_size": 512,
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "vocab_size": 1000,
        "max_position_embeddings": 2048,
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header)
    with pytest.raises(SpecError) as info:
        load_shape(str(tmp_path))
    assert needle in info.value.message and "model.safetensors" in info.value.message
