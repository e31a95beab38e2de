"""huggingface_hub is the optional ``[hub]`` extra: without it nothing breaks, and the way to read the Hub is named.

Without the package the Hub counts as unavailable, exactly as offline: a record cached for the commit answers, then
the bundled library (with a note), and an unknown model is exit 2 whose fix is ``pip install 'lmi-deploy[hub]'``.
The fake Hub is running in these tests so that a request reaching it would show; none may.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from deploy.cli import main
from deploy.sizing import load_shape
from deploy.sizing.hub import read_model
from tests.fakehub import FakeHub
from tests.fakehub.fixtures import checkpoint, fake_hub, library_config, repo

__all__ = ["fake_hub"]  # a fixture

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
INSTALL = "pip install 'lmi-deploy[hub]'"
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"
UNKNOWN = ["acme/qwen-7b-ft", "someone/brand-new-model", "Qwen/Qwen2.5-7B-Instruc"]  # the last: a near miss


def hide_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import huggingface_hub`` (and any submodule) raises ImportError, as on an install without the extra."""
    for name in [m for m in sys.modules if m == "huggingface_hub" or m.startswith("huggingface_hub.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)


@pytest.fixture
def without_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    hide_hub(monkeypatch)


def lmi(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_core_dependencies_leave_huggingface_hub_to_the_hub_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = [d.lower().replace("-", "_") for d in project["dependencies"]]
    extras = project["optional-dependencies"]
    assert not any(d.startswith("huggingface_hub") for d in core)
    assert any(d.startswith("huggingface_hub") for d in extras["hub"])
    assert "lmi-deploy[hub]" in extras["dev"] and "lmi-deploy[hub]" in extras["tokenizers"]
    assert not any("huggingface" in d for d in extras["local"])


@pytest.mark.usefixtures("without_hub")
@pytest.mark.parametrize("model_id", ["Qwen/Qwen2.5-7B-Instruct", "meta-llama/Llama-3.1-8B-Instruct"])
def test_a_bundled_model_is_sized_from_the_library_and_the_note_names_the_extra(
    fake_hub: FakeHub, capsys: pytest.CaptureFixture[str], model_id: str
) -> None:
    fake_hub.add(repo(model_id, checkpoint(library_config(model_id.replace("/", "--")))))
    code, out, err = lmi(capsys, "size", model_id, "--instance", "ml.g6e.2xlarge", "--json")
    data = json.loads(out)
    assert code == 0 and data["fits"] and data["model_sha"] is None, err
    assert data["sources"] == [f"bundled {model_id.replace('/', '--')}.json"]
    assert any("huggingface_hub is not installed" in n and INSTALL in n for n in data["notes"])
    assert fake_hub.log == []


@pytest.mark.usefixtures("without_hub")
@pytest.mark.parametrize("model_id", UNKNOWN)
def test_an_unknown_model_is_exit_2_naming_the_field_and_the_install(
    fake_hub: FakeHub, capsys: pytest.CaptureFixture[str], model_id: str
) -> None:
    fake_hub.add(repo(model_id, checkpoint(library_config("Qwen--Qwen2.5-7B-Instruct"))))
    code, out, err = lmi(capsys, "size", model_id, "--instance", "ml.g6e.2xlarge", "--json")
    error: dict[str, Any] = json.loads(out)
    assert code == 2 and error["error"] == "spec_error" and "Traceback" not in err
    assert error["field"] == "model.id" and error["value"] == model_id
    assert INSTALL in error["fix"] and "model.config" in error["fix"]
    assert fake_hub.log == []


@pytest.mark.usefixtures("without_hub")
@pytest.mark.parametrize("command", ["validate", "plan", "render"])
def test_a_spec_on_an_unknown_model_is_refused_before_any_aws_call(
    fake_hub: FakeHub, capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        f"name: ep\nrole: {ROLE}\nmodel: {{id: acme/qwen-7b-ft}}\ninstance: {{type: ml.g6e.2xlarge}}\n"
        "artifacts: {bucket: hub-test-bucket}\n"
    )
    code, _, err = lmi(capsys, command, str(spec))
    assert code == 2 and INSTALL in err and "acme/qwen-7b-ft" in err and "Traceback" not in err
    assert fake_hub.log == []


def test_a_commit_cached_while_the_extra_was_installed_still_answers(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_hub.add(repo("acme/qwen-7b-ft", checkpoint(library_config("Qwen--Qwen2.5-7B-Instruct"), shards=2)))
    online = load_shape("acme/qwen-7b-ft")
    seen = len(fake_hub.log)
    hide_hub(monkeypatch)
    model = read_model("acme/qwen-7b-ft")
    assert model.origin == "offline-cache" and model.sha == fake_hub.repos["acme/qwen-7b-ft"].refs["main"]
    assert "huggingface_hub is not installed" in (model.note or "")
    again = load_shape("acme/qwen-7b-ft")
    assert again.exact_weight_bytes == online.exact_weight_bytes and again.exact_weight_bytes is not None
    assert len(fake_hub.log) == seen
