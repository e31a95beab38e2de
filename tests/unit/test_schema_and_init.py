"""The checked-in JSON Schema matches the models; `lmi init` writes a spec that validates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy.errors import UsageError
from deploy.init import write_starter_spec
from deploy.schema import spec_json_schema
from deploy.spec import load_spec


def test_checked_in_schema_has_not_drifted(repo: Path) -> None:
    checked_in = (repo / "schema" / "lmi-deploy.schema.json").read_text()
    assert checked_in == spec_json_schema(), "regenerate with: lmi schema --out schema/lmi-deploy.schema.json"


def test_schema_documents_every_field() -> None:
    schema = json.loads(spec_json_schema())
    assert schema["additionalProperties"] is False
    assert "description" in schema["properties"]["name"]
    engine = schema["$defs"]["EngineSettings"]["properties"]
    assert all("description" in prop for prop in engine.values())


def test_init_writes_a_valid_commented_spec(tmp_path: Path) -> None:
    path = write_starter_spec(
        tmp_path / "s.yaml", name="demo", model="org/m", instance="ml.g5.xlarge", region="eu-west-1", force=False
    )
    spec = load_spec(path)
    assert (spec.name, spec.model.id, spec.instance.type, spec.region) == ("demo", "org/m", "ml.g5.xlarge", "eu-west-1")
    assert "# " in path.read_text()
    with pytest.raises(UsageError, match="--force"):
        write_starter_spec(path, name="demo", model="org/m", instance="ml.g5.xlarge", region="eu-west-1", force=False)
