"""IC names are unique per account and region: a component whose IC name another endpoint already holds is refused
by `lmi plan` (before anything is created), whether lmi-deploy or someone else made that IC, for components and
adapters alike; on the embedded emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

try:
    from tests.functional.conftest_engine import FAST_WAITER, count_calls
    from tests.unit.component_plan_helpers import document, with_component
except ImportError:  # rootdir not on sys.path: the test directory is
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
    from component_plan_helpers import document, with_component  # type: ignore[no-redef]
    from conftest_engine import FAST_WAITER, count_calls  # type: ignore[no-redef]

from deploy import client
from deploy.errors import ForeignResourceError, PlanError
from deploy.local.component_helpers import create_adapter, create_component, create_component_endpoint, create_lmi_model
from deploy.local.testing import lmi_emulator

__all__ = ["lmi_emulator"]
WAIT = {"waiter": FAST_WAITER}
ADAPTER = {"name": "sql", "source": "s3://adapters-bucket/lora/sql/"}


def small(name: str, component: str, lmi: dict[str, int] | None = None, **extra: Any) -> dict[str, Any]:
    """One small component on one ml.g6e.12xlarge (no scaling); ``extra`` goes into the component."""
    data = document(name=name, scaling=None, **({"lmi": lmi} if lmi else {}))
    data["components"] = [{"name": component, "model": {"id": "Qwen/Qwen2.5-1.5B-Instruct"}, "copies": 1, **extra}]
    return data


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def deploy(ctx: Any, tmp_path: Path, data: dict[str, Any]) -> None:
    result = client.apply(write(tmp_path, data), context=ctx, create_bucket=True, **WAIT)
    assert result.status == "InService"


def endpoints(ctx: Any) -> list[str]:
    return sorted(e["EndpointName"] for e in ctx.client("sagemaker").list_endpoints()["Endpoints"])


# (what is already deployed, the spec planned next, the clashing IC name, the endpoint holding it)
CLASHES = [
    (small("team", "llms-qwen"), small("team-llms", "qwen"), "team-llms-qwen", "team"),
    (small("a", "b-c"), small("a-b", "c"), "a-b-c", "a"),
    (small("a-b", "c"), small("a", "b-c"), "a-b-c", "a-b"),
]


@pytest.mark.parametrize(("first", "second", "taken", "holder"), CLASHES)
def test_a_component_name_held_by_another_lmi_endpoint_is_refused_at_plan(
    lmi_emulator: Any, tmp_path: Path, first: dict[str, Any], second: dict[str, Any], taken: str, holder: str
) -> None:
    ctx = lmi_emulator.context()
    deploy(ctx, tmp_path, first)
    before = endpoints(ctx)
    counter = count_calls(ctx)
    with pytest.raises(PlanError) as info:
        client.plan(write(tmp_path, second), context=ctx)
    err = info.value
    assert taken in err.message and f"on endpoint {holder}" in err.message
    assert err.field == "components[].name" and err.value == taken and err.fix and "rename" in err.fix
    assert counter.mutating == [] and endpoints(ctx) == before
    with pytest.raises(PlanError):  # apply plans first: nothing is created either
        client.apply(write(tmp_path, second), context=ctx, create_bucket=True, **WAIT)
    assert counter.mutating == [] and endpoints(ctx) == before


def hand_made_endpoint(ctx: Any, endpoint: str, components: list[str], adapters: dict[str, str]) -> None:
    """An endpoint with ICs created without lmi-deploy (no tags); ``adapters``: adapter IC -> its base IC."""
    create_component_endpoint(ctx, endpoint)
    create_lmi_model(ctx, f"{endpoint}-model", OPTION_ENABLE_LORA="true", OPTION_MAX_LORAS="4")
    for name in components:
        create_component(ctx, name, endpoint, f"{endpoint}-model", copies=1)
    for name, base in adapters.items():
        create_adapter(ctx, name, endpoint, base, "s3://adapters-bucket/lora/x/")


# (hand-made ICs on endpoint "other": components, adapters; the spec planned; the IC name it clashes on)
HAND_MADE = [
    (["team-llms-qwen"], {}, small("team-llms", "qwen"), "team-llms-qwen"),
    (["base"], {"team-llms-small": "base"}, small("team-llms", "small"), "team-llms-small"),
    (["ep-base-sql"], {}, small("ep", "base", lmi={"version": 16}, adapters=[ADAPTER]), "ep-base-sql"),
    (["b"], {"ep-base-sql": "b"}, small("ep", "base", lmi={"version": 16}, adapters=[ADAPTER]), "ep-base-sql"),
    (["ep-base", "x"], {}, small("ep", "base"), "ep-base"),
]


@pytest.mark.parametrize(("components", "adapters", "spec", "taken"), HAND_MADE)
def test_a_hand_made_ic_or_adapter_on_another_endpoint_is_refused_too(
    lmi_emulator: Any,
    tmp_path: Path,
    components: list[str],
    adapters: dict[str, str],
    spec: dict[str, Any],
    taken: str,
) -> None:
    ctx = lmi_emulator.context()
    hand_made_endpoint(ctx, "other", components, adapters)
    counter = count_calls(ctx)
    with pytest.raises(PlanError) as info:
        client.plan(write(tmp_path, spec), context=ctx)
    assert f"{taken} (on endpoint other)" in info.value.message and info.value.value == taken
    assert counter.mutating == [] and endpoints(ctx) == ["other"]


def test_free_names_cost_one_describe_each_and_none_after_apply(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    data = with_component(document(scaling=None), 0, scaling=None)
    spec = write(tmp_path, data)
    counter = count_calls(ctx)
    client.plan(spec, context=ctx)
    assert counter.calls.count("DescribeInferenceComponent") == 2  # team-llms-qwen, team-llms-small: both free
    client.apply(spec, context=ctx, create_bucket=True, **WAIT)
    counter = count_calls(ctx)
    assert client.plan(spec, context=ctx).actions == ()
    described = counter.calls.count("DescribeInferenceComponent")
    assert described == 2  # observe reads its own two ICs; no look-up for names already on the endpoint


@pytest.fixture
def emulated(lmi_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", lmi_emulator.endpoint_url)
    yield


@pytest.mark.usefixtures("emulated")
@pytest.mark.parametrize("as_json", [False, True])
def test_lmi_plan_exits_2_as_other_ownership_refusals_with_no_traceback(
    lmi_emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], as_json: bool
) -> None:
    from deploy.cli import main

    deploy(lmi_emulator.context(), tmp_path, small("team", "llms-qwen"))
    args = ["plan", str(write(tmp_path, small("team-llms", "qwen")))] + (["--json"] if as_json else [])
    with pytest.raises(SystemExit) as info:
        main(args)
    out, err = capsys.readouterr()
    assert int(info.value.code or 0) == ForeignResourceError.exit_code == 2 and "Traceback" not in out + err
    if as_json:
        error = json.loads(out)
        assert error["value"] == "team-llms-qwen" and "on endpoint team" in error["message"]
    else:
        assert "team-llms-qwen (on endpoint team)" in err and "rename the component" in err


# ---- lmi destroy on an endpoint that also hosts ICs lmi-deploy did not create ------------------------------------


def inventory(ctx: Any) -> dict[str, list[str]]:
    """Everything that could be left behind: endpoints, configs, models, ICs, scalable targets, alarms."""
    sm = ctx.client("sagemaker")
    targets = ctx.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="sagemaker")
    return {
        "endpoints": endpoints(ctx),
        "configs": sorted(c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]),
        "models": sorted(m["ModelName"] for m in sm.list_models()["Models"]),
        "ics": sorted(c["InferenceComponentName"] for c in sm.list_inference_components()["InferenceComponents"]),
        "targets": sorted(t["ResourceId"] for t in targets["ScalableTargets"]),
        "alarms": sorted(a["AlarmName"] for a in ctx.client("cloudwatch").describe_alarms()["MetricAlarms"]),
    }


def foreign_ics(ctx: Any, endpoint: str, kind: str) -> list[str]:
    """Put ICs lmi-deploy did not create on ``endpoint``: one, two, or an adapter on lmi-deploy's base IC."""
    if kind == "adapter":
        create_adapter(ctx, f"{endpoint}-theirs", endpoint, f"{endpoint}-qwen", "s3://adapters-bucket/lora/theirs/")
        return [f"{endpoint}-theirs"]
    create_lmi_model(ctx, "hand-made-model", "Qwen/Qwen2.5-0.5B-Instruct")
    names = ["by-hand"] if kind == "one" else ["by-hand", "by-hand-2"]
    for name in names:
        create_component(ctx, name, endpoint, "hand-made-model", copies=1)
    return names


