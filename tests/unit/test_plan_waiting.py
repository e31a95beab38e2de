"""Waits poll fast first, back off to a cap, report progress, and stop at their timeout (fake clock)."""

from __future__ import annotations

from itertools import islice
from typing import Any

import pytest

from deploy.engine.waiting import PollSchedule, Waiter
from deploy.errors import DeployError


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def __call__(self) -> float:
        return self.now


class FakeSageMaker:
    """Answers DescribeEndpoint from a script of statuses (the last one repeats)."""

    def __init__(self, statuses: list[str | None]) -> None:
        self.statuses = statuses
        self.calls = 0

    def describe_endpoint(self, name: str) -> dict[str, Any] | None:
        status = self.statuses[min(self.calls, len(self.statuses) - 1)]
        self.calls += 1
        if status is None:
            return None
        return {"EndpointName": name, "EndpointStatus": status, "EndpointConfigName": "cfg"}


def test_schedule_starts_at_one_second_and_caps() -> None:
    delays = list(islice(PollSchedule().delays(), 12))
    assert delays[0] == 1.0 and max(delays) == 4.0 and delays == sorted(delays)


def test_wait_reports_each_poll_and_returns_final_description() -> None:
    clock = FakeClock()
    events: list[dict[str, Any]] = []
    sm = FakeSageMaker(["Creating"] * 5 + ["InService"])
    described = Waiter(sleep=clock.sleep, clock=clock).until_settled(sm, "ep", 600, events.append)  # type: ignore[arg-type]
    assert described["EndpointStatus"] == "InService"
    assert [e["status"] for e in events] == ["Creating"] * 5 + ["InService"]
    assert events[-1]["elapsed_s"] == pytest.approx(clock.now, abs=0.1) and clock.now < 15


def test_wait_times_out_with_a_fix() -> None:
    clock = FakeClock()
    with pytest.raises(DeployError) as info:
        Waiter(sleep=clock.sleep, clock=clock).until_settled(FakeSageMaker(["Creating"]), "ep", 30)  # type: ignore[arg-type]
    assert "still Creating" in info.value.message and "timeout 30s" in info.value.message
    assert clock.now <= 30


def test_wait_for_deletion_ends_when_gone() -> None:
    clock = FakeClock()
    sm = FakeSageMaker(["Deleting", "Deleting", None])
    events: list[dict[str, Any]] = []
    Waiter(sleep=clock.sleep, clock=clock).until_deleted(sm, "ep", 60, events.append)  # type: ignore[arg-type]
    assert sm.calls == 3
    assert [e["status"] for e in events] == ["Deleting", "Deleting", "Deleted"]  # visible while it deletes
