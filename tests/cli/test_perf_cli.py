"""CLI contract of the performance model: `lmi size ... --concurrency/--input-tokens/--output-tokens` and
`lmi recommend --rank-by cost-per-token` (JSON keys, table rows, ordering, exit 2 on bad flags)."""

from __future__ import annotations

import json

import pytest

from deploy.cli import main

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
WORKLOAD = ["--concurrency", "16", "--input-tokens", "1000", "--output-tokens", "200"]
CONTRACT = ("output_tokens_per_s", "ttft_ms", "itl_ms", "requests_per_s", "cost_per_million_output_tokens")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


@pytest.mark.parametrize("instance", ["ml.g6e.xlarge", "ml.g5.2xlarge", "ml.p5.48xlarge", "ml.g6.12xlarge"])
def test_size_json_has_the_performance_contract(capsys: pytest.CaptureFixture[str], instance: str) -> None:
    code, out, _ = run(capsys, "size", MODEL, "--instance", instance, "--max-model-len", "4096", *WORKLOAD, "--json")
    assert code == 0
    perf = json.loads(out)["performance"]
    for key in CONTRACT:
        assert isinstance(perf[key], (int, float)) and perf[key] > 0, key
    assert perf["output_tokens_per_s"] == pytest.approx(perf["requests_per_s"] * 200, rel=1e-2)
    assert perf["batch"] == 16 and perf["notes"] == []


