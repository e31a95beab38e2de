"""`lmi plan/deploy/status/list/scale/destroy` end to end: in-process against the emulator (through
AWS_ENDPOINT_URL, the same path a plain moto_server takes), and as a real subprocess against a ThreadedMotoServer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from deploy.cli import main
from deploy.local.testing import lmi_emulator

__all__ = ["lmi_emulator"]
REPO = Path(__file__).resolve().parents[2]


def write_spec(tmp_path: Path, name: str = "cli-test", **overrides: object) -> Path:
    spec = {
        "name": name,
        "region": "us-east-1",
        "role": "arn:aws:iam::123456789012:role/SageMakerExecutionRole",
        "model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"},
        "instance": {"type": "ml.g6e.xlarge", "count": 1},
        "scaling": {"min": 1, "max": 2, "metric": "invocations_per_instance", "target": 10},
        "artifacts": {"bucket": "cli-test-bucket"},
        **overrides,
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def lmi(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def json_lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture
def emulated(lmi_emulator: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", lmi_emulator.endpoint_url)  # type: ignore[attr-defined]
    yield


@pytest.mark.usefixtures("emulated")
def test_plan_deploy_replan_status_list_scale_destroy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path)
    code, out, _ = lmi(capsys, "plan", str(spec), "--json")
    assert code == 0
    types = [a["type"] for a in json.loads(out)["actions"]]
    assert types[:2] == ["CreateBucket", "UploadArtifacts"] and "CreateEndpoint" in types

    code, out, _ = lmi(capsys, "deploy", str(spec), "--yes", "--json")
    events = json_lines(out)
    assert code == 0, out
    assert events[-1]["event"] == "summary" and events[-1]["results"][0]["status"] == "InService"
    assert any(e.get("event") == "wait" and "elapsed_s" in e for e in events)

    code, out, _ = lmi(capsys, "plan", str(spec), "--json")
    assert (code, json.loads(out)["actions"]) == (0, [])

    code, out, _ = lmi(capsys, "status", "cli-test", "--json")
    status = json.loads(out)
    assert status["status"] == "InService" and status["instance_type"] == "ml.g6e.xlarge"
    assert status["spec_hash"] and status["hourly_cost_usd"] is not None

    code, out, _ = lmi(capsys, "list", "--json")
    assert [e["name"] for e in json.loads(out)["endpoints"]] == ["cli-test"]

    code, out, _ = lmi(capsys, "scale", "cli-test", "--min", "2", "--max", "3", "--json")
    assert json.loads(out)["scaling"] == {"min": 2, "max": 3}

    code, out, _ = lmi(capsys, "destroy", "cli-test", "--yes", "--json")
    assert code == 0 and json_lines(out)[-1]["results"][0]["status"] == "Deleted"
    code, out, _ = lmi(capsys, "list", "--json")
    assert json.loads(out)["endpoints"] == []


@pytest.mark.usefixtures("emulated")
def test_deploy_without_yes_off_a_terminal_refuses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = lmi(capsys, "deploy", str(write_spec(tmp_path)), "--json")
    error = json_lines(out)[-1]
    assert code == 2 and error["field"] == "--yes" and "pass --yes" in str(error["fix"])
    code, out, _ = lmi(capsys, "list", "--json")
    assert json.loads(out)["endpoints"] == []


@pytest.mark.usefixtures("emulated")
def test_several_specs_deploy_concurrently_with_one_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    specs = [str(write_spec(tmp_path, name)) for name in ("cli-a", "cli-b")]
    code, out, _ = lmi(capsys, "apply", *specs, "--yes", "--json")
    summary = json_lines(out)[-1]
    assert code == 0 and sorted(r["endpoint"] for r in summary["results"]) == ["cli-a", "cli-b"]
    assert {r["status"] for r in summary["results"]} == {"InService"}


@pytest.mark.usefixtures("emulated")
def test_rich_plan_and_status_for_humans(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = lmi(capsys, "plan", str(write_spec(tmp_path)))
    assert code == 0 and "CreateEndpoint" in out and "endpoint does not exist" in out
    code, _, err = lmi(capsys, "status", "missing-endpoint")
    assert code == 1 and "does not exist" in err


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_subprocess_against_plain_moto_server(tmp_path: Path, moto_url: str) -> None:
    """moto 5.2.5 accepts only old instance types (g4dn) and has no UpdateEndpoint: create/plan/destroy only."""
    spec = write_spec(
        tmp_path,
        "moto-plain",
        instance={"type": "ml.g4dn.xlarge", "count": 1},
        scaling=None,
        artifacts={"bucket": "moto-plain-bucket"},  # moto's state is shared in-process: keep names apart
    )
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_url, "PYTHONPATH": str(REPO), "AWS_MAX_ATTEMPTS": "1"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "deploy.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    deployed = run("deploy", str(spec), "--yes", "--json")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert json_lines(deployed.stdout)[-1]["results"][0]["status"] == "InService"
    replanned = run("plan", str(spec), "--json")
    assert json.loads(replanned.stdout)["actions"] == []
    destroyed = run("destroy", str(spec), "--yes", "--json")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert json.loads(run("plan", str(spec), "--json").stdout)["actions"][0]["type"] == "UploadArtifacts"


@pytest.mark.usefixtures("emulated")
def test_terminal_asks_and_no_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer

    asked: list[str] = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(typer, "confirm", lambda text, **kw: asked.append(text) or False)
    code, _, err = lmi(capsys, "deploy", str(write_spec(tmp_path)))
    assert code == 1 and asked == ["Apply 8 action(s)?"] and "aborted" in err
    code, out, _ = lmi(capsys, "list", "--json")
    assert json.loads(out)["endpoints"] == []


@pytest.mark.usefixtures("emulated")
def test_name_commands_take_the_region_from_aws_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS_REGION (what the AWS CLI and the other SDKs read, and what the error's fix says) is enough."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    code, out, err = lmi(capsys, "list", "--json")
    assert code == 2 and json_lines(out)[-1]["field"] == "region"
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    code, out, err = lmi(capsys, "list", "--json")
    assert code == 0, out + err
    assert json.loads(out)["endpoints"] == []


@pytest.mark.usefixtures("emulated")
def test_plain_output_keeps_lines_whole_and_log_text_verbatim(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Off a terminal (80 columns): events and errors are one line each, and `[...]` in logs is not rich markup."""
    monkeypatch.setenv("COLUMNS", "80")
    small_config = tmp_path / "config.json"  # sizes as 0.5B offline; the emulated container loads 72B and fails
    small_config.write_text((REPO / "deploy/sizing/library/Qwen--Qwen2.5-0.5B-Instruct.json").read_text())
    spec = write_spec(
        tmp_path,
        "cli-plain-output-with-a-long-name",
        model={"id": "Qwen/Qwen2.5-72B-Instruct", "config": str(small_config)},
    )
    code, out, err = lmi(capsys, "deploy", str(spec), "--yes")
    assert code == 1
    prefix = "  cli-plain-output-with-a-long-name uploaded lmi-deploy/cli-plain-output-with-a-long-name/properties-"
    assert any(line.startswith(prefix) and line.endswith(" bytes)") for line in err.splitlines())
    assert all(line.startswith("  cli-plain-output-with-a-long-name ") for line in err.splitlines())
    assert "did not pass the ping health check. Please check CloudWatch logs for this endpoint." in out
    assert "  [emulated by lmi-deploy: no container runs and no GPU is used]" in out.splitlines()


@pytest.mark.usefixtures("emulated")
def test_two_specs_for_one_endpoint_are_refused_before_anything_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a").mkdir()
    first = write_spec(tmp_path / "a", "cli-same")
    second = write_spec(tmp_path, "cli-same", engine={"max_model_len": 4096})
    code, out, _ = lmi(capsys, "deploy", str(first), str(second), "--yes", "--json")
    error = json_lines(out)[-1]
    assert code == 2 and error["field"] == "name" and "both deploy endpoint cli-same" in str(error["message"])
    code, out, _ = lmi(capsys, "list", "--json")
    assert json.loads(out)["endpoints"] == []
