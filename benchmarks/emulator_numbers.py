"""Emulator latencies: start/stop, a full create, a 30-token invoke and a 30-token stream, at zero model latency.

Prints medians and p90 over repeated runs. Usage: python benchmarks/emulator_numbers.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable

for _name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
    os.environ.setdefault(_name, "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from deploy.local import Emulator  # noqa: E402
from deploy.local.helpers import deploy  # noqa: E402


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.9 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args().runs
    start = time.perf_counter()
    emu = Emulator(time_scale=0, ttft_s=0.0, itl_s=0.0)
    emu.start()
    print(f"Emulator.start(): {(time.perf_counter() - start) * 1000:.0f} ms")
    try:
        ctx = emu.context()
        counter = iter(range(10**6))
        create = timed(lambda: deploy(ctx, f"ep-{next(counter)}"), max(5, runs // 5))
        print(f"create model + config + endpoint until InService: {create[0]:.1f} ms median, p90 {create[1]:.1f} ms")
        runtime = ctx.client("sagemaker-runtime")
        body = json.dumps({"inputs": "hello", "parameters": {"max_new_tokens": 30}})
        invoke = timed(lambda: runtime.invoke_endpoint(EndpointName="ep-0", Body=body)["Body"].read(), runs)
        print(f"invoke_endpoint, 30 tokens: {invoke[0]:.1f} ms median, p90 {invoke[1]:.1f} ms")
        stream_body = json.dumps({"inputs": "hello", "parameters": {"max_new_tokens": 30}, "stream": True})

        def stream() -> None:
            response = runtime.invoke_endpoint_with_response_stream(EndpointName="ep-0", Body=stream_body)
            for _ in response["Body"]:
                pass

        streamed = timed(stream, runs)
        print(f"invoke_endpoint_with_response_stream, 30 tokens: {streamed[0]:.1f} ms median, p90 {streamed[1]:.1f} ms")
    finally:
        start = time.perf_counter()
        emu.stop()
        print(f"Emulator.stop(): {(time.perf_counter() - start) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
