"""Offline behaviour of Hub shapes: the per-commit cache, HF_HUB_OFFLINE=1, and no network without a cache."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deploy.cli import main
from deploy.sizing import load_shape
from deploy.sizing.hub import read_model, settings
from tests.fakehub import FakeHub
from tests.fakehub.fixtures import checkpoint, fake_hub, library_config, repo

__all__ = ["fake_hub"]  # a fixture

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"
MODEL = "acme/qwen-7b-ft"
NUMBERS = ("weights_bytes_per_gpu", "kv_cache_tokens", "kv_cache_bytes_per_token", "max_concurrency", "fits")


def lmi(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def size(capsys: pytest.CaptureFixture[str], model: str = MODEL) -> tuple[int, dict[str, Any], str]:
    code, out, err = lmi(capsys, "size", model, "--instance", "ml.g6e.2xlarge", "--json")
    data = json.loads(out)  # --json: an error is one JSON object on stdout as well
    return code, data, json.dumps(data) + err


def write_spec(tmp_path: Path, model: str = MODEL) -> Path:
    path = tmp_path / "spec.yaml"
    body = f"name: ep\nrole: {ROLE}\nmodel: {{id: {model}}}\ninstance: {{type: ml.g6e.2xlarge}}\n"
    path.write_text(body + "artifacts: {bucket: hub-test-bucket}\n")  # plan then needs no AWS read before sizing
    return path


@pytest.fixture
def served(fake_hub: FakeHub) -> FakeHub:
    fake_hub.add(repo(MODEL, checkpoint(library_config("Qwen--Qwen2.5-7B-Instruct"), shards=2)))
    return fake_hub


def test_second_run_with_the_hub_stopped_uses_the_cache(served: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    code, online, _ = size(capsys)
    served.stop()
    code2, offline, _ = size(capsys)
    assert code == code2 == 0
    assert {k: online[k] for k in NUMBERS} == {k: offline[k] for k in NUMBERS}
    assert offline["model_sha"] == online["model_sha"] == served.repos[MODEL].refs["main"]
    assert any("is not reachable (ConnectError): shape of commit" in n for n in offline["notes"])


def test_a_repeat_online_read_asks_only_for_the_model_info(served: FakeHub) -> None:
    read_model(MODEL)
    first = len(served.log)
    again = read_model(MODEL)
    assert again.origin == "cache"
    assert [r.path for r in served.log[first:]] == [f"/api/models/{MODEL}"]


def test_hf_hub_offline_uses_the_cache_and_says_so(
    served: FakeHub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    size(capsys)
    before = len(served.log)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code, data, _ = size(capsys)
    assert code == 0 and data["model_sha"] == served.repos[MODEL].refs["main"]
    assert any(n.startswith("HF_HUB_OFFLINE=1: shape of commit") for n in data["notes"])
    assert len(served.log) == before  # not one request


@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
def test_hf_hub_offline_without_a_cache_is_exit_2_with_the_fix(
    served: FakeHub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", value)
    code, _, err = size(capsys)
    assert code == 2 and "HF_HUB_OFFLINE=1" in err and "cached" in err
    assert "model.config" in err and "bundled library" in err and "connect to the Hub" in err
    assert served.log == [] and "Traceback" not in err


@pytest.mark.parametrize("command", ["validate", "plan", "render"])
def test_no_network_and_no_cache_refuses_a_spec(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    spec = write_spec(tmp_path)
    code, _, err = lmi(capsys, command, str(spec))
    assert code == 2
    assert "is not reachable" in err and "model.config" in err and "Traceback" not in err


def test_no_network_suggests_close_bundled_ids(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = size(capsys, "Qwen/Qwen2.5-7B-Instruc")
    assert code == 2 and "did you mean" in err and "not reachable" in err
    assert "Qwen/Qwen2.5-7B-Instruct," in err or "Qwen/Qwen2.5-7B-Instruct?" in err


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_a_failing_hub_falls_back_to_the_cache(served: FakeHub, status: int) -> None:
    online = load_shape(MODEL)
    served.fail_status = status
    again = load_shape(MODEL)
    assert again.hub is not None and again.hub.origin == "offline-cache"
    assert again.exact_weight_bytes == online.exact_weight_bytes
    assert any(f"answered HTTP {status}" in n for n in again.notes)


@pytest.mark.parametrize("status", [500, 503])
def test_a_failing_hub_without_a_cache_falls_back_to_the_bundled_library(fake_hub: FakeHub, status: int) -> None:
    fake_hub.fail_status = status
    shape = load_shape("Qwen/Qwen2.5-7B-Instruct")
    assert shape.sources == ("bundled Qwen--Qwen2.5-7B-Instruct.json",) and shape.hub is None


@pytest.mark.parametrize("damage", ["{not json", "[]", '{"record_version": 99}', '{"record_version": 1, "x": 1}'])
def test_a_damaged_cache_record_is_read_again(served: FakeHub, damage: str) -> None:
    model = read_model(MODEL)
    record = settings().record_cache / MODEL.replace("/", "--") / f"{model.sha}.json"
    record.write_text(damage)
    again = read_model(MODEL)
    assert again.origin == "hub" and again.weights == model.weights
    assert json.loads(record.read_text())["sha"] == model.sha


def test_the_cache_lives_under_hf_home_and_holds_no_weights(served: FakeHub) -> None:
    read_model(MODEL)
    home = Path(settings().file_cache).parent
    files = sorted(p.relative_to(home).as_posix() for p in home.rglob("*") if p.is_file())
    records = [f for f in files if f.startswith("assets/lmi-deploy/hub/")]
    assert any(f.endswith(".json") and "/refs/" not in f for f in records)
    assert not [f for f in files if f.endswith(".safetensors")]
    assert sum((home / f).stat().st_size for f in files) < 200_000


def test_a_forgotten_hub_read_meets_a_closed_local_port() -> None:
    from deploy.sizing.hub import HubUnavailableError

    assert settings().endpoint == "http://127.0.0.1:9"
    with pytest.raises(HubUnavailableError) as info:
        read_model("acme/never-served")
    assert "http://127.0.0.1:9 is not reachable" in info.value.message


def test_an_unreachable_hub_is_asked_once_per_process(served: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    import deploy.sizing.hub as hub_module

    read_model(MODEL)
    calls: list[str] = []

    def refused(*args: object) -> None:
        calls.append("model_info")
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(hub_module, "_model_info", refused)
    first, second = read_model(MODEL), read_model(MODEL)
    assert calls == ["model_info"]
    assert first.origin == second.origin == "offline-cache" and "ConnectionRefusedError" in second.note
