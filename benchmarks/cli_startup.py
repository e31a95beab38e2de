"""Start-up of the `lmi` CLI, and the same jobs done by the SageMaker SDK (v2 and v3), measured side by side.

Every command runs in a fresh interpreter, interleaved round by round (benchmarks/_harness.py: order shuffled per
round, warm-up rounds dropped, ratios within a round, wall and CPU time, machine load). SDK work runs as probe files
(benchmarks/sdk_probes/), never as ``python -c`` whose stdout is read: SDK v2 prints ``sagemaker.config INFO`` at
import. Three comparisons:

1. start-up: ``lmi --help`` / ``render`` / ``validate`` against ``python -c "import boto3"`` (target <= 1.0x) and
   the SDK's import, and against the floor under them: their third-party imports alone (pydantic with one
   validated model, PyYAML, and jinja2 for render; validate prints without rich); ``render`` / ``validate`` also
   called as a library (``main([...])``), which ends with the interpreter's normal teardown instead of the
   CLI's quick exit, so what that exit is worth is printed beside the rest;
2. the artefact job: ``lmi render`` against SDK v2 doing the same work (``DJLModel`` + ``prepare_container_def``
   + ``production_variant``), and ``lmi plan`` against SDK v3's ``ModelBuilder.build()``, with AWS calls counted,
   both against the embedded emulator;
3. a no-op re-deploy: ``deploy.apply`` twice against SDK v2's ``deploy()`` twice and SDK v3's
   ``ModelBuilder.build()`` + ``deploy()`` twice: calls made, resources left.

    python benchmarks/cli_startup.py [SPEC] [--rounds 10] [--sdk-v2 PYTHON] [--sdk-v3 PYTHON] [--no-redeploy]

Without ``--sdk-v2`` / ``--sdk-v3`` (interpreters with ``sagemaker<3`` / ``sagemaker>=3`` installed, e.g. venvs
under /tmp) the SDK rows are skipped with a note. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import REPO_ROOT, Sample, fmt_spread, interleave, machine_line, print_table, ratios, run_process

PROBES = Path(__file__).resolve().parent / "sdk_probes"
DEFAULT_SPEC = REPO_ROOT / "examples" / "qwen25-7b.yaml"
HF_CONFIG = REPO_ROOT / "deploy" / "sizing" / "library" / "Qwen--Qwen2.5-7B-Instruct.json"
MUTATING = ("Create", "Update", "Delete", "Put", "Register", "Deregister", "Add", "Upload", "Complete")
JUMPSTART_BUCKET = "jumpstart-cache-prod-us-east-1"


def base_env(endpoint_url: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    # Measure as installed: pip writes bytecode for site-packages (boto3's included), so ours must have it too;
    # the warm-up rounds write deploy/'s __pycache__ when this variable would have prevented it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")]))
    env.update(
        HF_HUB_OFFLINE="1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        PROBE_HF_CONFIG=str(HF_CONFIG),
    )
    if endpoint_url:
        env.update(PROBE_ENDPOINT_URL=endpoint_url, AWS_ENDPOINT_URL=endpoint_url)
    return env


class EmulatorServer:
    """``python -m deploy.local`` in a child process (its own state directory); stopped by its pid."""

    def __init__(self, time_scale: float = 0.01) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="lmi-bench-emu-")
        argv = [sys.executable, "-m", "deploy.local", "--port", "0", "--time-scale", str(time_scale)]
        self.process = subprocess.Popen(
            [*argv, "--state-dir", self._dir.name],
            env=base_env(), cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        state = Path(self._dir.name) / "server.json"
        deadline = time.monotonic() + 60
        while not state.exists():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit("the emulator did not start within 60 s")
            time.sleep(0.1)
        self.url = str(json.loads(state.read_text())["endpoint_url"])

    def seed_for_sdk_v3(self) -> None:
        """What exists in an AWS account where ModelBuilder runs: the execution role and the JumpStart manifest."""
        import boto3

        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
        iam = session.client("iam", endpoint_url=self.url)
        statement = {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
        trust = {"Version": "2012-10-17", "Statement": [statement]}
        iam.create_role(RoleName="SageMakerExecutionRole", AssumeRolePolicyDocument=json.dumps(trust))
        s3 = session.client("s3", endpoint_url=self.url)
        s3.create_bucket(Bucket=JUMPSTART_BUCKET)
        placeholder = [{"model_id": "huggingface-llm-placeholder", "version": "1.0.0", "min_version": "2.0.0",
                        "spec_key": "community_models/huggingface-llm-placeholder/specs_v1.0.0.json"}]  # fmt: skip
        for key in ("models_manifest.json", "proprietary-sdk-manifest.json"):
            s3.put_object(Bucket=JUMPSTART_BUCKET, Key=key, Body=json.dumps(placeholder).encode())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self._dir.cleanup()


class Probe:
    """A probe file run by an interpreter; each run's facts (AWS calls, results) are kept from its PROBE_OUT."""

    def __init__(self, python: str, script: str, args: list[str], endpoint_url: str | None = None) -> None:
        self.argv = [python, str(PROBES / script), *args]
        self.env = base_env(endpoint_url)
        self.facts: list[dict[str, Any]] = []

    def __call__(self) -> Sample:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
            path = out.name
        try:
            sample = run_process(self.argv, env={**self.env, "PROBE_OUT": path})
            self.facts.append(json.loads(Path(path).read_text() or "{}"))
            return sample
        except RuntimeError as exc:
            recorded = Path(path).read_text() if Path(path).exists() else ""
            error = json.loads(recorded).get("error") if recorded.strip() else None
            raise RuntimeError(error or str(exc)) from exc
        finally:
            Path(path).unlink(missing_ok=True)


