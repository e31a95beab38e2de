"""resolve_engine() and recommend(): every `auto` gets a number that fits, and the ranking is by price."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.errors import FitError, SpecError
from deploy.sizing import Hardware, estimate, load_shape, recommend, resolve_engine
from deploy.sizing.resolve import HEADROOM_REQUESTS, MAX_ROLLING_BATCH
from deploy.sizing.shape import ModelShape

CONFIGS = Path(__file__).resolve().parents[1] / "fixtures" / "configs"
A10G = Hardware(gpu_memory_mib=23028, gpu_count=1, gpu_name="A10G")
FOUR_L40S = Hardware(gpu_memory_mib=46068, gpu_count=4, gpu_name="L40S")
EIGHT_H100 = Hardware(gpu_memory_mib=81559, gpu_count=8, gpu_name="H100")


def shape(name: str) -> ModelShape:
    return load_shape(str(CONFIGS / f"{name}.json"))


LLAMA = shape("llama-3.1-8b-instruct")


def test_auto_max_model_len_is_capped_with_headroom_and_never_above_the_model() -> None:
    res = resolve_engine(LLAMA, A10G)
    assert res.tensor_parallel_degree == 1
    assert res.max_model_len % 1024 == 0 and res.max_model_len < LLAMA.max_position_embeddings  # type: ignore[operator]
    assert res.estimate.fits and res.estimate.kv_cache_tokens >= HEADROOM_REQUESTS * res.max_model_len
    big = resolve_engine(LLAMA, EIGHT_H100)
    assert big.max_model_len == LLAMA.max_position_embeddings


def test_rolling_batch_size_comes_from_kv_capacity() -> None:
    res = resolve_engine(LLAMA, EIGHT_H100)
    assert 1 <= res.max_rolling_batch_size <= MAX_ROLLING_BATCH
    assert res.estimate.max_num_seqs == res.max_rolling_batch_size
    assert any("max_rolling_batch_size" in note for note in res.notes)
    small = resolve_engine(LLAMA, A10G)
    assert small.max_rolling_batch_size <= small.estimate.kv_cache_tokens // 2048


def test_smallest_tp_that_fits_is_chosen() -> None:
    res = resolve_engine(shape("mixtral-8x7b"), FOUR_L40S, max_model_len=8192)
    assert res.tensor_parallel_degree == 4  # 87 GiB of weights: tp=2 leaves no room on 44.5 GiB cards
    assert not estimate(shape("mixtral-8x7b"), FOUR_L40S, _params(2, 8192), with_fixes=False).fits


def _params(tp: int, length: int):  # type: ignore[no-untyped-def]
    from deploy.sizing import EngineParams

    return EngineParams(tensor_parallel_degree=tp, max_model_len=length)


def test_explicit_tp_is_validated() -> None:
    with pytest.raises(SpecError) as err:
        resolve_engine(shape("qwen2.5-7b-instruct"), EIGHT_H100, tensor_parallel_degree=8)
    assert "must be divisible" in err.value.message
    with pytest.raises(SpecError):
        resolve_engine(LLAMA, A10G, tensor_parallel_degree=2)


def test_fit_error_carries_the_estimate_and_fixes() -> None:
    with pytest.raises(FitError) as err:
        resolve_engine(shape("mixtral-8x7b"), A10G, max_model_len=8192)
    assert err.value.estimate is not None and not err.value.estimate.fits
    assert err.value.fix and err.value.exit_code == 2
    assert "estimate" in err.value.to_dict()


def test_recommend_ranks_by_price_and_every_choice_fits() -> None:
    recs = recommend(LLAMA, max_model_len=8192)
    assert recs
    prices = [r.price_per_hour for r in recs if r.price_per_hour is not None]
    assert prices == sorted(prices)
    for rec in recs[:5]:
        assert rec.estimate.fits and rec.gpu_count % rec.tensor_parallel_degree == 0
        assert rec.copies == rec.gpu_count // rec.tensor_parallel_degree


def test_recommend_with_concurrency_requires_enough_kv() -> None:
    recs = recommend(LLAMA, max_model_len=32768, concurrency=16, limit=3)
    assert recs and all(r.max_concurrency * r.copies >= 16 for r in recs)
    assert all(r.headroom >= 1.0 for r in recs)


def test_fixes_suggest_a_catalog_instance_when_the_gpu_is_too_small() -> None:
    a10g_instance = Hardware.from_instance("ml.g5.2xlarge")
    est = estimate(shape("mixtral-8x7b"), a10g_instance, _params(1, 8192))
    assert not est.fits
    assert any(fix.startswith("ml.") and "fits with tp=" in fix for fix in est.fixes)


def test_fixes_offer_a_cheaper_instance_at_a_shorter_length() -> None:
    """Llama-3.1-70B does not fit one L40S; 4 x L40S fits at a shorter max_model_len for half the p4d's price."""
    from deploy.sizing import EngineParams, Hardware, estimate, load_shape

    shape = load_shape("meta-llama/Llama-3.1-70B-Instruct")
    est = estimate(shape, Hardware.from_instance("ml.g6e.2xlarge"), EngineParams(max_model_len=131072))
    assert not est.fits
    short = next(f for f in est.fixes if "max_model_len <=" in f and f.startswith("ml."))
    full = next(f for f in est.fixes if "headroom" in f and f.startswith("ml."))
    price = [float(text.rsplit("$", 1)[1].removesuffix("/h")) for text in (short, full)]
    assert price[0] < price[1]
    assert est.fixes.index(short) < est.fixes.index(full)
