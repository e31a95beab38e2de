"""Every code block of the README runs here: Python against the embedded emulator (where it needs AWS), YAML specs
through the validator, shell blocks with `lmi` against the emulator. Blocks that need something a test cannot give
(a real AWS account, `make` building a fresh venv) are listed in EXEMPT with where they are covered instead.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deploy.local.emulator import Emulator
from deploy.spec.loader import parse_spec

REPO = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
EXEMPT = {
    "make demo": "tests/functional/test_local_quickstart.py runs scripts/quickstart.sh, which `make demo` runs",
    "LMI_AWS_TESTS=1": "the opt-in real-AWS tests themselves (pytest -m aws)",
    "OPENAI_BASE_URL": "the OpenAI SDK / LangChain / LiteLLM blocks need the variables `lmi openai` prints: "
    "tests/functional/test_readme_openai_snippets.py runs the openai block with them against the emulator, "
    "test_bench_openai_emulator.py::test_cli_openai_prints_exports_and_json evaluates the exports; LangChain and "
    "LiteLLM are not dependencies (run once by hand against the emulator, see docs/invoke.md)",
}
NOT_CODE = {"", "console", "text"}  # diagrams and captured output


def blocks(language: str) -> list[str]:
    found = [body for lang, body in FENCE.findall((REPO / "README.md").read_text(encoding="utf-8")) if lang == language]
    return [body for body in found if not any(marker in body for marker in EXEMPT)]


def test_every_fenced_block_is_covered() -> None:
    languages = {lang for lang, _ in FENCE.findall((REPO / "README.md").read_text(encoding="utf-8"))}
    assert languages - NOT_CODE <= {"python", "yaml", "bash"}, languages


def _emulator_env(emu: Emulator, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_SESSION_TOKEN="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_ENDPOINT_URL=emu.endpoint_url,
        HF_HUB_OFFLINE="1",
        LMI_LOCAL_DIR=str(tmp_path / "local-state"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")])),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )
    return env


@pytest.fixture
def emulator() -> object:
    with Emulator(time_scale=0, ttft_s=0, itl_s=0) as emu:
        yield emu


def _imported_roots(code: str) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


def _openai_route_env(emu: Emulator) -> dict[str, str]:
    """What the README's preceding shell block exports (`eval "$(lmi openai qwen25-7b --local)"`): the example
    endpoint deployed on the emulator, and its OpenAI route's base URL and bearer key."""
    client = emu.client()
    client.apply(str(REPO / "examples" / "qwen25-7b.yaml"), create_bucket=True)
    creds = client.endpoint("qwen25-7b").openai_credentials(hours=1)
    return {"OPENAI_BASE_URL": creds.base_url, "OPENAI_API_KEY": creds.api_key}


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_block_runs(index: int, emulator: Emulator, tmp_path: Path) -> None:
    code = blocks("python")[index]
    if "def test_" in code:  # a block that shows a test: run it as one
        code += "\n" + "\n".join(f"{name}()" for name in re.findall(r"^def (test_\w+)\(\)", code, re.M)) + "\n"
    for name in _imported_roots(code):  # third-party clients the README shows (OpenAI SDK, LangChain, LiteLLM)
        if importlib.util.find_spec(name) is None:
            pytest.skip(f"the block needs {name}, which is not installed")
    env = _emulator_env(emulator, tmp_path)
    if "OPENAI_BASE_URL" in code:
        env.update(_openai_route_env(emulator))
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"README python block {index} failed:\n{code}\n{result.stderr[-3000:]}"


@pytest.mark.parametrize("index", range(len(blocks("yaml"))))
def test_yaml_block_is_a_valid_spec(index: int) -> None:
    document = yaml.safe_load(blocks("yaml")[index])
    if isinstance(document, dict) and {"name", "role", "model"} <= set(document):
        assert parse_spec(document).name == document["name"]


@pytest.mark.parametrize("index", range(len(blocks("bash"))))
def test_bash_block_runs_against_the_emulator(index: int, emulator: Emulator, tmp_path: Path) -> None:
    if shutil.which("bash") is None or shutil.which("jq") is None:
        pytest.skip("needs bash and jq")
    work = tmp_path / "work"
    (work / "specs").mkdir(parents=True)
    shutil.copy(REPO / "examples" / "qwen25-7b.yaml", work / "specs" / "qwen.yaml")
    shutil.copytree(REPO / "examples", work / "examples")
    lmi = Path(sys.executable).parent / "lmi"
    # a block that starts the background emulator also stops it (its state is under this test's LMI_LOCAL_DIR)
    script = f"set -euo pipefail\ntrap '{lmi} local stop >/dev/null 2>&1 || true' EXIT\n"
    script += blocks("bash")[index].replace("lmi ", f"{lmi} ")
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=work,
        env=_emulator_env(emulator, tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"README bash block {index} failed:\n{script}\n{result.stdout}\n{result.stderr}"
