"""``lmi bench`` beside the performance model, and the emulator's token timing from the same model: on by default,
off for tests (``LMI_EMULATOR_LATENCY=off``, ``Emulator(latency="off")``), fixed ``ttft_s``/``itl_s`` winning."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

try:
    from tests.functional.conftest_engine import FAST_WAITER
except ImportError:  # rootdir not on sys.path: the test directory is
    from conftest_engine import FAST_WAITER  # type: ignore[no-redef]

from deploy import client
from deploy.bench import BenchConfig, run_bench
from deploy.bench.prediction import Setup, compare, predict_level, setup_for
from deploy.bench.pricing import capacity_and_price
from deploy.errors import UsageError
from deploy.invoke.endpoint import Endpoint
from deploy.local import perf_latency
from deploy.local.emulator import Emulator

REPO = Path(__file__).resolve().parents[2]
NAME = "qwen25-7b"


def _deployed(emulator: Emulator, tmp_path: Path, **changes: Any) -> Endpoint:
    data = yaml.safe_load((REPO / "examples" / "qwen25-7b.yaml").read_text())
    data.update(changes)
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(data))
    ctx = emulator.context()
    client.apply(spec, context=ctx, create_bucket=True, waiter=FAST_WAITER)
    return Endpoint(NAME, context=ctx, max_pool_connections=12)


@pytest.fixture
def modelled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Endpoint]:
    """An emulator left to its default (the environment does not say off): latencies from the model."""
    monkeypatch.delenv(perf_latency.MODE_ENV)
    with Emulator(time_scale=0) as emulator:
        yield _deployed(emulator, tmp_path)


@pytest.fixture
def instant(tmp_path: Path) -> Iterator[Endpoint]:
    with Emulator(time_scale=0, latency="off") as emulator:
        yield _deployed(emulator, tmp_path)


def median_gap(endpoint: Endpoint, tokens: int) -> float:
    """The median time between streamed tokens (robust to a stall of a busy machine)."""
    import itertools
    import statistics

    stream = endpoint.stream("hello " * 64, max_new_tokens=tokens, ignore_eos_token=True)
    for _ in stream:
        pass
    times = stream.token_times
    return statistics.median(b - a for a, b in itertools.pairwise(times))


def _bench(endpoint: Endpoint, **settings: Any) -> Any:
    config = capacity_and_price(endpoint, BenchConfig(**settings), None, None)
    setup = setup_for(endpoint, config)
    report = run_bench(endpoint, config)
    return setup, compare(report, setup)


def test_bench_on_the_modelled_emulator_measures_what_the_model_predicts(modelled: Endpoint) -> None:
    setup, prediction = _bench(modelled, concurrency=(1, 4), requests=4, input_tokens=64, output_tokens=12)
    assert (setup.model, setup.instance_type, setup.tensor_parallel_degree) == (
        "Qwen/Qwen2.5-7B-Instruct",
        "ml.g6e.2xlarge",
        1,
    )
    assert [row["level"] for row in prediction["levels"]] == [1, 4] and prediction["note"] == ""
    for row in prediction["levels"]:
        assert (
            set(row["predicted"])
            == set(row["measured"])
            == set(row["ratio"])
            == {
                "ttft_ms",
                "itl_ms",
                "output_tokens_per_s",
            }
        )
        # the emulator sleeps what the model predicts; HTTP and scheduling add a little on top
        assert 0.8 <= row["ratio"]["itl_ms"] <= 1.6, row
        assert 0.8 <= row["ratio"]["ttft_ms"] <= 2.5, row
        assert 0.4 <= row["ratio"]["output_tokens_per_s"] <= 1.25, row
        assert row["predicted"]["itl_ms"] > 10  # a 7B model on one L40S: tens of milliseconds, not zero
    one, four = prediction["levels"]
    assert four["predicted"]["output_tokens_per_s"] > 3 * one["predicted"]["output_tokens_per_s"]


@pytest.mark.parametrize("settings", [{"latency": "off"}, {"ttft_s": 0, "itl_s": 0}], ids=["off", "fixed-zero"])
def test_the_instant_emulator_answers_at_once_and_the_prediction_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: dict[str, Any]
) -> None:
    monkeypatch.delenv(perf_latency.MODE_ENV)  # the default would be the model: the settings alone make it instant
    with Emulator(time_scale=0, **settings) as emulator:
        endpoint = _deployed(emulator, tmp_path)
        assert median_gap(endpoint, 32) < 0.005  # the model would wait ~25 ms per token
        _, prediction = _bench(endpoint, concurrency=(2,), requests=2, input_tokens=16, output_tokens=8)
    (row,) = prediction["levels"]
    assert row["ratio"]["itl_ms"] < 0.5  # measured far below the model: the emulator was told to be instant


def test_fixed_latencies_win_over_the_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(perf_latency.MODE_ENV)
    with Emulator(time_scale=0, ttft_s=0.001, itl_s=0.001) as emulator:
        endpoint = _deployed(emulator, tmp_path)
        assert 0.001 <= median_gap(endpoint, 32) < 0.012  # 1 ms per token, not the model's ~25 ms


@pytest.mark.parametrize(("raw", "mode"), [("off", "off"), ("MODEL", "model"), (" off ", "off"), ("model", "model")])
def test_latency_mode_from_the_environment(monkeypatch: pytest.MonkeyPatch, raw: str, mode: str) -> None:
    monkeypatch.setenv(perf_latency.MODE_ENV, raw)
    assert perf_latency.latency_mode() == mode
    assert perf_latency.latency_mode("off") == "off"  # the argument wins


@pytest.mark.parametrize("raw", ["fast", "", "0", "instant"])
def test_a_bad_latency_mode_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(perf_latency.MODE_ENV, raw)
    with pytest.raises(UsageError) as info:
        perf_latency.latency_mode()
    assert info.value.field == perf_latency.MODE_ENV and "off" in str(info.value.fix)


def _setup(count: int = 1) -> Setup:
    from deploy.sizing import Hardware, estimate, load_shape
    from deploy.sizing.params import engine_params

    shape = load_shape("Qwen/Qwen2.5-7B-Instruct")
    est = estimate(shape, Hardware.from_instance("ml.g6e.2xlarge"), engine_params(max_model_len=32768))
    return Setup("Qwen/Qwen2.5-7B-Instruct", "ml.g6e.2xlarge", count, 1, 1, shape, est)


def test_the_latency_model_slows_down_with_load() -> None:
    setup = _setup()
    model = perf_latency.model_for(setup.shape, setup.estimate, "ml.g6e.2xlarge", 1, None)
    itls = [model.timing(500, 100, running)[1] for running in (1, 8, 64)]
    assert itls == sorted(itls) and itls[0] < itls[-1]
    two = perf_latency.model_for(setup.shape, setup.estimate, "ml.g6e.2xlarge", 2, None)
    assert two.timing(500, 100, 16) == model.timing(500, 100, 8)  # two instances share 16 requests
    assert perf_latency.model_for(setup.shape, setup.estimate, "ml.not-a-type", 1, None) is None


@pytest.mark.parametrize(("concurrency", "count"), [(1, 1), (8, 1), (8, 2), (3, 2), (1, 4)])
def test_a_level_spreads_over_copies_and_instances(concurrency: int, count: int) -> None:
    from deploy.sizing.perf import Workload
    from deploy.sizing.perf_inputs import predict_for_instance

    setup = _setup(count)
    per_copy = -(-concurrency // count)
    direct = predict_for_instance(setup.shape, setup.estimate, "ml.g6e.2xlarge", Workload(per_copy, 300, 50))
    level = predict_level(setup, concurrency, 300, 50)
    assert level["itl_ms"] == pytest.approx(direct.itl_ms)
    assert level["output_tokens_per_s"] == pytest.approx(direct.output_tokens_per_s / per_copy * concurrency)


def test_no_instance_type_or_rate_levels_give_a_note_not_a_failure(modelled: Endpoint) -> None:
    assert "instance type" in setup_for(modelled, BenchConfig()).note
    setup, prediction = _bench(modelled, rates=(50.0,), requests=2, input_tokens=8, output_tokens=2)
    assert setup.usable and prediction["levels"] == [] and "closed-loop" in prediction["note"]


def test_bench_cli_json_and_text_carry_the_prediction(
    instant: Endpoint, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from deploy.cli import main

    monkeypatch.setenv("AWS_ENDPOINT_URL", str(instant.gateway.context.endpoint_url))
    monkeypatch.setenv("COLUMNS", "120")
    args = ["bench", NAME, "--concurrency", "2", "--requests", "2", "--input-tokens", "16", "--output-tokens", "4"]
    for extra in (["--json"], []):
        with pytest.raises(SystemExit) as done:
            main([*args, *extra])
        assert not done.value.code
        out = capsys.readouterr().out
        if extra:
            prediction = json.loads(out)["prediction"]
            assert prediction["instance_type"] == "ml.g6e.2xlarge" and prediction["levels"][0]["level"] == 2
        else:
            assert "measured / predicted by the performance model" in out and "(x" in out
