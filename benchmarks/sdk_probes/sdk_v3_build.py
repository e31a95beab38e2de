"""SDK v3 doing lmi plan's job: ``ModelBuilder(...).build()`` for Qwen2.5-7B on the LMI container.

``build()`` makes AWS calls (role, session bucket, CreateModel ...): run it against the emulator (AWS_ENDPOINT_URL).
The calls and what was built go to the PROBE_OUT file; a failure is recorded there too, not hidden. No network:
the SDK's two outside reads are stood in for and counted (see ``_v3``).
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _calls  # first: it counts the AWS calls of everything imported after it
import _v3

try:
    model = _v3.builder().build()
    _calls.FACTS.update(built=type(model).__name__, model_name=getattr(model, "model_name", None))
except Exception as exc:  # recorded for the benchmark to print: it must say why, not time a failure as success
    _calls.FACTS.update(error=f"{type(exc).__name__}: {exc}"[:500], trace=traceback.format_exc()[-1500:])
    raise
