"""What does lmi-deploy's streaming client add over a bare boto3 call, and how much load can one process make?

Against a server with zero model latency (the embedded emulator, or ``--server stub``), run in a child process so
it does not share this interpreter's lock. All contenders share ONE boto3 ``sagemaker-runtime`` client and send
the same request bytes; they run interleaved (benchmarks/_harness.py): every round sends one request per
contender and per output length, in a shuffled order, and warm-up rounds are dropped.

- ``bare boto3``: iterate the event stream, parse nothing (the floor);
- ``hand parser``: bare boto3 + split lines + ``json.loads`` + take the token text (what a user would write);
- ``sdk LineIterator``: the SageMaker SDK's ``LineIterator`` + ``json.loads`` (when ``sagemaker`` imports here);
- ``lmi-deploy``: ``Endpoint.stream()`` (request checks, line reassembly, typed events, token timing).

Per round, the CPU time of the calling thread (``time.thread_time``) minus bare boto3's, at 1..256 tokens, is
fitted as ``fixed + per_token * tokens``: the spread over rounds of both numbers is printed. Then the request rate
with 64 concurrent streams from one process. Target (issue 15): <= 5 us per token over bare boto3.

    python benchmarks/bench_overhead.py [--server stub] [--rounds 100] [--sdk-python PYTHON]

``--sdk-python`` re-runs this script under an interpreter that has the ``sagemaker`` SDK (lmi-deploy's own
dependencies must import there too; the checkout is put on PYTHONPATH).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import REPO_ROOT, Sample, fmt_spread, interleave, machine_line, time_call

ROLE = "arn:aws:iam::123456789012:role/lmi"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.33.0-lmi15.0.0-cu128"
TOKENS = (1, 32, 128, 256)
PROMPT = "Hello there"


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


def _request_bytes(tokens: int) -> bytes:
    from deploy.invoke.requests import lmi_body

    body = lmi_body(PROMPT, {"max_new_tokens": tokens, "ignore_eos_token": True}, stream=True)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _line_iterator() -> Any:
    """The SDK's LineIterator class when the sagemaker SDK imports in this interpreter, else None."""
    for module in ("sagemaker.iterators", "sagemaker.core.iterators", "sagemaker.serve.iterators"):
        try:
            return __import__(module, fromlist=["LineIterator"]).LineIterator
        except (ImportError, AttributeError):
            continue
    return None


def contenders(endpoint: Any) -> dict[str, Callable[[int], None]]:
    """name -> send(tokens): each sends the same bytes on the same client and reads the whole stream."""
    client = endpoint.gateway.client
    bodies = {tokens: _request_bytes(tokens) for tokens in TOKENS}

    def events(tokens: int) -> Any:
        response = client.invoke_endpoint_with_response_stream(
            EndpointName=endpoint.name, Body=bodies[tokens], ContentType="application/json",
            Accept="application/jsonlines",
        )  # fmt: skip
        return response["Body"]

    def bare(tokens: int) -> None:
        for _ in events(tokens):
            pass

    def hand(tokens: int) -> None:
        buffer, texts = b"", []
        for event in events(tokens):
            buffer += event.get("PayloadPart", {}).get("Bytes", b"")
            *lines, buffer = buffer.split(b"\n")
            texts.extend(json.loads(line)["token"]["text"] for line in lines if line.strip())

    def ours(tokens: int) -> None:
        for _ in endpoint.stream(PROMPT, max_new_tokens=tokens, ignore_eos_token=True):
            pass

    sends: dict[str, Callable[[int], None]] = {"bare boto3": bare, "hand parser": hand, "lmi-deploy": ours}
    line_iterator = _line_iterator()
    if line_iterator is not None:

        def sdk(tokens: int) -> None:
            texts = [json.loads(line)["token"]["text"] for line in line_iterator(events(tokens)) if line.strip()]
            assert len(texts) == tokens

        sends["sdk LineIterator"] = sdk
    return sends


def _fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares intercept and slope of y = a + b * x."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x in xs)
    return mean_y - slope * mean_x, slope


def per_round_fits(results: dict[str, list[Sample]], name: str, base: str) -> list[tuple[float, float]]:
    """For each round: (fixed s, per-token s) of name's CPU minus base's CPU over the output lengths."""
    rounds = len(results[f"{base}@{TOKENS[0]}"])
    fits = []
    for index in range(rounds):
        points = [
            (tokens, results[f"{name}@{tokens}"][index].cpu - results[f"{base}@{tokens}"][index].cpu)
            for tokens in TOKENS
        ]
        fits.append(_fit(points))
    return fits


