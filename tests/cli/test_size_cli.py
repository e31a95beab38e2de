"""`lmi size` and `lmi recommend`: JSON contract, exit codes, table view (offline, bundled library)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deploy.cli import build_app

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "tests" / "fixtures" / "configs" / "llama-3.1-8b-instruct.json"
runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(build_app(), list(args))


def test_size_json_has_the_contract_keys() -> None:
    result = invoke("size", str(CONFIG), "--instance", "ml.g6e.2xlarge", "--max-model-len", "32768", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in (
        "weights_bytes_per_gpu",
        "kv_cache_bytes_per_token",
        "kv_cache_tokens",
        "max_concurrency",
        "tensor_parallel_degree",
        "fits",
        "reasons",
    ):
        assert key in data
    assert data["fits"] is True and data["kv_cache_bytes_per_token"] == 128 * 1024
    assert data["instance_type"] == "ml.g6e.2xlarge" and data["vllm"] == "vLLM 0.8.4 V1"


def test_size_exits_2_when_it_does_not_fit() -> None:
    result = invoke("size", str(CONFIG), "--gpu-memory-mib", "23028", "--json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["fits"] is False and "max seq len (131072)" in data["reasons"][0]
    assert any(fix.startswith("set max_model_len <= ") for fix in data["fixes"])


def test_size_picks_the_smallest_tp_that_fits_on_multi_gpu() -> None:
    result = invoke(
        "size", str(CONFIG), "--gpu-memory-mib", "23028", "--gpus", "4", "--max-model-len", "65536", "--json"
    )
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["tensor_parallel_degree"] == 2 and data["copies_per_instance"] == 2


def test_size_version_and_engine_flags() -> None:
    result = invoke(
        "size",
        str(CONFIG),
        "--gpu-memory-mib",
        "81559",
        "--max-model-len",
        "8192",
        "--vllm-version",
        "0.19.0",
        "--json",
    )
    assert json.loads(result.stdout)["max_num_seqs"] == 1024
    v0 = invoke(
        "size", str(CONFIG), "--gpu-memory-mib", "81559", "--max-model-len", "8192", "--vllm-engine", "v0", "--json"
    )
    assert json.loads(v0.stdout)["vllm"] == "vLLM 0.8.4 V0"
    lmi14 = invoke(
        "size", str(CONFIG), "--gpu-memory-mib", "81559", "--max-model-len", "8192", "--lmi-version", "14", "--json"
    )
    assert json.loads(lmi14.stdout)["vllm"] == "vLLM 0.7.3 V1"


def test_size_table_shows_the_memory_bar() -> None:
    result = invoke(
        "size", "meta-llama/Llama-3.1-8B-Instruct", "--instance", "ml.g6e.2xlarge", "--max-model-len", "32768"
    )
    assert result.exit_code == 0
    assert "KV cache tokens" in result.stdout and "headroom" in result.stdout and "fits" in result.stdout


def test_recommend_json_is_ranked_by_price() -> None:
    result = invoke("recommend", "meta-llama/Llama-3.1-8B-Instruct", "--max-model-len", "8192", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    prices = [r["price_per_hour"] for r in data["recommendations"] if r["price_per_hour"] is not None]
    assert prices == sorted(prices) and data["max_model_len"] == 8192
    first = data["recommendations"][0]
    assert {"instance_type", "tensor_parallel_degree", "kv_cache_tokens", "max_concurrency", "headroom"} <= set(first)


def test_usage_errors_exit_2_as_json_without_traceback() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "deploy.cli", "size", str(CONFIG), "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"] == "usage_error" and "Traceback" not in proc.stderr
    unknown = subprocess.run(
        [sys.executable, "-m", "deploy.cli", "size", "meta-llama/Llama-3.1-8B-Instrct", "--instance", "ml.g6e.2xlarge"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    assert unknown.returncode == 2 and "did you mean" in unknown.stderr and "Traceback" not in unknown.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("size", str(CONFIG), "--gpu-memory-mib", "0"),
        ("size", str(CONFIG), "--gpu-memory-mib", "24576", "--gpus", "0"),
        ("size", str(CONFIG), "--instance", "ml.g6e.2xlarge", "--gpu-memory-utilization", "1.5"),
        ("size", str(CONFIG), "--instance", "ml.g6e.2xlarge", "--max-model-len", "0"),
        ("size", str(CONFIG), "--instance", "ml.g6e.2xlarge", "--tp", "0"),
        ("size", str(CONFIG), "--instance", "ml.g6e.2xlarge", "--max-rolling-batch-size", "-1"),
        ("size", str(CONFIG), "--instance", "ml.g6e.2xlarge", "--max-num-batched-tokens", "0"),
        ("recommend", str(CONFIG), "--concurrency", "0"),
        ("recommend", str(CONFIG), "--max-model-len", "-5"),
    ],
)
def test_out_of_range_numbers_are_usage_errors(args: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    # These used to be sized as given: 0 GiB GPUs, 150 % utilization, negative concurrency in the table.
    from deploy.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    assert exit_info.value.code == 2
    assert "error: invalid --" in capsys.readouterr().err


def test_recommend_table_fits_80_columns_without_cutting_values() -> None:
    # At 80 columns (a CI log) the rank, tp and price columns used to be squeezed to nothing or "1…".
    import io

    from rich.console import Console

    from deploy.sizing import load_shape
    from deploy.sizing import recommend as rank
    from deploy.sizing.report import recommendations_table

    recs = rank(load_shape(str(CONFIG)), max_model_len=8192, concurrency=64)
    out = io.StringIO()
    Console(file=out, width=80, highlight=False).print(recommendations_table("m", recs, 64))
    text = out.getvalue()
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80
    for rec in recs:
        row = next(line for line in text.splitlines() if f" {rec.instance_type} " in line)
        price = f"{rec.price_per_hour:.2f}" if rec.price_per_hour is not None else "unknown"
        assert row.split()[0] == str(recs.index(rec) + 1) and row.rstrip().endswith(price)
        assert f" {rec.tensor_parallel_degree} " in row and f"{rec.kv_cache_tokens:,}" in row
