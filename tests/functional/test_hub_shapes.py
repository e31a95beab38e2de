"""Model shapes read from a (fake) Hugging Face Hub: config.json + safetensors headers by range reads.

The fake Hub (tests/fakehub) is started on 127.0.0.1 and reached through HF_ENDPOINT; nothing here can reach
huggingface.co (tests/conftest.py points every other Hub read at a closed local port).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deploy.cli import main
from deploy.sizing import load_shape
from deploy.sizing.hub import read_model
from tests.fakehub import FakeHub, FakeRepo
from tests.fakehub.checkpoints import WIDTH, decoder_tensors, header_bytes, write_local
from tests.fakehub.fixtures import checkpoint, fake_hub, library_config, repo, weight_downloads

__all__ = ["fake_hub"]  # a fixture

MODELS = [  # (bundled config used as a fine-tune's config, instance)
    ("Qwen--Qwen2.5-7B-Instruct", "ml.g6e.2xlarge"),
    ("meta-llama--Llama-3.1-8B-Instruct", "ml.g6e.2xlarge"),
    ("mistralai--Mistral-7B-Instruct-v0.3", "ml.g5.2xlarge"),
    ("Qwen--Qwen2.5-0.5B-Instruct", "ml.g5.xlarge"),
]
IGNORED = {"model_id", "notes", "sources", "model_sha", "warnings"}  # provenance differs; the numbers must not


def lmi(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def size_json(capsys: pytest.CaptureFixture[str], model: str, instance: str, *extra: str) -> dict[str, Any]:
    code, out, err = lmi(capsys, "size", model, "--instance", instance, "--json", *extra)
    assert code in (0, 2), err
    data: dict[str, Any] = json.loads(out)
    return data


def numbers(estimate: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in estimate.items() if k not in IGNORED}


def expected_bytes(config: dict[str, Any]) -> int:
    return sum(WIDTH[d] * math.prod(s) for d, s in decoder_tensors(config).values())


@pytest.mark.parametrize(("stem", "instance"), MODELS)
@pytest.mark.parametrize("shards", [1, 2, 5])
def test_hub_size_equals_the_same_checkpoint_on_disk(
    fake_hub: FakeHub, capsys: pytest.CaptureFixture[str], tmp_path: Path, stem: str, instance: str, shards: int
) -> None:
    config = library_config(stem)
    files = checkpoint(config, shards=shards)
    fake_hub.add(repo("acme/fine-tune", files))
    from_hub = size_json(capsys, "acme/fine-tune", instance)
    local = write_local(tmp_path / "fine-tune", files)  # header-only safetensors files: same headers
    on_disk = size_json(capsys, str(local), instance)
    assert numbers(from_hub) == numbers(on_disk)
    assert any(s.startswith("hub acme/fine-tune@") for s in from_hub["sources"])
    assert any(s.startswith(f"headers {shards} safetensors file") for s in from_hub["sources"])
    assert from_hub["model_sha"] == fake_hub.repos["acme/fine-tune"].refs["main"]
    assert weight_downloads(fake_hub) == []


@pytest.mark.parametrize(("stem", "instance"), MODELS)
def test_config_only_repo_sizes_like_the_config_file(
    fake_hub: FakeHub, capsys: pytest.CaptureFixture[str], tmp_path: Path, stem: str, instance: str
) -> None:
    config = library_config(stem)
    fake_hub.add(repo("acme/config-only", {"config.json": json.dumps(config).encode()}))
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    from_hub = size_json(capsys, "acme/config-only", instance)
    from_file = size_json(capsys, str(path), instance)
    assert numbers(from_hub) == numbers(from_file)
    assert not any(s.startswith("headers") for s in from_hub["sources"])
    assert "no safetensors files in the Hub repo: weight bytes estimated from config.json" in from_hub["notes"]
    assert [s for s in from_file["sources"] if s.startswith("file ")]


def test_headers_give_exact_bytes_where_the_config_can_only_estimate(fake_hub: FakeHub) -> None:
    config = library_config("Qwen--Qwen2.5-7B-Instruct")
    fake_hub.add(repo("acme/with-headers", checkpoint(config, shards=3)))
    fake_hub.add(repo("acme/config-only", {"config.json": json.dumps(config).encode()}))
    exact = load_shape("acme/with-headers")
    structural = load_shape("acme/config-only")
    assert exact.exact_weight_bytes == expected_bytes(config)
    assert "safetensors headers on the Hub (BF16 " in exact.weight_bytes_source
    assert structural.exact_weight_bytes is None and structural.weight_bytes_source == "config"


@pytest.mark.parametrize(
    ("dtypes", "width"),
    [({"BF16"}, 2), ({"F8_E4M3", "BF16"}, None), ({"F32", "F16", "I8"}, None), ({"U8", "BF16", "F32"}, None)],
)
def test_mixed_dtypes_are_counted_per_tensor(fake_hub: FakeHub, dtypes: set[str], width: int | None) -> None:
    names = sorted(dtypes)
    tensors = {f"t{i}": (names[i % len(names)], [64 + i, 128]) for i in range(40)}
    config = library_config("Qwen--Qwen2.5-0.5B-Instruct")
    fake_hub.add(
        repo("acme/mixed", {"config.json": json.dumps(config).encode(), "model.safetensors": header_bytes(tensors)})
    )
    model = read_model("acme/mixed")
    assert model.weights is not None
    assert set(model.weights.dtypes) == dtypes
    assert model.weights.bytes == sum(WIDTH[d] * math.prod(s) for d, s in tensors.values())
    assert model.weights.tensors == 40
    if width:
        assert model.weights.bytes == width * sum(model.weights.dtypes.values())


def test_a_header_larger_than_the_first_range_takes_a_second_range_read(fake_hub: FakeHub) -> None:
    tensors = {f"model.layers.{i}.block.weight_with_a_long_name_{i:05d}": ("BF16", [32, 32]) for i in range(2500)}
    file = header_bytes(tensors)
    assert file.header_length > 100_001
    config = library_config("Qwen--Qwen2.5-0.5B-Instruct")
    fake_hub.add(repo("acme/big-header", {"config.json": json.dumps(config).encode(), "model.safetensors": file}))
    model = read_model("acme/big-header")
    assert model.weights is not None and model.weights.bytes == 2500 * 32 * 32 * 2
    ranges = [r.range for r in fake_hub.log if r.path.endswith(".safetensors")]
    assert ranges == ["bytes=0-100000", f"bytes=8-{file.header_length - 1}"]
    assert weight_downloads(fake_hub) == []


def test_model_info_fields_are_kept(fake_hub: FakeHub) -> None:
    config = library_config("Qwen--Qwen2.5-0.5B-Instruct")
    fake_hub.add(repo("acme/info", checkpoint(config), library_name="vllm", pipeline_tag="image-text-to-text"))
    shape = load_shape("acme/info")
    assert shape.hub is not None
    assert (shape.hub.library_name, shape.hub.pipeline_tag, shape.hub.gated, shape.hub.private) == (
        "vllm",
        "image-text-to-text",
        False,
        False,
    )
    assert shape.hub.sha == fake_hub.repos["acme/info"].refs["main"]


def test_size_text_names_its_sources(
    fake_hub: FakeHub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    config = library_config("Qwen--Qwen2.5-0.5B-Instruct")
    fake_hub.add(repo("acme/text", checkpoint(config, shards=2)))
    code, out, _ = lmi(capsys, "size", "acme/text", "--instance", "ml.g5.xlarge")
    sha = fake_hub.repos["acme/text"].refs["main"]
    assert code == 0
    assert f"hub acme/text@{sha} (config.json)" in out
    assert "headers 2 safetensors file(s)" in out


def test_bundled_model_is_checked_against_the_hub(fake_hub: FakeHub) -> None:
    same = library_config("Qwen--Qwen2.5-7B-Instruct")
    fake_hub.add(repo("Qwen/Qwen2.5-7B-Instruct", checkpoint(same, shards=4)))
    shape = load_shape("Qwen/Qwen2.5-7B-Instruct")
    assert any("agrees with the Hub's config.json" in n for n in shape.notes)
    assert not shape.warnings
    assert shape.exact_weight_bytes == expected_bytes(same)
    assert "bundled Qwen--Qwen2.5-7B-Instruct.json (checked)" in shape.sources


@pytest.mark.parametrize(
    ("change", "field_name"),
    [
        ({"num_hidden_layers": 30}, "num_layers"),
        ({"num_key_value_heads": 7}, "num_kv_heads"),
        ({"max_position_embeddings": 65536}, "max_position_embeddings"),
        ({"vocab_size": 151936 + 64}, "vocab_size"),
    ],
)
def test_a_bundled_file_that_differs_from_the_hub_is_named(
    fake_hub: FakeHub, change: dict[str, int], field_name: str
) -> None:
    config = library_config("Qwen--Qwen2.5-7B-Instruct", **change)
    fake_hub.add(repo("Qwen/Qwen2.5-7B-Instruct", {"config.json": json.dumps(config).encode()}))
    shape = load_shape("Qwen/Qwen2.5-7B-Instruct")
    assert len(shape.warnings) == 1 and field_name in shape.warnings[0] and "sized with the Hub's" in shape.warnings[0]
    assert getattr(shape, field_name) != getattr(
        load_shape("deploy/sizing/library/Qwen--Qwen2.5-7B-Instruct.json"), field_name
    )


def test_bundled_model_without_a_reachable_hub_is_sized_from_the_library(capsys: pytest.CaptureFixture[str]) -> None:
    data = size_json(capsys, "Qwen/Qwen2.5-7B-Instruct", "ml.g6e.2xlarge")
    assert data["fits"] and data["model_sha"] is None
    assert data["sources"] == ["bundled Qwen--Qwen2.5-7B-Instruct.json"]
    assert any("Hub not read (the Hub at http://127.0.0.1:9 is not reachable" in n for n in data["notes"])


def test_repo_without_config_json_is_a_spec_error(fake_hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    fake_hub.add(repo("acme/gguf-only", {"model.gguf": b"GGUF"}))
    code, _, err = lmi(capsys, "size", "acme/gguf-only", "--instance", "ml.g5.xlarge")
    assert code == 2 and "has no config.json" in err and "--config" in err and "Traceback" not in err


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe"])
def test_broken_config_json_is_a_spec_error(fake_hub: FakeHub, capsys: pytest.CaptureFixture[str], body: bytes) -> None:
    fake_hub.add(repo("acme/broken", {"config.json": body}))
    code, _, err = lmi(capsys, "size", "acme/broken", "--instance", "ml.g5.xlarge")
    assert code == 2 and "model.config" in err and "Traceback" not in err


@pytest.mark.parametrize("stem", ["Qwen--Qwen2.5-7B-Instruct", "meta-llama--Llama-3.1-8B-Instruct"])
def test_recommend_from_the_hub_equals_recommend_from_the_same_files(
    fake_hub: FakeHub, capsys: pytest.CaptureFixture[str], tmp_path: Path, stem: str
) -> None:
    files = checkpoint(library_config(stem), shards=2)
    fake_hub.add(repo("acme/rec", files))
    code, out, _ = lmi(capsys, "recommend", "acme/rec", "--max-model-len", "8192", "--json")
    code2, out2, _ = lmi(
        capsys, "recommend", str(write_local(tmp_path / "rec", files)), "--max-model-len", "8192", "--json"
    )
    hub_recs, local_recs = json.loads(out), json.loads(out2)
    assert code == code2 == 0
    assert hub_recs["recommendations"] == local_recs["recommendations"] and hub_recs["recommendations"]
    assert hub_recs["model_sha"] == fake_hub.repos["acme/rec"].refs["main"] and local_recs["model_sha"] is None


@pytest.mark.parametrize("sha", ["../../escape", "not-a-sha", "ABCDEF" * 7])
def test_a_hub_answer_without_a_commit_sha_is_refused(
    fake_hub: FakeHub, capsys: pytest.CaptureFixture[str], sha: str
) -> None:
    config = library_config("Qwen--Qwen2.5-0.5B-Instruct")
    fake_hub.add(FakeRepo("acme/odd", {sha: {"config.json": json.dumps(config).encode()}}, {"main": sha}))
    code, _, err = lmi(capsys, "size", "acme/odd", "--instance", "ml.g5.xlarge")
    assert code == 2 and "gave no commit sha" in err and "HF_ENDPOINT" in err
    assert not list(Path(os.environ["HF_HOME"]).rglob("escape*"))


TENSOR = st.tuples(
    st.sampled_from(sorted(WIDTH)), st.lists(st.integers(min_value=1, max_value=4096), min_size=0, max_size=3)
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tensors=st.dictionaries(st.from_regex(r"[a-z][a-z0-9_.]{0,30}", fullmatch=True), TENSOR, min_size=1, max_size=30)
)
def test_hub_headers_and_local_headers_count_the_same_bytes(
    fake_hub: FakeHub, tmp_path_factory: pytest.TempPathFactory, tensors: dict[str, tuple[str, list[int]]]
) -> None:
    from deploy.sizing.safetensors import directory_weight_bytes

    repo_id = f"acme/prop-{len(fake_hub.repos)}"
    file = header_bytes({name: (dtype, list(shape)) for name, (dtype, shape) in tensors.items()})
    fake_hub.add(repo(repo_id, {"config.json": b"{}", "model.safetensors": file}))
    model = read_model(repo_id)
    local = tmp_path_factory.mktemp("prop")
    (local / "model.safetensors").write_bytes(file.prefix)
    assert model.weights is not None
    assert model.weights.bytes == directory_weight_bytes(local) == file.size - file.header_length


@pytest.mark.parametrize("model_id", ["Qwen/Qwen2.5-7B-Instruct", "meta-llama/Llama-3.1-8B-Instruct", "qwen/qwen3-8b"])
def test_a_hub_without_a_bundled_model_sizes_it_from_the_library_with_a_warning(
    fake_hub: FakeHub, model_id: str
) -> None:
    shape = load_shape(model_id)  # the fake Hub (like a partial mirror behind HF_ENDPOINT) does not have it
    assert shape.hub is None and shape.sources[0].startswith("bundled ")
    assert len(shape.warnings) == 1 and "is not on the Hugging Face Hub" in shape.warnings[0]


def test_a_missing_model_that_is_not_bundled_stays_an_error(fake_hub: FakeHub) -> None:
    from deploy.sizing.hub import HubNotFoundError

    with pytest.raises(HubNotFoundError) as info:
        load_shape("acme/not-bundled-and-not-served")
    assert info.value.field == "model.id" and "model.hf_token" in str(info.value.fix)
