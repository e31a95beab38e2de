"""Benchmark statistics: percentiles against hand-computed values, per-request metrics, level aggregates."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import pytest

from deploy.bench import BenchConfig, BenchReport, RequestRecord, Slo, aggregate, percentile
from deploy.bench.load import make_prompt, poisson_offsets
from deploy.bench.metrics import cost_per_million
from deploy.bench.report import error_lines, latency_rows, plot, throughput_rows
from deploy.bench.stats import Distribution
from deploy.errors import UsageError


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        # rank h = (n-1) * p / 100, interpolate between x[floor h] and x[floor h + 1]
        ([1, 2, 3, 4], 50, 2.5),  # h = 1.5 -> 2 + 0.5 * 1
        ([1, 2, 3, 4], 90, 3.7),  # h = 2.7 -> 3 + 0.7 * 1
        ([1, 2, 3, 4], 99, 3.97),  # h = 2.97
        ([4, 1, 3, 2], 0, 1),  # unsorted input, minimum
        ([4, 1, 3, 2], 100, 4),  # maximum
        ([15, 20, 35, 40, 50], 40, 29.0),  # h = 1.6 -> 20 + 0.6 * 15
        ([10], 99, 10),  # one value: every percentile is that value
        ([0.1] * 9 + [1.0], 90, 0.19),  # h = 8.1 -> 0.1 + 0.1 * 0.9
    ],
)
def test_percentile_matches_hand_computed_values(values: list[float], p: float, expected: float) -> None:
    assert percentile(values, p) == pytest.approx(expected)


def test_percentile_rejects_empty_input_and_out_of_range() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_distribution_of_nothing_is_empty_and_scaled_to_milliseconds() -> None:
    assert Distribution.of([]).to_dict()["p50"] is None
    dist = Distribution.of([0.001, 0.002, 0.003])
    assert dist.to_dict() == {
        "count": 3,
        "mean": 2.0,
        "p50": 2.0,
        "p90": 2.8,
        "p99": 2.98,
        "min": 1.0,
        "max": 3.0,
    }


def test_request_metrics_follow_the_definitions() -> None:
    # tokens at 0.5, 0.6, 0.8, 1.1 s; stream ends at 1.2 s; 4 output tokens
    record = RequestRecord(sent_at=0.0, token_times=(0.5, 0.6, 0.8, 1.1), e2e_s=1.2, output_tokens=4)
    assert record.ttft_s == 0.5
    assert record.itls == pytest.approx([0.1, 0.2, 0.3])
    assert record.tpot_s == pytest.approx((1.2 - 0.5) / 3)
    assert record.meets(0.5, 0.25) and not record.meets(0.4, None) and not record.meets(None, 0.2)


def test_tpot_is_undefined_for_a_single_token_and_fails_a_tpot_slo() -> None:
    record = RequestRecord(sent_at=0.0, token_times=(0.3,), e2e_s=0.3, output_tokens=1)
    assert record.tpot_s is None
    assert record.meets(1.0, None) and not record.meets(None, 1.0)


def _records() -> list[RequestRecord]:
    return [
        RequestRecord(sent_at=0.0, token_times=(0.1, 0.2, 0.3), e2e_s=0.3, output_tokens=3),  # tpot 0.1
        RequestRecord(sent_at=0.5, token_times=(0.4, 0.5, 0.6), e2e_s=0.6, output_tokens=3),  # ttft 0.4
        RequestRecord(sent_at=1.0, token_times=(0.1, 0.5, 0.9), e2e_s=1.0, output_tokens=3),  # tpot 0.45
        RequestRecord(sent_at=1.5, error="boom", error_kind="model_out_of_memory"),
    ]


def test_aggregate_counts_rates_errors_goodput_and_cost() -> None:
    level = aggregate("concurrency", 2, _records(), slo=Slo(ttft_s=0.2, tpot_s=0.2), dollars_per_hour=3.6)
    # wall time: first send 0.0 to last completion 1.0 + 1.0 = 2.0 s
    assert level.duration_s == pytest.approx(2.0)
    assert (level.sent, level.completed, level.failed, level.output_tokens) == (4, 3, 1, 9)
    assert level.output_tokens_per_s == pytest.approx(4.5)
    assert level.requests_per_s == pytest.approx(1.5)
    assert level.error_rate == pytest.approx(0.25)
    assert level.errors == {"model_out_of_memory": 1}
    # only the first request meets TTFT <= 0.2 and TPOT <= 0.2
    assert level.goodput_requests_per_s == pytest.approx(0.5)
    assert level.slo_attainment == pytest.approx(0.25)
    # $3.6/h = $0.001/s; 4.5 tok/s -> $0.001 / 4.5 per token -> x 1e6
    assert level.cost_per_million_output_tokens == pytest.approx(0.001 / 4.5 * 1e6)
    assert level.ttft.p50 == pytest.approx(0.1) and level.itl.count == 6


def test_aggregate_without_slo_or_price_leaves_those_empty() -> None:
    level = aggregate("rate", 2.5, _records())
    assert level.goodput_requests_per_s is None and level.slo_attainment is None
    assert level.cost_per_million_output_tokens is None
    assert level.to_dict()["level"] == 2.5 and level.to_dict()["ttft_ms"]["count"] == 3


def test_cost_needs_price_and_throughput() -> None:
    assert cost_per_million(None, 10.0) is None and cost_per_million(1.0, 0.0) is None
    assert cost_per_million(36.0, 10.0) == pytest.approx(1000.0)


def test_poisson_arrivals_are_seeded_and_have_the_requested_mean_rate() -> None:
    first = poisson_offsets(5.0, 2000, random.Random(7))
    assert first == poisson_offsets(5.0, 2000, random.Random(7))
    assert first == sorted(set(first))  # strictly increasing
    assert len(first) / first[-1] == pytest.approx(5.0, rel=0.1)


def test_prompts_have_the_requested_number_of_words() -> None:
    assert len(make_prompt(random.Random(1), 128).split()) == 128


@pytest.mark.parametrize(
    "kwargs",
    [{"concurrency": (0,)}, {"rates": (-1.0,)}, {"requests": 0}, {"duration_s": 0}, {"output_tokens": 0},
     {"concurrency": (), "rates": ()}, {"instance_count": 0}, {"slo": Slo(ttft_s=0.0)}, {"slo": Slo(tpot_s=-1.0)}],
)  # fmt: skip
def test_bench_config_rejects_bad_flags(kwargs: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        BenchConfig(**kwargs)


def test_bench_config_defaults_and_levels() -> None:
    config = BenchConfig(concurrency=(1, 16), price_per_hour=2.0, instance_count=3)
    assert config.levels == (1.0, 16.0) and config.mode == "concurrency"
    assert config.requests_for(1) == 8 and config.requests_for(16) == 64
    assert config.dollars_per_hour == 6.0
    assert BenchConfig(rates=(2.0,)).mode == "rate"
    assert BenchConfig(duration_s=5).requests_for(4) == 0


def _report() -> BenchReport:
    config = BenchConfig(concurrency=(2,), slo=Slo(0.2, 0.2), price_per_hour=3.6, instance_type="ml.g6e.xlarge")
    level = aggregate("concurrency", 2, _records(), slo=config.slo, dollars_per_hour=3.6)
    return BenchReport("ep", config, (level,))


def test_report_rows_and_json_shape() -> None:
    report = _report()
    assert throughput_rows(report) == [["2", "3/4", "25.0%", "1.50", "4.5", "0.50", "$222.22"]]
    assert latency_rows(report)[0][1] == "100.0/340.0/394.0"  # TTFT 0.1, 0.1, 0.4 s
    data = report.to_dict()
    assert data["config"]["slo"] == {"ttft_ms": 200.0, "tpot_ms": 200.0}
    assert data["levels"][0]["errors"] == {"model_out_of_memory": 1}
    assert list(data["levels"][0]["error_examples"]) == ["model_out_of_memory"]
    assert error_lines(report) == [
        f"2: 1 x model_out_of_memory: {data['levels'][0]['error_examples']['model_out_of_memory']}"
    ]
    assert list(data["config"]["concurrency"]) == [2]
    rate = BenchReport("ep", BenchConfig(rates=(5.0,)), (aggregate("rate", 5.0, _records()),)).to_dict()
    assert list(rate["config"]["concurrency"]) == [] and list(rate["config"]["rates"]) == [5.0]


def test_plot_without_matplotlib_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(UsageError) as info:
        plot(_report(), "out.png")
    assert "lmi-deploy[plot]" in (info.value.fix or "")


def test_plot_draws_a_real_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="install the `plot` extra (part of `dev`) to draw real PNGs")
    target = tmp_path / "bench.png"
    plot(_report(), str(target))
    data = target.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 400 and height > 200


def test_plot_that_cannot_be_written_is_a_usage_error(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="install the `plot` extra (part of `dev`) to draw real PNGs")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(UsageError) as info:
        plot(_report(), str(blocker / "out.png"))
    assert info.value.field == "--plot"


class _CapacityOnly:
    """An endpoint stand-in whose only call is DescribeEndpoint(+Config): instance type and count."""

    name = "ep"

    def __init__(self, instance_type: str, region: str = "us-east-1") -> None:
        from deploy.aws.session import make_context

        self.gateway = self
        self.instance_type = instance_type
        self.context = make_context(region=region)  # the Price List API meets conftest's closed port: the table

    def endpoint_capacity(self, name: str) -> Any:
        from deploy.aws.runtime import EndpointCapacity

        return EndpointCapacity(self.instance_type, 2)


def test_an_endpoint_on_an_unpriced_instance_type_is_benchmarked_without_cost() -> None:
    from deploy.bench.pricing import capacity_and_price

    config = capacity_and_price(_CapacityOnly("ml.inf2.xlarge"), BenchConfig(), None, None)  # type: ignore[arg-type]
    assert (config.instance_type, config.instance_count, config.price_per_hour) == ("ml.inf2.xlarge", 2, None)
    priced = capacity_and_price(_CapacityOnly("ml.g6e.xlarge"), BenchConfig(), None, None)  # type: ignore[arg-type]
    assert priced.price_per_hour is not None and priced.dollars_per_hour == 2 * priced.price_per_hour
    with pytest.raises(UsageError) as info:
        capacity_and_price(_CapacityOnly("ml.g6e.xlarge"), BenchConfig(), "ml.g6e.typo", None)  # type: ignore[arg-type]
    assert info.value.field == "--instance-type"


@pytest.mark.parametrize(("region", "priced"), [("us-east-1", True), ("eu-west-1", False), ("ap-southeast-2", False)])
def test_the_bench_price_follows_the_endpoint_region(region: str, priced: bool) -> None:
    from deploy.bench.pricing import capacity_and_price

    config = capacity_and_price(_CapacityOnly("ml.g6e.xlarge", region), BenchConfig(), None, None)  # type: ignore[arg-type]
    assert config.instance_type == "ml.g6e.xlarge" and (config.price_per_hour is not None) is priced


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-northeast-1"])
def test_recommendations_are_priced_for_their_region(region: str) -> None:
    """Each price is the region's own table entry (unknown stays unknown), never us-east-1's."""
    from deploy.catalog.prices import table_price
    from deploy.sizing import load_shape, recommend

    recs = recommend(load_shape("Qwen/Qwen2.5-7B-Instruct"), region=region, limit=5)
    assert recs
    for rec in recs:
        assert rec.price_per_hour == table_price(rec.instance_type, region).usd_per_hour, rec.instance_type
    if region != "us-east-1":  # the regions' tables differ, so a us-east-1 price here would show
        assert any(rec.price_per_hour != table_price(rec.instance_type, "us-east-1").usd_per_hour for rec in recs)


@pytest.mark.parametrize("region", ["mars-1", "us-east-9", ""])
def test_recommend_refuses_an_unknown_region(region: str) -> None:
    from deploy.errors import SpecError
    from deploy.sizing import load_shape, recommend

    with pytest.raises(SpecError) as info:
        recommend(load_shape("Qwen/Qwen2.5-7B-Instruct"), region=region)
    assert info.value.field == "region"
