"""Operations figures: failure-hint recognition, failure diagnosis, and the cost of `lmi logs --follow` when idle.

Runs against the embedded emulator (no AWS). Prints:
- recognise(): milliseconds to scan a 300-line LMI-style log for known LMI/vLLM errors;
- explain_failure(): milliseconds and CloudWatch Logs calls to explain a Failed endpoint;
- follow(): FilterLogEvents calls while an endpoint's log stays idle for 300 s, side by side with a fixed 1 s poll
  loop (FilterLogEvents at every second, what a simple ``tail -f`` of a log group does). Both run at the same time,
  in two threads, against the same emulator, for the same period; time is compressed by ``--time-scale`` (0.1: the
  300 s take 30 s; keep a simulated second well above a call's latency) and both sides' calls are counted as
  botocore sends them.

Usage: python benchmarks/ops_numbers.py [--time-scale 0.1] [--idle-seconds 300]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import timeit
from pathlib import Path
from typing import Any

for _name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
    os.environ.setdefault(_name, "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import fmt_spread, machine_line  # noqa: E402

from deploy.aws import logs  # noqa: E402
from deploy.engine.diagnose import explain_failure, recognise  # noqa: E402
from deploy.local.emulator import Emulator  # noqa: E402
from deploy.local.helpers import deploy  # noqa: E402


def recognise_ms() -> list[float]:
    """Seconds per recognise() call, in 10 batches of 20."""
    line = "INFO  PyProcess W-model-stdout: INFO 11-27 20:01:00 [loader.py:{}] loading shard {}"
    text = "\n".join(line.format(i, i) for i in range(299))
    text += "\nValueError: Total number of attention heads (28) must be divisible by tensor parallel size (8)."
    return [timeit.timeit(lambda: recognise(text), number=20) / 20 for _ in range(10)]


def _counter(ctx: Any) -> list[str]:
    """The Logs operations a client of ``ctx`` sends, in order."""
    calls: list[str] = []
    ctx.client("logs").meta.events.register("before-call.logs.*", lambda model, **_: calls.append(model.name))
    return calls


def follow_calls(emu: Any, endpoint: str, idle_s: float, scale: float, start_ms: int) -> int:
    """FilterLogEvents calls lmi's follow() makes in ``idle_s`` simulated seconds (real time: idle_s * scale)."""
    ctx = emu.context()
    calls = _counter(ctx)
    deadline = time.monotonic() + idle_s * scale
    for _ in logs.follow(ctx, endpoint, start_ms=start_ms, sleep=lambda s: time.sleep(s * scale),
                         should_stop=lambda: time.monotonic() >= deadline):  # fmt: skip
        pass
    return calls.count("FilterLogEvents")


def fixed_poll_calls(emu: Any, endpoint: str, idle_s: float, scale: float, start_ms: int) -> int:
    """The reference tool: FilterLogEvents on the endpoint's log group every (simulated) second."""
    ctx = emu.context()
    calls = _counter(ctx)
    client = ctx.client("logs")
    started = time.monotonic()
    for tick in range(int(idle_s)):  # fixed rate: one call at each (simulated) second, whatever a call takes
        time.sleep(max(0.0, started + tick * scale - time.monotonic()))
        client.filter_log_events(logGroupName=f"/aws/sagemaker/Endpoints/{endpoint}", startTime=start_ms)
    return calls.count("FilterLogEvents")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-scale", type=float, default=0.1, help="real seconds per simulated second")
    parser.add_argument("--idle-seconds", type=float, default=300.0, help="simulated idle period")
    args = parser.parse_args()
    print(machine_line())
    print(f"recognise() on a 300-line log: {fmt_spread(recognise_ms(), 1e3, '.2f', ' ms')} (10 batches of 20)")
    with Emulator(time_scale=0, latency="off") as emu:
        ctx = emu.context()
        failed = deploy(ctx, "bad-tp", env={"OPTION_TENSOR_PARALLEL_DEGREE": "8"})
        calls = _counter(ctx)
        runs = []
        for _ in range(20):
            start = time.perf_counter()
            explain_failure(ctx, "bad-tp", failed.get("FailureReason"))
            runs.append(time.perf_counter() - start)
        print(
            f"explain_failure(): {fmt_spread(runs, 1e3, '.1f', ' ms')} over 20 runs, {len(calls) // 20} Logs calls each"
        )
        start_ms = int(time.time() * 1000) + 10**7  # nothing is newer: the log stays idle for both
        counts: dict[str, int] = {}
        sides = {"lmi follow()": follow_calls, "fixed 1 s poll": fixed_poll_calls}
        threads = [
            threading.Thread(target=lambda n=n, f=f: counts.__setitem__(n, f(emu, "bad-tp", args.idle_seconds,
                                                                              args.time_scale, start_ms)))
            for n, f in sides.items()
        ]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    period = f"{args.idle_seconds:g} s idle (run side by side, time x{args.time_scale:g})"
    print(f"FilterLogEvents calls in {period}: lmi follow() {counts['lmi follow()']}, "
          f"fixed 1 s poll {counts['fixed 1 s poll']}")  # fmt: skip


if __name__ == "__main__":
    main()
