"""Placement of inference-component copies on the emulator: accelerators, vCPUs and host memory per instance,
pending copies, managed instance scaling up to MaxInstanceCount and down to MinInstanceCount (0 allowed), the
refusal of a copy larger than an instance, and the cold start of an instance launched for a copy."""

from __future__ import annotations

import time
from typing import Any

import pytest

from deploy.local import Emulator
from deploy.local.component_helpers import create_component, create_component_endpoint, create_lmi_model
from deploy.local.testing import lmi_emulator

__all__ = ["lmi_emulator"]
GIB = 1024  # MB
G6E_12X = {"gpus": 4, "vcpus": 48, "memory_mb": 384 * GIB}  # deploy/catalog: 4x L40S, 48 vCPU, 384 GiB


def _copies(ctx: Any, name: str) -> tuple[int, int]:
    runtime = ctx.client("sagemaker").describe_inference_component(InferenceComponentName=name)["RuntimeConfig"]
    return runtime["DesiredCopyCount"], runtime["CurrentCopyCount"]


def _instances(ctx: Any, endpoint: str) -> tuple[int, int]:
    variant = ctx.client("sagemaker").describe_endpoint(EndpointName=endpoint)["ProductionVariants"][0]
    return variant["DesiredInstanceCount"], variant["CurrentInstanceCount"]


def _runtime_copies(ctx: Any, name: str, copies: int) -> None:
    ctx.client("sagemaker").update_inference_component_runtime_config(
        InferenceComponentName=name, DesiredRuntimeConfig={"CopyCount": copies}
    )


@pytest.fixture
def ctx(lmi_emulator: Any) -> Any:
    context = lmi_emulator.context()
    create_lmi_model(context, "qwen")
    return context


def test_copies_that_do_not_fit_stay_pending_until_room_frees(ctx: Any) -> None:
    create_component_endpoint(ctx, "fixed", min_count=None, max_count=None)  # no managed scaling: 1 instance
    create_component(ctx, "big", "fixed", "qwen", copies=2, gpus=2)
    create_component(ctx, "small", "fixed", "qwen", copies=1, gpus=1)
    assert _copies(ctx, "big") == (2, 2)
    assert _copies(ctx, "small") == (1, 0)  # the 4 GPUs are taken
    sm = ctx.client("sagemaker")
    assert sm.describe_inference_component(InferenceComponentName="small")["InferenceComponentStatus"] == "InService"
    _runtime_copies(ctx, "big", 1)
    assert _copies(ctx, "small") == (1, 1)
    assert _instances(ctx, "fixed") == (1, 1)


@pytest.mark.parametrize(
    ("need", "copies", "placed"),
    [
        ({"gpus": 1, "memory_mb": 200 * GIB}, 3, 1),  # host memory: 384 GiB holds one 200 GiB copy
        ({"gpus": 1, "memory_mb": 1024, "cpus": 30}, 3, 1),  # vCPUs: 48 hold one 30-core copy
        ({"gpus": 1, "memory_mb": 1024, "cpus": 12}, 5, 4),  # 4 x 12 cores = 48, then the GPUs are full too
    ],
    ids=["memory", "cpu", "cpu-and-gpu"],
)
def test_each_resource_limits_copies_per_instance(ctx: Any, need: dict[str, Any], copies: int, placed: int) -> None:
    create_component_endpoint(ctx, "fixed", min_count=None, max_count=None)
    create_component(ctx, "ic", "fixed", "qwen", copies=copies, **need)
    assert _copies(ctx, "ic") == (copies, placed)


def test_a_copy_never_spans_instances(ctx: Any) -> None:
    create_lmi_model(ctx, "qwen-tp1", OPTION_TENSOR_PARALLEL_DEGREE="1")
    create_component_endpoint(ctx, "pair", count=2, min_count=None, max_count=None)
    create_component(ctx, "ic", "pair", "qwen-tp1", copies=3, gpus=3)
    assert _copies(ctx, "ic") == (3, 2)  # one 3-GPU copy per instance; the two GPUs left over are 1 + 1


