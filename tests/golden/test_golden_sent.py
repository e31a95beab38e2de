"""Golden tests of the request bodies deploy actually sends: content-hashed names, tags, DeploymentConfig, alarm,
scaling. The same desired state apply sends (the second test spies on the AWS gateways during a real apply on the
emulator and finds exactly these bodies).

Regenerate after an intended change with ``LMI_UPDATE_GOLDEN=1 pytest tests/golden`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from deploy.engine.desired import DesiredState
from deploy.engine.spine import Facts, desired_from
from deploy.spec.loader import load_spec

HERE = Path(__file__).parent
CASES = sorted(p for p in (HERE / "cases").iterdir() if p.suffix in {".yaml", ".toml"})
ACCOUNT = "123456789012"


def sent_bodies(desired: DesiredState) -> dict[str, Any]:
    """Every body apply may send for a first deploy and an update, keyed by the file it is pinned in."""
    files: dict[str, Any] = {
        "create-model.json": desired.model_request,
        "create-endpoint-config.json": desired.config_request,
        "create-endpoint.json": desired.endpoint_request,
        "update-endpoint.json": desired.update_request,
        "secret-env.json": desired.secret_env,
    }
    if desired.alarm_request is not None:
        files["put-metric-alarm.json"] = desired.alarm_request
    if desired.scaling is not None:
        files["register-scalable-target.json"] = desired.scaling.target
        files["put-scaling-policy.json"] = desired.scaling.policy
    if desired.artifacts is not None:
        upload = desired.artifacts
        files["artifacts.json"] = {
            "uri": upload.uri,
            "digest": upload.digest,
            "files": [{"key": f.key, "size": f.size, "sha256": f.sha256} for f in upload.files],
        }
    return files


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_sent_bodies_match_golden(case: Path, tmp_path: Path) -> None:
    spec = load_spec(case)
    assert spec.region is not None
    desired = desired_from(spec, Facts(region=spec.region, account=ACCOUNT))
    for name, body in sent_bodies(desired).items():
        (tmp_path / name).write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
    expected_dir = HERE / "expected" / case.stem / "sent"
    if os.environ.get("LMI_UPDATE_GOLDEN"):
        expected_dir.mkdir(parents=True, exist_ok=True)
        for produced in tmp_path.iterdir():
            (expected_dir / produced.name).write_text(produced.read_text())
    produced_names = sorted(p.name for p in tmp_path.iterdir())
    assert produced_names == sorted(p.name for p in expected_dir.iterdir())
    for name in produced_names:
        assert (tmp_path / name).read_text() == (expected_dir / name).read_text(), f"{case.stem}/sent/{name} drifted"
