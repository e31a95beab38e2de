"""Operations figures: failure-hint recognition, failure diagnosis, and the cost of `lmi logs --follow` when idle.

Runs against the embedded emulator (no AWS). Prints:
- recognise(): milliseconds to scan a 300-line LMI-style log for known LMI/vLLM errors;
- explain_failure(): milliseconds and CloudWatch Logs calls to explain a Failed endpoint;
- follow(): FilterLogEvents calls over 300 s of an idle endpoint (simulated clock), against a fixed 1 s poll.

Usage: python benchmarks/ops_numbers.py
"""

from __future__ import annotations

import os
import statistics
import time
import timeit

for _name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
    os.environ.setdefault(_name, "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from deploy.aws import logs  # noqa: E402
from deploy.engine.diagnose import explain_failure, recognise  # noqa: E402
from deploy.local.emulator import Emulator  # noqa: E402
from deploy.local.testing import deploy  # noqa: E402

IDLE_SECONDS = 300.0


def recognise_ms() -> float:
    line = "INFO  PyProcess W-model-stdout: INFO 11-27 20:01:00 [loader.py:{}] loading shard {}"
    text = "\n".join(line.format(i, i) for i in range(299))
    text += "\nValueError: Total number of attention heads (28) must be divisible by tensor parallel size (8)."
    return timeit.timeit(lambda: recognise(text), number=200) / 200 * 1e3


def main() -> None:
    print(f"recognise() on a 300-line log: {recognise_ms():.2f} ms")
    with Emulator(time_scale=0) as emu:
        ctx = emu.context()
        failed = deploy(ctx, "bad-tp", env={"OPTION_TENSOR_PARALLEL_DEGREE": "8"})
        calls: list[str] = []
        ctx.client("logs").meta.events.register("before-call.logs.*", lambda model, **_: calls.append(model.name))
        runs = []
        for _ in range(20):
            start = time.perf_counter()
            explain_failure(ctx, "bad-tp", failed.get("FailureReason"))
            runs.append(time.perf_counter() - start)
        median_ms = statistics.median(runs) * 1e3
        print(f"explain_failure(): {median_ms:.1f} ms median of 20, {len(calls) // 20} Logs calls each")
        calls.clear()
        clock = [0.0]
        for _ in logs.follow(
            ctx,
            "bad-tp",
            start_ms=int(time.time() * 1000) + 10**7,
            sleep=lambda s: clock.__setitem__(0, clock[0] + s),
            should_stop=lambda: clock[0] >= IDLE_SECONDS,
        ):
            pass
        idle = calls.count("FilterLogEvents")
        fixed = int(IDLE_SECONDS)
        print(f"follow() idle for {fixed} s: {idle} FilterLogEvents calls (a fixed 1 s poll: {fixed})")


if __name__ == "__main__":
    main()
