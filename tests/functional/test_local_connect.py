"""``connect()`` and the background server behind ``lmi local start|status|stop``."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from deploy.cli import build_app
from deploy.local import background, connect
from deploy.local.testing import deploy


@pytest.fixture
def local_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LMI_LOCAL_DIR", str(tmp_path / "local"))
    monkeypatch.setenv("LMI_LOCAL_TIME_SCALE", "0")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    return tmp_path / "local"


def _cli(*args: str) -> str:
    result = CliRunner().invoke(build_app(), list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_connect_without_a_server_uses_an_in_process_emulator(local_dir):
    ctx = connect(region="eu-west-1")
    assert ctx.endpoint_url.startswith("http://127.0.0.1:") and ctx.region == "eu-west-1"
    assert ctx.client("sagemaker").list_endpoints()["Endpoints"] == []
    assert "no emulator running" in _cli("local", "status")


def test_background_server_keeps_state_across_connections(local_dir):
    state = background.start_background(time_scale=0)
    try:
        assert (local_dir / "server.json").exists()
        ctx = connect()
        assert ctx.endpoint_url == state["endpoint_url"]
        assert deploy(ctx, "shared")["EndpointStatus"] == "InService"
        again = connect()  # a second command sees the same endpoint
        assert again.client("sagemaker").describe_endpoint(EndpointName="shared")["EndpointStatus"] == "InService"
        status = json.loads(_cli("local", "status", "--json"))
        assert status["running"] and status["health"]["endpoints"] == ["us-east-1/shared"]
        assert "already running" in _cli("local", "start")
    finally:
        assert "stopped the emulator" in _cli("local", "stop")
    assert not (local_dir / "server.json").exists()
    assert background.running_server() is None
    assert "no emulator was running" in _cli("local", "stop")
