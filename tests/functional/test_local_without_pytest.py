"""A ``[local]`` install has no pytest: the emulator and its plain helpers must import without it.

Why: benchmarks, scripts and `make demo` run on ``pip install 'lmi-deploy[local]'``; only the optional fixture
module (``deploy.local.fixtures``) may import pytest, and ``deploy.local.testing`` loads it only on request.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_MODULE = ROOT / "deploy" / "local" / "fixtures.py"
# Runs with pytest made unimportable (a None entry in sys.modules makes `import pytest` raise ImportError).
PROBE = """
import sys
sys.modules["pytest"] = None
{imports}
print("ok")
"""


def _imports_pytest(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import) and any(alias.name.split(".")[0] == "pytest" for alias in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "pytest":
            return True
    return False


def test_only_the_fixture_module_imports_pytest() -> None:
    offenders = [p.relative_to(ROOT) for p in sorted((ROOT / "deploy").rglob("*.py")) if _imports_pytest(p)]
    assert offenders == [FIXTURE_MODULE.relative_to(ROOT)]


@pytest.mark.parametrize(
    "imports",
    [
        "from deploy.local import Emulator",
        "from deploy.local.helpers import deploy, create_model, create_config, invoke_json, container_log",
        "from deploy.local.testing import deploy, create_model, ROLE_ARN, LMI_IMAGE",
        "import deploy.local.emulator, deploy.local.app, deploy.local.runtime, deploy.local.background",
    ],
)
def test_emulator_and_helpers_import_without_pytest(imports: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(imports=imports)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-1500:]


def test_the_fixture_still_loads_on_request() -> None:
    from deploy.local import testing

    assert callable(testing.lmi_emulator)
    with pytest.raises(AttributeError):
        _ = testing.no_such_helper