def lora_spec() -> dict[str, Any]:
    """The issue's two components (qwen autoscaled to zero) on LMI 16, qwen with one adapter of ours."""
    data = document(lmi={"version": 16})
    data["components"][0]["adapters"] = [ADAPTER]
    return data


@pytest.mark.usefixtures("emulated")
@pytest.mark.parametrize("kind", ["one", "two", "adapter"])
@pytest.mark.parametrize("by", ["name", "spec"])
def test_destroy_with_foreign_ics_refuses_deleting_nothing_then_converges(
    lmi_emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, by: str
) -> None:
    from deploy.cli import main

    ctx = lmi_emulator.context()
    data = lora_spec()
    deploy(ctx, tmp_path, data)
    theirs = foreign_ics(ctx, "team-llms", kind)
    before = inventory(ctx)
    target = "team-llms" if by == "name" else str(write(tmp_path, data))
    counter = count_calls(ctx)
    with pytest.raises(SystemExit) as info:
        main(["destroy", target, "--yes", "--json"])
    out, err = capsys.readouterr()
    assert int(info.value.code or 0) == 2 and "Traceback" not in out + err
    error = json.loads(out.splitlines()[-1])
    assert error["exit_code"] == 2 and error["value"] == "team-llms"
    assert all(name in error["message"] for name in theirs) and "nothing was deleted" in error["message"]
    assert all(f"--inference-component-name {name}" in error["fix"] for name in theirs)
    assert counter.mutating == [] and inventory(ctx) == before  # nothing deleted, nothing of theirs touched

    sm = ctx.client("sagemaker")
    for name in theirs:  # the fix: the user removes them, then destroy again
        sm.delete_inference_component(InferenceComponentName=name)
    with pytest.raises(SystemExit) as info:
        main(["destroy", target, "--yes", "--json"])
    out, err = capsys.readouterr()
    assert int(info.value.code or 0) == 0, out + err
    left = inventory(ctx)
    assert left["endpoints"] == left["configs"] == left["ics"] == left["targets"] == left["alarms"] == []
    assert left["models"] == (["hand-made-model"] if kind != "adapter" else [])  # theirs stays; ours are gone


def test_client_destroy_raises_the_foreign_resource_error(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    deploy(ctx, tmp_path, small("solo", "base"))
    foreign_ics(ctx, "solo", "one")
    with pytest.raises(ForeignResourceError) as info:
        client.destroy("solo", context=ctx, waiter=FAST_WAITER)
    assert info.value.exit_code == 2 and "by-hand" in info.value.message
    assert endpoints(ctx) == ["solo"]
