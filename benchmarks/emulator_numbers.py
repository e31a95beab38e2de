"""Emulator latencies: start/stop, a full create, a 30-token invoke and a 30-token stream, at zero model latency.

Prints median (min-max) and p90 over repeated runs, wall and client CPU, with the machine and its load. Runs on a
plain ``[local]`` install (no test tools). Usage: python benchmarks/emulator_numbers.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

for _name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
    os.environ.setdefault(_name, "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import fmt_spread, machine_line, time_call  # noqa: E402

from deploy.local import Emulator  # noqa: E402
from deploy.local.helpers import deploy  # noqa: E402


def timed(fn: Callable[[], object], runs: int) -> str:
    """'wall median (min-max), p90 ...; client CPU median' over ``runs`` calls (after one warm-up call)."""
    fn()
    samples = [time_call(fn) for _ in range(runs)]
    walls = sorted(s.wall for s in samples)
    p90 = walls[int(0.9 * (len(walls) - 1))]
    cpu = statistics.median(s.cpu for s in samples)
    spread = fmt_spread(walls, 1e3, ".1f", " ms")
    return f"{spread}, p90 {p90 * 1e3:.1f} ms; calling thread's CPU {cpu * 1e3:.1f} ms ({runs} runs)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args().runs
    print(machine_line())
    start = time.perf_counter()
    emu = Emulator(time_scale=0, ttft_s=0.0, itl_s=0.0)
    emu.start()
    print(f"Emulator.start(): {(time.perf_counter() - start) * 1000:.0f} ms")
    try:
        ctx = emu.context()
        counter = iter(range(10**6))
        create = timed(lambda: deploy(ctx, f"ep-{next(counter)}"), max(5, runs // 5))
        print(f"create model + config + endpoint until InService: {create}")
        runtime = ctx.client("sagemaker-runtime")
        body = json.dumps({"inputs": "hello", "parameters": {"max_new_tokens": 30}})
        invoke = timed(lambda: runtime.invoke_endpoint(EndpointName="ep-0", Body=body)["Body"].read(), runs)
        print(f"invoke_endpoint, 30 tokens: {invoke}")
        stream_body = json.dumps({"inputs": "hello", "parameters": {"max_new_tokens": 30}, "stream": True})

        def stream() -> None:
            response = runtime.invoke_endpoint_with_response_stream(EndpointName="ep-0", Body=stream_body)
            for _ in response["Body"]:
                pass

        streamed = timed(stream, runs)
        print(f"invoke_endpoint_with_response_stream, 30 tokens: {streamed}")
    finally:
        start = time.perf_counter()
        emu.stop()
        print(f"Emulator.stop(): {(time.perf_counter() - start) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
