"""Unit tests are pure: none of them imports moto (the SageMaker fakes live in deploy/local/ and tests/functional).

Checked on the source (every import statement, including those inside functions) and at run time: importing
every unit-test module leaves moto unloaded.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

UNIT = Path(__file__).resolve().parent


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_unit_test_imports_moto_or_the_emulator() -> None:
    offenders = {
        path.name: sorted(n for n in _imported(path) if n.split(".")[0] == "moto" or n.startswith("deploy.local"))
        for path in sorted(UNIT.glob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_every_unit_test_module_leaves_moto_unloaded() -> None:
    modules = [p.stem for p in sorted(UNIT.glob("*.py")) if p.stem != Path(__file__).stem]
    code = (
        "import importlib, sys\n"
        f"sys.path.insert(0, {str(UNIT)!r}); sys.path.insert(0, {str(UNIT.parents[1])!r})\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'moto'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"
