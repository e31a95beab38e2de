"""The load generator: closed-loop concurrency sweeps and open-loop Poisson arrivals of streaming requests.

Rule: the client must not be the bottleneck, and must say so when it is. Each request runs on its own thread
(boto3 clients are thread-safe; the connection pool is sized to the highest concurrency), the only shared
state is a counter under a lock, and open-loop runs record how late each request left compared with its
scheduled Poisson arrival (``max_lag_s``): a large lag means the client, not the endpoint, limited the rate.
Arrivals and prompts come from a seeded RNG, so two runs send the same requests at the same offsets.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import overload

from deploy.bench.metrics import RequestRecord
from deploy.errors import LmiError
from deploy.records import record

Sender = Callable[[str, int], RequestRecord]


@record
class BenchRequest:
    """One request of a level: the prompt, its token count, and the output tokens to ask for."""

    prompt: str
    input_tokens: int
    output_tokens: int


Item = str | BenchRequest  # a bare prompt asks for the level's output_tokens
OnDone = Callable[[RequestRecord], None]

# Common one-token English words: a prompt of N of them is about N tokens for Llama/Qwen-style tokenizers.
WORDS = (
    "the", "of", "and", "to", "in", "is", "was", "for", "on", "that", "with", "as", "by", "at", "from",
    "it", "be", "this", "are", "or", "an", "have", "not", "which", "one", "all", "were", "but", "they",
    "had", "there", "been", "has", "their", "more", "when", "will", "would", "who", "so", "if", "its",
    "into", "than", "time", "only", "other", "new", "some", "could", "these", "two", "may", "first",
    "then", "do", "any", "like", "my", "now", "over", "such", "our", "man", "me", "even", "most", "made",
    "after", "also", "did", "many", "before", "must", "through", "back", "years", "where", "much", "your",
    "way", "well", "down", "should", "because", "each", "just", "those", "people",
)  # fmt: skip


def make_prompt(rng: random.Random, n_words: int) -> str:
    """A random sequence of ``n_words`` common words (different per request, so no prefix-cache hits)."""
    return " ".join(rng.choice(WORDS) for _ in range(max(1, n_words)))


def poisson_offsets(rate: float, count: int, rng: random.Random) -> list[float]:
    """``count`` arrival times (seconds from 0) of a Poisson process with ``rate`` requests per second."""
    offsets, now = [], 0.0
    for _ in range(count):
        now += rng.expovariate(rate)
        offsets.append(now)
    return offsets


class Prompts(Sequence[str]):
    """A fresh prompt for every request index, made on demand (a long level never reuses one).

    Prompt ``i`` depends only on ``seed`` and ``i``, so two runs send the same prompts. Reusing a prompt would
    let vLLM's prefix cache skip its prefill and flatter TTFT.
    """

    def __init__(self, seed: str, n_words: int, count: int = 2**62) -> None:
        self.seed = seed
        self.n_words = n_words
        self.size = count

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...

    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.size))]
        if not -self.size <= index < self.size:
            raise IndexError(index)
        return make_prompt(random.Random(f"{self.seed}:{index % self.size}"), self.n_words)


@record
class LevelPlan:
    """What one level sends: how many requests at most, for how long at most, with which prompts."""

    requests: int
    duration_s: float | None
    prompts: Sequence[Item]
    output_tokens: int


def run_closed_loop(send: Sender, plan: LevelPlan, concurrency: int, on_done: OnDone) -> list[RequestRecord]:
    """``concurrency`` workers, each sending its next request as soon as the previous one finished."""
    claims = _claims(plan)
    lock = threading.Lock()
    records: list[RequestRecord] = []
    ready = threading.Barrier(concurrency + 1)  # all workers exist before the clock starts
    origin = 0.0

    def worker() -> None:
        ready.wait()
        while True:
            with lock:
                index = next(claims, None)
            if index is None or _expired(origin, plan.duration_s):
                return
            sent = _timed(send, plan.prompts[index % len(plan.prompts)], plan.output_tokens, origin)
            with lock:
                records.append(sent)
            on_done(sent)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    origin = time.perf_counter()
    ready.wait()
    for thread in threads:
        thread.join()
    return records


def run_open_loop(
    send: Sender, plan: LevelPlan, rate: float, on_done: OnDone, *, rng: random.Random, max_in_flight: int
) -> list[RequestRecord]:
    """Requests leave at Poisson arrival times regardless of how many are still running (up to a cap)."""
    count = plan.requests
    if plan.duration_s is not None:
        enough = max(1, int(rate * plan.duration_s * 2) + 10)  # arrivals past the duration are dropped below
        count = enough if count <= 0 else min(count, enough)
    offsets = poisson_offsets(rate, count, rng)
    if plan.duration_s is not None:
        offsets = [t for t in offsets if t <= plan.duration_s] or offsets[:1]
    records: list[RequestRecord] = []
    lock = threading.Lock()
    origin = time.perf_counter()

    def fire(index: int, scheduled: float) -> None:
        sent = _timed(send, plan.prompts[index % len(plan.prompts)], plan.output_tokens, origin, scheduled)
        with lock:
            records.append(sent)
        on_done(sent)

    with ThreadPoolExecutor(max_workers=max_in_flight, thread_name_prefix="lmi-bench") as pool:
        for index, scheduled in enumerate(offsets):
            delay = scheduled - (time.perf_counter() - origin)
            if delay > 0:
                time.sleep(delay)
            pool.submit(fire, index, scheduled)
    return records


def _claims(plan: LevelPlan) -> Iterator[int]:
    """Request indexes to hand out; unbounded when only a duration limits the level."""
    unbounded = plan.duration_s is not None and plan.requests <= 0
    return iter(range(10**12 if unbounded else plan.requests))


def _expired(origin: float, duration_s: float | None) -> bool:
    return duration_s is not None and time.perf_counter() - origin >= duration_s


def _timed(
    send: Sender, item: Item, output_tokens: int, origin: float, scheduled: float | None = None
) -> RequestRecord:
    """Send one request; failures become records (a benchmark counts errors, it does not stop on them)."""
    prompt, input_tokens = (item.prompt, item.input_tokens) if isinstance(item, BenchRequest) else (item, 0)
    if isinstance(item, BenchRequest):
        output_tokens = item.output_tokens
    sent_at = time.perf_counter() - origin
    lag = 0.0 if scheduled is None else max(0.0, sent_at - scheduled)
    try:
        sent = send(prompt, output_tokens)
    except LmiError as exc:
        return RequestRecord(
            sent_at=sent_at, error=exc.message, error_kind=exc.kind, lag_s=lag, input_tokens=input_tokens
        )
    except Exception as exc:  # a network failure is a data point, not a crash
        return RequestRecord(
            sent_at=sent_at, error=str(exc), error_kind=type(exc).__name__, lag_s=lag, input_tokens=input_tokens
        )
    return dataclasses.replace(sent, sent_at=sent_at, lag_s=lag, input_tokens=input_tokens or sent.input_tokens)
