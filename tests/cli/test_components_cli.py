"""The offline commands on component-endpoint specs (validate, render, size --spec, recommend --spec, schema, init),
and the commands that do not take them yet, through the real entry point: exit codes, JSON, no traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy import catalog
from deploy.cli import main
from tests.unit.component_helpers import ISSUE_SPEC, LLAMA_8B, component, endpoint

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "components.yaml"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def write(tmp_path: Path, data: dict[str, Any], name: str = "team.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def too_many_copies() -> dict[str, Any]:
    """Four tp=2 copies (8 GPUs) on at most one 4-GPU ml.g6e.12xlarge."""
    return endpoint(component("qwen", engine={"tensor_parallel_degree": 2}, copies=4))


def test_the_example_is_the_issue_spec() -> None:
    assert yaml.safe_load(EXAMPLE.read_text()) == ISSUE_SPEC


def test_validate_shows_each_component_and_the_placement(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", str(EXAMPLE))
    flat = " ".join(out.split())  # rich wraps long lines
    assert code == 0, err
    assert "team-llms on 1 x ml.g6e.12xlarge (scaling 0..2), 2 component(s)" in flat
    assert "qwen (team-llms-qwen)" in flat and "llama (team-llms-llama)" in flat
    assert "instance 1: llama, qwen, qwen" in flat


def test_validate_json_has_components_and_placements(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", str(EXAMPLE), "--json")
    data = json.loads(out)
    assert code == 0 and data["valid"] is True and data["kind"] == "components"
    assert [c["name"] for c in data["components"]] == ["qwen", "llama"]
    qwen = data["components"][0]
    assert qwen["requirements"]["request"] == {
        "NumberOfAcceleratorDevicesRequired": 1.0,
        "NumberOfCpuCoresRequired": 3.0,
        "MinMemoryRequiredInMb": 5120,
    }
    assert data["initial"]["instances_used"] == 1 and data["minimum"]["per_instance"] == [["llama"]]


@pytest.mark.parametrize("command", [["validate"], ["validate", "--json"], ["size", "--spec"], ["render"]])
def test_copies_that_cannot_be_placed_exit_2_with_the_numbers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    spec = write(tmp_path, too_many_copies())
    code, out, err = (
        run(capsys, *command[:1], *command[1:], str(spec))
        if command[0] != "size"
        else run(capsys, "size", "--spec", str(spec))
    )
    text = out + err
    assert code == 2 and "Traceback" not in text
    assert "2 needed" in text and "8 GPU(s)" in text


def test_placement_refusal_as_json_is_one_error_object(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "validate", str(write(tmp_path, too_many_copies())), "--json")
    payload = json.loads(out)
    assert code == 2 and payload["error"] == "spec_error" and payload["field"] == "scaling.max"
    assert payload["value"] == 1 and "recommend --spec" in payload["fix"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (endpoint(component("qwen", copies=6, scaling={"min": 0, "max": 4})), "components.0.copies"),
        (endpoint(instance={"type": "ml.g6e.12xlarge", "count": 3}, scaling={"min": 0, "max": 2}), "instance.count"),
        (endpoint(component("q" * 60)), "components.0.name"),
        (endpoint(component("qwen", adapters=[{"name": "a", "source": "s3://b/a/"}])), "components.0.adapters"),
        (
            endpoint(component("qwen", engine={"tensor_parallel_degree": 8})),
            "components.0.engine.tensor_parallel_degree",
        ),
    ],
)
@pytest.mark.parametrize("command", ["validate", "render"])
def test_spec_errors_exit_2_naming_the_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data: dict[str, Any], field: str, command: str
) -> None:
    code, out, _ = run(capsys, command, str(write(tmp_path, data)), "--json")
    payload = json.loads(out)
    assert code == 2 and payload["field"] == field and payload["fix"] and payload["exit_code"] == 2


def test_render_prints_each_components_serving_properties(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "render", str(EXAMPLE))
    assert code == 0
    assert "# component qwen (team-llms-qwen)" in out and "# component llama (team-llms-llama)" in out
    assert out.count("option.async_mode=true") == 2
    assert "option.model_id=Qwen/Qwen2.5-7B-Instruct" in out and f"option.model_id={LLAMA_8B}" in out


def test_render_out_writes_one_directory_per_component(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_dir = tmp_path / "rendered"
    code, out, _ = run(capsys, "render", str(EXAMPLE), "--out", str(out_dir))
    assert code == 0
    for name in ("qwen", "llama"):
        files = sorted(p.name for p in (out_dir / name).iterdir())
        assert files == ["compute-requirements.json", "environment.json", "serving.properties"]
        body = json.loads((out_dir / name / "compute-requirements.json").read_text())
        assert body["ComputeResourceRequirements"]["NumberOfAcceleratorDevicesRequired"] == 1.0
    placement = json.loads((out_dir / "placement.json").read_text())
    assert placement["initial"]["fits"] is True
    assert f"wrote {out_dir / 'qwen' / 'serving.properties'}" in out


def test_render_json_per_component(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "render", str(EXAMPLE), "--json")
    data = json.loads(out)
    assert code == 0 and set(data["components"]) == {"qwen", "llama"}
    qwen = data["components"]["qwen"]
    assert qwen["inference_component"] == "team-llms-qwen"
    assert qwen["properties"]["option.max_model_len"] == "8192"
    assert qwen["compute_resource_requirements"]["MinMemoryRequiredInMb"] == 5120


@pytest.mark.parametrize("delivery", ["properties", "env"])
def test_render_turns_lora_on_for_a_component_with_adapters(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, delivery: str
) -> None:
    adapters = [{"name": "sql", "source": "s3://bucket/lora/sql/"}]
    data = endpoint(
        component("qwen", adapters=adapters, lora={"max_loras": 2, "max_lora_rank": 32}),
        component("llama", LLAMA_8B),
        lmi={"version": 16},
        delivery=delivery,
    )
    code, out, _ = run(capsys, "render", str(write(tmp_path, data)), "--json")
    rendered = json.loads(out)["components"]
    assert code == 0
    qwen, llama = rendered["qwen"], rendered["llama"]
    assert qwen["properties"]["option.enable_lora"] == "true" and qwen["properties"]["option.max_lora_rank"] == "32"
    assert "option.enable_lora" not in llama["properties"]
    if delivery == "env":
        assert qwen["environment"]["OPTION_MAX_LORAS"] == "2"
    else:
        assert "option.max_loras=2" in qwen["serving_properties"]


def test_size_spec_json_per_component_and_placement(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "size", "--spec", str(EXAMPLE), "--json")
    data = json.loads(out)
    assert code == 0 and data["fits"] is True and data["instances_needed"] == 1
    qwen = data["components"][0]
    assert qwen["resolved"]["estimate"]["fits"] is True and qwen["resolved"]["tensor_parallel_degree"] == 1


def test_size_spec_text_shows_each_estimate_and_the_reasoning(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "size", "--spec", str(EXAMPLE))
    flat = " ".join(out.split())
    assert code == 0
    assert "component qwen (team-llms-qwen)" in flat and "KV cache tokens" in flat
    assert "memory=5,120 MiB" in flat and "instance 1: llama, qwen, qwen" in flat


def test_size_spec_of_a_single_model_spec_prints_its_estimate(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = {"name": "ep", "role": ISSUE_SPEC["role"], "model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"}}
    code, out, _ = run(capsys, "size", "--spec", str(write(tmp_path, data)), "--json")
    assert code == 0 and json.loads(out)["fits"] is True


@pytest.mark.parametrize(
    "args",
    [
        ["size", "Qwen/Qwen2.5-7B-Instruct", "--spec", "SPEC"],
        ["size", "--spec", "SPEC", "--instance", "ml.g5.xlarge"],
        ["size", "--spec", "SPEC", "--tp", "2"],
        ["size"],
        ["recommend", "Qwen/Qwen2.5-7B-Instruct", "--spec", "SPEC"],
        ["recommend", "--spec", "SPEC", "--max-model-len", "4096"],
        ["recommend"],
    ],
)
def test_spec_and_model_flags_are_exclusive(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, out, err = run(capsys, *[str(EXAMPLE) if a == "SPEC" else a for a in args])
    assert code == 2 and "Traceback" not in out + err
    assert "--spec" in out + err or "MODEL" in out + err


def test_recommend_spec_finds_the_cheapest_type_and_count(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "recommend", "--spec", str(EXAMPLE), "--json")
    data = json.loads(out)
    recs = data["recommendations"]
    assert code == 0 and recs
    totals = [r["total_per_hour"] for r in recs if r["total_per_hour"] is not None]
    assert totals == sorted(totals)
    best = recs[0]
    # hand-checked: each 7B/8B copy needs one 24 GB L4; three copies -> 3 x ml.g6.xlarge (1 GPU each)
    assert (best["instance_type"], best["instances"]) == ("ml.g6.xlarge", 3)
    price = catalog.get_instance("ml.g6.xlarge").price_per_hour
    assert price is not None and best["total_per_hour"] == pytest.approx(3 * price)
    assert best["initial"]["fits"] and sorted(n for names in best["initial"]["per_instance"] for n in names) == [
        "llama",
        "qwen",
        "qwen",
    ]
    g6e = next(r for r in recs if r["instance_type"] == "ml.g6e.12xlarge")
    assert g6e["instances"] == 1
    assert "ml.g4dn.xlarge" in data["skipped"]  # a T4 (15 GB) holds neither model


def test_recommend_spec_counts_more_instances_for_wide_copies(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = too_many_copies()  # tp=2 is set: each copy needs 2 GPUs wherever it runs
    code, out, _ = run(capsys, "recommend", "--spec", str(write(tmp_path, data)), "--json")
    recs = {r["instance_type"]: r for r in json.loads(out)["recommendations"]}
    assert code == 0
    assert recs["ml.g6e.12xlarge"]["instances"] == 2  # 8 GPUs on 4-GPU instances
    assert recs["ml.g6e.48xlarge"]["instances"] == 1  # 8 GPUs on one 8-GPU instance
    assert "ml.g6e.2xlarge" not in recs  # one GPU: a tp=2 copy never fits


def test_recommend_spec_text_shows_the_table_and_placement(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "recommend", "--spec", str(EXAMPLE))
    flat = " ".join(out.split())
    assert code == 0 and "cheapest: 3 x ml.g6.xlarge" in flat and "instance 3:" in flat


def test_recommend_spec_of_a_single_model_spec_points_at_recommend_model(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = {"name": "ep", "role": ISSUE_SPEC["role"], "model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"}}
    code, _, err = run(capsys, "recommend", "--spec", str(write(tmp_path, data)))
    assert code == 2 and "lmi recommend Qwen/Qwen2.5-0.5B-Instruct" in err


def test_iam_policy_takes_a_component_spec(capsys: pytest.CaptureFixture[str]) -> None:
    """More in tests/cli/test_iam_components_cli.py (plan/deploy/destroy: tests/functional/test_component_deploy.py)."""
    code, out, err = run(capsys, "iam-policy", str(EXAMPLE), "--json")
    assert code == 0 and "Traceback" not in out + err
    assert "ManageInferenceComponents" in {s["Sid"] for s in json.loads(out)["deployer"]["Statement"]}


def test_schema_components_documents_the_component_fields(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema", "--components")
    schema = json.loads(out)
    assert code == 0 and "components" in schema["properties"] and "model" not in schema["properties"]
    assert {"copies", "scaling", "adapters", "lora"} <= set(schema["$defs"]["ComponentSpec"]["properties"])
    assert out == (REPO / "schema" / "lmi-deploy-components.schema.json").read_text()


def test_init_components_writes_a_spec_that_validates(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    code, _, _ = run(capsys, "init", str(path), "--components", "--name", "team")
    assert code == 0 and "components:" in path.read_text()
    code, out, _ = run(capsys, "validate", str(path), "--json")
    assert code == 0 and json.loads(out)["instance_type"] == "ml.g6e.12xlarge"


def test_size_spec_json_of_copies_that_do_not_fit_is_one_document(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "size", "--spec", str(write(tmp_path, too_many_copies())), "--json")
    data = json.loads(out)  # exactly one JSON document
    assert code == 2 and data["fits"] is False and data["instances_needed"] == 2
    assert "8 GPU(s)" in data["problems"][0]


def test_python_api_sizes_and_recommends_component_specs() -> None:
    import deploy

    fit = deploy.size_components(EXAMPLE)
    assert fit.fits and fit.initial.instances_used == 1
    ranking = deploy.recommend_components(str(EXAMPLE))
    assert ranking.recommendations[0].instance_type == "ml.g6.xlarge"
    assert isinstance(deploy.load_any_spec(EXAMPLE), deploy.ComponentEndpointSpec)
    with pytest.raises(deploy.UsageError):
        deploy.Client().resolve(EXAMPLE)
