"""What keeps `lmi render` / `lmi validate` start-up small, checked so a later change cannot quietly undo it.

Each rule here was measured (benchmarks/cli_startup.py, ``python -X importtime``): see the README's benchmark table.
"""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest
from pydantic import BaseModel

import deploy.spec.components
import deploy.spec.model

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "qwen25-7b.yaml"


def _spec_models() -> list[type[BaseModel]]:
    found = []
    for module in (deploy.spec.model, deploy.spec.components):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == module.__name__:
                found.append(value)
    return found


def test_there_are_spec_models_to_check() -> None:
    names = {model.__name__ for model in _spec_models()}
    assert {"DeploymentSpec", "EngineSettings", "VpcSettings", "ComponentEndpointSpec"} <= names


@pytest.mark.parametrize("model", _spec_models(), ids=lambda m: m.__name__)
def test_default_factories_are_plain_functions(model: type[BaseModel]) -> None:
    # pydantic reads each factory's signature while building the schema; for `list`, `dict` or a model class that
    # means compiling the tokenizer's regular expressions, ~2 ms of every start-up.
    for name, field in model.model_fields.items():
        factory = field.default_factory
        if factory is not None:
            assert isinstance(factory, types.FunctionType), f"{model.__name__}.{name}: default_factory={factory!r}"


def _modules_after(args: list[str]) -> set[str]:
    code = (
        "import sys, io, contextlib\nfrom deploy.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    try:\n        main({args!r})\n"
        "    except SystemExit as exc:\n        assert exc.code == 0, exc.code\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, env={"HF_HUB_OFFLINE": "1", "PATH": ""}
    )
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


@pytest.mark.parametrize(
    ("command", "absent"),
    [
        (["validate", str(EXAMPLE)], {"typer", "jinja2", "boto3", "deploy.spec.components", "concurrent.futures"}),
        (["render", str(EXAMPLE)], {"typer", "rich", "boto3", "deploy.spec.components", "concurrent.futures"}),
    ],
    ids=["validate", "render"],
)
def test_the_fast_path_leaves_out_what_it_does_not_use(command: list[str], absent: set[str]) -> None:
    loaded = _modules_after(command)
    assert "deploy.spec.model" in loaded  # the command did run
    assert not absent & loaded
