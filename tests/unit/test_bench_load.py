"""The load shapes with a fake sender (no network): request counts, concurrency bound, Poisson schedule."""

from __future__ import annotations

import random
import threading
import time

from deploy.bench import BenchConfig, run_bench
from deploy.bench.load import LevelPlan, run_closed_loop, run_open_loop
from deploy.bench.metrics import RequestRecord
from deploy.errors import InvokeError
from deploy.invoke.results import Generation, StreamResult
from deploy.invoke.streaming import StreamEvent


class FakeSender:
    """Records how many calls run at once; fails every ``fail_every``-th call."""

    def __init__(self, seconds: float = 0.0, fail_every: int = 0) -> None:
        self.seconds, self.fail_every = seconds, fail_every
        self.calls = self.active = self.peak = 0
        self.lock = threading.Lock()

    def __call__(self, prompt: str, output_tokens: int) -> RequestRecord:
        with self.lock:
            self.calls += 1
            self.active += 1
            self.peak = max(self.peak, self.active)
            number = self.calls
        try:
            if self.seconds:
                time.sleep(self.seconds)
            if self.fail_every and number % self.fail_every == 0:
                raise InvokeError("overloaded", status=503)
            return RequestRecord(sent_at=0.0, token_times=(0.001, 0.002), e2e_s=0.002, output_tokens=output_tokens)
        finally:
            with self.lock:
                self.active -= 1


def test_closed_loop_sends_exactly_n_requests_with_at_most_c_in_flight() -> None:
    sender = FakeSender(seconds=0.002, fail_every=5)
    done: list[RequestRecord] = []
    records = run_closed_loop(sender, LevelPlan(20, None, ("p",), 2), 4, done.append)
    assert len(records) == len(done) == sender.calls == 20
    assert sender.peak <= 4
    failed = [r for r in records if not r.ok]
    assert len(failed) == 4 and {r.error_kind for r in failed} == {"invoke_error"}
    assert all(r.output_tokens == 2 for r in records if r.ok)


def test_closed_loop_with_only_a_duration_stops_in_time() -> None:
    records = run_closed_loop(FakeSender(seconds=0.001), LevelPlan(0, 0.05, ("p",), 1), 2, lambda r: None)
    assert records and max(r.sent_at for r in records) < 0.05


def test_open_loop_follows_the_seeded_schedule_within_the_duration() -> None:
    plan = LevelPlan(0, 0.2, ("p",), 1)
    first = run_open_loop(FakeSender(), plan, 100.0, lambda r: None, rng=random.Random(3), max_in_flight=8)
    second = run_open_loop(FakeSender(), plan, 100.0, lambda r: None, rng=random.Random(3), max_in_flight=8)
    assert len(first) == len(second) > 0  # same seed, same number of arrivals
    assert all(r.ok for r in first)
    assert max(r.sent_at for r in first) < 0.2 + 0.05


def test_open_loop_caps_requests() -> None:
    plan = LevelPlan(5, None, ("p",), 1)
    records = run_open_loop(FakeSender(), plan, 500.0, lambda r: None, rng=random.Random(0), max_in_flight=2)
    assert len(records) == 5


class PromptRecorder:
    """A stand-in for deploy.Endpoint whose streams answer two tokens at once and record every prompt."""

    name = "fake"

    def __init__(self) -> None:
        self.prompts: list[str] = []
        self.lock = threading.Lock()

    def stream(self, prompt: str, **params: object) -> StreamResult[Generation]:
        with self.lock:
            self.prompts.append(prompt)
        return StreamResult([StreamEvent(text="a"), StreamEvent(text="b")], Generation, started=time.perf_counter())


def _sent_prompts(config: BenchConfig) -> list[str]:
    endpoint = PromptRecorder()
    run_bench(endpoint, config)  # type: ignore[arg-type]
    return endpoint.prompts[1:]  # the first one is the warm-up


def test_a_long_level_never_reuses_a_prompt() -> None:
    """Repeated prompts would hit vLLM's prefix cache and flatter TTFT; 1,500 requests get 1,500 prompts."""
    prompts = _sent_prompts(BenchConfig(concurrency=(2,), requests=1500, input_tokens=16))
    assert len(prompts) == 1500 and len(set(prompts)) == 1500
    assert all(len(prompt.split()) == 16 for prompt in prompts)
    seeded = BenchConfig(concurrency=(1,), requests=5, input_tokens=16, seed=3)
    assert _sent_prompts(seeded) == _sent_prompts(seeded)
