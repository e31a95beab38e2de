"""Two models on one endpoint, scale to zero and back: the component-endpoint job on the embedded emulator.

    validate -> plan -> deploy examples/components.yaml (two inference components on one ml.g6e.12xlarge)
    -> invoke each component -> a request naming none (refused: there are two) -> status
    -> qwen idles and scales in to zero -> a request finds no copy (explained: what wakes it, when to retry)
    -> the scale-out alarm adds a copy -> invoke again -> logs of one component -> bench one component -> destroy
    -> list

Application Auto Scaling evaluates alarms and policies on AWS's schedule; the emulator does it when asked
(``Emulator.run_autoscaling()``), so this script says when time passes.

Run it with ``make demo-components`` (or ``python examples/demo_components.py`` in a venv with
``lmi-deploy[local]``). No AWS account and no GPU: the emulator runs in this process on 127.0.0.1, and every
``lmi`` command below is the real CLI pointed at it through ``AWS_ENDPOINT_URL`` (drop that variable and the same
commands talk to AWS). Each answer is marked ``[emulated]``.

Environment: SPEC (default examples/components.yaml), LMI_TIME_SCALE (emulated lifecycle pace, default 0.2),
LMI_TTFT / LMI_ITL (simulated token timing in seconds, default 0.02 / 0.005).
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SPEC = Path(os.environ.get("SPEC", ROOT / "examples" / "components.yaml"))
failed: list[str] = []


def step(title: str) -> None:
    print(f"\n\033[1m==> {title}\033[0m", flush=True)


def lmi(*args: str, expect: int = 0) -> int:
    """Run one ``lmi`` command in-process, as a user would type it; a different exit code is recorded."""
    from deploy.cli import main

    print("$ lmi " + " ".join(shlex.quote(a) for a in args), flush=True)
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    sys.stdout.flush()
    sys.stderr.flush()
    if code != expect:
        failed.append(f"lmi {' '.join(args)} (exit {code}, expected {expect})")
    elif expect:
        print(f"(exit {code}, as expected)")
    return code


def copies(ctx: Any, component: str) -> tuple[int, int]:
    """(desired, current) copies of an inference component."""
    runtime = ctx.client("sagemaker").describe_inference_component(InferenceComponentName=component)["RuntimeConfig"]
    return int(runtime.get("DesiredCopyCount", 0)), int(runtime.get("CurrentCopyCount", 0))


def wait_for_copies(ctx: Any, component: str, count: int, timeout_s: float = 120.0) -> bool:
    """Wait until ``component`` serves with ``count`` copies (the emulator runs its lifecycle at demo pace)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        described = ctx.client("sagemaker").describe_inference_component(InferenceComponentName=component)
        current = int(described["RuntimeConfig"].get("CurrentCopyCount", 0))
        if current == count and described["InferenceComponentStatus"] == "InService":
            print(f"  {component}: {current} cop{'y' if current == 1 else 'ies'}, InService")
            return True
        time.sleep(0.1)
    failed.append(f"{component} did not reach {count} copies in {timeout_s:g} s")
    return False


def settled(ctx: Any, component: str, timeout_s: float = 120.0) -> None:
    """Wait while a copy-count change is under way (Updating): at a demo pace that takes a few seconds."""
    deadline = time.monotonic() + timeout_s
    sagemaker = ctx.client("sagemaker")
    while time.monotonic() < deadline:
        status = sagemaker.describe_inference_component(InferenceComponentName=component)["InferenceComponentStatus"]
        if status != "Updating":
            return
        time.sleep(0.1)


def autoscale(emulator: Any, component: str, until: int, rounds: int = 4) -> bool:
    """Let time pass for Application Auto Scaling: the emulator evaluates alarms and policies when asked (AWS
    does it on its own schedule), one round at a time, until ``component`` is asked for ``until`` copies."""
    for _ in range(rounds):
        for change in emulator.run_autoscaling():
            if change.get("component") == component:
                print(f"  autoscaling: {component} {change['from']} -> {change['to']} copies ({change['cause']})")
        settled(emulator.context(), component)  # scaling acts only on an InService component, as on AWS
        if copies(emulator.context(), component)[0] == until:
            return wait_for_copies(emulator.context(), component, until)
    failed.append(f"autoscaling did not take {component} to {until} copies in {rounds} rounds")
    return False


