"""Import the SDK's model-serving entry point: ``sagemaker`` (v2) or ``sagemaker.serve`` (v3), named by argv[1].

A file, not ``python -c``: SDK v2 prints ``sagemaker.config INFO`` lines on stdout at import, and nothing here
reads stdout. SDK v3 makes AWS calls at import (its AI registry hub); they are counted and sent to the emulator.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _calls  # first: it counts the AWS calls of everything imported after it

module = importlib.import_module(sys.argv[1])
_calls.FACTS.update(version=getattr(importlib.import_module("sagemaker"), "__version__", "?"), module=sys.argv[1])
