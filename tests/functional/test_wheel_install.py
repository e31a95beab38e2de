"""The wheel carries serving.properties.j2 and templates/: an installed copy (not the checkout) renders a spec.

Builds the wheel without network (hatchling from the dev environment), installs it with --no-deps into a fresh
virtual environment, and runs `python -m deploy.cli render` there from an unrelated directory; the dependencies come
from the dev environment's site-packages through PYTHONPATH (which, unlike site dirs, does not read the editable
install's .pth file, so the checkout cannot leak in).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"


@pytest.fixture(scope="module")
def wheel(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(repo)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, f"building the wheel failed (is hatchling installed?):\n{build.stderr[-3000:]}"
    return next(out.glob("lmi_deploy-*.whl"))


def test_wheel_contains_templates(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "deploy/_data/serving.properties.j2" in names
    assert "deploy/_data/templates/spec.yaml.j2" in names
    assert any(n.startswith("deploy/catalog/") and n.endswith(".toml") for n in names)
    assert any(n.startswith("deploy/sizing/library/") and n.endswith(".json") for n in names)
    assert "deploy/data/vllm_0_8_4_engine_args.toml" in names
    assert "deploy/data/vllm_architectures.toml" in names
    # the JSON twins the code reads (deploy/catalog/tables.py), next to each TOML
    assert "deploy/data/vllm_architectures.generated.json" in names
    assert "deploy/catalog/instances.generated.json" in names


def test_installed_wheel_renders_a_spec(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
    )
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"name: ep\nrole: {ROLE}\nmodel: {{id: Qwen/Qwen2.5-0.5B-Instruct}}\n")
    env = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"]}
    where = subprocess.run(
        [str(python), "-c", "import deploy; print(deploy.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(env_dir) in where
    proc = subprocess.run(
        [str(python), "-m", "deploy.cli", "render", str(spec)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "option.entryPoint=djl_python.lmi_vllm.vllm_async_service" in proc.stdout
    init = subprocess.run(
        [str(python), "-m", "deploy.cli", "init", "x.yaml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert init.returncode == 0, init.stderr
