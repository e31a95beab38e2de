"""Ctrl-C during ``lmi deploy`` and ``lmi destroy``: say what is left and the exact command that finishes the job.

Rule: applies run on daemon threads while the main thread waits for them. The first Ctrl-C asks every apply to
stop at its next safe point (before a step, or at a poll of a wait); the second stops waiting at once. Either
way each unfinished endpoint gets a summary row (exit code 130) listing the steps of its plan that had not
finished and the command to run. Nothing is hidden: what is left stays tagged, so ``lmi list`` shows it too.
Only the standard library at module level.
"""

from __future__ import annotations

import shlex
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

Job = Callable[[], dict[str, Any]]
EventSink = Callable[[dict[str, Any]], None]


class Tracker:
    """Which steps of each plan have finished, from the apply's progress events."""

    def __init__(self, plans: dict[str, Any]) -> None:
        self.plans = plans
        self.finished = dict.fromkeys(plans, 0)
        self.running: dict[str, str | None] = dict.fromkeys(plans)
        self._lock = threading.Lock()

    def wrap(self, name: str, sink: EventSink) -> EventSink:
        def on_event(event: dict[str, Any]) -> None:
            if event.get("event") == "action":
                with self._lock:
                    if event.get("phase") == "start":
                        self.running[name] = f"{event['type']} {event['resource']}"
                    elif event.get("phase") == "done":
                        self.finished[name] += 1
                        self.running[name] = None
            sink(event)

        return on_event

    def left(self, name: str) -> list[str]:
        """The plan's steps that had not finished; the one under way is marked (AWS may have done it)."""
        with self._lock:
            actions = self.plans[name].actions[self.finished[name] :]
            running = self.running[name]
        steps = [f"{a.type} {a.resource}" for a in actions]
        if steps and running == steps[0]:
            steps[0] += " (under way when interrupted)"
        return steps


def run_jobs(jobs: Sequence[Job], stop: threading.Event, *, quiet: bool) -> tuple[list[dict[str, Any] | None], bool]:
    """Run each job on a daemon thread; returns (their rows, None for unfinished, and whether we stopped waiting)."""
    results: list[dict[str, Any] | None] = [None] * len(jobs)

    finished = [threading.Event() for _ in jobs]

    def runner(index: int, job: Job) -> None:
        try:
            results[index] = job()
        finally:
            finished[index].set()

    threads = [threading.Thread(target=runner, args=(i, job), daemon=True) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    interrupts = 0
    # Not thread.is_alive(): on Python 3.11 a Ctrl-C landing in Thread.join marks a running thread as stopped
    # (the bpo-45274 branch of Thread._wait_for_tstate_lock), so one Ctrl-C would stop waiting at once.
    while not all(event.is_set() for event in finished):
        try:
            wait_a_moment(threads)
        except KeyboardInterrupt:
            interrupts += 1
            if interrupts > 1:
                return results, True
            stop.set()
            if not quiet:
                sys.stderr.write(
                    "interrupted: stopping at the next safe point (Ctrl-C again to stop waiting now; "
                    "what is left is listed either way)\n"
                )
    return results, False


def guarded(name: str, run: Callable[[], Any], error_dict: Callable[[Exception], dict[str, Any]]) -> Job:
    """A job that turns one apply into a summary row: its result, or its error (the exit code reflects it)."""

    def row() -> dict[str, Any]:
        try:
            return dict(run().to_dict())
        except Exception as exc:  # reported in the summary; the exit code reflects it
            return {"endpoint": name, "status": "error", "error": error_dict(exc)}

    return row


def wait_a_moment(threads: Sequence[threading.Thread]) -> None:
    """Where the main thread sits while the applies run (and where a Ctrl-C lands)."""
    del threads  # never joined: see run_jobs
    time.sleep(0.1)


def interrupted_row(name: str, steps: list[str], command: str, error: dict[str, Any] | None) -> dict[str, Any]:
    """The summary row of an endpoint whose apply did not finish: what is left and the command that finishes."""
    base = error or {
        "error": "deploy_error",
        "message": "stopped waiting (second Ctrl-C); AWS carries on with the step that was under way",
        "field": "name",
        "value": name,
    }
    return {
        "endpoint": name,
        "status": "interrupted",
        "actions": [],
        "error": {**base, "remaining": steps, "fix": f"finish with: {command}", "exit_code": 130},
    }


def finish_command(words: Sequence[str], *, region: str | None, profile: str | None, local: bool) -> str:
    """``lmi WORDS [--region R] [--profile P] [--local] --yes``, quoted for a POSIX shell."""
    parts = ["lmi", *words]
    if region:
        parts += ["--region", region]
    if profile:
        parts += ["--profile", profile]
    if local:
        parts.append("--local")
    return shlex.join([*parts, "--yes"])
