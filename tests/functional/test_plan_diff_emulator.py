"""The field-level diff and the bill of ``lmi plan`` against the embedded emulator: deploy a spec, change one kind
of field, plan, and compare the exact ``diff`` entries (old -> new); secrets masked, a token never printed.

One emulator serves the whole module (moto's state is process-wide, so no other emulator may start meanwhile):
the example is deployed once and most tests only plan against it; the others deploy endpoints of their own names."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

try:
    from tests.functional.conftest_engine import FAST_WAITER
except ImportError:  # rootdir not on sys.path: the test directory is
    from conftest_engine import FAST_WAITER  # type: ignore[no-redef]

from deploy import client
from deploy.local.emulator import Emulator

REPO = Path(__file__).resolve().parents[2]
BASE = yaml.safe_load((REPO / "examples" / "qwen25-7b.yaml").read_text())
IMAGE_16 = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.33.0-lmi16.0.0-cu128"
TARGET = "endpoint/qwen25-7b/variant/AllTraffic"


def write_spec(tmp_path: Path, name: str, changes: dict[str, Any]) -> Path:
    data = json.loads(json.dumps(BASE))
    for dotted, value in changes.items():
        *parents, leaf = dotted.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def entries(ctx: Any, spec: Path) -> set[tuple[str, Any, Any]]:
    """(field, old, new) of every diff entry of the plan (the resource is checked separately)."""
    return {
        (d["field"], _hashable(d["old"]), _hashable(d["new"])) for d in client.plan(spec, context=ctx).to_dict()["diff"]
    }


def _hashable(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One emulator with the example deployed, shared: the tests that use it only plan (read-only)."""
    with Emulator(time_scale=0, latency="off") as emulator:
        ctx = emulator.context()
        spec = write_spec(tmp_path_factory.mktemp("base"), "base", {})
        client.apply(spec, context=ctx, create_bucket=True, waiter=FAST_WAITER)
        yield ctx


