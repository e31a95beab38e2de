"""Gated, private and missing Hub models; revision pinning; the sized commit in the plan and the tags.

A gated or private model without model.hf_token is refused by validate/plan/deploy before anything exists, naming
model.hf_token and the licence page. With a token (env:NAME) the token goes to the Hub as a Bearer header and is
never printed, written to a plan, or stored in the cache.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from deploy.cli import main
from deploy.engine.desired import build_desired
from deploy.engine.naming import TAG_MODEL_SHA
from deploy.engine.resolve import resolve
from deploy.local.testing import lmi_emulator
from deploy.render.properties import render
from deploy.sizing import load_shape
from deploy.spec.loader import load_spec
from tests.fakehub import FakeHub, FakeRepo, commit_sha
from tests.fakehub.fixtures import TOKEN, checkpoint, fake_hub, library_config, repo

__all__ = ["fake_hub", "lmi_emulator"]
GATED = "acme-corp/gated-7b"
PRIVATE = "acme-corp/private-7b"
PINNED = "acme/evolving"


def lmi(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def write_spec(tmp_path: Path, model: dict[str, object], name: str = "hub-ep") -> Path:
    spec = {
        "name": name,
        "role": "arn:aws:iam::123456789012:role/SageMakerExecutionRole",
        "model": model,
        "instance": {"type": "ml.g6e.2xlarge"},
        "artifacts": {"bucket": "hub-test-bucket"},
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


@pytest.fixture
def hub(fake_hub: FakeHub) -> FakeHub:
    files = checkpoint(library_config("Qwen--Qwen2.5-7B-Instruct"), shards=2)
    fake_hub.add(repo(GATED, files, gated="manual", tokens=frozenset({TOKEN})))
    fake_hub.add(repo(PRIVATE, files, private=True, tokens=frozenset({TOKEN})))
    old = library_config("Qwen--Qwen2.5-7B-Instruct")
    new = library_config("Qwen--Qwen2.5-7B-Instruct", num_hidden_layers=36)
    v1, v2 = commit_sha("evolving:1"), commit_sha("evolving:2")
    fake_hub.add(
        FakeRepo(
            PINNED,
            {v1: {"config.json": json.dumps(old).encode()}, v2: {"config.json": json.dumps(new).encode()}},
            {"main": v2, "release-1": v1},
        )
    )
    return fake_hub


# -- gated and private -------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["validate", "plan", "render"])
@pytest.mark.parametrize("model_id", [GATED, PRIVATE])
def test_gated_or_private_without_hf_token_is_refused_naming_the_field_and_licence_page(
    hub: FakeHub, capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str, model_id: str
) -> None:
    spec = write_spec(tmp_path, {"id": model_id})
    code, out, err = lmi(capsys, command, str(spec), "--json")
    payload = json.loads(out)
    assert code == 2 and "model.hf_token" in payload["field"] + payload["fix"] and "Traceback" not in err
    if model_id == GATED:
        assert payload["field"] == "model.hf_token"
        assert f"{hub.endpoint}/{GATED}" in payload["fix"] and "licence" in payload["fix"]
    else:  # the Hub answers 401 RepoNotFound for a private repo, as for a missing one: it cannot be told apart
        assert payload["field"] == "model.id" and "(or it is private)" in payload["message"]


@pytest.mark.usefixtures("hub")
def test_deploy_of_a_gated_model_without_token_creates_nothing(
    lmi_emulator: object, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", lmi_emulator.endpoint_url)  # type: ignore[attr-defined]
    spec = write_spec(tmp_path, {"id": GATED})
    code, _, err = lmi(capsys, "deploy", str(spec), "--yes")
    assert code == 2 and "model.hf_token" in err and "licence" in err
    code, out, _ = lmi(capsys, "list", "--json")
    assert code == 0 and json.loads(out)["endpoints"] == []


@pytest.mark.parametrize("model_id", [GATED, PRIVATE])
def test_with_a_token_the_hub_is_read_and_the_token_never_shows(
    hub: FakeHub, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_id: str
) -> None:
    monkeypatch.setenv("MY_HF_TOKEN", TOKEN)
    spec = write_spec(tmp_path, {"id": model_id, "hf_token": "env:MY_HF_TOKEN"})
    outputs = []
    for command in (["validate", str(spec), "--json"], ["validate", str(spec)], ["render", str(spec), "--json"]):
        code, out, err = lmi(capsys, *command)
        assert code == 0, err
        outputs.append(out + err)
    data = json.loads(outputs[0])
    assert data["model_sha"] == hub.repos[model_id].refs["main"]
    assert {r.token for r in hub.log if model_id in r.path} == {TOKEN}
    cached = "".join(p.read_text() for p in Path(_hf_home()).rglob("*") if p.is_file() and p.suffix != ".lock")
    assert TOKEN not in "".join(outputs) and TOKEN not in cached


def _hf_home() -> str:
    import os

    return os.environ["HF_HOME"]


@pytest.mark.parametrize("given", ["hf_wrongWRONGwrongWRONGwrong000", "hf_another_token_without_access_1"])
def test_a_token_without_access_is_refused_and_not_printed(
    hub: FakeHub, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    monkeypatch.setenv("MY_HF_TOKEN", given)
    spec = write_spec(tmp_path, {"id": GATED, "hf_token": "env:MY_HF_TOKEN"})
    code, out, err = lmi(capsys, "validate", str(spec))
    assert code == 2 and "refused its files to the token given" in err and f"{hub.endpoint}/{GATED}" in err
    assert given not in out + err


@pytest.mark.parametrize("variable", ["MY_HF_TOKEN", "HF_TOKEN"])
def test_an_hf_token_naming_an_unset_variable_says_so(
    hub: FakeHub, capsys: pytest.CaptureFixture[str], tmp_path: Path, variable: str
) -> None:
    spec = write_spec(tmp_path, {"id": GATED, "hf_token": f"env:{variable}"})
    code, out, _ = lmi(capsys, "validate", str(spec), "--json")
    payload = json.loads(out)
    assert code == 2 and payload["field"] == "model.hf_token" and payload["value"] == f"env:{variable}"
    assert f"${variable}, which is not set" in payload["message"] and f"export {variable}=" in payload["fix"]


def test_lmi_size_of_a_gated_model_uses_hf_token_or_says_how(
    hub: FakeHub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = lmi(capsys, "size", GATED, "--instance", "ml.g6e.2xlarge")
    assert code == 2 and "model.hf_token" in err and "HF_TOKEN" in err and f"{hub.endpoint}/{GATED}" in err
    monkeypatch.setenv("OTHER", TOKEN)
    code, out, err = lmi(capsys, "size", GATED, "--instance", "ml.g6e.2xlarge", "--hf-token", "env:OTHER", "--json")
    assert code == 0 and json.loads(out)["model_sha"] == hub.repos[GATED].refs["main"] and TOKEN not in out + err
    monkeypatch.setenv("HF_TOKEN", TOKEN)  # huggingface_hub's own default, as for its CLI
    code, out, err = lmi(capsys, "size", GATED, "--instance", "ml.g6e.2xlarge")
    assert code == 0 and TOKEN not in out + err


@pytest.mark.parametrize("ref", ["env:UNSET_VARIABLE", "hf_literalLITERALliteral1234", "env:"])
def test_lmi_size_hf_token_must_name_a_set_variable(capsys: pytest.CaptureFixture[str], ref: str) -> None:
    code, _, err = lmi(capsys, "size", GATED, "--instance", "ml.g6e.2xlarge", "--hf-token", ref)
    assert code == 2 and "--hf-token" in err and "hf_literal" not in err


def test_a_gated_bundled_model_is_sized_from_the_library_but_deploying_needs_the_token(
    fake_hub: FakeHub, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    llama = "meta-llama/Llama-3.1-8B-Instruct"
    fake_hub.add(repo(llama, checkpoint(library_config("meta-llama--Llama-3.1-8B-Instruct")), gated="manual"))
    shape = load_shape(llama)
    assert shape.sources == ("bundled meta-llama--Llama-3.1-8B-Instruct.json",)
    assert shape.hub is not None and shape.hub.gated and any("model.hf_token" in w for w in shape.warnings)
    code, _, err = lmi(capsys, "validate", str(write_spec(tmp_path, {"id": llama})))
    assert code == 2 and "model.hf_token" in err and f"{fake_hub.endpoint}/{llama}" in err


@pytest.mark.parametrize("model_id", ["acme/no-such-model", "nobody/typo-7b", "acme/Qwen2.5-7B-Instruct-missing"])
def test_a_missing_model_is_a_spec_error_on_model_id(
    hub: FakeHub, capsys: pytest.CaptureFixture[str], tmp_path: Path, model_id: str
) -> None:
    code, out, _ = lmi(capsys, "validate", str(write_spec(tmp_path, {"id": model_id})), "--json")
    payload = json.loads(out)
    assert code == 2 and payload["field"] == "model.id" and "not on the Hugging Face Hub" in payload["message"]


# -- revisions and the recorded sha ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("revision", "layers", "sha_label"),
    [(None, 36, "evolving:2"), ("main", 36, "evolving:2"), ("release-1", 28, "evolving:1"), ("SHA1", 28, "evolving:1")],
)
def test_revision_pins_the_commit_that_is_sized(
    hub: FakeHub, revision: str | None, layers: int, sha_label: str
) -> None:
    sha = commit_sha(sha_label)
    asked = commit_sha("evolving:1") if revision == "SHA1" else revision
    shape = load_shape(PINNED, revision=asked)
    assert shape.num_layers == layers and shape.hub is not None and shape.hub.sha == sha
    expected = f"/api/models/{PINNED}" + (f"/revision/{asked}" if asked else "")
    assert hub.log[0].path == expected


def test_an_unknown_revision_is_a_spec_error_on_model_revision(
    hub: FakeHub, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    spec = write_spec(tmp_path, {"id": PINNED, "revision": "no-such-branch"})
    code, out, _ = lmi(capsys, "validate", str(spec), "--json")
    payload = json.loads(out)
    assert code == 2 and payload["field"] == "model.revision" and payload["value"] == "no-such-branch"


def test_the_sized_sha_is_in_the_plan_and_the_tags_and_a_replan_is_stable(hub: FakeHub, tmp_path: Path) -> None:
    v1 = commit_sha("evolving:1")
    spec = load_spec(write_spec(tmp_path, {"id": PINNED, "revision": v1}))
    resolved = resolve(spec)
    desired = build_desired(resolved, render(resolved), region="us-east-1", account="123456789012")
    assert resolved.model_sha == v1 and resolved.to_dict()["model_sha"] == v1
    assert desired.endpoint_tags[TAG_MODEL_SHA] == v1
    assert any(t == {"Key": TAG_MODEL_SHA, "Value": v1} for t in desired.model_request["Tags"])
    assert any(f"sized commit {v1} (model.revision pins it)" in n for n in resolved.notes)
    hub.repos[PINNED].refs["main"] = commit_sha("evolving:3")  # main moves on; the pinned plan does not
    again = build_desired(resolve(spec), render(resolved), region="us-east-1", account="123456789012")
    assert again.endpoint_tags == desired.endpoint_tags and again.model_request == desired.model_request


def test_an_unpinned_plan_says_how_to_pin_the_sized_commit(hub: FakeHub, tmp_path: Path) -> None:
    resolved = resolve(load_spec(write_spec(tmp_path, {"id": PINNED})))
    sha = commit_sha("evolving:2")
    assert resolved.model_sha == sha
    assert any(f"set model.revision: {sha}" in n for n in resolved.notes)


@pytest.fixture
def emulated_hub(hub: FakeHub, lmi_emulator: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", lmi_emulator.endpoint_url)  # type: ignore[attr-defined]
    yield hub


def test_plan_json_on_the_emulator_carries_the_sha_tag(
    emulated_hub: FakeHub, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    spec = write_spec(tmp_path, {"id": PINNED, "revision": "release-1"})
    code, out, err = lmi(capsys, "plan", str(spec), "--json")
    assert code == 0, err
    assert json.loads(out)["model_sha"] == commit_sha("evolving:1")


def test_deploy_of_a_gated_model_with_a_token_on_the_emulator_never_shows_it(
    emulated_hub: FakeHub, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_HF_TOKEN", TOKEN)
    spec = write_spec(tmp_path, {"id": GATED, "hf_token": "env:MY_HF_TOKEN"}, name="gated-ep")
    code, out, err = lmi(capsys, "deploy", str(spec), "--yes", "--json")
    assert code == 0, err
    assert TOKEN not in out + err
    code, out, err = lmi(capsys, "list", "--json")
    assert code == 0 and [e["name"] for e in json.loads(out)["endpoints"]] == ["gated-ep"] and TOKEN not in out + err
    assert TOKEN in {r.token for r in emulated_hub.log}  # the Hub reads did carry it
