"""The checked-in JSON Schema matches the models; `lmi init` writes a spec that validates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy.errors import SpecError, UsageError
from deploy.spec.loader import load_spec
from deploy.spec.schema import spec_json_schema
from deploy.spec.starter import write_starter_spec


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


def test_init_refuses_an_invalid_spec_without_writing_it(tmp_path: Path) -> None:
    # It used to write the file, then fail validation, leaving an invalid spec that needed --force to replace.
    path = tmp_path / "bad.yaml"
    with pytest.raises(SpecError, match="not a valid SageMaker endpoint name"):
        write_starter_spec(
            path, name="Bad_Name", model="org/m", instance="ml.g5.xlarge", region="us-east-1", force=False
        )
    assert not path.exists()


@pytest.mark.parametrize(("region", "partition"), [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")])
def test_init_writes_a_role_in_the_regions_partition(tmp_path: Path, region: str, partition: str) -> None:
    path = write_starter_spec(
        tmp_path / "s.yaml", name="demo", model="org/m", instance="ml.g5.xlarge", region=region, force=False
    )
    assert load_spec(path).role.startswith(f"arn:{partition}:iam::")


def test_init_comments_name_the_written_file(tmp_path: Path) -> None:
    path = write_starter_spec(
        tmp_path / "qwen.yaml", name="demo", model="org/m", instance="ml.g5.xlarge", region="us-east-1", force=False
    )
    assert "lmi validate qwen.yaml" in path.read_text() and "demo.yaml" not in path.read_text()
