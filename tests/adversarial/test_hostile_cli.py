"""The adversarial suite: the real ``lmi`` CLI on hostile specs, every output stream and every written file grepped.

For each case in :mod:`tests.adversarial.cases` the commands below run as separate processes (through the fork
server in :mod:`tests.adversarial.forkrun`, with a memory and time bound each), in the case's own directory, with
``HF_TOKEN`` set to a planted password. A case passes when every run exits as expected (2 for a spec error), no run
prints a traceback, and neither planted secret appears in stdout, stderr or any file under the case's directory
(render --out, .lmi state, the config directory), even with line wrapping and table borders removed.
A few end-to-end flows also run through the installed ``lmi`` executable itself.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

try:
    from tests.adversarial.cases import PASSWORD, SECRETS, Case, all_cases, spec, yaml_text
except ImportError:  # rootdir not on sys.path: the test directory is
    from cases import PASSWORD, SECRETS, Case, all_cases, spec, yaml_text  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[2]
LMI = Path(sys.executable).with_name("lmi")
CASES = all_cases()
COMMANDS: dict[str, list[str]] = {
    "validate": ["validate", "{spec}"],
    "validate-json": ["validate", "{spec}", "--json"],
    "render": ["render", "{spec}", "--out", "out"],
    "plan-json": ["plan", "{spec}", "--local", "--json"],
}
DEPLOY = {"deploy": ["deploy", "{spec}", "--local", "--yes"]}  # for cases that reach the emulator (``deploy=True``)
NOISE = re.compile(r"[\s│┃┆╎|…]+")


@dataclass(frozen=True)
class Run:
    command: str
    code: int
    stdout: str
    stderr: str
    seconds: float


def case_env(case: Case, directory: Path) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(directory / "home"),
        "LMI_LOCAL_DIR": str(directory / ".lmi" / "local"),
        "LMI_CONFIG_DIR": str(directory / ".config"),
        "LMI_LOCAL_TIME_SCALE": "0",
        "LMI_EMULATOR_LATENCY": "off",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(directory / "home" / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(directory / "home" / "aws-credentials"),
        "COLUMNS": "400",
        "TERM": "dumb",
        "HF_TOKEN": PASSWORD,
    }
    for key, value in case.env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def lay_out(case: Case, directory: Path) -> None:
    for name, content in case.files.items():
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content if isinstance(content, str) else yaml_text(content), encoding="utf-8")


class ForkServer:
    """One long-lived ``forkrun`` process; ``run`` is called from one thread at a time."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.adversarial.forkrun"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        self.lock = threading.Lock()

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write(json.dumps(job) + "\n")
            self.proc.stdin.flush()
            return dict(json.loads(self.proc.stdout.readline()))

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[Path, list[Run]]]]:
    """Every case x command, run on as many fork servers as there are CPUs (at most 4)."""
    root = tmp_path_factory.mktemp("adversarial")
    servers = [ForkServer() for _ in range(max(1, min(4, os.cpu_count() or 1)))]
    out: dict[str, tuple[Path, list[Run]]] = {}
    try:
        work = []
        for index, case in enumerate(CASES):
            directory = root / case.name
            directory.mkdir()
            lay_out(case, directory)
            out[case.name] = (directory, [])
            work.append((servers[index % len(servers)], case, directory))

        def run_case(item: tuple[ForkServer, Case, Path]) -> None:
            server, case, directory = item
            for command, template in commands_for(case).items():
                argv = [part.replace("{spec}", case.spec_file) for part in template]
                job = {"argv": argv, "cwd": str(directory), "env": case_env(case, directory)}
                result = server.run(job)
                out[case.name][1].append(
                    Run(command, result["code"], result["stdout"], result["stderr"], result["seconds"])
                )

        with ThreadPoolExecutor(max_workers=len(servers)) as pool:
            list(pool.map(run_case, work))
        yield out
    finally:
        for server in servers:
            server.close()


def commands_for(case: Case) -> dict[str, list[str]]:
    return {**COMMANDS, **DEPLOY} if case.deploy else COMMANDS


def leaks(text: str, secrets: tuple[str, ...]) -> list[str]:
    """Secrets found in ``text``, also when a table or line wrap split them."""
    flat = NOISE.sub("", text)
    return [secret for secret in secrets if secret in text or NOISE.sub("", secret) in flat]


