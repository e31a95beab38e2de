"""Pre-flight on the embedded emulator: every refusal and warning of deploy.engine.preflight, before anything
is created (quota exceeded, quota with current use, unavailable type, cross-account role, missing s3 prefix,
AccessDenied on Service Quotas), and the Price List path end to end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

try:
    from tests.functional.conftest_engine import FAST_WAITER
except ImportError:  # rootdir not on sys.path: the test directory is
    from conftest_engine import FAST_WAITER  # type: ignore[no-redef]

from deploy import client
from deploy.aws.pricing import hourly_price
from deploy.engine.preflight import PreflightRefused
from deploy.local import Emulator

REPO = Path(__file__).resolve().parents[2]
WAIT = {"waiter": FAST_WAITER}
TYPE = "ml.g6e.2xlarge"  # the example's type: no bundled quota code, so found by name (ListServiceQuotas)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(time_scale=0) as emulator:
        yield emulator


def spec_file(tmp_path: Path, file: str = "spec", **overrides: Any) -> Path:
    data = yaml.safe_load((REPO / "examples" / "qwen25-7b.yaml").read_text())
    data.pop("scaling", None)
    data.update(overrides)
    path = tmp_path / f"{file}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def checks(result: Any) -> dict[str, dict[str, Any]]:
    return {c["check"]: c for c in result.to_dict()["preflight"]}


def nothing_created(ctx: Any) -> bool:
    sm = ctx.client("sagemaker")
    return not sm.list_endpoints()["Endpoints"] and not sm.list_models()["Models"]


def refusal(emu: Emulator, spec: Path) -> PreflightRefused:
    with pytest.raises(PreflightRefused) as info:
        client.plan(spec, context=emu.context())
    assert info.value.exit_code == 2
    assert nothing_created(emu.context())
    return info.value


def test_a_default_plan_passes_every_check_and_says_so(emu: Emulator, tmp_path: Path) -> None:
    found = checks(client.plan(spec_file(tmp_path), context=emu.context()))
    assert {k: v["status"] for k, v in found.items()} == {
        "endpoint-quota": "ok",
        "instance-availability": "ok",
        "role-account": "ok",
    }
    assert "10 in us-east-1" in found["endpoint-quota"]["message"]


@pytest.mark.parametrize(
    ("instance_type", "quota", "count"),
    [(TYPE, 0, 1), (TYPE, 1, 2), ("ml.g5.12xlarge", 3, 4), ("ml.g4dn.12xlarge", 0, 1)],
)
def test_quota_exceeded_is_refused_before_anything_is_created(
    emu: Emulator, tmp_path: Path, instance_type: str, quota: int, count: int
) -> None:
    emu.set_quota(instance_type, quota)
    spec = spec_file(tmp_path, instance={"type": instance_type, "count": count})
    error = refusal(emu, spec)
    assert (error.field, error.value) == ("instance.count", count)
    assert f"'{instance_type} for endpoint usage' is {quota}" in error.message
    assert "Service Quotas" in (error.fix or "")
    as_json = error.to_dict()
    assert as_json["exit_code"] == 2 and as_json["error"] == "preflight_refused"
    assert {c["check"]: c["status"] for c in as_json["preflight"]}["endpoint-quota"] == "refused"


@pytest.mark.parametrize(("quota", "count", "refused"), [(3, 2, True), (3, 1, False), (4, 2, False), (2, 1, True)])
def test_the_quota_counts_what_other_endpoints_hold(
    emu: Emulator, tmp_path: Path, quota: int, count: int, refused: bool
) -> None:
    other = spec_file(tmp_path, "other", name="other-endpoint", instance={"type": TYPE, "count": 2})
    client.apply(other, context=emu.context(), create_bucket=True, **WAIT)
    emu.set_quota(TYPE, quota)
    spec = spec_file(tmp_path, instance={"type": TYPE, "count": count})
    if refused:
        with pytest.raises(PreflightRefused) as info:
            client.plan(spec, context=emu.context())
        assert "other endpoints hold 2 (other-endpoint)" in info.value.message
        assert f"{max(quota - 2, 0)} are free" in info.value.message
    else:
        found = checks(client.plan(spec, context=emu.context()))["endpoint-quota"]
        assert found["status"] == "ok" and "2 in use elsewhere" in found["message"]


def test_an_update_whose_blue_green_peak_exceeds_the_quota_is_a_warning(emu: Emulator, tmp_path: Path) -> None:
    spec = spec_file(tmp_path, instance={"type": TYPE, "count": 2})
    client.apply(spec, context=emu.context(), create_bucket=True, **WAIT)
    emu.set_quota(TYPE, 3)
    changed = spec_file(tmp_path, instance={"type": TYPE, "count": 2}, tags={"team": "other"})
    found = checks(client.plan(changed, context=emu.context()))["endpoint-quota"]
    assert found["status"] == "warning" and "blue/green" in found["message"] and "peak of 4" in found["message"]


@pytest.mark.parametrize(("quota", "maximum"), [(2, 4), (1, 3), (3, 8)])
def test_a_scaling_maximum_above_the_quota_is_a_warning(
    emu: Emulator, tmp_path: Path, quota: int, maximum: int
) -> None:
    emu.set_quota(TYPE, quota)
    scaling = {"min": 1, "max": maximum, "metric": "invocations_per_instance", "target": 10}
    found = checks(client.plan(spec_file(tmp_path, scaling=scaling), context=emu.context()))["endpoint-quota"]
    assert (found["status"], found["field"], found["value"]) == ("warning", "scaling.max", maximum)


@pytest.mark.parametrize(
    ("instance_type", "region"),
    [(TYPE, "us-east-1"), ("ml.p5.48xlarge", "eu-west-1"), ("ml.g6.12xlarge", "ap-south-1")],
)
def test_a_type_the_region_does_not_offer_is_refused(
    emu: Emulator, tmp_path: Path, instance_type: str, region: str
) -> None:
    emu.set_price(instance_type, "withdrawn", region=region)
    spec = spec_file(tmp_path, region=region, instance={"type": instance_type, "count": 1})
    with pytest.raises(PreflightRefused) as info:
        client.plan(spec, context=emu.context(region))
    assert (info.value.field, info.value.value) == ("instance.type", instance_type)
    assert f"not offered for real-time endpoints in {region}" in info.value.message
    assert nothing_created(emu.context(region))


@pytest.mark.parametrize("account", ["999999999999", "000000000001", "123456789013"])
def test_a_role_of_another_account_is_a_warning(emu: Emulator, tmp_path: Path, account: str) -> None:
    role = f"arn:aws:iam::{account}:role/SageMakerExecutionRole"
    found = checks(client.plan(spec_file(tmp_path, role=role), context=emu.context()))["role-account"]
    assert (found["status"], found["field"], found["value"]) == ("warning", "role", role)
    assert f"account {account}" in found["message"] and "123456789012" in found["message"]


def _s3_spec(tmp_path: Path, model_id: str) -> Path:
    config = str(REPO / "tests" / "fixtures" / "configs" / "llama-3.1-8b-instruct.json")
    return spec_file(tmp_path, model={"id": model_id, "config": config})


@pytest.mark.parametrize(
    "model_id", ["s3://weights/missing/", "s3://weights/llama", "s3://no-such-bucket/models/llama/"]
)
def test_a_missing_s3_model_prefix_is_refused_naming_it(emu: Emulator, tmp_path: Path, model_id: str) -> None:
    s3 = emu.context().client("s3")
    s3.create_bucket(Bucket="weights")
    s3.put_object(Bucket="weights", Key="llama-other/config.json", Body=b"{}")  # a neighbour, not the prefix
    error = refusal(emu, _s3_spec(tmp_path, model_id))
    assert (error.field, error.value) == ("model.id", model_id)
    assert model_id in error.message and "upload the model" in (error.fix or "")


def test_an_existing_s3_model_prefix_passes(emu: Emulator, tmp_path: Path) -> None:
    s3 = emu.context().client("s3")
    s3.create_bucket(Bucket="weights")
    s3.put_object(Bucket="weights", Key="llama/config.json", Body=b"{}")
    found = checks(client.plan(_s3_spec(tmp_path, "s3://weights/llama"), context=emu.context()))
    assert found["model-prefix"]["status"] == "ok"


@pytest.mark.parametrize(
    ("instance_type", "operations"),
    [
        (TYPE, ("ListServiceQuotas",)),  # no bundled code: found by name, and the list is denied
        ("ml.g5.12xlarge", ("GetServiceQuota",)),  # a bundled code: the read of the value is denied
        ("ml.g5.2xlarge", ("GetServiceQuota", "GetAWSDefaultServiceQuota")),
    ],
)
def test_access_denied_on_service_quotas_is_a_warning_not_a_failure(
    emu: Emulator, tmp_path: Path, instance_type: str, operations: tuple[str, ...]
) -> None:
    for operation in operations:
        emu.inject_fault(operation, code="AccessDeniedException", status=400, times=5)
    spec = spec_file(tmp_path, instance={"type": instance_type, "count": 1})
    found = checks(client.plan(spec, context=emu.context()))["endpoint-quota"]
    assert found["status"] == "warning" and "AWS denied the read" in found["message"]
    assert "servicequotas:GetServiceQuota" in found["fix"]


def test_the_price_list_path_end_to_end(emu: Emulator) -> None:
    east = hourly_price("ml.g5.xlarge", "us-east-1", emu.context())
    assert (east.usd_per_hour, east.source) == (1.408, "price-list-api")  # the emulator lists the bundled figures
    ctx = emu.context("eu-west-1")
    unpriced = hourly_price("ml.g5.xlarge", "eu-west-1", ctx)
    assert unpriced.usd_per_hour is None and "lists no eu-west-1 hosting price" in unpriced.note
    emu2 = Emulator(time_scale=0).start()  # a fresh emulator (another endpoint): not this process's memory
    try:
        emu2.set_price("ml.g5.xlarge", 1.9, region="eu-west-1")
        emu2.set_price("ml.g5.2xlarge", 2.05, region="eu-west-1")
        quotes = [hourly_price(t, "eu-west-1", emu2.context("eu-west-1")) for t in ("ml.g5.xlarge", "ml.g5.2xlarge")]
        assert [(q.usd_per_hour, q.source, q.as_of) for q in quotes] == [
            (1.9, "price-list-api", "2026-11-27"),
            (2.05, "price-list-api", "2026-11-27"),
        ]
        assert hourly_price("ml.g5.xlarge", "us-east-1", emu2.context()).usd_per_hour == 1.408  # never eu-west-1's
    finally:
        emu2.stop()


@pytest.mark.parametrize("region", ["eu-west-1", "ap-northeast-1", "us-west-2"])
def test_plan_json_checks_the_region_of_the_plan(emu: Emulator, tmp_path: Path, region: str) -> None:
    emu.set_quota(TYPE, 1, region="us-east-1")  # another region's quota must not be used
    emu.set_quota(TYPE, 5, region=region)
    spec = spec_file(tmp_path, region=region, instance={"type": TYPE, "count": 3})
    found = checks(client.plan(spec, context=emu.context(region)))
    assert found["endpoint-quota"]["status"] == "ok" and f"is 5 in {region}" in found["endpoint-quota"]["message"]
    assert found["instance-availability"]["message"].endswith(f"in {region}")


@pytest.mark.parametrize("command", ["plan", "deploy"])
def test_the_cli_refuses_with_exit_2_and_the_checks_in_json(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    import json

    from deploy.cli import main

    monkeypatch.setenv("AWS_ENDPOINT_URL", emu.endpoint_url)
    emu.set_quota(TYPE, 0)
    with pytest.raises(SystemExit) as exited:
        main([command, str(spec_file(tmp_path)), "--json", *(["--yes"] if command == "deploy" else [])])
    assert exited.value.code == 2
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    error = next(line for line in lines if line.get("error") == "preflight_refused")
    assert error["field"] == "instance.count" and error["exit_code"] == 2
    assert [c["check"] for c in error["preflight"]][:2] == ["endpoint-quota", "instance-availability"]
    assert nothing_created(emu.context())


def test_the_text_plan_shows_a_line_per_check(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from deploy.cli import main

    monkeypatch.setenv("AWS_ENDPOINT_URL", emu.endpoint_url)
    monkeypatch.setenv("COLUMNS", "200")
    role = "arn:aws:iam::999999999999:role/SageMakerExecutionRole"
    with pytest.raises(SystemExit) as exited:
        main(["plan", str(spec_file(tmp_path, role=role))])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "pre-flight endpoint-quota: ok" in out and "pre-flight role-account: warning" in out
    assert "fix: use a role of the deploying account" in out


@pytest.mark.parametrize(("quota", "status"), [(0, "refused"), (1, "warning"), (4, "ok")])
def test_a_component_endpoint_plan_runs_the_same_checks(emu: Emulator, tmp_path: Path, quota: int, status: str) -> None:
    import sys

    sys.path.insert(0, str(REPO / "tests" / "unit"))
    from component_plan_helpers import document  # the component tests' own endpoint (ml.g6e.12xlarge, max 2)

    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(document()))
    emu.set_quota("ml.g6e.12xlarge", quota)
    if status == "refused":
        with pytest.raises(PreflightRefused):
            client.plan(path, context=emu.context())
        return
    found = checks(client.plan(path, context=emu.context()))["endpoint-quota"]
    assert found["status"] == status  # 1: instance bounds max 2 exceed the quota
