"""A component's model comes through the same Hub flow as a single-model spec (a fake Hub on 127.0.0.1): a Hub-only
fine-tune is sized from its config.json and safetensors headers, a gated one without hf_token is refused at the
component's field, and the sized commit is recorded per component."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from deploy.cli import main
from deploy.sizing.placement import check_component_fit
from tests.fakehub import FakeHub
from tests.fakehub.fixtures import TOKEN, checkpoint, fake_hub, library_config, repo
from tests.unit.component_helpers import component, endpoint, parsed

__all__ = ["fake_hub"]  # a fixture
TUNE = "acme/qwen-7b-support-tune"  # not in the bundled library: only the Hub knows its shape
GATED = "acme/gated-8b"


@pytest.fixture
def hub(fake_hub: FakeHub) -> FakeHub:
    fake_hub.add(repo(TUNE, checkpoint(library_config("Qwen--Qwen2.5-7B-Instruct"), shards=2)))
    llama = checkpoint(library_config("meta-llama--Llama-3.1-8B-Instruct"))
    fake_hub.add(repo(GATED, llama, gated="manual", tokens=frozenset({TOKEN})))
    return fake_hub


def test_a_hub_only_component_is_sized_from_the_hub(hub: FakeHub) -> None:
    fit = check_component_fit(parsed(endpoint(component("tune", TUNE, copies=2), component("base"))))
    tune = fit.components[0]
    assert tune.resolved.model_sha is not None and tune.resolved.estimate is not None
    assert any("hub" in source.lower() for source in tune.resolved.to_dict()["model_sources"])
    assert tune.requirements.accelerators == 1 and fit.initial.instances_used == 1


def test_a_gated_component_without_a_token_is_refused_at_its_field(hub: FakeHub) -> None:
    from deploy.errors import SpecError

    with pytest.raises(SpecError) as info:
        check_component_fit(parsed(endpoint(component("base"), component("gated", GATED))))
    assert info.value.field == "components.1.model.hf_token" and "component 'gated'" in info.value.message


def test_a_gated_component_with_a_token_validates(
    hub: FakeHub, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    data = endpoint(component("gated", GATED, model={"id": GATED, "hf_token": "env:HF_TOKEN"}))
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", str(path), "--json"])
    out, err = capsys.readouterr()
    assert exit_info.value.code in (0, None), err
    assert TOKEN not in out + err
    assert json.loads(out)["components"][0]["resolved"]["model_sha"]


def test_recommend_spec_names_the_component_of_a_gated_model(hub: FakeHub) -> None:
    from deploy.errors import SpecError
    from deploy.sizing.component_recommend import recommend_components

    with pytest.raises(SpecError) as info:
        recommend_components(parsed(endpoint(component("base"), component("gated", GATED))))
    assert info.value.field == "components.1.model.hf_token"
