"""The OpenAI-compatible route on the emulator, next to InvokeEndpoint, measured side by side.

Bearer-token build and verify times, then a non-streamed and a streamed 30-token chat through each path (our
client on InvokeEndpoint and on the route; the real ``openai`` client on the route with a bearer token and with
SigV4), interleaved round by round with benchmarks/_harness.py (order shuffled per round, warm-up rounds dropped,
wall and calling-thread CPU). Ratios are per round against the InvokeEndpoint path of the same kind. Without the
``openai`` package (``pip install 'lmi-deploy[openai]'``) its rows are skipped with a note.

    python benchmarks/openai_route.py [--rounds 100]

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Sample, fmt_spread, interleave, machine_line, print_table, ratios, time_call
from botocore.credentials import Credentials

from deploy.aws.bearer import build_token, verify_token
from deploy.invoke.endpoint import Endpoint
from deploy.local import Emulator
from deploy.local.testing import deploy

MESSAGES = [{"role": "user", "content": "Say hello."}]
TOKENS = 30
CHAT_BASE = "chat: InvokeEndpoint (Endpoint.chat)"
STREAM_BASE = "stream: InvokeEndpointWithResponseStream (Endpoint.chat_stream)"


def _drain(stream: Any) -> None:
    for _ in stream:
        pass


def token_cases() -> dict[str, Callable[[], Sample]]:
    creds = Credentials("testing", "testing", "session-token")
    token = build_token(creds, "us-east-1").token
    return {
        "build_token": lambda: time_call(lambda: build_token(creds, "us-east-1")),
        "verify_token": lambda: time_call(lambda: verify_token(token, "testing")),
    }


def chat_cases(endpoint: Endpoint, with_openai: bool) -> dict[str, Callable[[], Sample]]:
    """Every path, non-streamed and streamed; the openai client's rows only when the package is installed."""
    cases: dict[str, Callable[[], object]] = {
        CHAT_BASE: lambda: endpoint.chat(MESSAGES, max_tokens=TOKENS),
        "chat: route (Endpoint.chat route=openai)": lambda: endpoint.chat(MESSAGES, route="openai", max_tokens=TOKENS),
        STREAM_BASE: lambda: _drain(endpoint.chat_stream(MESSAGES, max_tokens=TOKENS)),
        "stream: route (Endpoint.chat_stream route=openai)": lambda: _drain(
            endpoint.chat_stream(MESSAGES, route="openai", max_tokens=TOKENS)
        ),
    }
    if with_openai:
        bearer, signed = endpoint.openai_client(max_retries=0), endpoint.openai_client(sigv4=True, max_retries=0)
        create: Any = bearer.chat.completions.create
        create_signed: Any = signed.chat.completions.create
        cases["chat: route (openai client, bearer)"] = lambda: create(model="", messages=MESSAGES, max_tokens=TOKENS)
        cases["chat: route (openai client, SigV4)"] = lambda: create_signed(
            model="", messages=MESSAGES, max_tokens=TOKENS
        )
        cases["stream: route (openai client, bearer)"] = lambda: _drain(
            create(model="", messages=MESSAGES, max_tokens=TOKENS, stream=True)
        )
    return {name: (lambda fn=fn: time_call(fn)) for name, fn in cases.items()}


def print_ratios(results: dict[str, list[Sample]]) -> None:
    print("\nper-round ratio to the InvokeEndpoint path of the same kind, wall: median (min-max)")
    for name in results:
        base = STREAM_BASE if name.startswith("stream:") else CHAT_BASE
        if name != base:
            print(f"  {name}: {fmt_spread(ratios(results, name, base), spec='.2f', unit='x')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100, help="measured rounds (after 5 warm-up rounds)")
    rounds = parser.parse_args().rounds
    print(machine_line())
    with_openai = importlib.util.find_spec("openai") is not None
    if not with_openai:
        print("note: the openai package is not installed (pip install 'lmi-deploy[openai]'): its rows are skipped")
    print(f"\nbearer tokens, {rounds * 10} rounds:")
    print_table(interleave(token_cases(), rounds=rounds * 10, warmup=20), scale=1e6, unit="us")
    with Emulator(time_scale=0, latency="off") as emu:
        deploy(emu.context(), "route")
        endpoint = Endpoint("route", context=emu.context())
        print(f"\n{TOKENS}-token chats on the emulator, {rounds} rounds interleaved:")
        results = interleave(chat_cases(endpoint, with_openai), rounds=rounds, warmup=5)
        print_table(results)
        print_ratios(results)
    print(f"\n{machine_line()}")


if __name__ == "__main__":
    main()
