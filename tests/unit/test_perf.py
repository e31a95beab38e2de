"""The performance model's arithmetic (hand-checked with round numbers) and its monotonicity properties."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deploy.errors import UsageError
from deploy.sizing.perf import (
    Efficiency,
    GpuPerf,
    PerfModel,
    Workload,
    allreduce_s,
    decode_step_s,
    predict,
    prefill_s,
    running_batch,
    weight_bytes_read,
)

# Round numbers: 1 GB/s = 1e9 B/s, 1 TFLOPs = 1e12 FLOP/s, efficiencies 1 and no overhead unless a test sets them.
IDEAL = Efficiency(memory=1.0, compute=1.0, step_overhead_s=0.0)
GPU = GpuPerf(name="round", bandwidth_gbps=1000, bf16_tflops=100, fp8_tflops=200, interconnect="nvlink", link_gbps=100)
MODEL = PerfModel(
    weight_bytes_per_gpu=10e9,
    active_params=5e9,
    hidden_size=4096,
    num_layers=32,
    attention_width=4096,
    kv_bytes_per_token_per_gpu=100_000,
    kv_cache_tokens=1_000_000,
)


def test_decode_step_of_one_stream_is_weights_plus_kv_over_bandwidth() -> None:
    # I=900, O=200 -> mean context 1,000 tokens; KV read 1 x 1,000 x 100 kB = 0.1 GB; weights 10 GB.
    # (10 GB + 0.1 GB) / 1,000 GB/s = 10.1 ms; compute 2 x 5e9 / 100e12 = 0.1 ms is below it.
    work = Workload(1, 900, 200)
    assert decode_step_s(MODEL, GPU, work, 1, IDEAL) == pytest.approx(0.0101)


def test_decode_step_of_a_batch_adds_kv_per_stream_and_overhead() -> None:
    # B=10: KV 10 x 1,000 x 100 kB = 1 GB -> (10 + 1) GB / (1,000 GB/s x 0.5) = 22 ms, plus 3 ms overhead.
    eff = Efficiency(memory=0.5, compute=1.0, step_overhead_s=0.003)
    assert decode_step_s(MODEL, GPU, Workload(10, 900, 200), 10, eff) == pytest.approx(0.025)


def test_decode_becomes_compute_bound_at_large_batch() -> None:
    # B=4,000 with no KV: memory 10 GB / 1,000 GB/s = 10 ms; linear compute 2 x 5e9 x 4,000 / 100e12 = 400 ms;
    # attention 2 x 32 x 4,000 x 1.5 (context I + O/2) x 4,096 / 100e12 ~ 0.016 ms.
    model = replace(MODEL, kv_bytes_per_token_per_gpu=0.0, max_num_seqs=10_000)
    step = decode_step_s(model, GPU, Workload(4000, 1, 1), 4000, IDEAL)
    assert step == pytest.approx(0.4 + 2 * 32 * 4000 * 1.5 * 4096 / 100e12)


def test_prefill_is_linear_plus_causal_attention_flops() -> None:
    # I=1,000: linear 2 x 5e9 x 1,000 = 1e13; attention 2 x 32 x 1,000 x 500 x 4,096 = 1.31072e11
    # -> (1e13 + 1.31072e11) / 100e12 = 101.31 ms, above the 10 ms weight read.
    assert prefill_s(MODEL, GPU, Workload(1, 1000, 10), IDEAL) == pytest.approx(0.1013107)


def test_fp8_compute_uses_the_fp8_tensor_figure() -> None:
    fp8 = replace(MODEL, fp8_compute=True)
    assert prefill_s(fp8, GPU, Workload(1, 1000, 10), IDEAL) == pytest.approx(0.1013107 / 2)


def test_ring_allreduce_two_per_layer() -> None:
    # tp=4, 10 tokens: message 10 x 4,096 x 2 B = 81,920 B; ring 2 x 3/4 x 81,920 / (100e9 x 0.7) = 1.7554 us;
    # plus 8 us NVLink latency; x 2 all-reduces x 32 layers.
    model = replace(MODEL, tp=4)
    expected = 2 * 32 * (8e-6 + 2 * 0.75 * 81_920 / (100e9 * 0.7))
    assert allreduce_s(model, GPU, 10) == pytest.approx(expected)
    assert allreduce_s(MODEL, GPU, 10) == 0.0  # tp = 1: no communication


def test_pcie_allreduce_is_slower_than_nvlink() -> None:
    model = replace(MODEL, tp=2)
    pcie = replace(GPU, interconnect="pcie", link_gbps=32)
    assert allreduce_s(model, pcie, 64) > allreduce_s(model, GPU, 64)


def test_moe_reads_only_touched_experts() -> None:
    # 8 GB of the 10 GB are 8 experts, 2 per token: one token touches 1 - (6/8)^1 = 1/4 of them -> 2 + 2 = 4 GB.
    moe = replace(MODEL, expert_bytes_per_gpu=8e9, num_experts=8, experts_per_token=2)
    assert weight_bytes_read(moe, 1) == pytest.approx(4e9)
    # two tokens: 1 - (6/8)^2 = 7/16 -> 2 + 3.5 = 5.5 GB; many tokens approach all 10 GB
    assert weight_bytes_read(moe, 2) == pytest.approx(5.5e9)
    assert weight_bytes_read(moe, 256) == pytest.approx(10e9, rel=1e-6)
    assert weight_bytes_read(MODEL, 1) == 10e9


def test_predict_ties_itl_ttft_throughput_and_cost_together() -> None:
    # C=1, I=900, O=200 with the ideal GPU: step 10.1 ms; prefill = max(2 x 5e9 x 900 + 2 x 32 x 900 x 450
    # x 4,096 FLOPs over 100 TFLOPs, 10 ms weights) = 90.106 ms.
    work = Workload(1, 900, 200)
    perf = predict(MODEL, GPU, work, price_per_hour=3.6, efficiency=IDEAL)
    step, prefill = 0.0101, (2 * 5e9 * 900 + 2 * 32 * 900 * 450 * 4096) / 100e12
    itl = step + prefill / 200
    e2e = prefill + step + 199 * itl
    assert perf.itl_ms == pytest.approx(itl * 1e3)
    assert perf.ttft_ms == pytest.approx((prefill + step) * 1e3)
    assert perf.requests_per_s == pytest.approx(1 / e2e)
    assert perf.output_tokens_per_s == pytest.approx(200 / e2e)
    # $3.60/h = $0.001/s -> $ per token = 0.001 / tokens per s
    assert perf.cost_per_million_output_tokens == pytest.approx(0.001 / (200 / e2e) * 1e6)
    assert perf.cost_per_million_total_tokens == pytest.approx(0.001 / (1100 / e2e) * 1e6)


def test_copies_multiply_instance_throughput_and_divide_cost() -> None:
    one = predict(MODEL, GPU, Workload(4, 500, 100), price_per_hour=8.0)
    four = predict(replace(MODEL, copies=4), GPU, Workload(4, 500, 100), price_per_hour=8.0)
    assert four.output_tokens_per_s_per_instance == pytest.approx(4 * one.output_tokens_per_s)
    assert four.cost_per_million_output_tokens == pytest.approx(one.cost_per_million_output_tokens / 4)


def test_no_price_means_no_cost() -> None:
    perf = predict(MODEL, GPU, Workload(1, 10, 10))
    assert perf.cost_per_million_output_tokens is None and perf.cost_per_million_total_tokens is None


@pytest.mark.parametrize(
    ("kv_tokens", "max_seqs", "concurrency", "expected"),
    [(11_000, 256, 64, 10), (1_000_000, 8, 64, 8), (1_000_000, 256, 3, 3), (1_099, 256, 5, 0)],
)
def test_batch_is_clipped_by_kv_cache_and_max_num_seqs(
    kv_tokens: int, max_seqs: int, concurrency: int, expected: int
) -> None:
    model = replace(MODEL, kv_cache_tokens=kv_tokens, max_num_seqs=max_seqs)
    assert running_batch(model, Workload(concurrency, 1000, 100)) == expected


def test_clipped_concurrency_is_said_and_queues_into_ttft() -> None:
    model = replace(MODEL, kv_cache_tokens=11_000)  # 10 streams of 1,100 tokens
    fits = predict(model, GPU, Workload(10, 1000, 100))
    queued = predict(model, GPU, Workload(40, 1000, 100))
    assert queued.batch == 10 and any("clipped to 10" in note for note in queued.notes) and not fits.notes
    assert queued.output_tokens_per_s == pytest.approx(fits.output_tokens_per_s)
    assert queued.ttft_ms > 3 * fits.ttft_ms


def test_a_request_larger_than_the_kv_cache_is_refused() -> None:
    with pytest.raises(UsageError, match="does not fit"):
        predict(replace(MODEL, kv_cache_tokens=500), GPU, Workload(1, 1000, 100))


@pytest.mark.parametrize(
    ("concurrency", "input_tokens", "output_tokens"),
    [(0, 10, 10), (1, 0, 10), (1, 10, 0), (-3, 10, 10), (True, 10, 10), (1.5, 10, 10)],
)
def test_workload_refuses_non_positive_or_non_integer_values(
    concurrency: object, input_tokens: object, output_tokens: object
) -> None:
    with pytest.raises(UsageError, match="must be a whole number"):
        Workload(concurrency, input_tokens, output_tokens)  # type: ignore[arg-type]


workloads = st.builds(
    Workload,
    concurrency=st.integers(1, 512),
    input_tokens=st.integers(1, 8192),
    output_tokens=st.integers(1, 2048),
)


@settings(max_examples=60, deadline=None)
@given(work=workloads, bandwidth=st.floats(100, 5000), factor=st.floats(1.0, 4.0))
def test_more_bandwidth_is_never_slower(work: Workload, bandwidth: float, factor: float) -> None:
    slow = predict(MODEL, replace(GPU, bandwidth_gbps=bandwidth), work)
    fast = predict(MODEL, replace(GPU, bandwidth_gbps=bandwidth * factor), work)
    assert fast.output_tokens_per_s >= slow.output_tokens_per_s * (1 - 1e-9)
    assert fast.itl_ms <= slow.itl_ms * (1 + 1e-9)


@settings(max_examples=60, deadline=None)
@given(concurrency=st.integers(1, 255), input_tokens=st.integers(1, 4096), output_tokens=st.integers(16, 1024))
def test_more_concurrency_raises_throughput_until_the_kv_limit(
    concurrency: int, input_tokens: int, output_tokens: int
) -> None:
    # the limit: what the KV cache holds (or max_num_seqs); beyond it throughput stays flat, never rises
    model = replace(MODEL, kv_cache_tokens=(input_tokens + output_tokens) * 64)
    low = predict(model, GPU, Workload(concurrency, input_tokens, output_tokens))
    high = predict(model, GPU, Workload(concurrency + 1, input_tokens, output_tokens))
    if concurrency < 64:
        assert high.output_tokens_per_s > low.output_tokens_per_s
    else:
        assert high.output_tokens_per_s == pytest.approx(low.output_tokens_per_s)


@settings(max_examples=60, deadline=None)
@given(work=workloads)
def test_fp8_weights_decode_faster_than_bf16(work: Workload) -> None:
    bf16 = predict(MODEL, GPU, work)
    fp8 = predict(replace(MODEL, weight_bytes_per_gpu=MODEL.weight_bytes_per_gpu / 2, fp8_compute=True), GPU, work)
    assert fp8.decode_step_ms < bf16.decode_step_ms
    assert fp8.output_tokens_per_s > bf16.output_tokens_per_s