CASES = {
    "instance type": (
        {"instance.type": "ml.g6e.4xlarge"},
        {("instance_type", "ml.g6e.2xlarge", "ml.g6e.4xlarge")},
    ),
    "instance count": (
        {"instance.count": 2, "scaling": None},
        {("instance_count", 1, 2), ("scaling.min", 1, None), ("scaling.max", 4, None)},
    ),
    "image": ({"lmi.image": IMAGE_16}, {("image", None, IMAGE_16)}),
    "one option": ({"engine.max_model_len": 8192}, {("option.max_model_len", "32768", "8192")}),
    "two options": (
        {"engine.gpu_memory_utilization": 0.85, "engine.dtype": "bf16"},
        {
            ("option.gpu_memory_utilization", "0.9", "0.85"),
            ("option.dtype", None, "bf16"),
            ("option.max_rolling_batch_size", "216", "200"),  # auto: less memory, fewer sequences fit
        },
    ),
    "env key added": ({"engine.env": {"VLLM_LOGGING_LEVEL": "DEBUG"}}, {("env.VLLM_LOGGING_LEVEL", None, "DEBUG")}),
    "timeouts": (
        {"instance.startup_health_check_timeout_s": 900, "instance.model_data_download_timeout_s": 600},
        {
            ("startup_health_check_timeout_s", 1800, 900),
            ("model_data_download_timeout_s", 1800, 600),
            ("option.model_loading_timeout", "1800", "900"),  # LMI's own load timeout follows the startup one
        },
    ),
    "scaling max": ({"scaling.max": 6}, {("scaling.max", 4, 6)}),
    "scaling min with count": (
        {"scaling.min": 2, "instance.count": 2},
        {("scaling.min", 1, 2), ("instance_count", 1, 2)},
    ),
    "scaling metric and target": (
        {"scaling.metric": "concurrent_requests", "scaling.target": 4},
        {
            ("scaling.metric", "SageMakerVariantInvocationsPerInstance",
             "SageMakerVariantConcurrentRequestsPerModelHighResolution"),
            ("scaling.target", 10.0, 4.0),
        },
    ),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_changed_field_kind_is_listed_old_to_new(deployed: Any, tmp_path: Path, kind: str) -> None:
    changes, expected = CASES[kind]
    got = entries(deployed, write_spec(tmp_path, "changed", changes))
    if kind == "image":  # the old image is the regional default of LMI 15
        (old_image,) = [old for field, old, _ in got if field == "image"]
        assert old_image.endswith("djl-inference:0.33.0-lmi15.0.0-cu128")
        expected = {("image", old_image, IMAGE_16)}
    assert got == expected


def test_an_unchanged_spec_has_no_diff_and_the_same_cost(deployed: Any, tmp_path: Path) -> None:
    result = client.plan(write_spec(tmp_path, "same", {}), context=deployed).to_dict()
    assert result["actions"] == [] and result["diff"] == []
    cost = result["cost"]
    assert cost["before"] == cost["after"] and cost["change_per_month"] == 0.0


def test_each_entry_names_the_action_it_belongs_to(deployed: Any, tmp_path: Path) -> None:
    spec = write_spec(
        tmp_path, "mixed", {"instance.type": "ml.g6e.4xlarge", "engine.max_model_len": 8192, "scaling.max": 2}
    )
    data = client.plan(spec, context=deployed).to_dict()
    by_field = {d["field"]: d["resource"] for d in data["diff"]}
    creates = {a["type"]: a["resource"] for a in data["actions"] if a["type"].startswith(("Create", "Register"))}
    assert by_field["option.max_model_len"] == creates["CreateModel"]
    assert by_field["instance_type"] == creates["CreateEndpointConfig"]
    assert by_field["scaling.max"] == creates["RegisterScalableTarget"] == TARGET


def test_env_delivery_reads_the_old_options_from_the_model_environment(deployed: Any, tmp_path: Path) -> None:
    ctx, name = deployed, {"name": "qwen-env"}  # an endpoint of its own beside the shared one
    env = {**name, "delivery": "env"}
    client.apply(write_spec(tmp_path, "env", env), context=ctx, create_bucket=True, waiter=FAST_WAITER)
    got = entries(ctx, write_spec(tmp_path, "env2", {**env, "engine.max_model_len": 4096}))
    assert got == {("option.max_model_len", "32768", "4096")}
    # switching the delivery moves the options into serving.properties: the container reads the same values
    got = entries(ctx, write_spec(tmp_path, "props", name))
    assert {field for field, _, _ in got} == {"model_data"}


def test_a_first_deploy_lists_every_field_as_new_and_costs_from_nothing(deployed: Any, tmp_path: Path) -> None:
    data = client.plan(write_spec(tmp_path, "new", {"name": "qwen-new"}), context=deployed).to_dict()
    fields = {d["field"]: d for d in data["diff"]}
    assert fields["instance_type"]["old"] is None and fields["instance_type"]["new"] == "ml.g6e.2xlarge"
    assert fields["option.model_id"]["new"] == "Qwen/Qwen2.5-7B-Instruct"
    assert all(d["old"] is None for d in data["diff"])
    assert data["cost"]["before"]["usd_per_hour"] == 0.0 and data["cost"]["before"]["instance_type"] is None


TOKENS = ["hf_" + "a" * 34, "hf_" + "Zy9" * 12, "hf_" + "0123456789abcdef" * 2 + "xy"]


def test_a_rotated_token_is_a_masked_change_and_never_printed(
    deployed: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = deployed
    spec = write_spec(tmp_path, "secret", {"name": "qwen-secret", "model.hf_token": "env:HF_TOKEN"})
    monkeypatch.setenv("HF_TOKEN", TOKENS[0])
    client.apply(spec, context=ctx, create_bucket=True, waiter=FAST_WAITER)
    assert client.plan(spec, context=ctx).to_dict()["diff"] == []  # the same token: no change
    for rotated in [*TOKENS[1:], TOKENS[0][:-4] + "WXYZ"]:  # other tokens, and one that differs at the end only
        monkeypatch.setenv("HF_TOKEN", rotated)
        data = client.plan(spec, context=ctx).to_dict()
        assert [(d["field"], d["old"], d["new"]) for d in data["diff"]] == [
            ("env.HF_TOKEN", "****", "**** (changed, env:HF_TOKEN)")
        ]
        text = json.dumps(data)
        assert all(token not in text and token[3:20] not in text for token in [*TOKENS, rotated])


def test_plan_cli_shows_the_diff_under_actions_and_the_bill(deployed: Any, tmp_path: Path) -> None:
    from deploy.cli.plan_view import cost_lines

    spec = write_spec(tmp_path, "bigger", {"instance.type": "ml.g6e.4xlarge"})
    data = client.plan(spec, context=deployed).to_dict()
    lines = cost_lines(data["cost"])
    assert lines[0] == "cost before: 1-4 x ml.g6e.2xlarge, $2.80/h to $11.20/h ($2,044.00 to $8,176.00/month)"
    assert lines[1] == "cost after:  1-4 x ml.g6e.4xlarge, $3.76/h to $15.04/h ($2,744.80 to $10,979.20/month)"
    assert lines[2] == "change per month (730 h): +$700.80 at minimum, +$2,803.20 at maximum capacity"


def test_plan_command_prints_the_review_as_text_markdown_and_json(
    deployed: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from deploy.cli import main

    monkeypatch.setenv("AWS_ENDPOINT_URL", str(deployed.endpoint_url))
    monkeypatch.setenv("COLUMNS", "160")
    spec = str(write_spec(tmp_path, "cli", {"engine.max_model_len": 8192}))
    outputs = {}
    for fmt in ("table", "markdown", "json", "yaml"):
        with pytest.raises(SystemExit) as done:
            main(["plan", spec, "--format", fmt])
        captured = capsys.readouterr()
        outputs[fmt] = (done.value.code or 0, captured.out, captured.err)
    assert outputs["table"][0] == 0 and "option.max_model_len: 32768 → 8192" in outputs["table"][1]
    assert "cost before: 1-4 x ml.g6e.2xlarge" in outputs["table"][1]
    assert "  - `option.max_model_len: 32768 → 8192`" in outputs["markdown"][1].splitlines()
    diff = json.loads(outputs["json"][1])["diff"]
    assert [(d["field"], d["old"], d["new"]) for d in diff] == [("option.max_model_len", "32768", "8192")]
    assert outputs["yaml"][0] == 2 and "--format" in outputs["yaml"][2]


def test_a_destroy_plan_shows_what_stops_being_paid(deployed: Any, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "gone", {"name": "qwen-gone", "scaling.max": 3})
    client.apply(spec, context=deployed, create_bucket=True, waiter=FAST_WAITER)
    cost = client.destroy_plan("qwen-gone", context=deployed).to_dict()["cost"]
    assert (cost["before"]["usd_per_hour"], cost["before"]["usd_per_hour_max"]) == (2.8, 8.4)  # 1..3 x $2.80
    assert cost["after"]["instance_type"] is None and cost["after"]["usd_per_hour"] == 0.0
    assert (cost["change_per_month"], cost["change_per_month_max"]) == (-2044.0, -6132.0)  # 730 h x 2.80 x 1, x 3
    assert (cost["saved_per_hour"], cost["saved_per_hour_max"]) == (2.8, 8.4)
    from deploy.cli.plan_view import cost_lines

    assert cost_lines(cost)[3:4] == ["saved: $2.80/h to $8.40/h once it is deleted"]  # no "$/M: unknown -> unknown"
    assert client.destroy_plan("never-deployed", context=deployed).to_dict()["cost"]["change_per_month"] == 0.0


def test_a_new_model_that_already_exists_has_its_changes_under_the_update_not_the_delete(
    deployed: Any, tmp_path: Path
) -> None:
    # A model left by an earlier run that stopped after CreateModel: the plan skips CreateModel, and the option
    # change used to be printed under the DeleteModel of the model it replaces (the last action).
    from deploy.cli.plan_view import changes_by_action

    spec = write_spec(tmp_path, "existing-model", {"engine.max_model_len": 12288})
    request = client.plan(spec, context=deployed).desired.model_request
    deployed.client("sagemaker").create_model(**request)
    try:
        data = client.plan(spec, context=deployed).to_dict()
    finally:  # the shared endpoint's other plans must not see a leftover model
        deployed.client("sagemaker").delete_model(ModelName=request["ModelName"])
    assert "CreateModel" not in [a["type"] for a in data["actions"]]
    groups = zip(data["actions"], changes_by_action(data), strict=True)
    placed = {a["type"]: [c["field"] for c in group] for a, group in groups}
    assert placed["UpdateEndpoint"] == ["option.max_model_len"] and placed["DeleteModel"] == []
