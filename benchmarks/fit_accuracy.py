"""Fit-estimator accuracy: predicted vs observed "GPU KV cache size" over real vLLM start-up logs.

Runs deploy.sizing.estimate() on every observation in the calibration folder (default: ../shared/calibration
next to the repository; override with --calibration DIR) with the observation's own settings: vLLM version
and engine, gpu_memory_utilization, max_model_len, max_num_batched_tokens, max_num_seqs, the GPU total torch
reported, tensor parallelism, dtype, quantization and KV-cache dtype. Prints per case and overall: predicted
vs observed KV tokens and KV GiB, error %, median absolute error, worst case, and false "fits" (predicted
fits where vLLM refused). Targets: median |error| <= 10 %, no case worse than 25 %, zero false fits.

    PYTHONPATH=. .venv/bin/python benchmarks/fit_accuracy.py [--calibration DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from deploy.errors import LmiError
from deploy.sizing import EngineParams, Estimate, Hardware, ModelShape, estimate, load_shape
from deploy.sizing.config import shape_from_config
from deploy.sizing.quant import parse_quantization

GIB = 1024**3
DEFAULT_CALIBRATION = Path(__file__).resolve().parents[2] / "shared" / "calibration"
DEFAULT_VERSION = {"V0": "0.6.6", "V1": "0.8.4"}
CHECKPOINT_QUANT = {"awq": {"quant_method": "awq", "bits": 4, "group_size": 128, "zero_point": True}}


def _load_configs(directory: Path) -> dict[str, Any]:
    path = directory / "model_configs.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _shape(model_id: str, configs: dict[str, Any], quantization: str | None) -> ModelShape:
    """The bundled library's shape when it has the model, else the calibration folder's config."""
    try:
        shape = load_shape(model_id)
    except LmiError:
        cfg = configs.get(model_id) or {}
        base = cfg.get("_same_architecture_as")
        if base:
            cfg = {**configs.get(base, {}), **{k: v for k, v in cfg.items() if not k.startswith("_")}}
        shape = shape_from_config(cfg, model_id)
    if quantization and shape.quantization is None and quantization in CHECKPOINT_QUANT:
        shape = replace(shape, quantization=parse_quantization(CHECKPOINT_QUANT[quantization]))
    return shape


def _version(obs: dict[str, Any]) -> str:
    if obs.get("vllm_version"):
        return str(obs["vllm_version"])
    match = re.search(r"v(\d+\.\d+(?:\.\d+)?)", obs.get("vllm_version_hint") or "")
    return match.group(1) if match else DEFAULT_VERSION[obs.get("engine") or "V1"]


def _params(obs: dict[str, Any]) -> EngineParams:
    return EngineParams(
        tensor_parallel_degree=int(obs.get("tensor_parallel_size") or 1),
        max_model_len=obs.get("max_model_len"),
        max_num_seqs=obs.get("max_num_seqs"),
        max_num_batched_tokens=obs.get("max_num_batched_tokens"),
        gpu_memory_utilization=float(obs.get("gpu_memory_utilization") or 0.9),
        dtype=obs.get("dtype") or "auto",
        kv_cache_dtype=obs.get("kv_cache_dtype") or "auto",
        vllm_version=_version(obs),
        engine="v0" if (obs.get("engine") or "V1").upper() == "V0" else "v1",
        block_size=int(obs.get("block_size") or 16),
        enforce_eager=bool(obs.get("enforce_eager")),
    )


def _hardware(obs: dict[str, Any]) -> Hardware:
    total = float(obs["gpu_total_memory_gib_reported"])
    return Hardware(
        gpu_memory_mib=int(total * 1024),
        gpu_count=int(obs.get("num_gpus") or 1),
        gpu_name=str(obs.get("gpu_model") or "GPU"),
        torch_total_bytes=int(total * GIB),
    )


def _observed_tokens(obs: dict[str, Any]) -> int | None:
    reported = obs.get("reported") or {}
    if reported.get("kv_cache_tokens"):
        return int(reported["kv_cache_tokens"])
    derived = obs.get("derived") or {}
    return int(derived["kv_cache_tokens_from_blocks"]) if derived.get("kv_cache_tokens_from_blocks") else None


def evaluate(obs: dict[str, Any], configs: dict[str, Any]) -> dict[str, Any]:
    """One row: prediction and observation side by side."""
    est: Estimate = estimate(
        _shape(obs["model_id"], configs, obs.get("quantization")),
        _hardware(obs),
        _params(obs),
        with_fixes=False,
    )
    observed = _observed_tokens(obs)
    reported = obs.get("reported") or {}
    started = obs.get("status", "ok") == "ok"
    error = (est.kv_cache_tokens - observed) / observed * 100 if observed else None
    return {
        "id": obs["id"],
        "model": obs["model_id"],
        "gpu": obs.get("gpu_model"),
        "tp": est.tensor_parallel_degree,
        "vllm": est.vllm,
        "predicted_tokens": est.kv_cache_tokens,
        "observed_tokens": observed,
        "error_pct": error,
        "predicted_kv_gib": est.kv_cache_bytes_per_gpu / GIB,
        "observed_kv_gib": reported.get("kv_cache_gib"),
        "predicted_weights_gib": est.weights_bytes_per_gpu / GIB,
        "observed_weights_gib": reported.get("weights_gib"),
        "predicted_activation_gib": est.activation_bytes_per_gpu / GIB,
        "observed_activation_gib": reported.get("activation_peak_gib"),
        "predicted_fits": est.fits,
        "vllm_started": started,
        "false_fit": est.fits and not started,
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    errors = [abs(r["error_pct"]) for r in rows if r["error_pct"] is not None]
    worst = max((r for r in rows if r["error_pct"] is not None), key=lambda r: abs(r["error_pct"]), default=None)
    return {
        "cases": len(rows),
        "median_abs_error_pct": round(statistics.median(errors), 2) if errors else None,
        "mean_abs_error_pct": round(statistics.fmean(errors), 2) if errors else None,
        "worst_case": {"id": worst["id"], "error_pct": round(worst["error_pct"], 2)} if worst else None,
        "cases_over_25pct": sum(1 for e in errors if e > 25),
        "false_fits": sum(1 for r in rows if r["false_fit"]),
    }


def _fmt(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(rows: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    head = (
        f"{'id':8} {'model':38} {'gpu':22} {'tp':>2} {'vllm':13} {'pred tok':>10} {'obs tok':>10} "
        f"{'err%':>7} "
        f"{'predKV':>7} {'obsKV':>7} {'predW':>6} {'obsW':>6} {'predA':>5} {'obsA':>5} fits"
    )
    print(head)
    for r in rows:
        print(
            f"{r['id']:8} {r['model'][:38]:38} {str(r['gpu'])[:22]:22} {r['tp']:>2} {r['vllm'][5:]:13} "
            f"{r['predicted_tokens']:>10,} {_fmt(r['observed_tokens'], ','):>10} "
            f"{_fmt(r['error_pct'], '+.1f'):>7} "
            f"{r['predicted_kv_gib']:>7.2f} {_fmt(r['observed_kv_gib'], '.2f'):>7} "
            f"{r['predicted_weights_gib']:>6.2f} {_fmt(r['observed_weights_gib'], '.2f'):>6} "
            f"{r['predicted_activation_gib']:>5.2f} {_fmt(r['observed_activation_gib'], '.2f'):>5} "
            f"{'yes' if r['predicted_fits'] else 'no'}{' FALSE FIT' if r['false_fit'] else ''}"
        )
    print()
    for key, value in summary.items():
        print(f"{key}: {value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibration", type=Path, default=DEFAULT_CALIBRATION, help="calibration folder")
    parser.add_argument("--json", action="store_true", help="print rows and summary as JSON")
    args = parser.parse_args(argv)
    observations = [
        json.loads(line) for line in (args.calibration / "observations.jsonl").read_text().splitlines() if line.strip()
    ]
    configs = _load_configs(args.calibration)
    rows = [evaluate(obs, configs) for obs in observations]
    summary = summarise(rows)
    if args.json:
        print(json.dumps({"rows": rows, "summary": summary}, indent=2))
    else:
        print_table(rows, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
