"""Benchmark an LMI endpoint: streaming load at fixed concurrencies or Poisson rates, honest metrics.

``run_bench(endpoint, BenchConfig(...)) -> BenchReport``. Metric definitions live in
:mod:`deploy.bench.metrics`; percentiles in :mod:`deploy.bench.stats`; load shapes in
:mod:`deploy.bench.load`; tables and plots in :mod:`deploy.bench.report`. No module here imports boto3:
requests go through :class:`deploy.invoke.endpoint.Endpoint`.
"""

from __future__ import annotations

from deploy.bench.metrics import LevelResult, RequestRecord, Slo, aggregate
from deploy.bench.runner import BenchConfig, BenchReport, pool_size, run_bench
from deploy.bench.stats import Distribution, percentile

__all__ = [
    "BenchConfig",
    "BenchReport",
    "Distribution",
    "LevelResult",
    "RequestRecord",
    "Slo",
    "aggregate",
    "percentile",
    "pool_size",
    "run_bench",
]