def command(argv: list[str], env: dict[str, str] | None = None) -> Callable[[], Sample]:
    return lambda: run_process(argv, env=env or base_env())


def _calls_line(facts: dict[str, Any]) -> str:
    calls: dict[str, int] = facts.get("calls", {})
    mutating = sum(n for op, n in calls.items() if op.split(":")[-1].startswith(MUTATING))
    hub = facts.get("hub_requests", 0)
    return f"{sum(calls.values())} AWS calls ({mutating} mutating)" + (f" + {hub} Hub request(s)" if hub else "")


# The floor under each command: its third-party imports alone, with one validated pydantic model (so pydantic's
# schema machinery and plugin lookup run, as they must for any spec), before any lmi-deploy code.
_MODEL = "from pydantic import BaseModel, Field\nclass M(BaseModel):\n    a: int = Field(1, ge=1)\nM(a=2)\n"
RENDER_FLOOR = _MODEL + "import yaml, jinja2"
VALIDATE_FLOOR = _MODEL + "import yaml"  # validate writes its lines without rich (deploy/cli/_output.py)
# The same command called as a library (`main([...])` in the caller's process), which ends as any Python program
# does: the fast path's quick exit (deploy/cli/quick_exit.py: no teardown, no cyclic GC passes) is not armed, so
# these rows show what that exit is worth and where lmi would stand without it.
NORMAL_EXIT = """
import sys
from deploy.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    sys.exit(exc.code)
"""


def startup(args: argparse.Namespace, sdk: dict[str, str], emulator_url: str | None) -> None:
    py, spec = sys.executable, args.spec
    cases: dict[str, Callable[[], Sample]] = {
        "python -c pass": command([py, "-c", "pass"]),
        "python -c 'import boto3'": command([py, "-c", "import boto3"]),
        "floor: pydantic+yaml+jinja2": command([py, "-c", RENDER_FLOOR]),
        "floor: pydantic+yaml": command([py, "-c", VALIDATE_FLOOR]),
        "lmi --help": command([py, "-m", "deploy.cli", "--help"]),
        "lmi render": command([py, "-m", "deploy.cli", "render", spec]),
        "lmi validate": command([py, "-m", "deploy.cli", "validate", spec]),
        "lmi render, normal exit": command([py, "-c", NORMAL_EXIT, "render", spec]),
        "lmi validate, normal exit": command([py, "-c", NORMAL_EXIT, "validate", spec]),
    }
    for major, python in sdk.items():
        module = "sagemaker" if major == "v2" else "sagemaker.serve"
        cases[f"SDK {major}: import {module}"] = Probe(python, "sdk_import.py", [module], emulator_url)
    if "v2" in sdk:
        cases["SDK v2: DJLModel+container def+variant"] = Probe(sdk["v2"], "sdk_v2_artifacts.py", [])
    try:
        results = interleave(cases, rounds=args.rounds, warmup=args.warmup)
    except RuntimeError as exc:  # a command that fails is not timed as if it had done its work
        print(f"\n1-2a. start-up: FAILED, not measured: {exc}")
        return
    print(f"\n1-2a. start-up and the artefact job: {args.rounds} interleaved rounds ({args.warmup} warm-up dropped)")
    print_table(results)
    print("per-round ratios, median (min-max): wall | CPU")
    boto3 = "python -c 'import boto3'"
    pairs = [("lmi render", boto3), ("lmi validate", boto3), ("lmi --help", boto3),
             ("floor: pydantic+yaml+jinja2", boto3), ("floor: pydantic+yaml", boto3),
             ("lmi render", "floor: pydantic+yaml+jinja2"), ("lmi validate", "floor: pydantic+yaml"),
             ("lmi render, normal exit", boto3), ("lmi validate, normal exit", boto3)]  # fmt: skip
    pairs += [("lmi render", name) for name in results if name.startswith("SDK")]
    for a, b in pairs:
        wall, cpu = ratios(results, a, b), ratios(results, a, b, cpu=True)
        print(f"  {a} / {b}: {fmt_spread(wall, 1, '.2f', 'x')} | {fmt_spread(cpu, 1, '.2f', 'x')}")
    for name, probe in cases.items():
        if isinstance(probe, Probe) and probe.facts:
            print(f"  {name}: {_calls_line(probe.facts[-1])}")


