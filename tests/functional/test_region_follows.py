"""The region actually used decides the image URI, its ECR account, the partition, the bucket and the prices.

The bug this pins: a spec without `region` planned with `--region eu-west-1` once built a CreateModel whose image
lived in us-east-1 (SageMaker cannot pull it). Runs against the embedded emulator (nothing real is reached).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deploy.catalog import region_info
from deploy.client import Client
from deploy.errors import UsageError
from deploy.local.emulator import Emulator
from deploy.local.testing import lmi_emulator
from deploy.spec.loader import parse_spec

__all__ = ["lmi_emulator"]
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"


def _spec(**extra: object) -> Any:
    return parse_spec({"name": "where", "role": ROLE, "model": {"id": "Qwen/Qwen2.5-7B-Instruct"}, **extra})


def _image(result: Any) -> str:
    return str(result.desired.model_request["PrimaryContainer"]["Image"])


def _assert_in(result: Any, region: str) -> None:
    info = region_info(region)
    assert _image(result).startswith(f"{info.account}.dkr.ecr.{region}.{info.dns_suffix}/djl-inference:")
    assert result.context.region == region
    assert result.snapshot.region == region


@pytest.mark.parametrize("region", ["eu-west-1", "ap-southeast-2", "us-west-2"])
def test_asked_region_reaches_the_image_of_a_spec_without_region(lmi_emulator: Emulator, region: str) -> None:
    _assert_in(lmi_emulator.client(region).plan(_spec()), region)


@pytest.mark.parametrize("region", ["eu-west-1", "ca-central-1"])
def test_aws_region_reaches_the_image_of_a_spec_without_region(
    lmi_emulator: Emulator, monkeypatch: pytest.MonkeyPatch, region: str
) -> None:
    monkeypatch.setenv("AWS_REGION", region)
    client = Client(endpoint_url=lmi_emulator.endpoint_url)  # no session: the AWS variables decide
    _assert_in(client.plan(_spec()), region)


def test_the_spec_region_beats_the_environment(lmi_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    _assert_in(Client(endpoint_url=lmi_emulator.endpoint_url).plan(_spec(region="eu-central-1")), "eu-central-1")


def test_a_spec_region_is_used_even_when_the_emulator_session_is_elsewhere(lmi_emulator: Emulator) -> None:
    _assert_in(lmi_emulator.client().plan(_spec(region="eu-west-2")), "eu-west-2")


def test_a_conflicting_asked_region_is_refused(lmi_emulator: Emulator) -> None:
    with pytest.raises(UsageError) as info:
        lmi_emulator.client("eu-west-1").plan(_spec(region="us-east-1"))
    assert info.value.field == "region"


def test_no_region_anywhere_falls_back_to_the_old_default(
    lmi_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    _assert_in(Client(endpoint_url=lmi_emulator.endpoint_url).plan(_spec()), "us-east-1")


def test_cli_region_flag_reaches_create_model(
    lmi_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`lmi deploy --region eu-west-1` of a spec without region: the model SageMaker gets pulls eu-west-1's image."""
    from deploy.cli import main

    monkeypatch.setenv("AWS_ENDPOINT_URL", lmi_emulator.endpoint_url)
    spec = tmp_path / "spec.yaml"
    spec.write_text(json.dumps({"name": "where-cli", "role": ROLE, "model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"}}))
    with pytest.raises(SystemExit) as exit_info:
        main(["deploy", str(spec), "--region", "eu-west-1", "--yes", "--json"])
    assert exit_info.value.code in (0, None), capsys.readouterr()
    sm = lmi_emulator.context("eu-west-1").client("sagemaker")
    models = sm.list_models()["Models"]
    assert len(models) == 1
    image = sm.describe_model(ModelName=models[0]["ModelName"])["PrimaryContainer"]["Image"]
    assert ".dkr.ecr.eu-west-1.amazonaws.com/" in image and image.startswith(region_info("eu-west-1").account)
    assert lmi_emulator.context("us-east-1").client("sagemaker").list_models()["Models"] == []


@pytest.mark.parametrize("region", ["mars-1", "us-east-9", "EU-WEST-1"])
def test_an_unknown_region_is_refused_before_any_call(lmi_emulator: Emulator, region: str) -> None:
    from deploy.errors import SpecError

    for client in (lmi_emulator.client(region), Client(region=region)):
        with pytest.raises(SpecError) as info:
            client.list()
        assert info.value.field == "region" and info.value.exit_code == 2


def test_cli_unknown_region_with_local_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    from deploy.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["list", "--local", "--region", "mars-1", "--json"])
    assert exit_info.value.code == 2
    assert json.loads(capsys.readouterr().out)["field"] == "--region"  # the flag is checked before any AWS call
