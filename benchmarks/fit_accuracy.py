"""Fit-estimator accuracy: predicted vs observed "GPU KV cache size" over real vLLM start-up logs.

Runs deploy.sizing.estimate() on every observation of benchmarks/data/kv_observations.jsonl (override with --data)
with the observation's own settings: vLLM version and engine, gpu_memory_utilization, max_model_len,
max_num_batched_tokens, max_num_seqs, the GPU total torch reported, tensor parallelism, dtype, quantization and
KV-cache dtype. Each row declares its ``split``: ``calibration`` (used to set the constants of
deploy/sizing/versions.py: in-sample) or ``held_out`` (never used for tuning: out-of-sample). Prints per case, then
per split, per vLLM line (0.8.x, ...) and per (vLLM version, GPU): error %, median absolute error, worst case, false
"fits" (predicted fits where vLLM refused) and false refusals (predicted does-not-fit, or fits only below vLLM's
default max_num_seqs, where vLLM started). Targets: median |error| <= 2 %, no case worse than 10 %, zero false fits,
judged on the held-out split; the calibration split only shows the fit. ``--fit`` re-derives the fitted constants
from the calibration rows alone (:func:`calibration_rows` is the only way rows reach :func:`fit_constants`).

    python benchmarks/fit_accuracy.py [--data FILE] [--json] [--fit]
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

from deploy.errors import LmiError, SpecError
from deploy.sizing import EngineParams, Estimate, Hardware, ModelShape, estimate, load_shape
from deploy.sizing.config import shape_from_config
from deploy.sizing.quant import parse_quantization

GIB = 1024**3
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT / "benchmarks" / "data" / "kv_observations.jsonl"
SPLITS = ("calibration", "held_out")
LMI_V15_VLLM = "0.8.4"
DEFAULT_VERSION = {"V0": "0.6.6", "V1": "0.8.4"}
CHECKPOINT_QUANT = {"awq": {"quant_method": "awq", "bits": 4, "group_size": 128, "zero_point": True}}


def _load_configs(directory: Path) -> dict[str, Any]:
    path = directory / "model_configs.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _shape(model_id: str, configs: dict[str, Any], quantization: str | None, config_file: str | None) -> ModelShape:
    """The row's own config file, else the bundled library's shape, else the data folder's config."""
    try:
        shape = load_shape(str(REPO_ROOT / config_file) if config_file else model_id)
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
        quantize=obs.get("quantize"),
        kv_cache_dtype=obs.get("kv_cache_dtype") or "auto",
        vllm_version=_version(obs),
        engine="v0" if (obs.get("engine") or "V1").upper() == "V0" else "v1",
        block_size=int(obs.get("block_size") or 16),
        enforce_eager=bool(obs.get("enforce_eager")),
    )


def _hardware(obs: dict[str, Any]) -> Hardware:
    total = float(obs["gpu_total_memory_gib_reported"])
    return Hardware(
        gpu_memory_mib=int(obs.get("gpu_memory_mib") or total * 1024),
        gpu_count=int(obs.get("num_gpus") or 1),
        gpu_name=str(obs.get("gpu_model") or "GPU"),
        torch_total_bytes=int(total * GIB),
        nvlink=obs.get("nvlink"),
    )


def _observed_tokens(obs: dict[str, Any]) -> int | None:
    reported = obs.get("reported") or {}
    if reported.get("kv_cache_tokens"):
        return int(reported["kv_cache_tokens"])
    derived = obs.get("derived") or {}
    return int(derived["kv_cache_tokens_from_blocks"]) if derived.get("kv_cache_tokens_from_blocks") else None


def evaluate(obs: dict[str, Any], configs: dict[str, Any]) -> dict[str, Any]:
    """One row: prediction and observation side by side."""
    try:
        est: Estimate = estimate(
            _shape(obs["model_id"], configs, obs.get("quantization"), obs.get("config_file")),
            _hardware(obs),
            _params(obs),
            with_fixes=False,
        )
    except SpecError as exc:  # the estimator refuses the settings outright (vLLM would not start either)
        return _refused(obs, exc)
    observed = _observed_tokens(obs)
    reported = obs.get("reported") or {}
    started = obs.get("status", "ok") == "ok"
    error = (est.kv_cache_tokens - observed) / observed * 100 if observed else None
    # at the row's own settings: a default max_num_seqs that dies in the warm-up is a "does not fit" there
    fits = est.fits and not (obs.get("max_num_seqs") is None and est.default_max_num_seqs_fails)
    return {
        "id": obs["id"],
        "split": obs["split"],
        "vllm_version": _version(obs),
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
        "predicted_fits": fits,
        "vllm_started": started,
        "false_fit": fits and not started,
        "false_refusal": started and not fits,
    }