def test_size_with_tp_predicts_the_chosen_degree(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["size", MODEL, "--instance", "ml.g6.12xlarge", "--max-model-len", "4096", *WORKLOAD, "--json"]
    _, one, _ = run(capsys, *base, "--tp", "1")
    _, four, _ = run(capsys, *base, "--tp", "4")
    tp1, tp4 = json.loads(one), json.loads(four)
    assert tp1["tensor_parallel_degree"] == 1 and tp4["tensor_parallel_degree"] == 4
    assert tp4["performance"]["itl_ms"] < tp1["performance"]["itl_ms"]  # 4 GPUs' bandwidth for one copy
    assert tp1["copies_per_instance"] == 4 and tp4["copies_per_instance"] == 1


def test_size_without_a_workload_has_no_performance(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "size", MODEL, "--instance", "ml.g6e.xlarge", "--max-model-len", "4096", "--json")
    assert code == 0 and "performance" not in json.loads(out)


def test_size_text_shows_the_prediction(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "size", MODEL, "--instance", "ml.g6e.xlarge", "--max-model-len", "4096", *WORKLOAD)
    assert code == 0
    for label in ("Predicted performance", "output tokens/s", "TTFT", "ITL", "requests/s", "$/M output tokens"):
        assert label in out, label


def test_size_says_when_concurrency_is_clipped(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["size", MODEL, "--instance", "ml.g5.xlarge", "--max-model-len", "4096", "--json"]
    code, out, _ = run(capsys, *args, "--concurrency", "200", "--input-tokens", "3000", "--output-tokens", "1000")
    perf = json.loads(out)["performance"]
    assert code == 0 and perf["batch"] < 200 and "clipped" in perf["notes"][0]


@pytest.mark.parametrize(
    "bad",
    [
        ["--concurrency", "0", "--input-tokens", "10", "--output-tokens", "10"],
        ["--concurrency", "-1", "--input-tokens", "10", "--output-tokens", "10"],
        ["--concurrency", "4", "--input-tokens", "0", "--output-tokens", "10"],
        ["--concurrency", "4", "--input-tokens", "ten", "--output-tokens", "10"],
        ["--concurrency", "4", "--input-tokens", "10"],
        ["--output-tokens", "10"],
    ],
)
def test_size_bad_workload_flags_exit_2(capsys: pytest.CaptureFixture[str], bad: list[str]) -> None:
    code, out, err = run(capsys, "size", MODEL, "--instance", "ml.g6e.xlarge", *bad)
    assert code == 2 and "Traceback" not in out + err
    assert "--concurrency" in out + err or "--input-tokens" in out + err or "--output-tokens" in out + err


def test_size_performance_needs_a_catalog_instance(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "size", MODEL, "--gpu-memory-mib", "24000", *WORKLOAD)
    assert code == 2 and "--instance" in out + err


def _recommend(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:  # type: ignore[type-arg]
    code, out, _ = run(capsys, "recommend", MODEL, "--max-model-len", "4096", *extra, "--json")
    assert code == 0
    return json.loads(out)  # type: ignore[no-any-return]


def test_recommend_ranks_by_cost_per_token(capsys: pytest.CaptureFixture[str]) -> None:
    data = _recommend(capsys, "--rank-by", "cost-per-token", *WORKLOAD)
    recs = data["recommendations"]
    assert data["rank_by"] == "cost-per-token" and len(recs) > 5
    costs = [r["performance"]["cost_per_million_output_tokens"] for r in recs]
    priced = [c for c in costs if c is not None]
    assert priced == sorted(priced) and all(c is None for c in costs[len(priced) :])


def test_rank_by_price_keeps_todays_order(capsys: pytest.CaptureFixture[str]) -> None:
    default = _recommend(capsys, "--concurrency", "16")
    explicit = _recommend(capsys, "--rank-by", "price", "--concurrency", "16")
    with_perf = _recommend(capsys, "--rank-by", "price", *WORKLOAD)
    names = [r["instance_type"] for r in default["recommendations"]]
    assert names == [r["instance_type"] for r in explicit["recommendations"]]
    assert names == [r["instance_type"] for r in with_perf["recommendations"]]
    assert "performance" in with_perf["recommendations"][0]


def test_recommend_slo_drops_types_that_miss_it(capsys: pytest.CaptureFixture[str]) -> None:
    loose = _recommend(capsys, "--rank-by", "cost-per-token", *WORKLOAD)
    itls = sorted(r["performance"]["itl_ms"] for r in loose["recommendations"])
    limit = itls[len(itls) // 2]
    strict = _recommend(capsys, "--rank-by", "cost-per-token", *WORKLOAD, "--slo-itl-ms", str(limit))
    assert 0 < len(strict["recommendations"]) < len(loose["recommendations"])
    assert strict["slo_missed"] == len(loose["recommendations"]) - len(strict["recommendations"])
    assert all(r["performance"]["itl_ms"] <= limit for r in strict["recommendations"])
    ttft = _recommend(capsys, "--rank-by", "cost-per-token", *WORKLOAD, "--slo-ttft-ms", "0.001")
    assert ttft["recommendations"] == [] and ttft["slo_missed"] == len(loose["recommendations"])


def test_recommend_text_shows_the_ranking(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "recommend", MODEL, "--max-model-len", "4096", "--rank-by", "cost-per-token", *WORKLOAD)
    assert code == 0 and "ranked by cost-per-token" in out and "$/M out" in out


@pytest.mark.parametrize(
    "bad",
    [
        ["--rank-by", "speed", *WORKLOAD],
        ["--rank-by", "cost-per-token"],
        ["--rank-by", "cost-per-token", "--concurrency", "4", "--input-tokens", "10"],
        ["--rank-by", "cost-per-token", *WORKLOAD, "--slo-itl-ms", "0"],
        ["--rank-by", "cost-per-token", *WORKLOAD, "--slo-ttft-ms", "-5"],
        ["--slo-itl-ms", "50", *WORKLOAD],
    ],
)
def test_recommend_bad_flags_exit_2(capsys: pytest.CaptureFixture[str], bad: list[str]) -> None:
    code, out, err = run(capsys, "recommend", MODEL, *bad)
    assert code == 2 and "Traceback" not in out + err
    assert any(flag in out + err for flag in ("--rank-by", "--concurrency", "--input-tokens", "--slo-"))
