"""``lmi bench --save-result``: one JSON file per load level, keyed as vLLM's serving benchmark writes them.

Rule: the keys, units and definitions are those of ``benchmarks/benchmark_serving.py`` in vllm-project/vllm
(``--save-result --save-detailed``): ``duration`` in seconds, ``request_throughput`` in req/s,
``output_throughput``/``total_token_throughput`` in tok/s, ``mean_/median_/std_/p99_`` + ``ttft``/``tpot``/
``itl``/``e2el`` + ``_ms`` in milliseconds over the completed requests (numpy's mean, median, population std and
linear-interpolation percentile; 0 when there is no value, as numpy gives for vLLM's ``or 0``), and the
per-request lists ``input_lens``, ``output_lens``, ``ttfts`` and ``itls`` (seconds), ``generated_texts``,
``errors`` over every request sent (0 / empty for failed ones). So scripts that compare vLLM results read ours.
Everything vLLM has no key for sits under ``"lmi_deploy"``. Pure: no I/O except :func:`write_results`.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy.bench.stats import percentile
from deploy.spec.paths import replace_file

if TYPE_CHECKING:
    from deploy.bench.metrics import LevelResult, RequestRecord
    from deploy.bench.runner import BenchReport

METRICS = ("ttft", "tpot", "itl", "e2el")


def _summary(name: str, values: Sequence[float]) -> dict[str, float]:
    """``mean_X_ms``, ``median_X_ms``, ``std_X_ms`` (population) and ``p99_X_ms`` from seconds."""
    ms = [v * 1000.0 for v in values]
    if not ms:
        return {f"mean_{name}_ms": 0.0, f"median_{name}_ms": 0.0, f"std_{name}_ms": 0.0, f"p99_{name}_ms": 0.0}
    return {
        f"mean_{name}_ms": statistics.fmean(ms),
        f"median_{name}_ms": statistics.median(ms),
        f"std_{name}_ms": statistics.pstdev(ms),
        f"p99_{name}_ms": percentile(ms, 99.0),
    }


def _metric_values(records: Sequence[RequestRecord]) -> dict[str, list[float]]:
    ok = [r for r in records if r.ok]
    return {
        "ttft": [r.ttft_s for r in ok if r.ttft_s is not None],
        "tpot": [t for r in ok if (t := r.tpot_s) is not None],
        "itl": [gap for r in ok for gap in r.itls],
        "e2el": [r.e2e_s for r in ok if r.e2e_s is not None],
    }


def vllm_result(report: BenchReport, level: LevelResult, *, date: str, backend: str) -> dict[str, Any]:
    """The result object of one level."""
    records = sorted(level.records, key=lambda r: r.sent_at)
    duration = level.duration_s
    out: dict[str, Any] = {
        "date": date,
        "backend": backend,
        "model_id": report.endpoint,
        "tokenizer_id": report.token_counting.get("tokenizer"),
        "num_prompts": level.sent,
        "request_rate": level.level if level.mode == "rate" else "inf",
        "burstiness": 1.0,
        "max_concurrency": int(level.level) if level.mode == "concurrency" else None,
        "duration": duration,
        "completed": level.completed,
        "total_input_tokens": level.input_tokens,
        "total_output_tokens": level.output_tokens,
        "request_throughput": level.requests_per_s,
        "request_goodput": level.goodput_requests_per_s,
        "output_throughput": level.output_tokens_per_s,
        "total_token_throughput": (level.input_tokens + level.output_tokens) / duration if duration > 0 else 0.0,
        "input_lens": [r.input_tokens for r in records],
        "output_lens": [r.output_tokens if r.ok else 0 for r in records],
        "ttfts": [(r.ttft_s or 0.0) if r.ok else 0.0 for r in records],
        "itls": [r.itls if r.ok else [] for r in records],
        "generated_texts": [r.text if r.ok else "" for r in records],
        "errors": [r.error or "" for r in records],
    }
    for name, values in _metric_values(records).items():
        out.update(_summary(name, values))
    out["lmi_deploy"] = _ours(report, level, records)
    finite: dict[str, Any] = _finite(out)
    return finite


def _ours(report: BenchReport, level: LevelResult, records: Sequence[RequestRecord]) -> dict[str, Any]:
    """What vLLM has no key for: where and how the run was made, and the level's full ``--json`` object."""
    config = report.config
    return {
        "endpoint": report.endpoint,
        "component": config.component,
        "api": config.api,
        "schema": "chat" if config.chat or config.api == "openai" else "lmi",
        "mode": level.mode,
        "token_counting": report.token_counting,
        "output_tokens_from_server": sum(1 for r in records if r.ok and r.server_counted),
        "instance_type": config.instance_type,
        "instance_count": config.instance_count,
        "capacity_share": config.capacity_share,
        "dataset": list(config.dataset) if config.dataset else None,
        "level": level.to_dict(),
    }


def _finite(value: Any) -> Any:
    """JSON has no NaN/Infinity: replace any (there should be none) by None rather than write invalid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def result_paths(path: Path, report: BenchReport) -> list[Path]:
    """``path`` for a single level; else one file per level, named as vLLM does (``-concurrency4``, ``-2.0qps``)."""
    if len(report.levels) == 1:
        return [path]
    stem, suffix = path.stem, path.suffix or ".json"
    names = [
        f"-concurrency{int(lv.level)}" if lv.mode == "concurrency" else f"-{lv.level:g}qps" for lv in report.levels
    ]
    return [path.with_name(f"{stem}{name}{suffix}") for name in names]


def write_results(path: str | Path, report: BenchReport, *, date: str) -> list[Path]:
    """Write every level's result; returns the files written."""
    backend = (
        f"sagemaker-{report.config.api}-{'chat' if report.config.chat or report.config.api == 'openai' else 'lmi'}"
    )
    paths = result_paths(Path(path), report)
    for target, level in zip(paths, report.levels, strict=True):
        target.parent.mkdir(parents=True, exist_ok=True)
        replace_file(target, json.dumps(vllm_result(report, level, date=date, backend=backend)) + "\n")
    return paths


__all__ = ["METRICS", "result_paths", "vllm_result", "write_results"]
