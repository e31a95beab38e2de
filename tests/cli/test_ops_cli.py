"""`lmi logs`, `lmi iam-policy` and the GitHub Actions workflow template that `lmi init --ci github` writes.

Commands run through typer's CliRunner on an app holding only this module's commands, and through
``deploy.cli.main`` (exit codes, JSON error objects) with ``ops_cmds`` registered. AWS is moto, in-process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from moto import mock_aws
from typer.testing import CliRunner

import deploy.cli
from deploy.cli import ops_cmds

REPO_ROOT = Path(__file__).resolve().parents[2]
ENDPOINT = "qwen25-7b"
GROUP = f"/aws/sagemaker/Endpoints/{ENDPOINT}"
SPEC_TEXT = """\
name: qwen25-7b
region: us-east-1
role: arn:aws:iam::123456789012:role/SageMakerExecutionRole
model: {id: Qwen/Qwen2.5-7B-Instruct}
instance: {type: ml.g6e.2xlarge}
scaling: {min: 1, max: 2}
"""


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    ops_cmds.register(app)

    @app.callback()
    def _root() -> None:  # keeps sub-command names even with a single command group
        pass

    return app


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "qwen.yaml"
    path.write_text(SPEC_TEXT, encoding="utf-8")
    return path


def seed_logs(streams: dict[str, list[str]]) -> None:
    import boto3

    client = boto3.client("logs", region_name="us-east-1")
    client.create_log_group(logGroupName=GROUP)
    now = int(time.time() * 1000) - 10_000
    for offset, (stream, messages) in enumerate(streams.items()):
        client.create_log_stream(logGroupName=GROUP, logStreamName=stream)
        events = [{"timestamp": now + 2 * i + offset, "message": m} for i, m in enumerate(messages)]
        client.put_log_events(logGroupName=GROUP, logStreamName=stream, logEvents=events)


def run_main(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the real entry point with ops_cmds registered (the lead's COMMAND_MODULES may not list it yet)."""
    if "ops_cmds" not in deploy.cli.COMMAND_MODULES:
        monkeypatch.setattr(deploy.cli, "COMMAND_MODULES", (*deploy.cli.COMMAND_MODULES, "ops_cmds"))
    with pytest.raises(SystemExit) as info:
        deploy.cli.main(args)
    return int(info.value.code or 0), capsys.readouterr().out


