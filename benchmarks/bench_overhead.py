"""How much does the lmi-deploy client add, and how much load can one process generate?

Prints (does not assert) three numbers, against an endpoint with zero model latency (the embedded emulator
with ``ttft_s=0, itl_s=0``, run in a child process so it does not share this process's interpreter lock):

1. client CPU per request and per token: CPU time of the calling thread (``time.thread_time``) for one
   streamed request, fitted as ``a + b * tokens`` over several output lengths; once through
   ``deploy.Endpoint.stream`` and once through the bare boto3 call (iterate the events, no parsing).
   "added" = ours - bare boto3: what our request building, line reassembly and parsing cost.
2. wall-clock latency per request (client + emulator), for context.
3. the highest request rate one process sustains with 64 concurrent streams (closed loop), with the peak
   number of requests in flight observed.

Targets (issue 6): < 1 ms added per request; >= 64 concurrent streams from one process on 2 cores.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_overhead.py [--server stub] [--requests 640]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import threading
import time
from typing import Any

ROLE = "arn:aws:iam::123456789012:role/lmi"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.33.0-lmi15.0.0-cu128"
TOKENS = (1, 32, 128, 256)


def _serve_emulator(conn: Any, itl_s: float) -> None:
    from deploy.local import Emulator

    emulator = Emulator(time_scale=0, ttft_s=itl_s, itl_s=itl_s).start()
    sagemaker = emulator.context().client("sagemaker")
    environment = {"HF_MODEL_ID": "Qwen/Qwen2.5-7B-Instruct", "OPTION_MAX_MODEL_LEN": "8192"}
    sagemaker.create_model(ModelName="m", ExecutionRoleArn=ROLE,
                           PrimaryContainer={"Image": IMAGE, "Environment": environment})  # fmt: skip
    variant = {"VariantName": "AllTraffic", "ModelName": "m", "InstanceType": "ml.g6e.xlarge",
               "InitialInstanceCount": 1}  # fmt: skip
    sagemaker.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[variant])
    sagemaker.create_endpoint(EndpointName="bench", EndpointConfigName="c")
    conn.send(emulator.endpoint_url)
    threading.Event().wait()


def _serve_stub(conn: Any, itl_s: float) -> None:
    from deploy.bench.stub import StubRuntime

    with StubRuntime(ttft_s=itl_s, itl_s=itl_s) as stub:
        conn.send(stub.url)
        threading.Event().wait()


def start_server(kind: str, itl_s: float = 0.0) -> tuple[Any, str]:
    parent, child = mp.Pipe()
    target = _serve_emulator if kind == "emulator" else _serve_stub
    process = mp.get_context("spawn").Process(target=target, args=(child, itl_s), daemon=True)
    process.start()
    if not parent.poll(60):
        process.terminate()
        raise SystemExit("the server did not start within 60 s")
    return process, parent.recv()


def _fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares a + b * x."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x in xs)
    return mean_y - slope * mean_x, slope


def cpu_per_request(send: Any, repeats: int) -> list[tuple[int, float]]:
    """Median thread CPU seconds of one request, per output length."""
    points = []
    for tokens in TOKENS:
        for _ in range(3):
            send(tokens)  # warm up connections and caches
        samples = []
        for _ in range(repeats):
            start = time.thread_time()
            send(tokens)
            samples.append(time.thread_time() - start)
        points.append((tokens, statistics.median(samples)))
    return points


def measure_overhead(endpoint: Any, repeats: int) -> None:
    import json

    client = endpoint.gateway.client

    def ours(tokens: int) -> None:
        stream = endpoint.stream("Hello there", max_new_tokens=tokens, ignore_eos_token=True)
        for _ in stream:
            pass

    def bare(tokens: int) -> None:
        body = json.dumps(
            {
                "inputs": "Hello there",
                "parameters": {"max_new_tokens": tokens, "ignore_eos_token": True},
                "stream": True,
            }
        )
        response = client.invoke_endpoint_with_response_stream(
            EndpointName=endpoint.name, Body=body, ContentType="application/json"
        )
        for _ in response["Body"]:
            pass

    fits = {}
    for name, send in (("bare boto3", bare), ("lmi-deploy", ours)):
        fits[name] = _fit(cpu_per_request(send, repeats))
        base, per_token = fits[name]
        print(f"client CPU, {name:>10}: {base * 1e3:7.3f} ms per request + {per_token * 1e6:7.1f} us per token")
    added_base = fits["lmi-deploy"][0] - fits["bare boto3"][0]
    added_token = fits["lmi-deploy"][1] - fits["bare boto3"][1]
    print(f"added by lmi-deploy:      {added_base * 1e3:7.3f} ms per request + {added_token * 1e6:7.1f} us per token")
    for tokens in (1, 128):
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            ours(tokens)
            samples.append(time.perf_counter() - start)
        print(f"wall latency, {tokens:>3} tokens: p50 {statistics.median(samples) * 1e3:.2f} ms (client + server)")


def measure_rate(endpoint: Any, concurrency: int, requests: int, tokens: int, label: str) -> None:
    from deploy.bench.load import LevelPlan, run_closed_loop
    from deploy.bench.metrics import aggregate
    from deploy.bench.runner import streaming_sender

    send = streaming_sender(endpoint, chat=False)
    in_flight, peak, lock = 0, 0, threading.Lock()

    def counted(prompt: str, output_tokens: int) -> Any:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        try:
            return send(prompt, output_tokens)
        finally:
            with lock:
                in_flight -= 1

    send("Hello there", 1)  # warm-up, as `lmi bench` does: the client exists before the clock starts
    plan = LevelPlan(requests, None, ("Hello there",), tokens)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    records = run_closed_loop(counted, plan, concurrency, lambda record: None)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    level = aggregate("concurrency", concurrency, records)
    print(
        f"{label}: {concurrency} streams x {tokens} tokens: {level.requests_per_s:.0f} req/s, "
        f"{level.output_tokens_per_s:.0f} output tok/s, {level.failed} failed of {level.sent} {level.errors or ''}, "
        f"peak in flight {peak}, client CPU {cpu / wall:.0%} of one core, "
        f"TTFT p50 {1e3 * (level.ttft.p50 or 0):.1f} ms, E2E p50 {1e3 * (level.e2e.p50 or 0):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--server", choices=("emulator", "stub"), default="emulator")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--requests", type=int, default=640)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument("--itl-ms", type=float, default=10.0, help="model latency for the held-streams run")
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    print(f"server: {args.server} (child process), {os.cpu_count()} CPUs")
    for itl_s in (0.0, args.itl_ms / 1000.0):
        process, url = start_server(args.server, itl_s)
        try:
            endpoint = _endpoint(url, args.concurrency)
            if itl_s == 0.0:
                measure_overhead(endpoint, args.repeats)
                label = "zero model latency"
            else:
                label = f"model TTFT = ITL = {args.itl_ms:g} ms"
            measure_rate(endpoint, args.concurrency, args.requests, args.tokens, label)
        finally:
            process.terminate()


def _endpoint(url: str, concurrency: int) -> Any:
    from deploy.aws.session import make_context
    from deploy.invoke.endpoint import Endpoint

    context = make_context(region="us-east-1", endpoint_url=url)
    return Endpoint("bench", context=context, max_pool_connections=concurrency + 4, max_attempts=1)


if __name__ == "__main__":
    main()
