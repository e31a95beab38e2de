"""The OpenAI-compatible route on the emulator, next to InvokeEndpoint: bearer-token build time, and a
non-streamed and a streamed 30-token chat through each path (the real openai client for the route).

Prints medians and p90 (ms). Usage: python benchmarks/openai_route.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from botocore.credentials import Credentials

from deploy.aws.bearer import build_token, verify_token
from deploy.invoke.endpoint import Endpoint
from deploy.local import Emulator
from deploy.local.testing import deploy

MESSAGES = [{"role": "user", "content": "Say hello."}]


def timed(fn: Callable[[], object], runs: int) -> str:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return f"median {statistics.median(samples):.3f} ms, p90 {samples[int(0.9 * (len(samples) - 1))]:.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100)
    runs = parser.parse_args().runs
    creds = Credentials("testing", "testing", "session-token")
    token = build_token(creds, "us-east-1").token
    print("build_token:", timed(lambda: build_token(creds, "us-east-1"), runs * 10))
    print("verify_token:", timed(lambda: verify_token(token, "testing"), runs * 10))

    with Emulator(time_scale=0, latency="off") as emu:
        deploy(emu.context(), "route")
        endpoint = Endpoint("route", context=emu.context())
        client = endpoint.openai_client(max_retries=0)
        signed = endpoint.openai_client(sigv4=True, max_retries=0)
        endpoint.chat(MESSAGES, max_tokens=30)  # warm both paths up
        client.chat.completions.create(model="", messages=MESSAGES, max_tokens=30)  # type: ignore[arg-type]

        def openai_stream() -> None:
            for _ in client.chat.completions.create(model="", messages=MESSAGES, max_tokens=30, stream=True):  # type: ignore[arg-type]
                pass

        def invoke_stream() -> None:
            for _ in endpoint.chat_stream(MESSAGES, max_tokens=30):
                pass

        def route_stream() -> None:
            for _ in endpoint.chat_stream(MESSAGES, route="openai", max_tokens=30):
                pass

        cases = {
            "InvokeEndpoint chat (Endpoint.chat)": lambda: endpoint.chat(MESSAGES, max_tokens=30),
            "route chat (Endpoint.chat route=openai)": lambda: endpoint.chat(MESSAGES, route="openai", max_tokens=30),
            "route chat (openai client, bearer)": lambda: client.chat.completions.create(
                model="",
                messages=MESSAGES,
                max_tokens=30,  # type: ignore[arg-type]
            ),
            "route chat (openai client, SigV4)": lambda: signed.chat.completions.create(
                model="",
                messages=MESSAGES,
                max_tokens=30,  # type: ignore[arg-type]
            ),
            "InvokeEndpointWithResponseStream, 30 tokens": invoke_stream,
            "route stream (Endpoint.chat_stream), 30 tokens": route_stream,
            "route stream (openai client), 30 tokens": openai_stream,
        }
        for name, fn in cases.items():
            print(f"{name}: {timed(fn, runs)}")


if __name__ == "__main__":
    main()