def test_logs_json_prints_the_newest_lines(app: typer.Typer, runner: CliRunner, aws: None) -> None:
    seed_logs({"AllTraffic/i-01": ["starting", "loading", "ready"]})
    result = runner.invoke(app, ["logs", ENDPOINT, "--region", "us-east-1", "--lines", "2", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["log_group"] == GROUP
    assert [line["message"] for line in payload["lines"]] == ["loading", "ready"]
    assert payload["lines"][0]["stream"] == "AllTraffic/i-01"


def test_logs_text_names_the_instance_when_there_are_several(app: typer.Typer, runner: CliRunner, aws: None) -> None:
    seed_logs({"AllTraffic/i-01": ["one"], "AllTraffic/i-02": ["two"]})
    result = runner.invoke(app, ["logs", ENDPOINT, "--region", "us-east-1"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("AllTraffic/i-01 one") and lines[1].endswith("AllTraffic/i-02 two")


def test_logs_follow_prints_the_tail_then_json_lines(
    app: typer.Typer, runner: CliRunner, aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deploy.aws import logs

    seed_logs({"AllTraffic/i-01": ["tail line"]})
    calls: list[dict[str, Any]] = []

    def fake_follow(ctx: Any, name: str, **kwargs: Any) -> Iterator[logs.LogLine]:
        calls.append(kwargs)
        yield logs.LogLine(kwargs["start_ms"] + 5, "AllTraffic/i-01", "new line", "e-9")

    monkeypatch.setattr(logs, "follow", fake_follow)
    result = runner.invoke(app, ["logs", ENDPOINT, "--region", "us-east-1", "--follow", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["message"] for row in rows] == ["tail line", "new line"]
    assert calls[0]["start_ms"] == rows[0]["timestamp_ms"]  # follows from the last line shown
    assert len(calls[0]["already_seen"]) == 1


def test_logs_explain_diagnoses_a_failed_endpoint_in_the_emulator(
    app: typer.Typer, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deploy.local.emulator import Emulator
    from deploy.local.testing import deploy as emulated_deploy

    with Emulator(time_scale=0) as emulator:
        emulated_deploy(emulator.context(), "bad-tp", env={"OPTION_TENSOR_PARALLEL_DEGREE": "8"})
        monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint_url)
        as_json = runner.invoke(app, ["logs", "bad-tp", "--explain", "--json", "--lines", "5"])
        as_text = runner.invoke(app, ["logs", "bad-tp", "--explain"])
    assert as_json.exit_code == 0, as_json.output
    payload = json.loads(as_json.stdout)
    assert payload["status"] == "Failed" and "ping health check" in payload["failure_reason"]
    assert [hint["field"] for hint in payload["hints"]] == ["engine.tensor_parallel_degree"]
    assert len(payload["log_tail"]) == 5
    assert as_text.stdout.startswith("Endpoint bad-tp: Failed\nFailureReason: ")
    assert "fix: set engine.tensor_parallel_degree" in as_text.stdout


def test_logs_explain_without_endpoint_or_logs_still_answers(app: typer.Typer, runner: CliRunner, aws: None) -> None:
    result = runner.invoke(app, ["logs", "gone", "--region", "us-east-1", "--explain", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["status"] == "not found" and payload["hints"] == [] and payload["log_error"]


def test_logs_of_an_unknown_endpoint_exit_1_with_a_json_error(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run_main(["logs", "nope", "--region", "us-east-1", "--json"], monkeypatch, capsys)
    assert code == 1
    error = json.loads(out)
    assert error["error"] == "not_found" and error["field"] == "endpoint" and error["fix"]


def test_logs_bad_since_is_a_usage_error(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run_main(["logs", ENDPOINT, "--since", "last week", "--json"], monkeypatch, capsys)
    assert code == 2
    assert json.loads(out)["field"] == "since"


def test_iam_policy_json_has_both_roles(
    spec_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run_main(["iam-policy", str(spec_file), "--json"], monkeypatch, capsys)
    assert code == 0
    payload = json.loads(out)
    assert payload["endpoint"] == ENDPOINT and payload["partition"] == "aws"
    assert {"deployer", "execution", "execution_trust"} <= set(payload)
    sids = {s["Sid"] for s in payload["deployer"]["Statement"]}
    assert {"ManageEndpoint", "PassExecutionRoleToSageMaker", "ScaleSageMakerVariants"} <= sids
    assert any("Application Auto Scaling" in note for note in payload["notes"])


def test_iam_policy_single_role_prints_a_bare_policy_document(
    app: typer.Typer, runner: CliRunner, spec_file: Path
) -> None:
    result = runner.invoke(app, ["iam-policy", str(spec_file), "--role", "execution"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)  # pipeable into `aws iam put-role-policy --policy-document`
    assert document["Version"] == "2012-10-17"
    assert any(s["Sid"] == "PullLmiImage" for s in document["Statement"])


def test_iam_policy_both_roles_prints_titled_documents(app: typer.Typer, runner: CliRunner, spec_file: Path) -> None:
    result = runner.invoke(app, ["iam-policy", str(spec_file)])
    assert result.exit_code == 0, result.output
    titles = [line for line in result.stdout.splitlines() if line.startswith("# ")]
    assert len(titles) == 3


@pytest.mark.parametrize(
    ("args", "field"),
    [(["--role", "admin"], "--role"), (["--account", "12345"], "--account")],
)
def test_iam_policy_bad_flags_exit_2(
    spec_file: Path,
    args: list[str],
    field: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run_main(["iam-policy", str(spec_file), *args, "--json"], monkeypatch, capsys)
    assert code == 2
    assert json.loads(out)["field"] == field


def test_iam_policy_is_an_offline_command_without_boto3() -> None:
    """Run in a fresh interpreter: the policy needs no AWS call, so boto3 must not even be imported."""
    code = (
        "import sys; from deploy.cli import main\n"
        "try:\n    main(['iam-policy', sys.argv[1], '--json'])\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write(repr(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore'))))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    script = (
        "import deploy.cli as c\n"
        "if 'ops_cmds' not in c.COMMAND_MODULES:\n    c.COMMAND_MODULES = (*c.COMMAND_MODULES, 'ops_cmds')\n" + code
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(REPO_ROOT / "examples" / "qwen25-7b.yaml")],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=60,
    )
    assert json.loads(result.stdout)["endpoint"] == "qwen25-7b", result.stderr
    assert result.stderr.strip().endswith("[]"), result.stderr


# -- the GitHub Actions workflow template --------------------------------------------------------------------
def render_workflow(**variables: str) -> tuple[str, dict[str, Any]]:
    from deploy.render.templates import render_template

    text = render_template("templates/github-workflow.yml", **variables)
    return text, yaml.safe_load(text)


def _steps(job: dict[str, Any]) -> list[str]:
    return [str(step.get("uses") or step.get("run") or "") for step in job["steps"]]


def test_workflow_renders_to_valid_yaml_with_the_key_steps() -> None:
    text, workflow = render_workflow(spec_glob="specs/*.yaml", region="eu-west-1")
    triggers = workflow.get("on") or workflow[True]  # YAML 1.1 reads a bare `on` key as True
    assert triggers["pull_request"]["paths"] == ["specs/*.yaml"]
    assert triggers["push"]["branches"] == ["main"]
    assert workflow["permissions"]["id-token"] == "write"
    assert workflow["permissions"]["pull-requests"] == "write"
    assert "github.head_ref || github.ref_name" in workflow["concurrency"]["group"]
    assert workflow["env"]["AWS_REGION"] == "eu-west-1"
    assert workflow["env"]["LMI_DEPLOY_ROLE_ARN"] == "${{ vars.LMI_DEPLOY_ROLE_ARN }}"
    plan, deploy_job = workflow["jobs"]["plan"], workflow["jobs"]["deploy"]
    plan_steps, deploy_steps = "\n".join(_steps(plan)), "\n".join(_steps(deploy_job))
    for needle in ("pip install", "lmi validate", "lmi plan", "--json", "actions/github-script"):
        assert needle in plan_steps, needle
    for needle in ("pip install", "lmi deploy", "--yes --json"):
        assert needle in deploy_steps, needle
    for job in (plan, deploy_job):
        (creds,) = [s for s in job["steps"] if "configure-aws-credentials" in str(s.get("uses"))]
        assert creds["with"]["role-to-assume"] == "${{ env.LMI_DEPLOY_ROLE_ARN }}"
    assert "{%" not in text and "-#}" not in text
    assert text.count("{{") == text.count("${{"), "every {{ left must be a GitHub expression"


def test_workflow_optional_variables() -> None:
    role = "arn:aws:iam::123456789012:role/gha-lmi-deploy"
    _, workflow = render_workflow(
        spec_glob="deploy/**/*.yaml",
        region="us-east-1",
        role_arn=role,
        package="lmi-deploy==0.1.0",
        branch="prod",
    )
    assert workflow["env"]["LMI_DEPLOY_ROLE_ARN"] == role
    assert workflow["env"]["PIP_REQUIREMENT"] == "lmi-deploy==0.1.0"
    assert (workflow.get("on") or workflow[True])["push"]["branches"] == ["prod"]


def test_workflow_requires_its_variables() -> None:
    import jinja2

    with pytest.raises(jinja2.UndefinedError):
        render_workflow(region="us-east-1")


def test_lmi_init_ci_github_writes_the_workflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from deploy.spec.starter import write_ci_workflow

    monkeypatch.chdir(tmp_path)
    target = write_ci_workflow("github", spec_path=Path("specs/qwen.yaml"), region="us-west-2", force=False)
    workflow = yaml.safe_load((tmp_path / target).read_text(encoding="utf-8"))
    assert workflow["env"]["SPEC_GLOB"] == "specs/*.yaml"
    assert workflow["env"]["AWS_REGION"] == "us-west-2"


def test_logs_without_a_region_is_a_usage_error_not_a_traceback(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    code, out = run_main(["logs", ENDPOINT, "--json"], monkeypatch, capsys)
    assert code == 2 and json.loads(out)["field"] == "region"
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    seed_logs({"AllTraffic/i-01": ["ready"]})
    code, out = run_main(["logs", ENDPOINT, "--json"], monkeypatch, capsys)
    assert code == 0 and [line["message"] for line in json.loads(out)["lines"]] == ["ready"]