def _refused(obs: dict[str, Any], exc: SpecError) -> dict[str, Any]:
    started = obs.get("status", "ok") == "ok"
    observed = _observed_tokens(obs)
    return {
        "id": obs["id"], "split": obs["split"], "vllm_version": _version(obs), "model": obs["model_id"],
        "gpu": obs.get("gpu_model"), "tp": int(obs.get("tensor_parallel_size") or 1), "vllm": f"vllm {_version(obs)}",
        "predicted_tokens": 0, "observed_tokens": observed, "error_pct": -100.0 if observed else None,
        "predicted_kv_gib": 0.0, "observed_kv_gib": None, "predicted_weights_gib": 0.0, "observed_weights_gib": None,
        "predicted_activation_gib": 0.0, "observed_activation_gib": None, "predicted_fits": False,
        "vllm_started": started, "false_fit": False, "false_refusal": started, "refused": exc.message,
    }  # fmt: skip


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    errors = [abs(r["error_pct"]) for r in rows if r["error_pct"] is not None]
    worst = max((r for r in rows if r["error_pct"] is not None), key=lambda r: abs(r["error_pct"]), default=None)
    return {
        "cases": len(rows),
        "median_abs_error_pct": round(statistics.median(errors), 2) if errors else None,
        "mean_abs_error_pct": round(statistics.fmean(errors), 2) if errors else None,
        "worst_case": {"id": worst["id"], "error_pct": round(worst["error_pct"], 2)} if worst else None,
        "cases_over_10pct": sum(1 for e in errors if e > 10),
        "false_fits": sum(1 for r in rows if r["false_fit"]),
        "false_refusals": sum(1 for r in rows if r["false_refusal"]),
    }


