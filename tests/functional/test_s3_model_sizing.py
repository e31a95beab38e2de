"""An s3:// model is sized from the config.json in its prefix when the spec gives no model.config."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import deploy
from deploy.engine.spine import s3_model_shape
from deploy.errors import FitError
from deploy.local import Emulator
from deploy.spec.loader import parse_spec

LIBRARY = Path(deploy.__file__).parent / "sizing" / "library"
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(time_scale=0) as emulator:
        yield emulator


def _put_config(emu: Emulator, bucket: str, key: str, library_file: str) -> None:
    s3 = emu.context().client("s3")
    s3.create_bucket(Bucket=bucket)
    config = json.loads((LIBRARY / library_file).read_text())
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(config).encode())


def _spec(model_id: str, instance: str) -> deploy.DeploymentSpec:
    return parse_spec({"name": "s3model", "role": ROLE, "model": {"id": model_id}, "instance": {"type": instance}})


def test_shape_is_read_from_the_prefix(emu: Emulator) -> None:
    _put_config(emu, "weights-bucket", "qwen/config.json", "Qwen--Qwen2.5-7B-Instruct.json")
    shape = s3_model_shape(_spec("s3://weights-bucket/qwen/", "ml.g6e.2xlarge"), emu.context())
    assert shape is not None
    assert shape.kv_bytes_per_token(1, 2) == 2 * 28 * 4 * 128 * 2


def test_missing_config_leaves_the_shape_unknown(emu: Emulator) -> None:
    emu.context().client("s3").create_bucket(Bucket="empty-bucket")
    assert s3_model_shape(_spec("s3://empty-bucket/none/", "ml.g6e.2xlarge"), emu.context()) is None


def test_plan_refuses_an_s3_model_that_does_not_fit(emu: Emulator) -> None:
    _put_config(emu, "weights-bucket", "llama70b/config.json", "meta-llama--Llama-3.1-70B-Instruct.json")
    with pytest.raises(FitError) as info:
        deploy.plan(_spec("s3://weights-bucket/llama70b/", "ml.g6e.2xlarge"), context=emu.context())
    assert info.value.exit_code == 2
    assert "does not fit" in str(info.value)
