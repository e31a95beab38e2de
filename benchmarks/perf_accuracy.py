"""Accuracy of the performance model (deploy/sizing/perf.py) on public benchmark results.

Reads benchmarks/data/perf_observations.jsonl (every row cites its source and carries `split`: calibration or
held_out), predicts each row with the calibrated efficiencies and prints the median |error| on output tokens/s
and on inter-token latency, per GPU and concurrency range, calibration vs held-out, plus the worst ratio.

    .venv/bin/python benchmarks/perf_accuracy.py          # the table
    .venv/bin/python benchmarks/perf_accuracy.py --fit    # grid-search the efficiencies on calibration rows only
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
from dataclasses import replace
from pathlib import Path
from typing import Any

from deploy.sizing import EngineParams, Hardware, estimate, load_shape
from deploy.sizing.perf import CALIBRATED, Efficiency, Workload
from deploy.sizing.perf_inputs import predict_for_instance

DATA = Path(__file__).parent / "data" / "perf_observations.jsonl"


def load_rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]


def _prepared(row: dict[str, Any]) -> tuple[Any, Any, Workload]:
    shape = load_shape(row["model"])
    length = max(4096, row["input_tokens"] + row["output_tokens"])
    params = EngineParams(
        max_model_len=length,
        tensor_parallel_degree=row["tp"],
        quantize=row.get("quantize"),
        kv_cache_dtype=row.get("kv_cache_dtype", "auto"),
    )
    est = estimate(shape, Hardware.from_instance(row["instance"]), replace(params), with_fixes=False)
    return shape, est, Workload(row["concurrency"], row["input_tokens"], row["output_tokens"])


def errors(rows: list[dict[str, Any]], eff: Efficiency) -> list[dict[str, Any]]:
    """Per row: predicted and measured tokens/s and ITL, and their ratios."""
    out = []
    for row in rows:
        shape, est, work = _prepared(row)
        perf = predict_for_instance(shape, est, row["instance"], work, quantize=row.get("quantize"), efficiency=eff)
        gpu = Hardware.from_instance(row["instance"]).gpu_name
        out.append(
            {
                "id": row["id"],
                "gpu": gpu,
                "split": row["split"],
                "concurrency": row["concurrency"],
                "tps_ratio": perf.output_tokens_per_s / row["output_tokens_per_s"],
                "itl_ratio": perf.itl_ms / row["itl_ms"] if row.get("itl_ms") else None,
            }
        )
    return out


def _bucket(concurrency: int) -> str:
    return "1" if concurrency == 1 else "2-16" if concurrency <= 16 else "17-64" if concurrency <= 64 else ">64"


def _median_abs(ratios: list[float | None]) -> str:
    known = [abs(r - 1.0) for r in ratios if r is not None]
    return f"{statistics.median(known) * 100:.0f} %" if known else "-"


def _worst(ratios: list[float | None]) -> float:
    return max(max(r, 1.0 / r) for r in ratios if r is not None)


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| split | GPU | concurrency | rows | median abs err tok/s | median abs err ITL | worst ratio |"]
    lines.append("|---|---|---|---|---|---|---|")
    keyed = sorted(results, key=lambda r: (r["split"], r["gpu"], _bucket(r["concurrency"])))
    for key, group in itertools.groupby(keyed, key=lambda r: (r["split"], r["gpu"], _bucket(r["concurrency"]))):
        items = list(group)
        tps = [r["tps_ratio"] for r in items]
        itl = [r["itl_ratio"] for r in items]
        lines.append(
            f"| {key[0]} | {key[1]} | {key[2]} | {len(items)} | {_median_abs(tps)} | "
            f"{_median_abs(itl)} | {_worst(tps + itl):.2f}x |"
        )
    for split in ("calibration", "held_out"):
        items = [r for r in results if r["split"] == split]
        if items:
            tps = [r["tps_ratio"] for r in items]
            itl = [r["itl_ratio"] for r in items]
            lines.append(
                f"| **{split} (all)** | | | {len(items)} | {_median_abs(tps)} | {_median_abs(itl)} | "
                f"{_worst(tps + itl):.2f}x |"
            )
    return "\n".join(lines)


def fit(rows: list[dict[str, Any]]) -> Efficiency:
    """Grid search on calibration rows only: minimise the median |log ratio| of tokens/s and ITL together."""
    import math

    calibration = [r for r in rows if r["split"] == "calibration"]
    best: tuple[float, Efficiency] | None = None
    for memory, compute, overhead in itertools.product(
        [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85], [0.3, 0.4, 0.5, 0.6, 0.7], [0.0, 0.001, 0.002, 0.003, 0.004]
    ):
        eff = Efficiency(memory=memory, compute=compute, step_overhead_s=overhead)
        res = errors(calibration, eff)
        score = statistics.median(abs(math.log(r[k])) for r in res for k in ("tps_ratio", "itl_ratio") if r[k])
        if best is None or score < best[0]:
            best = (score, eff)
    assert best is not None
    return best[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="fit the efficiencies on the calibration rows")
    parser.add_argument("--rows", action="store_true", help="print each row's ratios too")
    args = parser.parse_args()
    rows = load_rows()
    eff = fit(rows) if args.fit else CALIBRATED
    print(f"efficiency: memory {eff.memory}, compute {eff.compute}, step overhead {eff.step_overhead_s * 1e3:.1f} ms")
    results = errors(rows, eff)
    if args.rows:
        for r in results:
            itl = f"x{r['itl_ratio']:.2f}" if r["itl_ratio"] else "-"
            print(f"{r['id']:45} {r['split']:12} tok/s x{r['tps_ratio']:.2f}  ITL {itl}")
    print(table(results))


if __name__ == "__main__":
    main()
