"""Percentiles and distribution summaries for benchmark latencies.

Rule: one percentile method everywhere, stated and tested. We use linear interpolation between the closest
ranks (Hyndman & Fan type 7, the default of numpy and of vLLM's benchmark): for sorted values x[0..n-1] and
p in [0, 100], the rank is h = (n - 1) * p / 100 and the value is x[floor h] + (h - floor h) *
(x[floor h + 1] - x[floor h]). With one value every percentile is that value; with none there is no answer.
Pure, standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from deploy.records import record

PERCENTILES = (50.0, 90.0, 99.0)


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0..100) of ``values`` by linear interpolation (type 7)."""
    if not values:
        raise ValueError("percentile of an empty sequence")
    if not 0.0 <= p <= 100.0:
        raise ValueError(f"percentile must be within [0, 100], got {p}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])


@record
class Distribution:
    """Summary of one metric over the requests of a level (seconds); ``count`` 0 means no data."""

    count: int
    mean: float | None
    p50: float | None
    p90: float | None
    p99: float | None
    minimum: float | None
    maximum: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Distribution:
        """Summarise ``values`` (an empty sequence gives a Distribution of Nones)."""
        if not values:
            return cls(0, None, None, None, None, None, None)
        p50, p90, p99 = (percentile(values, p) for p in PERCENTILES)
        return cls(len(values), sum(values) / len(values), p50, p90, p99, min(values), max(values))

    def to_dict(self, scale: float = 1000.0) -> dict[str, Any]:
        """Values multiplied by ``scale`` (default: seconds -> milliseconds), rounded to microseconds."""

        def conv(v: float | None) -> float | None:
            return None if v is None else round(v * scale, 3)

        return {
            "count": self.count,
            "mean": conv(self.mean),
            "p50": conv(self.p50),
            "p90": conv(self.p90),
            "p99": conv(self.p99),
            "min": conv(self.minimum),
            "max": conv(self.maximum),
        }