def written_files(directory: Path, case: Case) -> Iterator[Path]:
    inputs = {directory / name for name in case.files}
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path not in inputs:
            yield path


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_spec_is_handled_cleanly_and_leaks_nothing(
    case: Case, results: dict[str, tuple[Path, list[Run]]]
) -> None:
    directory, runs = results[case.name]
    assert [run.command for run in runs] == list(commands_for(case))
    problems = []
    for run in runs:
        shown = f"{case.name} {run.command} (exit {run.code}, {run.seconds}s)"
        expected = case.exits_for(run.command.removesuffix("-json"))
        if run.code not in expected:
            problems.append(f"{shown}: exit {run.code}, expected {sorted(expected)}")
        if "Traceback (most recent call last)" in run.stdout + run.stderr:
            problems.append(f"{shown}: traceback:\n{run.stderr[-1500:]}")
        if run.command.endswith("json") and run.code == 2:
            payload = json.loads(run.stdout)
            if not (payload.get("error") and payload.get("message") and payload.get("exit_code") == 2):
                problems.append(f"{shown}: --json error is not one error object: {run.stdout[:300]}")
        for stream, text in (("stdout", run.stdout), ("stderr", run.stderr)):
            found = leaks(text, case.secrets)
            if found:
                problems.append(f"{shown}: {stream} shows a secret: {text[:600]}")
        if run.code == 2 and not run.stderr.strip() and not run.stdout.strip():
            problems.append(f"{shown}: refused without saying why")
    for path in written_files(directory, case):
        if leaks(path.read_bytes().decode("utf-8", "replace"), case.secrets):
            problems.append(f"{case.name}: written file {path.relative_to(directory)} holds a secret")
    assert not problems, "\n".join(problems)


def test_the_suite_covers_every_class_with_several_members() -> None:
    names = [c.name for c in CASES]
    for prefix, least in (("token-", 6), ("in-", 15), ("ref-", 5), ("cfg-", 6), ("ctl-", 4)):
        assert sum(n.startswith(prefix) for n in names) >= least, prefix
    assert len(names) == len(set(names))


# -- end to end through the installed executable ---------------------------------------------------------------
def lmi(directory: Path, *args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LMI), *args], cwd=directory, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_a_real_deploy_with_a_token_leaks_it_nowhere(tmp_path: Path) -> None:
    """Deploy, plan again, status, logs and destroy on the background emulator with a shapeless password as the
    token (only knowing it is secret can hide it); then grep every output and every file, the emulator's included."""
    case = Case("e2e", {"spec.yaml": spec(**{"model": {"id": "Qwen/Qwen2.5-7B-Instruct", "hf_token": "env:HF_TOKEN"}})})
    lay_out(case, tmp_path)
    env = case_env(case, tmp_path) | {"PYTHONPATH": str(REPO)}
    started = lmi(tmp_path, "local", "start", "--time-scale", "0", "--json", env=env, timeout=60)
    assert started.returncode == 0, started.stderr
    runs = [started]
    try:
        for args in (
            ["deploy", "spec.yaml", "--local", "--yes", "--json"],
            ["plan", "spec.yaml", "--local", "--json"],
            ["status", "adv", "--local", "--json"],
            ["logs", "adv", "--local"],
            ["destroy", "adv", "--local", "--yes"],
        ):
            runs.append(lmi(tmp_path, *args, env=env))
            assert runs[-1].returncode == 0, f"{args}: {runs[-1].stderr[-800:]}"
    finally:
        runs.append(lmi(tmp_path, "local", "stop", env=env, timeout=60))
    assert json.loads(runs[2].stdout)["actions"] == []  # the same token: no change planned
    for run in runs:
        assert "Traceback (most recent call last)" not in run.stdout + run.stderr
        assert not leaks(run.stdout + run.stderr, SECRETS), run.args
    for path in written_files(tmp_path, case):
        assert not leaks(path.read_bytes().decode("utf-8", "replace"), SECRETS), path


def test_the_fork_server_matches_the_real_executable(tmp_path: Path) -> None:
    """The suite's fast runner and the console script agree on exit code and output for a refused secret."""
    case = next(c for c in CASES if c.name == "token-bearer")
    lay_out(case, tmp_path)
    env = case_env(case, tmp_path)
    real = lmi(tmp_path, "validate", "spec.yaml", "--json", env=env)
    server = ForkServer()
    try:
        forked = server.run({"argv": ["validate", "spec.yaml", "--json"], "cwd": str(tmp_path), "env": env})
    finally:
        server.close()
    assert (real.returncode, real.stdout) == (forked["code"], forked["stdout"]) and real.returncode == 2
    assert not leaks(real.stdout + real.stderr, SECRETS)