def build_job(args: argparse.Namespace, sdk_v3: str, emulator: EmulatorServer) -> None:
    emulator.seed_for_sdk_v3()
    lmi = Probe(sys.executable, "lmi_plan.py", [args.spec], emulator.url)
    builder = Probe(sdk_v3, "sdk_v3_build.py", [], emulator.url)
    try:
        results = interleave({"lmi plan": lmi, "SDK v3 ModelBuilder.build()": builder}, rounds=args.build_rounds,
                             warmup=1)  # fmt: skip
    except RuntimeError as exc:
        print(f"\n2b. SDK v3 ModelBuilder.build(): FAILED, not measured: {exc}")
        return
    print(f"\n2b. plan vs ModelBuilder.build() on the emulator: {args.build_rounds} interleaved rounds (1 warm-up)")
    print_table(results)
    per_round = ratios(results, "lmi plan", "SDK v3 ModelBuilder.build()")
    per_round_cpu = ratios(results, "lmi plan", "SDK v3 ModelBuilder.build()", cpu=True)
    wall_text, cpu_text = fmt_spread(per_round, 1, ".2f", "x"), fmt_spread(per_round_cpu, 1, ".2f", "x")
    print(f"  lmi plan / build(): wall {wall_text} | CPU {cpu_text}")
    print(f"  lmi plan: {_calls_line(lmi.facts[-1])}; SDK v3 build(): {_calls_line(builder.facts[-1])}")
    print(f"  build() calls: {builder.facts[-1].get('calls')}")


def redeploy(sdk: dict[str, str]) -> None:
    print("\n3. deploy twice with unchanged inputs (fresh emulator each side)")
    sides = [("lmi-deploy apply", sys.executable, "lmi_deploy_twice.py")]
    if "v2" in sdk:
        sides.append(("SDK v2 deploy()", sdk["v2"], "sdk_v2_deploy_twice.py"))
    if "v3" in sdk:
        sides.append(("SDK v3 build()+deploy()", sdk["v3"], "sdk_v3_deploy_twice.py"))
    for label, python, script in sides:
        emulator = EmulatorServer()
        try:
            if script.startswith("sdk_v3"):
                emulator.seed_for_sdk_v3()
            probe = Probe(python, script, [], emulator.url)
            sample = probe()
            facts = probe.facts[-1]
            for which in ("first", "second"):
                calls = facts[which]
                mutating = {op: n for op, n in calls.items() if op.split(":")[-1].startswith(MUTATING)}
                print(f"  {label}, {which}: {sum(calls.values())} calls, {sum(mutating.values())} mutating {mutating}")
            print(f"  {label}: left behind {facts['left_behind']} ({sample.wall:.1f} s wall for both)")
        except RuntimeError as exc:
            print(f"  {label}: FAILED: {exc}")
        finally:
            emulator.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", default=str(DEFAULT_SPEC), help="spec file for render/validate/plan")
    parser.add_argument("--rounds", type=int, default=10, help="measured start-up rounds (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="start-up rounds run first and dropped")
    parser.add_argument("--build-rounds", type=int, default=3, help="rounds of plan vs ModelBuilder.build()")
    parser.add_argument("--sdk-v2", help="python of a venv with sagemaker<3")
    parser.add_argument("--sdk-v3", help="python of a venv with sagemaker>=3")
    parser.add_argument("--no-redeploy", action="store_true", help="skip the deploy-twice comparison")
    args = parser.parse_args()
    sdk = {major: python for major, python in (("v2", args.sdk_v2), ("v3", args.sdk_v3)) if python}
    print(machine_line())
    for major in ("v2", "v3"):
        if major not in sdk:
            print(f"SDK {major}: not given (--sdk-{major} PYTHON), its rows are skipped")
    emulator = EmulatorServer() if "v3" in sdk else None
    try:
        startup(args, sdk, emulator.url if emulator else None)
        if emulator and "v3" in sdk:
            build_job(args, sdk["v3"], emulator)
    finally:
        if emulator:
            emulator.stop()
    if not args.no_redeploy:
        redeploy(sdk)
    print(f"\nload average after: {machine_line().rsplit('load average ', 1)[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
