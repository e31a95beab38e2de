"""Every code block of the README runs here: Python against the embedded emulator (where it needs AWS), YAML specs
through the validator, shell blocks with `lmi` against the emulator. Blocks that need something a test cannot give
(a real AWS account, `make` building a fresh venv) are listed in EXEMPT with where they are covered instead.
"""

from __future__ import annotations

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


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_block_runs(index: int, emulator: Emulator, tmp_path: Path) -> None:
    code = blocks("python")[index]
    if "def test_" in code:  # a block that shows a test: run it as one
        code += "\n" + "\n".join(f"{name}()" for name in re.findall(r"^def (test_\w+)\(\)", code, re.M)) + "\n"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=_emulator_env(emulator, tmp_path),
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
    lmi = Path(sys.executable).parent / "lmi"
    script = "set -euo pipefail\n" + blocks("bash")[index].replace("lmi ", f"{lmi} ")
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
