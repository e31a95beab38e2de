"""``lmi invoke/chat/bench/logs/status/list`` on endpoints with inference components, in-process against the
emulator (through AWS_ENDPOINT_URL, as against any endpoint): short and full component names, a missing or
ambiguous component (exit 2), the zero-copy error text, logs per component, status and list as JSON and text."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.cli.test_deploy_cli import lmi
from tests.functional import component_ops_setup as setup

local = pytest.importorskip("deploy.local", reason="the embedded emulator (deploy.local) is not available")

MANAGED = [{"Key": "lmi-deploy:managed", "Value": "true"}]


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    with local.Emulator(time_scale=0, ttft_s=0, itl_s=0) as emu:
        ctx = emu.context()
        setup.build(ctx)
        sagemaker = ctx.client("sagemaker")
        for name in ("team", "solo", "plain"):  # `lmi list` shows endpoints lmi-deploy manages
            arn = sagemaker.describe_endpoint(EndpointName=name)["EndpointArn"]
            sagemaker.add_tags(ResourceArn=arn, Tags=MANAGED)
        yield emu


@pytest.fixture(autouse=True)
def _point_at_emulator(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint_url)
    settings = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    for name, value in {**settings, "AWS_MAX_ATTEMPTS": "1", "COLUMNS": "160"}.items():
        monkeypatch.setenv(name, value)


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = lmi(capsys, *args, "--json")
    return code, json.loads(out)


class TestInvoke:
    @pytest.mark.parametrize("component", ["qwen", "team-qwen", "llama", "team-llama"])
    def test_invoke_by_short_or_full_name(self, capsys: pytest.CaptureFixture[str], component: str) -> None:
        code, data = _json(capsys, "invoke", "team", "--component", component, "--prompt", "Hi", "-p",
                           "max_new_tokens=3", "-p", "details=true")  # fmt: skip
        assert code == 0 and data["completion_tokens"] == 3 and data["text"]

    @pytest.mark.parametrize(
        "extra", [["-p", "max_new_tokens=2"], ["--stream", "-p", "max_new_tokens=2"], ["--chat", "-p", "max_tokens=2"]]
    )
    def test_the_only_component_needs_no_flag(self, capsys: pytest.CaptureFixture[str], extra: list[str]) -> None:
        code, out, err = lmi(capsys, "invoke", "solo", "--prompt", "Hi", *extra)
        assert code == 0 and out.strip() and "error" not in err

    @pytest.mark.parametrize("command", [["invoke", "team", "--prompt", "Hi"], ["bench", "team", "--requests", "1"]])
    def test_an_ambiguous_endpoint_exit_2_listing_the_components(
        self, capsys: pytest.CaptureFixture[str], command: list[str]
    ) -> None:
        code, data = _json(capsys, *command)
        assert code == 2 and data["error"] == "usage_error" and data["field"] == "component"
        assert "qwen (team-qwen)" in data["fix"] and "llama (team-llama)" in data["fix"]

    @pytest.mark.parametrize(("name", "component"), [("team", "gpt"), ("team", "team-gpt"), ("plain", "qwen")])
    def test_a_missing_component_exit_2_naming_it(
        self, capsys: pytest.CaptureFixture[str], name: str, component: str
    ) -> None:
        code, data = _json(capsys, "invoke", name, "--component", component, "--prompt", "Hi")
        assert code == 2 and data["value"] == component and "component" in data["message"]

    @pytest.mark.parametrize("extra", [[], ["--stream"]])
    def test_zero_copies_exit_1_explaining_scale_to_zero(
        self, capsys: pytest.CaptureFixture[str], extra: list[str]
    ) -> None:
        code, data = _json(capsys, "invoke", "cold", "--component", "qwen", "--prompt", "Hi", *extra)
        assert code == 1 and data["error"] == "no_capacity" and data["value"] == "cold-qwen"
        assert "has no copies" in data["message"] and "update-inference-component-runtime-config" in data["fix"]

    def test_zero_copies_text_names_the_fix_without_a_traceback(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, _, err = lmi(capsys, "invoke", "cold", "--component", "qwen", "--prompt", "Hi")
        assert code == 1 and "Traceback" not in err and "cold-qwen" in err and "fix:" in err


class TestChatAndBench:
    def test_chat_with_a_component(self, capsys: pytest.CaptureFixture[str]) -> None:
        sys.stdin = io.StringIO("Hello\n/exit\n")
        try:
            code, out, err = lmi(capsys, "chat", "team", "--component", "qwen", "-p", "max_tokens=3")
        finally:
            sys.stdin = sys.__stdin__
        assert code == 0 and out.strip() and "chatting with team component qwen" in err

    def test_chat_on_an_ambiguous_endpoint_stops_with_exit_2(self, capsys: pytest.CaptureFixture[str]) -> None:
        sys.stdin = io.StringIO("Hello\n/exit\n")
        try:
            code, _, err = lmi(capsys, "chat", "team")
        finally:
            sys.stdin = sys.__stdin__
        assert code == 2 and "--component" in err

    @pytest.mark.parametrize("component", ["llama", "team-llama"])
    def test_bench_reports_the_component(self, capsys: pytest.CaptureFixture[str], component: str) -> None:
        code, data = _json(capsys, "bench", "team", "--component", component, "--concurrency", "2", "--requests",
                           "4", "--output-tokens", "4", "--tokenizer", "approx")  # fmt: skip
        assert code == 0 and data["component"] == "team-llama" and data["levels"][0]["completed"] == 4
        # its cost counts its GPUs only: 2 per copy x 1 copy of the 4 L40S of one ml.g6e.12xlarge
        assert data["config"]["capacity_share"] == 0.5 and data["config"]["instance_type"] == "ml.g6e.12xlarge"

    def test_bench_table_title_names_the_component(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = lmi(capsys, "bench", "solo", "--concurrency", "1", "--requests", "2", "--output-tokens", "2",
                           "--tokenizer", "approx")  # fmt: skip
        assert code == 0 and "lmi bench solo component solo-chat" in out


class TestLogsStatusList:
    @pytest.mark.parametrize("component", ["qwen", "team-qwen"])
    def test_logs_of_a_component(self, capsys: pytest.CaptureFixture[str], component: str) -> None:
        code, data = _json(capsys, "logs", "team", "--component", component, "--lines", "100")
        assert code == 0 and data["component"] == "team-qwen" and data["lines"]
        assert data["log_group"] == "/aws/sagemaker/InferenceComponents/team-qwen"

    @pytest.mark.parametrize("extra", [[], ["--follow"]])
    def test_logs_of_a_component_endpoint_without_component_name_them(
        self, capsys: pytest.CaptureFixture[str], extra: list[str]
    ) -> None:
        code, data = _json(capsys, "logs", "team", *extra)
        assert code == 1 and data["field"] == "component" and "qwen (team-qwen)" in data["fix"]

    @pytest.mark.parametrize("component", ["gpt", "solo-chat"])
    def test_logs_of_a_missing_component_exit_2(self, capsys: pytest.CaptureFixture[str], component: str) -> None:
        code, data = _json(capsys, "logs", "team", "--component", component)
        assert code == 2 and "qwen" in data["fix"]

    @pytest.mark.parametrize("component", ["llama", "broken-llama"])
    def test_logs_explain_a_failed_component(self, capsys: pytest.CaptureFixture[str], component: str) -> None:
        code, data = _json(capsys, "logs", "broken", "--component", component, "--explain")
        assert code == 0 and data["status"] == "Failed" and "ping health check" in data["failure_reason"]
        code, out, _ = lmi(capsys, "logs", "broken", "--component", component, "--explain")
        assert code == 0 and f"Inference component {component} of broken: Failed" in out and "out of memory" in out

    def test_status_text_prints_a_components_failure_reason(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = lmi(capsys, "status", "broken")
        assert code == 0 and "llama FailureReason:" in out and "ping health check" in out

    def test_status_json_lists_each_component(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, data = _json(capsys, "status", "team")
        assert code == 0 and data["component_count"] == 2
        qwen, llama = data["components"]
        assert (qwen["component"], qwen["copies"], qwen["accelerators_per_copy"]) == (
            "qwen", {"desired": 2, "current": 2}, 1,
        )  # fmt: skip
        assert (llama["component"], llama["model"]["id"], llama["memory_mb_per_copy"]) == ("llama", setup.LLAMA, 32768)

    def test_status_text_has_a_component_table(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = lmi(capsys, "status", "team")
        assert code == 0 and "inference components of team" in out
        rows = [line for line in out.splitlines() if "qwen" in line or "llama" in line]
        assert any("2/2" in row and setup.QWEN in row for row in rows), out
        assert any("1/1" in row and setup.LLAMA in row for row in rows), out

    def test_list_counts_components(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, data = _json(capsys, "list")
        counts = {e["name"]: e["component_count"] for e in data["endpoints"]}
        assert code == 0 and counts == {"plain": 0, "solo": 1, "team": 2}
        code, out, _ = lmi(capsys, "list")
        assert code == 0 and "components" in out