def test_managed_scaling_launches_up_to_the_maximum_and_releases_down_to_the_minimum(ctx: Any) -> None:
    create_component_endpoint(ctx, "elastic", count=1, min_count=0, max_count=3)
    create_component(ctx, "ic", "elastic", "qwen", copies=6, gpus=1)
    assert _copies(ctx, "ic") == (6, 6)
    assert _instances(ctx, "elastic") == (2, 2)
    _runtime_copies(ctx, "ic", 14)
    assert _copies(ctx, "ic") == (14, 12)  # 3 instances x 4 GPUs; two copies pending at MaxInstanceCount
    assert _instances(ctx, "elastic") == (3, 3)
    _runtime_copies(ctx, "ic", 3)
    assert _instances(ctx, "elastic") == (1, 1)  # copies removed from the emptiest instances, which are released
    _runtime_copies(ctx, "ic", 0)
    assert _copies(ctx, "ic") == (0, 0)
    assert _instances(ctx, "elastic") == (0, 0)  # MinInstanceCount 0: nothing runs, nothing is billed


def test_minimum_instance_count_is_kept(ctx: Any) -> None:
    create_component_endpoint(ctx, "floor", count=1, min_count=1, max_count=2)
    create_component(ctx, "ic", "floor", "qwen", copies=8, gpus=1)
    assert _instances(ctx, "floor") == (2, 2)
    _runtime_copies(ctx, "ic", 0)
    assert _instances(ctx, "floor") == (1, 1)


@pytest.mark.parametrize(
    ("need", "message"),
    [
        ({"gpus": 8}, "requires 8 accelerator devices per copy, but instance type ml.g6e.12xlarge provides 4"),
        ({"gpus": 1, "memory_mb": 500 * GIB}, "requires 512000 MB of memory per copy"),
        ({"gpus": 1, "cpus": 64}, "requires 64 CPU cores per copy, but instance type ml.g6e.12xlarge provides 48"),
    ],
    ids=["gpus", "memory", "cpus"],
)
def test_a_copy_larger_than_an_instance_fails_the_component(ctx: Any, need: dict[str, Any], message: str) -> None:
    create_component_endpoint(ctx, "team", max_count=4)
    create_component(ctx, "huge", "team", "qwen", copies=1, **need)
    described = ctx.client("sagemaker").describe_inference_component(InferenceComponentName="huge")
    assert described["InferenceComponentStatus"] == "Failed"
    assert message in described["FailureReason"]
    assert described["RuntimeConfig"]["CurrentCopyCount"] == 0
    assert _instances(ctx, "team") == (1, 1)  # no instance was launched for it


def test_an_instance_launched_for_a_copy_has_a_cold_start() -> None:
    with Emulator(time_scale=0.05) as emu:  # launch 8 s and load 4 s, scaled: 0.4 s + 0.2 s
        ctx = emu.context()
        create_lmi_model(ctx, "qwen")
        create_component_endpoint(ctx, "cold", count=1, min_count=0, max_count=1)
        sm = ctx.client("sagemaker")
        _wait(lambda: sm.describe_endpoint(EndpointName="cold")["EndpointStatus"] == "InService")
        create_component(ctx, "ic", "cold", "qwen", copies=1)
        in_service = lambda: (  # noqa: E731
            sm.describe_inference_component(InferenceComponentName="ic")["InferenceComponentStatus"] == "InService"
        )
        _wait(lambda: _copies(ctx, "ic") == (1, 1) and in_service())
        _runtime_copies(ctx, "ic", 0)
        assert _instances(ctx, "cold") == (0, 0)
        _wait(
            lambda: (
                sm.describe_inference_component(InferenceComponentName="ic")["InferenceComponentStatus"] == "InService"
            )
        )
        started = time.monotonic()
        _runtime_copies(ctx, "ic", 1)
        assert _instances(ctx, "cold") == (1, 0)  # launching
        assert _copies(ctx, "ic") == (1, 0)
        _wait(lambda: _copies(ctx, "ic") == (1, 1))
        assert time.monotonic() - started >= 0.5


def _wait(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
