"""How much work does lmi-deploy do, and how quickly does it notice InService? Run on the embedded emulator.

For create / no-op re-apply / update / destroy it counts mutating and read API calls (botocore ``before-call``
events), for a single-model endpoint and for a component endpoint (two inference components: create, no-op,
copy change, destroy). Then it measures detection lag: the time between the endpoint turning InService (seen by a
50 ms observer thread) and lmi-deploy's waiter noticing it, side by side with botocore's ``endpoint_in_service``
waiter (30 s delay) on the same emulator. Targets: no-op re-apply = 0 mutating calls; lag < 5 s (the botocore
waiter: up to 30 s).

    PYTHONPATH=. .venv/bin/python benchmarks/deploy_overhead.py [--time-scale 1.0] [--trials 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import fmt_spread, machine_line

MUTATING = ("Create", "Update", "Delete", "Put", "Register", "Deregister", "Add", "Upload", "Complete")
SERVICES = ("sagemaker", "application-autoscaling", "cloudwatch", "s3", "sts")
SPEC = Path(__file__).resolve().parents[1] / "examples" / "qwen25-7b.yaml"


class CallCounter:
    def __init__(self, ctx: Any) -> None:
        self.calls: Counter[str] = Counter()
        for service in SERVICES:
            ctx.client(service).meta.events.register("before-call", self._count)

    def _count(self, model: Any, **_kw: Any) -> None:
        self.calls[model.name] += 1

    def take(self) -> tuple[int, int, dict[str, int]]:
        calls, self.calls = dict(self.calls), Counter()
        mutating = sum(n for op, n in calls.items() if op.startswith(MUTATING))
        return mutating, sum(calls.values()) - mutating, calls


class InServiceObserver(threading.Thread):
    """Polls DescribeEndpoint every 50 ms and records when it first sees InService."""

    def __init__(self, ctx: Any, name: str) -> None:
        super().__init__(daemon=True)
        self.sm, self.name = ctx.client("sagemaker"), name
        self.seen_at: float | None = None
        self.stop_flag = threading.Event()

    def run(self) -> None:
        while not self.stop_flag.is_set() and self.seen_at is None:
            try:
                if self.sm.describe_endpoint(EndpointName=self.name)["EndpointStatus"] == "InService":
                    self.seen_at = time.monotonic()
            except Exception:  # not created yet
                pass
            time.sleep(0.05)


def measured_steps(
    counter: CallCounter, steps: Sequence[tuple[str, Callable[[], object]]], *, prefix: str = ""
) -> list[tuple[str, int, int, float]]:
    """Run each step in turn and count its AWS calls and wall time, so single-model and component endpoints are
    measured the same way: (prefix + label, mutating calls, read calls, seconds) per step."""
    rows = []
    for label, run in steps:
        start = time.monotonic()
        run()
        mutating, reads, _ = counter.take()
        rows.append((f"{prefix}{label}", mutating, reads, time.monotonic() - start))
    return rows


def phases(emu: Any) -> list[tuple[str, int, int, float]]:
    from deploy import client
    from deploy.spec.loader import load_spec

    ctx = emu.context()
    counter = CallCounter(ctx)
    spec = load_spec(SPEC)
    bigger = spec.model_copy(update={"instance": spec.instance.model_copy(update={"type": "ml.g6e.4xlarge"})})
    return measured_steps(
        counter,
        (
            ("create", lambda: client.apply(spec, context=ctx, create_bucket=True)),
            ("no-op re-apply", lambda: client.apply(spec, context=ctx)),
            ("update (instance type)", lambda: client.apply(bigger, context=ctx)),
            ("destroy", lambda: client.destroy(bigger, context=ctx)),
        ),
    )


COMPONENTS = {
    "name": "bench-components",
    "region": "us-east-1",
    "role": "arn:aws:iam::123456789012:role/SageMakerExecutionRole",
    "instance": {"type": "ml.g6e.12xlarge", "count": 1},
    "scaling": {"min": 1, "max": 2},
    "components": [
        {"name": "qwen", "model": {"id": "Qwen/Qwen2.5-7B-Instruct"}, "engine": {"max_model_len": 8192}, "copies": 2},
        {"name": "small", "model": {"id": "Qwen/Qwen2.5-1.5B-Instruct"}, "copies": 1},
    ],
}


def component_phases(emu: Any) -> list[tuple[str, int, int, float]]:
    """The same counts for a component endpoint (per-component autoscaling left out: see the note printed)."""
    import copy

    from deploy import client
    from deploy.spec.loader import parse_any_spec

    ctx = emu.context()
    counter = CallCounter(ctx)
    spec = parse_any_spec(COMPONENTS)
    more = copy.deepcopy(COMPONENTS)
    more["components"][1]["copies"] = 2
    changed = parse_any_spec(more)
    return measured_steps(
        counter,
        (
            ("create", lambda: client.apply(spec, context=ctx, create_bucket=True)),
            ("no-op re-apply", lambda: client.apply(spec, context=ctx)),
            ("copy change", lambda: client.apply(changed, context=ctx)),
            ("destroy", lambda: client.destroy(changed, context=ctx)),
        ),
        prefix="components: ",
    )


def lag_lmi(emu: Any, name: str) -> float:
    from deploy import client
    from deploy.spec.loader import load_spec

    ctx = emu.context()
    spec = load_spec(SPEC).model_copy(update={"name": name})
    observer = InServiceObserver(ctx, name)
    noticed: dict[str, float] = {}

    def on_event(event: dict[str, Any]) -> None:
        if event.get("event") == "wait" and event.get("status") == "InService":
            noticed.setdefault("at", time.monotonic())

    observer.start()
    client.apply(spec, context=ctx, create_bucket=True, on_event=on_event)
    observer.join(timeout=5)
    client.destroy(spec, context=ctx)
    assert observer.seen_at is not None
    return noticed["at"] - observer.seen_at


def lag_botocore(emu: Any, name: str) -> float:
    from deploy import client
    from deploy.engine.apply import Applier
    from deploy.engine.plan import Plan
    from deploy.spec.loader import load_spec

    ctx = emu.context()
    spec = load_spec(SPEC).model_copy(update={"name": name})
    result = client.plan(spec, context=ctx)
    until_wait = [a for a in result.actions][: [a.type for a in result.actions].index("WaitForEndpoint")]
    observer = InServiceObserver(ctx, name)
    observer.start()
    Applier(ctx, create_bucket=True).run(Plan(name, tuple(until_wait)))
    ctx.client("sagemaker").get_waiter("endpoint_in_service").wait(EndpointName=name)
    done = time.monotonic()
    observer.join(timeout=5)
    client.destroy(spec, context=ctx)
    assert observer.seen_at is not None
    return done - observer.seen_at


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-scale", type=float, default=1.0, help="emulator phase length factor (1.0: ~6 s)")
    parser.add_argument("--trials", type=int, default=3, help="detection-lag trials per waiter (alternated)")
    args = parser.parse_args()
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "testing")
    from deploy.local import Emulator

    print(machine_line())
    with Emulator(time_scale=args.time_scale) as emu:
        print(f"emulator time_scale={args.time_scale} (create/update phases {6 * args.time_scale:.1f} s)")
        print(f"{'phase':<32}{'mutating':>10}{'reads':>8}{'wall s':>9}")
        for label, mutating, reads, wall in phases(emu) + component_phases(emu):
            print(f"{label:<32}{mutating:>10}{reads:>8}{wall:>9.2f}")
        print("(components: two ICs, no per-component autoscaling; the copy change also moves the spec-hash tag)")
        ours: list[float] = []
        theirs: list[float] = []
        for i in range(args.trials):  # alternated, so both waiters see the same machine over the run
            ours.append(lag_lmi(emu, f"lag-lmi-{i}"))
            theirs.append(lag_botocore(emu, f"lag-boto-{i}"))
    print(f"\ndetection lag after InService over {args.trials} alternated trial(s), seconds, median (min-max):")
    print(f"  lmi-deploy waiter (1 s first look, 4 s cap):  {fmt_spread(ours, spec='.2f')}")
    print(f"  botocore endpoint_in_service (30 s delay):    {fmt_spread(theirs, spec='.2f')}")
    print(machine_line())


if __name__ == "__main__":
    main()
