"""``lmi plan SPEC`` through the CLI's own entry point, with every AWS call counted (the lmi side of sdk_v3_build.py).

Against the emulator (PROBE_ENDPOINT_URL, passed to boto3 as AWS_ENDPOINT_URL by the benchmark).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _calls  # noqa: F401  (counts AWS calls before lmi-deploy makes any)

from deploy.cli import main

main(["plan", *sys.argv[1:]])