def main() -> int:
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("HF_TOKEN", "demo-token-for-the-emulator")  # the llama component's env:HF_TOKEN
    os.environ.pop("AWS_PROFILE", None)
    os.environ.setdefault("COLUMNS", "140")  # tables stay readable when the output goes to a file or CI log
    from deploy.local import Emulator
    from deploy.spec.loader import load_any_spec

    spec: Any = load_any_spec(SPEC)
    name = spec.name
    ics = [f"{name}-{component.name}" for component in spec.components]
    scale = float(os.environ.get("LMI_TIME_SCALE", "0.2"))
    ttft, itl = float(os.environ.get("LMI_TTFT", "0.02")), float(os.environ.get("LMI_ITL", "0.005"))
    with Emulator(time_scale=scale, ttft_s=ttft, itl_s=itl) as emulator:
        os.environ["AWS_ENDPOINT_URL"] = emulator.endpoint_url
        print(f"emulator running at {emulator.endpoint_url} (time scale {scale:g}); AWS_ENDPOINT_URL points at it")
        run_steps(emulator, str(SPEC), name, spec.components[0].name, ics)
    step("Done")
    if failed:
        print("These steps did not succeed:\n" + "\n".join(f"  - {item}" for item in failed))
        return 1
    print("Every step succeeded against the emulator. Unset AWS_ENDPOINT_URL to do the same on AWS.")
    return 0


def run_steps(emulator: Any, spec: str, name: str, first: str, ics: list[str]) -> None:
    step("1. Validate: each component sized, every copy placed on the instances (offline)")
    lmi("validate", spec)
    step("2. Plan: endpoint config without a model, one inference component per model, copy autoscaling")
    lmi("plan", spec)
    step("3. Deploy and wait until every component is InService")
    if lmi("deploy", spec, "--yes") != 0:
        return
    step("4. Invoke each component (short name or full IC name)")
    lmi("invoke", name, "--component", first, "--prompt", "What is Amazon SageMaker?", "-p", "max_new_tokens=16")
    lmi("invoke", name, "--component", ics[1], "--chat", "--stream", "--prompt", "Say hello.", "-p", "max_tokens=16")
    step("5. A request that names no component, on an endpoint with two: refused, listing them")
    lmi("invoke", name, "--prompt", "Hello", expect=2)
    step("6. Status: copies, GPUs per copy, model and scaling of each component")
    lmi("status", name)
    scale_to_zero_and_back(emulator, name, first, ics[0])
    step("10. The logs of one component (its own log group)")
    lmi("logs", name, "--component", first, "--lines", "5")
    step("11. Benchmark one component")
    lmi("bench", name, "--component", first, "--concurrency", "1,4", "--requests", "8", "--output-tokens", "16",
        "--tokenizer", "approx")  # fmt: skip
    step("12. Destroy everything the deploy created, then list what is left")
    lmi("destroy", spec, "--yes")
    lmi("list")


def scale_to_zero_and_back(emulator: Any, name: str, first: str, ic: str) -> None:
    step(f"7. {first} sits idle: target tracking scales it in to its minimum, zero copies")
    autoscale(emulator, ic, until=0)
    lmi("status", name)
    step(f"8. A request to {first} finds no copy: it counts a NoCapacityInvocationFailure, and the error says what")
    print("   wakes the component and when to retry")
    lmi("invoke", name, "--component", first, "--prompt", "Are you there?", expect=1)
    step("9. Back from zero: the alarm on NoCapacityInvocationFailures runs the step policy, which adds a copy")
    autoscale(emulator, ic, until=1)
    lmi("invoke", name, "--component", first, "--prompt", "Are you there now?", "-p", "max_new_tokens=12")


if __name__ == "__main__":
    sys.exit(main())
