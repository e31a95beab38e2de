"""Offline commands must not import boto3/botocore, and no command path imports the sagemaker SDK.

Why: start-up time. boto3 + botocore cost a few hundred milliseconds and the SageMaker SDK several seconds;
`lmi --help`, `lmi render` and friends must stay instant. Each case runs the real CLI in a subprocess with
``python -X importtime`` (the interpreter's own import log) and inspects the modules it loaded; no timing is
asserted here (timings are printed by benchmarks/cli_startup.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC = "examples/qwen25-7b.yaml"
MODEL = "Qwen/Qwen2.5-7B-Instruct"
AWS_MODULES = ("boto3", "botocore", "s3transfer", "moto")

# (id, argv): every command that works offline.
OFFLINE_COMMANDS = [
    ("help", ["--help"]),
    ("version", ["--version"]),
    ("render", ["render", SPEC]),
    ("render-json", ["render", SPEC, "--json"]),
    ("validate", ["validate", SPEC]),
    ("catalog-instances", ["catalog", "instances"]),
    ("catalog-versions", ["catalog", "versions", "--json"]),
    ("catalog-regions", ["catalog", "regions"]),
    ("schema", ["schema"]),
    ("size", ["size", MODEL, "--instance", "ml.g6e.2xlarge", "--json"]),
    ("recommend", ["recommend", MODEL, "--json"]),
    ("iam-policy", ["iam-policy", SPEC, "--json"]),
    ("init", ["init", "--help"]),
    ("invoke-help", ["invoke", "--help"]),
    ("chat-help", ["chat", "--help"]),
    ("bench-help", ["bench", "--help"]),
]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")]))
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        HF_HUB_OFFLINE="1",
        COLUMNS="200",
    )
    return env


def _run(args: list[str], *, importtime: bool) -> subprocess.CompletedProcess[str]:
    flags = ["-X", "importtime"] if importtime else []
    return subprocess.run(
        [sys.executable, *flags, "-m", "deploy.cli", *args],
        cwd=REPO_ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def imported_modules(importtime_log: str) -> set[str]:
    """Module names from a ``-X importtime`` log (``import time: self | cumulative | name`` lines)."""
    names = set()
    for line in importtime_log.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name)
    return names


def _top_level(names: set[str], roots: tuple[str, ...]) -> list[str]:
    return sorted(name for name in names if name.split(".")[0] in roots)


def test_importtime_parser_reads_the_log_format() -> None:
    log = "import time: self [us] | cumulative | imported package\nimport time:  12 |  40 |   json.decoder\n"
    assert imported_modules(log) == {"json.decoder"}


@pytest.mark.parametrize("args", [case[1] for case in OFFLINE_COMMANDS], ids=[c[0] for c in OFFLINE_COMMANDS])
def test_offline_command_imports_neither_aws_sdks_nor_sagemaker(args: list[str]) -> None:
    result = _run(args, importtime=True)
    assert result.returncode == 0, f"lmi {' '.join(args)} failed:\n{result.stdout}\n{result.stderr[-2000:]}"
    modules = imported_modules(result.stderr)
    assert "deploy.cli" in modules, "the import log was not captured"
    assert _top_level(modules, ("sagemaker",)) == []
    assert _top_level(modules, AWS_MODULES) == []
    # HF_HUB_OFFLINE=1 and bundled models: the Hub client is not needed, so it is not imported either
    assert _top_level(modules, ("huggingface_hub", "httpx", "httpx2")) == []


# The fast path (deploy.cli.fast): these never build the typer app, print without rich (StyledLines, echo), and
# read the bundled tables from their JSON twins (deploy/catalog/tables.py), so the pure-Python tomllib stays out.
FAST_ABSENT = ("typer", "rich", "tomllib")
FAST_COMMANDS = [
    ("render", ["render", SPEC], FAST_ABSENT),
    ("render-json", ["render", SPEC, "--json"], FAST_ABSENT),
    ("render-out", ["render", SPEC, "--out", "OUT"], FAST_ABSENT),
    ("validate", ["validate", SPEC], FAST_ABSENT),
    ("validate-json", ["validate", SPEC, "--json"], FAST_ABSENT),
]


@pytest.mark.parametrize(("args", "absent"), [c[1:] for c in FAST_COMMANDS], ids=[c[0] for c in FAST_COMMANDS])
def test_render_and_validate_skip_typer(args: list[str], absent: tuple[str, ...], tmp_path: Path) -> None:
    result = _run([a.replace("OUT", str(tmp_path / "out")) for a in args], importtime=True)
    assert result.returncode == 0, result.stderr[-2000:]
    modules = imported_modules(result.stderr)
    assert "deploy.cli.fast" in modules, "the import log was not captured"
    assert _top_level(modules, absent) == []


def test_other_commands_still_build_the_typer_app() -> None:
    result = _run(["catalog", "regions"], importtime=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "typer" in imported_modules(result.stderr)


def test_the_sizing_package_exports_each_name_from_its_module_on_first_use() -> None:
    """deploy.sizing imports its submodules lazily (PEP 562); every exported name still resolves to the object its
    submodule defines (``recommend`` is the function, not its module of the same name), and validate's import log
    holds neither the price tables (only a configuration that does not fit searches other instances) nor
    configparser (the AWS profile is read only when nothing names the region)."""
    import importlib

    import deploy.sizing as sizing

    for name in sizing.__all__:
        module = importlib.import_module(f"deploy.sizing.{sizing._EXPORTS[name]}")
        assert getattr(sizing, name) is getattr(module, name)
    assert sorted(sizing.__all__) == sorted(sizing._EXPORTS)
    assert set(sizing.__all__) <= set(dir(sizing))
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        _ = sizing.nonexistent  # type: ignore[attr-defined]
    result = _run(["validate", SPEC], importtime=True)
    modules = imported_modules(result.stderr)
    assert "deploy.sizing.resolve" in modules, "the import log was not captured"
    assert {"deploy.catalog.prices", "configparser"} & modules == set()
