"""Load a script from benchmarks/ as a module, so tests can call its functions without it being a package.

Why one helper: benchmarks/ is not importable (no package, run as scripts), and each test that checks a script's
numbers needs the same four importlib steps; registering the module in ``sys.modules`` lets a script's dataclasses
and pickling resolve their own module.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def load_benchmark_script(filename: str) -> ModuleType:
    """``benchmarks/<filename>`` executed afresh as a module named after the file (without ``.py``)."""
    path = BENCHMARKS / filename
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
