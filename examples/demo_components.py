"""Two models on one endpoint, scale to zero and back: the component-endpoint job on the embedded emulator.

    validate -> plan -> deploy examples/components.yaml (two inference components on one ml.g6e.12xlarge)
    -> invoke each component -> a request naming none (refused: there are two) -> status
    -> scale qwen to zero -> a request finds no copy (explained: what wakes it, when to retry)
    -> the scale-out from zero -> invoke again -> logs of one component -> bench one component -> destroy -> list

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


def set_copies(ctx: Any, component: str, count: int, timeout_s: float = 120.0) -> None:
    """What Application Auto Scaling calls to scale a component in (or out): UpdateInferenceComponentRuntimeConfig;
    then wait until the component has that many copies."""
    sagemaker = ctx.client("sagemaker")
    print(
        f"$ aws sagemaker update-inference-component-runtime-config --inference-component-name {component} "
        f"--desired-runtime-config CopyCount={count}"
    )
    sagemaker.update_inference_component_runtime_config(
        InferenceComponentName=component, DesiredRuntimeConfig={"CopyCount": count}
    )
    wait_for_copies(ctx, component, count, timeout_s)


def wait_for_copies(ctx: Any, component: str, count: int, timeout_s: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        desired, current = copies(ctx, component)
        status = ctx.client("sagemaker").describe_inference_component(InferenceComponentName=component)
        if current == count and status["InferenceComponentStatus"] == "InService":
            print(f"  {component}: {current} cop{'y' if current == 1 else 'ies'} (desired {desired})")
            return True
        time.sleep(0.2)
    failed.append(f"{component} did not reach {count} copies in {timeout_s:g} s")
    return False


def main() -> int:
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("HF_TOKEN", "demo-token-for-the-emulator")  # the llama component's env:HF_TOKEN
    os.environ.pop("AWS_PROFILE", None)
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
        run_steps(emulator.context(), str(SPEC), name, spec.components[0].name, ics)
    step("Done")
    if failed:
        print("These steps did not succeed:\n" + "\n".join(f"  - {item}" for item in failed))
        return 1
    print("Every step succeeded against the emulator. Unset AWS_ENDPOINT_URL to do the same on AWS.")
    return 0


def run_steps(ctx: Any, spec: str, name: str, first: str, ics: list[str]) -> None:
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
    scale_to_zero_and_back(ctx, name, first, ics[0])
    step("10. The logs of one component (its own log group)")
    lmi("logs", name, "--component", first, "--lines", "5")
    step("11. Benchmark one component")
    lmi("bench", name, "--component", first, "--concurrency", "1,4", "--requests", "8", "--output-tokens", "16",
        "--tokenizer", "approx")  # fmt: skip
    step("12. Destroy everything the deploy created, then list what is left")
    lmi("destroy", spec, "--yes")
    lmi("list")


def scale_to_zero_and_back(ctx: Any, name: str, first: str, ic: str) -> None:
    step(f"7. Scale {first} to zero copies (as target tracking does once it is idle)")
    set_copies(ctx, ic, 0)
    lmi("status", name)
    step(f"8. A request to {first} now finds no copy: the error says what wakes it and when to retry")
    lmi("invoke", name, "--component", first, "--prompt", "Are you there?", expect=1)
    step("9. Back from zero: the alarm on NoCapacityInvocationFailures adds a copy; invoke again")
    if not wait_for_copies(ctx, ic, 1, timeout_s=5.0):
        failed.pop()
        print("  (no copy after 5 s: the alarm's scale-out did not run here; doing what its step policy does)")
        set_copies(ctx, ic, 1)
    lmi("invoke", name, "--component", first, "--prompt", "Are you there now?", "-p", "max_new_tokens=12")


if __name__ == "__main__":
    sys.exit(main())
