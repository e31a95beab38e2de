"""Per-request measurements and the per-level aggregates a benchmark reports.

Rule: every number is defined once, here, from the timestamps of one streamed request (seconds since it was
sent). The definitions (also in docs/invoke.md):

* TTFT: arrival of the first token event.  E2E: arrival of the last event (the stream's end).
* ITL: every gap between consecutive token events after the first (pooled over the level's requests).
* TPOT: per request (E2E - TTFT) / (output_tokens - 1); undefined for one-token answers.
* output tokens/s and requests/s: successful requests' tokens (or count) / wall time of the level, from the
  first send to the last completion.  Error rate: failed / sent.
* goodput: requests/s that succeeded *and* met every SLO given (TTFT <= slo_ttft, TPOT <= slo_tpot).
* cost per million output tokens: price_per_hour * instance_count / 3600 / (output tokens/s) * 1e6.
Pure: no clock, no I/O.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import field
from typing import Any

from deploy.bench.stats import Distribution
from deploy.records import record


@record
class RequestRecord:
    """One request: when it was sent (seconds since the level started) and what came back when."""

    sent_at: float
    token_times: tuple[float, ...] = ()
    e2e_s: float | None = None
    output_tokens: int = 0
    error: str | None = None
    error_kind: str | None = None
    lag_s: float = 0.0
    input_tokens: int = 0
    text: str = field(default="", repr=False)
    server_counted: bool = False  # output_tokens came from the server's usage/details, not from counting

    @property
    def ok(self) -> bool:
        return self.error is None and self.e2e_s is not None

    @property
    def ttft_s(self) -> float | None:
        return self.token_times[0] if self.token_times else None

    @property
    def itls(self) -> list[float]:
        """Gaps between consecutive token events after the first."""
        times = self.token_times
        return [later - earlier for earlier, later in itertools.pairwise(times)]

    @property
    def tpot_s(self) -> float | None:
        """(E2E - TTFT) / (output_tokens - 1); None when fewer than two tokens came back."""
        if self.e2e_s is None or self.ttft_s is None or self.output_tokens < 2:
            return None
        return (self.e2e_s - self.ttft_s) / (self.output_tokens - 1)

    def meets(self, slo_ttft_s: float | None, slo_tpot_s: float | None) -> bool:
        """True when the request succeeded and every SLO given holds (a missing TPOT fails a TPOT SLO)."""
        if not self.ok:
            return False
        if slo_ttft_s is not None and (self.ttft_s is None or self.ttft_s > slo_ttft_s):
            return False
        tpot = self.tpot_s
        return slo_tpot_s is None or (tpot is not None and tpot <= slo_tpot_s)


@record
class Slo:
    """Service-level objectives for goodput, in seconds; None means "not constrained"."""

    ttft_s: float | None = None
    tpot_s: float | None = None

    @property
    def any(self) -> bool:
        return self.ttft_s is not None or self.tpot_s is not None


@record
class LevelResult:
    """The aggregate of one load level (a concurrency or a request rate)."""

    mode: str
    level: float
    sent: int
    completed: int
    failed: int
    duration_s: float
    output_tokens: int
    ttft: Distribution
    tpot: Distribution
    itl: Distribution
    e2e: Distribution
    output_tokens_per_s: float
    requests_per_s: float
    error_rate: float
    goodput_requests_per_s: float | None
    slo_attainment: float | None
    cost_per_million_output_tokens: float | None
    max_lag_s: float
    errors: dict[str, int] = field(default_factory=dict)
    error_examples: dict[str, str] = field(default_factory=dict)
    input_tokens: int = 0
    records: tuple[RequestRecord, ...] = field(default=(), repr=False, compare=False)  # for --save-result

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: latencies in milliseconds, rates per second, cost in USD."""
        level = int(self.level) if self.mode == "concurrency" else self.level
        out: dict[str, Any] = {"mode": self.mode, "level": level}
        for name in ("sent", "completed", "failed", "input_tokens", "output_tokens", "errors", "error_examples"):
            out[name] = getattr(self, name)
        out["duration_s"] = round(self.duration_s, 4)
        for name in ("ttft", "tpot", "itl", "e2e"):
            out[f"{name}_ms"] = getattr(self, name).to_dict()
        for name in (
            "output_tokens_per_s",
            "requests_per_s",
            "error_rate",
            "goodput_requests_per_s",
            "slo_attainment",
            "cost_per_million_output_tokens",
            "max_lag_s",
        ):
            value = getattr(self, name)
            out[name] = None if value is None else round(value, 6)
        return out


def aggregate(
    mode: str,
    level: float,
    records: Sequence[RequestRecord],
    *,
    slo: Slo = Slo(),
    dollars_per_hour: float | None = None,
) -> LevelResult:
    """Fold the records of one level into a :class:`LevelResult`."""
    ok = [r for r in records if r.ok]
    duration = _wall_time(records)
    tokens = sum(r.output_tokens for r in ok)
    tok_s = tokens / duration if duration > 0 else 0.0
    good = sum(1 for r in ok if r.meets(slo.ttft_s, slo.tpot_s))
    return LevelResult(
        mode=mode,
        level=level,
        sent=len(records),
        completed=len(ok),
        failed=len(records) - len(ok),
        duration_s=duration,
        output_tokens=tokens,
        ttft=Distribution.of([r.ttft_s for r in ok if r.ttft_s is not None]),
        tpot=Distribution.of([t for r in ok if (t := r.tpot_s) is not None]),
        itl=Distribution.of([gap for r in ok for gap in r.itls]),
        e2e=Distribution.of([r.e2e_s for r in ok if r.e2e_s is not None]),
        output_tokens_per_s=tok_s,
        requests_per_s=len(ok) / duration if duration > 0 else 0.0,
        error_rate=(len(records) - len(ok)) / len(records) if records else 0.0,
        goodput_requests_per_s=(good / duration if duration > 0 else 0.0) if slo.any else None,
        slo_attainment=(good / len(records) if records else 0.0) if slo.any else None,
        cost_per_million_output_tokens=cost_per_million(dollars_per_hour, tok_s),
        max_lag_s=max((r.lag_s for r in records), default=0.0),
        errors=dict(Counter(r.error_kind or "error" for r in records if not r.ok)),
        error_examples=_first_messages(records),
        input_tokens=sum(r.input_tokens for r in ok),
        records=tuple(records),
    )


def _first_messages(records: Sequence[RequestRecord]) -> dict[str, str]:
    """The first error message of each kind, so a failed level says why."""
    examples: dict[str, str] = {}
    for sent in sorted(records, key=lambda r: r.sent_at):
        if not sent.ok:
            examples.setdefault(sent.error_kind or "error", sent.error or "no answer")
    return examples


def cost_per_million(dollars_per_hour: float | None, output_tokens_per_s: float) -> float | None:
    """USD per million output tokens at the measured throughput; None without a price or throughput."""
    if dollars_per_hour is None or output_tokens_per_s <= 0:
        return None
    return dollars_per_hour / 3600.0 / output_tokens_per_s * 1e6


def _wall_time(records: Sequence[RequestRecord]) -> float:
    if not records:
        return 0.0
    start = min(r.sent_at for r in records)
    end = max(r.sent_at + (r.e2e_s or 0.0) for r in records)
    return end - start
