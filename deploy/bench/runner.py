"""Run a benchmark: a warm-up request, then one level per concurrency (closed loop) or rate (open loop).

Rule: the runner wires the pieces and owns the defaults; the numbers are defined in
:mod:`deploy.bench.metrics` and the load shapes in :mod:`deploy.bench.load`. Every request streams, asks for
exactly ``output_tokens`` tokens (``ignore_eos``, as vLLM's benchmark does with ``--ignore-eos``) and gets a
fresh random prompt of about ``input_tokens`` tokens.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, field
from typing import TYPE_CHECKING, Any

from deploy.bench.datasets import SyntheticRequests
from deploy.bench.load import BenchRequest, LevelPlan, run_closed_loop, run_open_loop
from deploy.bench.metrics import LevelResult, RequestRecord, Slo, aggregate
from deploy.bench.tokens import TokenCounter, WordCounter
from deploy.errors import UsageError
from deploy.records import record

if TYPE_CHECKING:
    from deploy.invoke.endpoint import Endpoint

MAX_IN_FLIGHT = 256
# One thread per closed-loop stream: far beyond what one process can drive honestly (the GIL, 2 cores), and a typo
# such as --concurrency 100000 would otherwise end in "can't start new thread" after half a minute.
MAX_CONCURRENCY = 4096
# A prompt is built in memory and sent as one request: 2^20 tokens is ~6 MB of text, SageMaker's payload limit is
# 25 MB; more would only exhaust memory building it.
MAX_TOKENS = 1024 * 1024


_TOKENS_FIX = f"1 to {MAX_TOKENS:,} tokens (and within the endpoint's max_model_len)"


@record
class BenchConfig:
    """What to send. ``rates`` non-empty selects open-loop Poisson levels instead of concurrency levels."""

    concurrency: tuple[int, ...] = (1, 4, 16, 64)
    rates: tuple[float, ...] = ()
    requests: int | None = None
    duration_s: float | None = None
    input_tokens: int = 128
    output_tokens: int = 128
    chat: bool = False
    seed: int = 0
    slo: Slo = field(default_factory=Slo)
    instance_type: str | None = None
    instance_count: int | None = None
    price_per_hour: float | None = None
    api: str = "invoke"
    dataset: tuple[str, str] | None = None
    component: str | None = None  # the inference component benchmarked (its full IC name), None: the endpoint
    capacity_share: float | None = None  # the component's share of the endpoint's GPUs, which its cost counts

    def __post_init__(self) -> None:
        checks = [
            (
                "--concurrency",
                self.concurrency,
                all(1 <= c <= MAX_CONCURRENCY for c in self.concurrency),
                f"1 to {MAX_CONCURRENCY:,} streams per level, e.g. 1,4,16,64 (run several lmi bench for more)",
            ),
            ("--rate", self.rates, all(r > 0 for r in self.rates), "requests per second > 0, e.g. 2,4,8"),
            ("--requests", self.requests, self.requests is None or self.requests >= 1, "at least 1"),
            ("--duration", self.duration_s, self.duration_s is None or self.duration_s > 0, "seconds > 0"),
            ("--input-tokens", self.input_tokens, 1 <= self.input_tokens <= MAX_TOKENS, _TOKENS_FIX),
            ("--output-tokens", self.output_tokens, 1 <= self.output_tokens <= MAX_TOKENS, _TOKENS_FIX),
            ("--slo-ttft-ms", _ms(self.slo.ttft_s), self.slo.ttft_s is None or self.slo.ttft_s > 0, "milliseconds > 0"),
            ("--slo-tpot-ms", _ms(self.slo.tpot_s), self.slo.tpot_s is None or self.slo.tpot_s > 0, "milliseconds > 0"),
            (
                "--instance-count",
                self.instance_count,
                self.instance_count is None or self.instance_count >= 1,
                "at least 1",
            ),
        ]
        for name, value, ok, fix in checks:
            if not ok:
                raise UsageError(f"{name} is out of range", field=name, value=value, fix=fix)
        if not self.concurrency and not self.rates:
            raise UsageError("no load level given", field="--concurrency", value="", fix="e.g. --concurrency 1,4")

    @property
    def mode(self) -> str:
        return "rate" if self.rates else "concurrency"

    @property
    def levels(self) -> tuple[float, ...]:
        return tuple(self.rates) if self.rates else tuple(float(c) for c in self.concurrency)

    @property
    def dollars_per_hour(self) -> float | None:
        if self.price_per_hour is None:
            return None
        return self.price_per_hour * (self.instance_count or 1) * (self.capacity_share or 1.0)

    def requests_for(self, level: float) -> int:
        """Requests per level: the given number; else unbounded with a duration; else 4 per stream / 64."""
        if self.requests is not None:
            return self.requests
        if self.duration_s is not None:
            return 0
        return max(8, 4 * int(level)) if self.mode == "concurrency" else 64


@record
class BenchReport:
    """Everything a run measured, plus the settings that produced it."""

    endpoint: str
    config: BenchConfig
    levels: tuple[LevelResult, ...]
    token_counting: dict[str, Any] = field(default_factory=dict)
    prediction: dict[str, Any] | None = None  # the performance model beside the measurement (bench.prediction)

    @property
    def target(self) -> str:
        """What was benchmarked, as titles show it: ``endpoint`` or ``endpoint component IC``."""
        return f"{self.endpoint} component {self.config.component}" if self.config.component else self.endpoint

    def records(self) -> list[dict[str, Any]]:
        """One flat row per load level (latencies in ms; error counts are in ``failed``, details in ``to_dict``)."""
        rows = []
        for level in self.levels:
            row: dict[str, Any] = {"endpoint": self.endpoint, "component": self.config.component}
            for key, value in level.to_dict().items():
                if isinstance(value, dict) and key.endswith("_ms"):
                    name = key.removesuffix("_ms")
                    row.update({f"{name}_{s}" if s == "count" else f"{name}_{s}_ms": v for s, v in value.items()})
                elif not isinstance(value, dict):
                    row[key] = value
            rows.append(row)
        return rows

    def to_dataframe(self) -> Any:
        """:meth:`records` as a ``pandas.DataFrame`` (pandas is optional: ``pip install pandas``)."""
        try:
            import pandas as pd
        except ImportError as exc:
            from deploy.errors import UsageError

            raise UsageError("to_dataframe needs pandas, which is not installed", fix="pip install pandas") from exc
        return pd.DataFrame(self.records())

    def _repr_html_(self) -> str:
        from html import escape

        rows = self.records()
        columns = ["level", "completed", "failed", "ttft_p50_ms", "tpot_p50_ms", "e2e_p99_ms", "output_tokens_per_s"]
        head = "".join(f"<th>{escape(c)}</th>" for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{escape(str(r.get(c)))}</td>" for c in columns) + "</tr>" for r in rows)
        return f"<table><caption>lmi bench {escape(self.target)}</caption><tr>{head}</tr>{body}</table>"

    def to_dict(self) -> dict[str, Any]:
        config = asdict(self.config)
        if self.config.rates:
            config["concurrency"] = ()  # the default sweep was not run: rates replace it
        config["slo"] = {"ttft_ms": _ms(self.config.slo.ttft_s), "tpot_ms": _ms(self.config.slo.tpot_s)}
        return {
            "endpoint": self.endpoint,
            "component": self.config.component,
            "mode": self.config.mode,
            "config": config,
            "token_counting": self.token_counting,
            "levels": [level.to_dict() for level in self.levels],
            **({"prediction": self.prediction} if self.prediction is not None else {}),
        }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000.0


def streaming_sender(
    endpoint: Endpoint, *, chat: bool, route: str = "invoke", counter: TokenCounter | None = None
) -> Callable[[str, int], RequestRecord]:
    """A function that streams one request and returns its timings (``sent_at`` is filled by the caller).

    Output tokens: the server's count when it gives one (OpenAI usage, LMI details), else the tokenizer's count
    of the text, else (approximate counter) one per token event.
    """

    def send(prompt: str, output_tokens: int) -> RequestRecord:
        if chat or route == "openai":
            stream: Any = endpoint.chat_stream(prompt, route=route, max_tokens=output_tokens, ignore_eos=True)
        else:
            stream = endpoint.stream(prompt, max_new_tokens=output_tokens, ignore_eos_token=True)
        for _ in stream:
            pass
        result = stream.result
        reported = stream.server_completion_tokens
        if reported is not None:
            tokens = reported
        elif counter is not None and counter.exact:
            tokens = counter.count(result.text)
        else:
            tokens = len(stream.token_times)
        return RequestRecord(
            sent_at=0.0,
            token_times=tuple(stream.token_times),
            e2e_s=result.latency_s,
            output_tokens=tokens,
            text=result.text,
            server_counted=reported is not None,
        )

    return send


def run_bench(
    endpoint: Endpoint,
    config: BenchConfig,
    *,
    counter: TokenCounter | None = None,
    dataset: Sequence[BenchRequest] | None = None,
    on_done: Callable[[RequestRecord], None] | None = None,
    on_level: Callable[[float, int], None] | None = None,
) -> BenchReport:
    """Warm up with one request (its errors propagate: a wrong name fails fast), then run every level.

    ``counter`` counts tokens and builds prompts (default: the word approximation); ``dataset`` replaces the
    synthetic prompts (request ``i`` of a level is ``dataset[i % len(dataset)]``).
    """
    tokens: TokenCounter = counter or WordCounter("approximate token counts (1 word = 1 token): no tokenizer given")
    send = streaming_sender(endpoint, chat=config.chat, route=config.api, counter=tokens)
    rng = random.Random(config.seed)
    send(tokens.prompt(rng, config.input_tokens), min(config.output_tokens, 8))
    results = []
    for level in config.levels:
        count = config.requests_for(level)
        items = dataset or SyntheticRequests(
            f"{config.seed}:{level:g}", config.input_tokens, config.output_tokens, tokens
        )
        plan = LevelPlan(count, config.duration_s, items, config.output_tokens)
        if on_level is not None:
            on_level(level, count)
        done = on_done or (lambda _sent: None)
        if config.mode == "rate":
            records = run_open_loop(send, plan, level, done, rng=rng, max_in_flight=MAX_IN_FLIGHT)
        else:
            records = run_closed_loop(send, plan, int(level), done)
        results.append(aggregate(config.mode, level, records, slo=config.slo, dollars_per_hour=config.dollars_per_hour))
    counting = {"tokenizer": tokens.source, "exact": tokens.exact, "note": tokens.note}
    return BenchReport(endpoint.name, config, tuple(results), counting)


def pool_size(config: BenchConfig) -> int:
    """Connections the runtime client needs: the highest concurrency, or the open-loop in-flight cap."""
    return MAX_IN_FLIGHT if config.rates else max(config.concurrency) + 4
