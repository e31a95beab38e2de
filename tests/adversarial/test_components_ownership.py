"""Inference-component names that someone else holds, on the embedded emulator.

IC names are unique per account and region, not per endpoint. Before the fix, a deploy whose IC name was taken
(by an IC made with boto3 on the same endpoint, or by another endpoint's component: ``team`` + ``llms-qwen`` and
``team-llms`` + ``qwen`` are both ``team-llms-qwen``) took SageMaker's "already exists" for a crashed run's
create, said ``done CreateInferenceComponent``, waited on the other IC and then reported a rolled-back update of
it. Now the plan refuses a name held by a foreign IC on the endpoint, and apply refuses an "already exists" that is
not ours; the other IC is never changed. A name another endpoint holds is refused by the plan too (observe looks
each new IC name up), so nothing of the second endpoint is created. Two deploys of one spec at once (where
"already exists" *is* ours) still both succeed, with one set of resources.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

try:
    from tests.functional.conftest_engine import FAST_WAITER
    from tests.unit.component_plan_helpers import document
except ImportError:  # rootdir not on sys.path: the test directory is
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "functional"))
    from component_plan_helpers import document  # type: ignore[no-redef]
    from conftest_engine import FAST_WAITER  # type: ignore[no-redef]

from deploy import client
from deploy.errors import LmiError
from deploy.local.testing import lmi_emulator

__all__ = ["lmi_emulator"]


def small(name: str, component: str) -> dict[str, Any]:
    """One small component without scaling: quick to place and to create."""
    data = document(name=name, scaling=None)
    data["components"] = [{"name": component, "model": {"id": "Qwen/Qwen2.5-1.5B-Instruct"}, "copies": 1}]
    return data


def apply(ctx: Any, tmp_path: Path, data: dict[str, Any], file: str = "spec.yaml") -> Any:
    path = tmp_path / file
    path.write_text(yaml.safe_dump(data))
    return client.apply(path, context=ctx, create_bucket=True, waiter=FAST_WAITER)


def by_hand(ctx: Any, endpoint: str, name: str, model: str) -> None:
    """An IC made directly with boto3 (no lmi-deploy tags), on a model lmi-deploy already made."""
    ctx.client("sagemaker").create_inference_component(
        InferenceComponentName=name, EndpointName=endpoint, VariantName="AllTraffic",
        Specification={"ModelName": model, "ComputeResourceRequirements": {
            "NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 1024}},
        RuntimeConfig={"CopyCount": 1},
    )  # fmt: skip


def model_of(ctx: Any, ic_name: str) -> str:
    return str(ctx.client("sagemaker").describe_inference_component(InferenceComponentName=ic_name)["Specification"]
               ["ModelName"])  # fmt: skip


@pytest.mark.parametrize("taken", ["extra", "Extra-2"])
def test_a_name_held_by_a_hand_made_ic_on_the_endpoint_is_refused_at_plan(
    lmi_emulator: Any, tmp_path: Path, taken: str
) -> None:
    ctx = lmi_emulator.context()
    data = small("team-own", "base")
    apply(ctx, tmp_path, data)
    mine = model_of(ctx, "team-own-base")
    by_hand(ctx, "team-own", f"team-own-{taken}", mine)
    wanted = copy.deepcopy(data)
    wanted["components"].append({"name": taken, "model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"}})
    path = tmp_path / "more.yaml"
    path.write_text(yaml.safe_dump(wanted))
    with pytest.raises(LmiError) as raised:
        client.plan(path, context=ctx)
    error = raised.value.to_dict()
    assert error["value"] == f"team-own-{taken}" and "not created by lmi-deploy" in error["message"]
    assert "rename the component" in error["fix"]
    assert model_of(ctx, f"team-own-{taken}") == mine  # untouched


@pytest.mark.parametrize(("first", "second"), [(("team-llms", "qwen"), ("team", "llms-qwen")),
                                               (("a-b-c", "d"), ("a", "b-c-d"))])  # fmt: skip
def test_an_ic_name_held_by_another_endpoint_is_refused_before_anything_is_created(
    lmi_emulator: Any, tmp_path: Path, first: tuple[str, str], second: tuple[str, str]
) -> None:
    ctx = lmi_emulator.context()
    ic_name = f"{first[0]}-{first[1]}"
    assert ic_name == f"{second[0]}-{second[1]}"
    apply(ctx, tmp_path, small(*first), "first.yaml")
    theirs = model_of(ctx, ic_name)
    with pytest.raises(LmiError) as raised:
        apply(ctx, tmp_path, small(*second), "second.yaml")
    error = raised.value.to_dict()
    assert error["value"] == ic_name and f"on endpoint {first[0]}" in error["message"], error
    assert "rename the component" in error["fix"]
    described = ctx.client("sagemaker").describe_inference_component(InferenceComponentName=ic_name)
    assert described["EndpointName"] == first[0] and model_of(ctx, ic_name) == theirs
    client.destroy(second[0], context=ctx, waiter=FAST_WAITER)  # the second endpoint goes; the IC stays
    assert model_of(ctx, ic_name) == theirs


def test_two_deploys_of_one_spec_at_once_converge_on_one_set_of_resources(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    data = small("team-race", "base")
    results: list[Any] = []
    errors: list[BaseException] = []

    def one(index: int) -> None:
        try:
            results.append(apply(ctx, tmp_path, data, f"race-{index}.yaml"))
        except BaseException as exc:  # collected: the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert errors == [] and [r.status for r in results] == ["InService", "InService"]
    sm = ctx.client("sagemaker")
    ics = sm.list_inference_components(EndpointNameEquals="team-race")["InferenceComponents"]
    assert [i["InferenceComponentName"] for i in ics] == ["team-race-base"]
    models = [m["ModelName"] for m in sm.list_models(NameContains="team-race")["Models"]]
    assert len(models) == 1, models
    path = tmp_path / "race-0.yaml"
    assert client.plan(path, context=ctx).is_empty
