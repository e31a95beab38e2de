"""``lmi bench --component`` beside the performance model: the component's model, tensor-parallel degree and
copies are read from what it serves, each level spread over its copies; on the embedded emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

try:
    from tests.functional.conftest_engine import FAST_WAITER
    from tests.unit.component_plan_helpers import document, with_component
except ImportError:  # rootdir not on sys.path: the test directory is
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
    from component_plan_helpers import document, with_component  # type: ignore[no-redef]
    from conftest_engine import FAST_WAITER  # type: ignore[no-redef]

from deploy import client
from deploy.bench import BenchConfig, run_bench
from deploy.bench.component_prediction import component_setup
from deploy.bench.prediction import Setup, compare, predict_level
from deploy.bench.pricing import capacity_and_price
from deploy.invoke.endpoint import Endpoint
from deploy.local import perf_latency
from deploy.local.emulator import Emulator

ADAPTER = {"name": "sql", "source": "s3://adapters-bucket/lora/sql/"}


def spec_data(qwen_copies: int = 2) -> dict[str, Any]:
    """The issue's two components without copy scaling (qwen: 7B, ``qwen_copies`` copies; small: 1.5B, 1 copy),
    on LMI 16 so qwen can carry an adapter."""
    data = with_component(document(lmi={"version": 16}, scaling=None), 0, scaling=None, copies=qwen_copies)
    data["components"][0]["adapters"] = [ADAPTER]
    return data


@pytest.fixture
def emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    monkeypatch.delenv(perf_latency.MODE_ENV)  # latencies from the performance model, as by default
    with Emulator(time_scale=0) as emu:
        path = tmp_path / "team.yaml"
        path.write_text(yaml.safe_dump(spec_data()))
        assert client.apply(path, context=emu.context(), create_bucket=True, waiter=FAST_WAITER).status
        yield emu


def setup_of(emu: Emulator, component: str, **settings: Any) -> tuple[Endpoint, BenchConfig, Setup]:
    endpoint = Endpoint("team-llms", context=emu.context(), component=component, max_pool_connections=8)
    config = BenchConfig(component=endpoint.resolve_component(), **settings)
    config = capacity_and_price(endpoint, config, None, None)
    return endpoint, config, component_setup(endpoint, config)


@pytest.mark.parametrize(
    ("component", "model", "copies"),
    [
        ("qwen", "Qwen/Qwen2.5-7B-Instruct", 2),
        ("small", "Qwen/Qwen2.5-1.5B-Instruct", 1),
        ("team-llms-qwen-sql", "Qwen/Qwen2.5-7B-Instruct", 2),  # an adapter: predicted as its base
    ],
)
def test_the_setup_is_read_from_what_the_component_serves(
    emulator: Emulator, component: str, model: str, copies: int
) -> None:
    setup = setup_of(emulator, component)[2]
    assert setup.usable, setup.note
    assert (setup.model, setup.instance_type, setup.tensor_parallel_degree, setup.copies) == (
        model,
        "ml.g6e.12xlarge",
        1,
        copies,
    )
    assert "its own GPUs" in setup.note and ("predicted as its base" in setup.note) is component.endswith("sql")


@pytest.mark.parametrize("concurrency", [1, 2, 3, 8])
def test_each_level_spreads_over_the_components_copies(emulator: Emulator, concurrency: int) -> None:
    _, _, setup = setup_of(emulator, "qwen")
    got = predict_level(setup, concurrency, 256, 32)
    # the same engine as one single-model copy running ceil(C / 2) streams, times the copies' share of C
    alone = predict_level(Setup(**{**setup.__dict__, "copies": 1}), -(-concurrency // 2), 256, 32)
    assert got["itl_ms"] == pytest.approx(alone["itl_ms"]) and got["ttft_ms"] == pytest.approx(alone["ttft_ms"])
    per_copy = -(-concurrency // 2)
    assert got["output_tokens_per_s"] == pytest.approx(alone["output_tokens_per_s"] / per_copy * concurrency)


def test_bench_json_carries_measured_predicted_and_ratio_per_level(emulator: Emulator) -> None:
    endpoint, config, setup = setup_of(
        emulator, "qwen", concurrency=(1, 4), requests=4, input_tokens=64, output_tokens=12
    )
    prediction = compare(run_bench(endpoint, config), setup)
    assert prediction["component"] == "team-llms-qwen" and prediction["copies"] == 2
    assert [row["level"] for row in prediction["levels"]] == [1, 4]
    for row in prediction["levels"]:
        assert set(row["predicted"]) == set(row["measured"]) == {"ttft_ms", "itl_ms", "output_tokens_per_s"}
        assert row["predicted"]["itl_ms"] > 5 and row["ratio"]["itl_ms"] is not None
    json.dumps(prediction)  # what --json prints


def test_a_component_at_zero_copies_has_a_note_not_a_prediction(emulator: Emulator) -> None:
    emulator.context().client("sagemaker").update_inference_component_runtime_config(
        InferenceComponentName="team-llms-small", DesiredRuntimeConfig={"CopyCount": 0}
    )
    _, _, setup = setup_of(emulator, "small")
    assert not setup.usable and "no copies" in setup.note
