"""Start-up time of the `lmi` CLI next to the import time of the SageMaker SDK, measured in one run.

Rule: measure, print, assert nothing (timings vary by machine; tests never assert them). Each command runs
in a fresh interpreter (subprocess + time.perf_counter, wall clock including interpreter start), once to warm
the disk cache, then N times; the script prints median, min and max and the ratio of each median to the SDK
import median from the same run. Targets: `lmi --help` median < 0.3 s, `lmi render` median < 0.5 s.

    python benchmarks/cli_startup.py [SPEC] [--runs N] [--sdk-python PYTHON]

SPEC defaults to examples/qwen25-7b.yaml. The SDK row needs the `sdk` extra (pip install -e '.[sdk]') in this
interpreter, or --sdk-python pointing at another interpreter that has the `sagemaker` package.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SPEC = REPO_ROOT / "examples" / "qwen25-7b.yaml"
TARGETS_S = {"lmi --help": 0.3, "lmi render": 0.5}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")]))
    env.setdefault("HF_HUB_OFFLINE", "1")
    # `import sagemaker.serve` (SDK v3) builds a session at import time and fails without a region; keep it
    # from waiting on the EC2 metadata service so the row measures imports, not a network timeout.
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    env.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    return env


def time_command(argv: list[str], runs: int) -> list[float]:
    """Wall-clock seconds of ``runs`` executions of argv (after one unmeasured warm-up run)."""
    env = _env()
    first = subprocess.run(argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    if first.returncode != 0:
        last = (first.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"exit {first.returncode}: {last}")
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=REPO_ROOT, env=env, capture_output=True, check=False)
        samples.append(time.perf_counter() - start)
    return samples


SDK_PROBE = """
import importlib.util as util
if util.find_spec("sagemaker") is not None:  # finds the package without importing it
    print("import sagemaker.serve" if util.find_spec("sagemaker.serve") else "import sagemaker")
"""


def sdk_import_statement(python: str) -> str | None:
    """The statement that loads the SDK's model-serving path in ``python``, or None when it has no SDK."""
    found = subprocess.run([python, "-c", SDK_PROBE], capture_output=True, text=True, check=False)
    return found.stdout.strip() or None


def _row(label: str, samples: list[float], baseline: float | None) -> str:
    median = statistics.median(samples)
    ratio = f"{median / baseline:6.2f}x" if baseline else "     -"
    target = TARGETS_S.get(label)
    verdict = "" if target is None else ("  ok" if median < target else f"  OVER target {target:.1f}s")
    return f"{label:<36} {median:8.3f} {min(samples):8.3f} {max(samples):8.3f} {ratio}{verdict}"


def _header(runs: int) -> str:
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    hyperfine = ", hyperfine available" if shutil.which("hyperfine") else ""
    return (
        f"cli start-up, {runs} runs each (seconds, wall clock, python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cpus{load}{hyperfine})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", default=str(DEFAULT_SPEC), help="spec file for `lmi render`")
    parser.add_argument("--runs", type=int, default=10, help="measured runs per command (default 10)")
    parser.add_argument("--sdk-python", default=sys.executable, help="interpreter that has the sagemaker SDK")
    args = parser.parse_args()

    py = sys.executable
    cases = {
        "python (bare interpreter)": [py, "-c", "pass"],
        "lmi --help": [py, "-m", "deploy.cli", "--help"],
        "lmi render": [py, "-m", "deploy.cli", "render", args.spec],
    }
    statement = sdk_import_statement(args.sdk_python)
    if statement:
        cases[f"python -c '{statement}'"] = [args.sdk_python, "-c", statement]

    results, failures = {}, {}
    for label, argv in cases.items():
        try:
            results[label] = time_command(argv, args.runs)
        except RuntimeError as exc:
            failures[label] = str(exc)
    sdk_label = next((label for label in results if "sagemaker" in label), None)
    baseline = statistics.median(results[sdk_label]) if sdk_label else None

    print(_header(args.runs))
    print(f"{'command':<36} {'median':>8} {'min':>8} {'max':>8} {'vs SDK':>7}")
    for label, samples in results.items():
        print(_row(label, samples, baseline))
    for label, reason in failures.items():
        print(f"{label:<36} FAILED, not measured: {reason}")
    if sdk_label is None:
        print(
            "SageMaker SDK: not installed, no ratio. Install it (pip install -e '.[sdk]') or pass "
            "--sdk-python PATH of an interpreter that has it, and run this script again."
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