def _fmt(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def release_series(version: str) -> str:
    """'0.8.5.post1' -> '0.8.x': the vLLM minor line a version belongs to (its memory behaviour changes by line)."""
    parts = version.split(".")
    return f"{parts[0]}.{parts[1]}.x" if len(parts) >= 2 else version


def grouped(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Summaries per split, per split x vLLM minor line (0.8.x, ...), and per split x vLLM version x GPU."""
    by_split = {split: summarise([r for r in rows if r["split"] == split]) for split in SPLITS}
    series: dict[tuple[str, str], list[dict[str, Any]]] = {}
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in rows:
        series.setdefault((row["split"], release_series(row["vllm_version"])), []).append(row)
        groups.setdefault((row["split"], row["vllm_version"], str(row["gpu"])), []).append(row)
    lines = [{"split": k[0], "series": k[1], **summarise(v)} for k, v in sorted(series.items())]
    detail = [{"split": k[0], "vllm": k[1], "gpu": k[2], **summarise(v)} for k, v in sorted(groups.items())]
    return {
        "by_split": by_split,
        "by_split_series": lines,
        "by_split_version_gpu": detail,
        "notes": _coverage_notes(rows),
    }


def _coverage_notes(rows: list[dict[str, Any]]) -> list[str]:
    """What the data cannot show: an empty held-out split, no held-out row for LMI v15's vLLM."""
    notes = []
    held_out = [r for r in rows if r["split"] == "held_out"]
    if not held_out:
        notes.append("no held-out observation: every figure below is in-sample (it shows the fit, not a prediction)")
    if not any(r["vllm_version"] == LMI_V15_VLLM for r in held_out):
        notes.append(f"no held-out vLLM {LMI_V15_VLLM} observation (the version LMI v15 ships)")
    if not any(r["vllm_version"] == LMI_V15_VLLM for r in rows):
        notes.append(f"no vLLM {LMI_V15_VLLM} observation at all")
    return notes


def print_table(rows: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    head = (
        f"{'id':40} {'split':11} {'model':34} {'gpu':22} {'tp':>2} {'vllm':13} {'pred tok':>10} {'obs tok':>10} "
        f"{'err%':>7} "
        f"{'predKV':>7} {'obsKV':>7} {'predW':>6} {'obsW':>6} {'predA':>5} {'obsA':>5} fits"
    )
    print(head)
    for r in rows:
        print(
            f"{r['id'][:40]:40} {r['split']:11} {r['model'][:34]:34} {str(r['gpu'])[:22]:22} {r['tp']:>2} "
            f"{r['vllm'][5:]:13} "
            f"{r['predicted_tokens']:>10,} {_fmt(r['observed_tokens'], ','):>10} "
            f"{_fmt(r['error_pct'], '+.1f'):>7} "
            f"{r['predicted_kv_gib']:>7.2f} {_fmt(r['observed_kv_gib'], '.2f'):>7} "
            f"{r['predicted_weights_gib']:>6.2f} {_fmt(r['observed_weights_gib'], '.2f'):>6} "
            f"{r['predicted_activation_gib']:>5.2f} {_fmt(r['observed_activation_gib'], '.2f'):>5} "
            f"{'yes' if r['predicted_fits'] else 'no'}{' FALSE FIT' if r['false_fit'] else ''}"
        )
    print()
    for note in summary["notes"]:
        print(f"NOTE: {note}")
    for split, figures in summary["by_split"].items():
        print(f"{split}: " + ", ".join(f"{key} {value}" for key, value in figures.items()))
    print("per split and vLLM line:")
    for line in summary["by_split_series"]:
        print(
            f"  {line['split']:11} vLLM {line['series']:8} {line['cases']:>3} cases, "
            f"median |err| {_fmt(line['median_abs_error_pct'], '.2f')} %, worst {line['worst_case']}, "
            f"false fits {line['false_fits']}, false refusals {line['false_refusals']}"
        )
    print("per split, vLLM version and GPU:")
    for group in summary["by_split_version_gpu"]:
        print(
            f"  {group['split']:11} vLLM {group['vllm']:8} {group['gpu'][:28]:28} {group['cases']:>3} cases, "
            f"median |err| {_fmt(group['median_abs_error_pct'], '.2f')} %, worst {group['worst_case']}, "
            f"false fits {group['false_fits']}, false refusals {group['false_refusals']}"
        )


def calibration_rows(observations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The only rows a constant may be fitted on: the held-out rows are dropped by their ``split`` alone."""
    return [obs for obs in observations if obs.get("split") == "calibration"]


def fit_constants(rows: list[dict[str, Any]], configs: dict[str, Any]) -> dict[str, Any]:
    """Re-derive the fitted constants from calibration rows (refuses any other row).

    - communication buffers per GPU (NVLink / PCIe) at tp > 1: the non-torch memory each start implies, i.e. the
      estimate's non-torch plus its KV excess over the observed KV cache, less the 0.3 GiB base;
    - the warm-up bytes per logit from vLLM 0.17: above every bound a failed warm-up implies, below every bound a
      start with vLLM's default max_num_seqs implies (free memory after the KV cache / rows x vocabulary).
    """
    from deploy.sizing.budget import budget_as_given  # vLLM's own defaults, no max_num_seqs lowering
    from deploy.sizing.engine_memory import WARMUP_STRICTER_FROM
    from deploy.sizing.versions import NON_TORCH_BASE

    comm: dict[str, list[float]] = {"nvlink": [], "pcie": []}
    warmup_low: list[float] = []
    warmup_high: list[float] = []
    for obs in rows:
        if obs.get("split") != "calibration":
            raise ValueError(f"{obs.get('id')}: only calibration rows may be fitted on (split {obs.get('split')!r})")
        shape = _shape(obs["model_id"], configs, obs.get("quantization"), obs.get("config_file"))
        budget = budget_as_given(shape, _hardware(obs), _params(obs))
        observed = _observed_tokens(obs)
        if observed and budget.tp > 1 and obs.get("status", "ok") == "ok":
            implied = budget.non_torch_bytes + budget.kv_available_bytes - observed * budget.kv_bytes_per_token
            comm["pcie" if obs.get("nvlink") is False else "nvlink"].append((implied - NON_TORCH_BASE) / GIB)
        if budget.warmup_rows and budget.behaviour.version >= WARMUP_STRICTER_FROM and obs.get("max_num_seqs") is None:
            bound = budget.warmup_free_bytes / (budget.warmup_rows * shape.padded_vocab())
            if obs.get("status") == "failed_sampler_warmup":
                warmup_low.append(bound)
            elif obs.get("status", "ok") == "ok":
                warmup_high.append(bound)
    return {
        "rows": len(rows),
        "comm_buffer_gib": {k: round(statistics.median(v), 3) if v else None for k, v in comm.items()},
        "comm_buffer_cases": {k: len(v) for k, v in comm.items()},
        "warmup_bytes_per_logit_above": round(max(warmup_low), 2) if warmup_low else None,
        "warmup_bytes_per_logit_below": round(min(warmup_high), 2) if warmup_high else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="observations (JSON lines with a split)")
    parser.add_argument("--json", action="store_true", help="print rows and summaries as JSON")
    parser.add_argument("--fit", action="store_true", help="re-derive the fitted constants (calibration rows only)")
    args = parser.parse_args(argv)
    observations = [json.loads(line) for line in args.data.read_text().splitlines() if line.strip()]
    unknown = sorted({str(o.get("split")) for o in observations} - set(SPLITS))
    if unknown:
        print(f"error: {args.data}: split must be one of {', '.join(SPLITS)}, got {', '.join(unknown)}")
        return 2
    configs = _load_configs(args.data.parent)
    if args.fit:
        print(json.dumps(fit_constants(calibration_rows(observations), configs), indent=2))
        return 0
    rows = [evaluate(obs, configs) for obs in observations]
    summary = grouped(rows)
    if args.json:
        print(json.dumps({"rows": rows, **summary}, indent=2))
    else:
        print_table(rows, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
