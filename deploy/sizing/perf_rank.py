"""Rank recommendations by predicted $/M output tokens among those that meet latency SLOs.

Rule: ``recommend`` decides what fits (and holds the asked concurrency); this module only attaches a
:class:`~deploy.sizing.perf.Performance` to each fitting instance type and reorders them. The workload's
concurrency is the instance's total: each of its ``copies`` serves ceil(C / copies) streams. Unpriced
instance types have no $/M tokens and rank last; types that miss an SLO are dropped (the caller says how many).
"""

from __future__ import annotations

import math
from dataclasses import replace

from deploy.records import record
from deploy.sizing.perf import Workload
from deploy.sizing.perf_inputs import predict_for_instance
from deploy.sizing.recommend import Recommendation
from deploy.sizing.shape import ModelShape


@record
class Slo:
    """Latency limits a recommendation must meet (None = no limit)."""

    ttft_ms: float | None = None
    itl_ms: float | None = None

    def met_by(self, ttft_ms: float, itl_ms: float) -> bool:
        return (self.ttft_ms is None or ttft_ms <= self.ttft_ms) and (self.itl_ms is None or itl_ms <= self.itl_ms)


def with_performance(shape: ModelShape, rec: Recommendation, work: Workload, quantize: str | None) -> Recommendation:
    """``rec`` with the predicted performance of ``work`` spread over its copies (at its listed price)."""
    per_copy = Workload(math.ceil(work.concurrency / max(1, rec.copies)), work.input_tokens, work.output_tokens)
    perf = predict_for_instance(
        shape, rec.estimate, rec.instance_type, per_copy, quantize=quantize, price_per_hour=rec.price_per_hour
    )
    return replace(rec, performance=perf)


def attach_performance(
    shape: ModelShape, recs: list[Recommendation], work: Workload, quantize: str | None = None
) -> list[Recommendation]:
    """``recs`` in their order, each with its predicted performance (unchanged when one request cannot fit)."""
    from deploy.errors import UsageError

    out = []
    for rec in recs:
        try:
            out.append(with_performance(shape, rec, work, quantize))
        except UsageError:  # one request of I + O tokens does not fit this type's KV cache
            out.append(rec)
    return out


def _cost_key(rec: Recommendation) -> tuple[float, float]:
    cost = rec.performance.cost_per_million_output_tokens if rec.performance else None
    return (cost if cost is not None else math.inf, rec.price_per_hour or math.inf)


def rank_by_cost(
    shape: ModelShape,
    recs: list[Recommendation],
    work: Workload,
    slo: Slo,
    *,
    quantize: str | None = None,
) -> tuple[list[Recommendation], int]:
    """(recommendations meeting ``slo``, cheapest $/M output tokens first; how many missed the SLO)."""
    scored = attach_performance(shape, recs, work, quantize)
    kept = [r for r in scored if r.performance and slo.met_by(r.performance.ttft_ms, r.performance.itl_ms)]
    kept.sort(key=_cost_key)
    return kept, len(scored) - len(kept)
