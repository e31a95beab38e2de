"""One Ctrl-C during a wait (an IC's, an endpoint's) must stop at the next safe point, not stop waiting at once.

Found with a real SIGINT to ``lmi deploy`` of a component spec while an IC was Creating: one Ctrl-C printed
"stopped waiting (second Ctrl-C)" and left the engine's thread mid-step. The cause was the wait loop asking
``Thread.is_alive()`` after a ``Thread.join(timeout)`` that the KeyboardInterrupt had broken into: on Python 3.11
that path (the bpo-45274 branch of ``Thread._wait_for_tstate_lock``) marks the still-running thread as stopped.
These tests send real SIGINTs to this process while :func:`run_jobs` waits.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import pytest

from deploy.cli.interrupts import run_jobs


def press_ctrl_c(after_s: float, times: int = 1) -> threading.Thread:
    def press() -> None:
        for _ in range(times):
            time.sleep(after_s)
            os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=press, daemon=True)
    thread.start()
    return thread


def job_stopping_after(stop: threading.Event, finish_s: float) -> Any:
    def job() -> dict[str, Any]:
        stop.wait(30)
        time.sleep(finish_s)  # the safe point is some way off, like a poll of DescribeInferenceComponent
        return {"status": "interrupted-at-safe-point", "stop_seen": stop.is_set()}

    return job


@pytest.mark.parametrize("jobs", [1, 2, 3])
@pytest.mark.parametrize("finish_s", [0.3, 0.8])
def test_one_ctrl_c_lets_every_job_reach_its_safe_point(jobs: int, finish_s: float) -> None:
    stop = threading.Event()
    press_ctrl_c(0.3)
    results, stopped_waiting = run_jobs([job_stopping_after(stop, finish_s) for _ in range(jobs)], stop, quiet=True)
    assert not stopped_waiting
    assert results == [{"status": "interrupted-at-safe-point", "stop_seen": True}] * jobs


def test_a_second_ctrl_c_still_stops_waiting_at_once() -> None:
    stop = threading.Event()
    press_ctrl_c(0.3, times=2)
    started = time.monotonic()
    results, stopped_waiting = run_jobs([job_stopping_after(stop, 5.0)], stop, quiet=True)
    assert stopped_waiting and results == [None]
    assert time.monotonic() - started < 4.0