def measure_overhead(endpoint: Any, rounds: int, warmup: int) -> None:
    sends = contenders(endpoint)
    cases = {f"{name}@{tokens}": _bind(send, tokens) for name, send in sends.items() for tokens in TOKENS}
    results = interleave(cases, rounds=rounds, warmup=warmup)
    print(f"{rounds} interleaved rounds ({warmup} warm-up dropped), one shared client; client-thread CPU")
    bare = [_fit([(t, results[f"bare boto3@{t}"][i].cpu) for t in TOKENS]) for i in range(rounds)]
    print(
        f"  {'bare boto3':<17} itself: {fmt_spread([f[0] for f in bare], 1e3, '.3f')} ms per request "
        f"+ {fmt_spread([f[1] for f in bare], 1e6, '.1f')} us per token"
    )
    for name in sends:
        if name == "bare boto3":
            continue
        fits = per_round_fits(results, name, "bare boto3")
        at_128 = [x.cpu - y.cpu for x, y in zip(results[f"{name}@128"], results["bare boto3@128"], strict=True)]
        print(
            f"  {name:<17} added:  {fmt_spread([f[0] for f in fits], 1e3, '.3f')} ms per request "
            f"+ {fmt_spread([f[1] for f in fits], 1e6, '.2f')} us per token; "
            f"a 128-token stream adds {fmt_spread(at_128, 1e3, '.2f')} ms"
        )
    walls = {tokens: [s.wall for s in results[f"lmi-deploy@{tokens}"]] for tokens in (1, 128)}
    for tokens, samples in walls.items():
        print(f"  wall latency, lmi-deploy, {tokens:>3} tokens: {fmt_spread(samples, 1e3, '.2f')} ms (client + server)")


def _bind(send: Callable[[int], None], tokens: int) -> Callable[[], Sample]:
    return lambda: time_call(lambda: send(tokens))


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

    send(PROMPT, 1)  # warm-up, as `lmi bench` does: the client exists before the clock starts
    plan = LevelPlan(requests, None, (PROMPT,), tokens)
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


def _endpoint(url: str, concurrency: int) -> Any:
    from deploy.aws.session import make_context
    from deploy.invoke.endpoint import Endpoint

    context = make_context(region="us-east-1", endpoint_url=url)
    return Endpoint("bench", context=context, max_pool_connections=concurrency + 4, max_attempts=1)


def _rerun_under(python: str) -> int:
    """Run this script again under ``python`` (the SDK's interpreter) with the checkout importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")]))
    argv = [a for a in sys.argv[1:]]
    index = argv.index("--sdk-python")
    del argv[index : index + 2]
    return subprocess.run([python, __file__, *argv], env=env, check=False).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--server", choices=("emulator", "stub"), default="emulator")
    parser.add_argument("--rounds", type=int, default=100, help="measured interleaved rounds")
    parser.add_argument("--warmup", type=int, default=5, help="rounds run first and dropped")
    parser.add_argument("--requests", type=int, default=640, help="requests of the concurrency run (0: skip it)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--tokens", type=int, default=16, help="output tokens per request of the concurrency run")
    parser.add_argument("--itl-ms", type=float, default=10.0, help="model latency for the held-streams run")
    parser.add_argument("--sdk-python", help="interpreter with the sagemaker SDK: run the comparison there")
    args = parser.parse_args()
    if args.sdk_python:
        return _rerun_under(args.sdk_python)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    # No network: the emulator sizes the model from the bundled library (the SDK's venv may lack huggingface_hub)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print(machine_line())
    print(f"server: {args.server} (child process); sagemaker SDK LineIterator: {_sdk_note()}")
    for itl_s in (0.0, args.itl_ms / 1000.0) if args.requests else (0.0,):
        process, url = start_server(args.server, itl_s)
        try:
            endpoint = _endpoint(url, args.concurrency)
            if itl_s == 0.0:
                measure_overhead(endpoint, args.rounds, args.warmup)
                label = "zero model latency"
            else:
                label = f"model TTFT = ITL = {args.itl_ms:g} ms"
            if args.requests:
                measure_rate(endpoint, args.concurrency, args.requests, args.tokens, label)
        finally:
            process.terminate()
    print(f"load average after: {machine_line().rsplit('load average ', 1)[1]}")
    return 0


def _sdk_note() -> str:
    found = _line_iterator()
    if found is None:
        return "not installed here, skipped (pass --sdk-python PYTHON of an interpreter that has it)"
    import sagemaker

    return f"sagemaker {getattr(sagemaker, '__version__', '?')} ({found.__module__})"


if __name__ == "__main__":
    raise SystemExit(main())
