#!/usr/bin/env sh
# Download the SageMaker SDK wheel whose packaged djl-lmi.json the catalog cross-check reads
# (tests/unit/test_catalog_sdk.py). The test reads the wheel as a zip file: the SDK is never installed or imported.
#
# sagemaker-core is the SDK v3 package that holds image_uri_config/djl-lmi.json; from 2.15.1 on its "0.33.0" (LMI v15)
# entry lists all 44 regions (the v2 "sagemaker" package lacks 4 of them).
#
# Usage: tests/tools/fetch_sdk_wheel.sh [python]   (default python: .venv/bin/python if present, else python3)
set -eu
cd "$(dirname "$0")/../.."
PIN="sagemaker-core==2.27.0"
DEST=".cache/sdk-wheel"
PY="${1:-}"
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
if ls "$DEST"/sagemaker_core-2.27.0-*.whl >/dev/null 2>&1; then
  echo "fetch_sdk_wheel: $PIN already in $DEST"
  exit 0
fi
mkdir -p "$DEST"
"$PY" -m pip download --quiet --no-deps "$PIN" -d "$DEST"
echo "fetch_sdk_wheel: downloaded $PIN to $DEST"
