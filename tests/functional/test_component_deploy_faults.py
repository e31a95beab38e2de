"""Crash safety of component endpoints on the emulator: every mutating call of a create, of an update (one
component's model, another's copies, one added, one removed) and of a destroy is failed in turn, rejected before it
reaches AWS or "crashed" right after AWS accepted it; a re-run then converges: the next plan is empty, exactly the
wanted models, config and components exist, and after destroy nothing is left."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

try:
    from tests.functional.conftest_engine import FAST_WAITER, count_calls
    from tests.functional.test_apply_faults import fail_then_rerun
    from tests.functional.test_component_deploy import assert_nothing_left, plain
    from tests.unit.component_plan_helpers import ACCOUNT, with_component
except ImportError:  # rootdir not on sys.path: the test directory is
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
    from component_plan_helpers import ACCOUNT, with_component  # type: ignore[no-redef]
    from conftest_engine import FAST_WAITER, count_calls  # type: ignore[no-redef]
    from test_apply_faults import fail_then_rerun  # type: ignore[no-redef]
    from test_component_deploy import assert_nothing_left, plain  # type: ignore[no-redef]

from deploy.engine.apply import Applier
from deploy.engine.components.desired import ComponentEndpointDesired, build_component_desired
from deploy.engine.components.observe import observe_components
from deploy.engine.components.plan import plan_components
from deploy.engine.components.teardown import plan_component_destroy
from deploy.engine.spine import Facts, component_models
from deploy.local.testing import lmi_emulator
from deploy.spec.components import ComponentEndpointSpec
from deploy.spec.loader import parse_any_spec

__all__ = ["lmi_emulator"]
OLD = {"name": "old", "model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"}, "copies": 1}
NEW = {"name": "tiny", "model": {"id": "Qwen/Qwen3-0.6B"}, "copies": 1}


def desired(data: dict[str, Any]) -> ComponentEndpointDesired:
    spec = parse_any_spec(data)
    assert isinstance(spec, ComponentEndpointSpec)
    facts = {c.name: Facts(region="us-east-1", account=ACCOUNT) for c in spec.components}
    return build_component_desired(spec, component_models(spec, facts), "us-east-1")


TO_ZERO = {"min": 0, "max": 2, "metric": "concurrent_requests", "target": 4}


def v1() -> ComponentEndpointDesired:
    data = plain()
    data["components"].append({**OLD, "scaling": TO_ZERO})
    return desired(data)  # qwen x2, small x1, old x1 (scaled to zero when idle): the instance's 4 GPUs


def v2() -> ComponentEndpointDesired:
    data = with_component(with_component(plain(), 0, copies=1), 1, engine={"max_model_len": 4096})
    data["components"][1]["scaling"] = TO_ZERO
    data["components"].append(NEW)
    return desired(data)  # old removed (with its scaling), qwen 2 -> 1 copy, small on a new model and scaled, tiny


def apply_once(ctx: Any, want: ComponentEndpointDesired) -> None:
    snapshot = observe_components(ctx, want.endpoint_name, want)
    Applier(ctx, waiter=FAST_WAITER, create_bucket=True).run(plan_components(want, snapshot))


def destroy(ctx: Any) -> None:
    Applier(ctx, waiter=FAST_WAITER).run(plan_component_destroy(observe_components(ctx, "team-llms")))


def assert_converged(ctx: Any, want: ComponentEndpointDesired) -> None:
    snapshot = observe_components(ctx, want.endpoint_name, want)
    assert plan_components(want, snapshot).actions == ()
    assert snapshot.models == tuple(sorted(want.model_names))
    assert snapshot.configs == (want.config_name,)
    assert {c.name: c.model_name for c in snapshot.components} == {c.ic_name: c.model_name for c in want.components}
    assert all(c.status == "InService" for c in snapshot.components)


def mutating(ctx: Any, run: Any) -> int:
    counter = count_calls(ctx)
    run(ctx)
    return len(counter.mutating)


@pytest.fixture
def fresh(lmi_emulator: Any) -> Any:
    ctx = lmi_emulator.context()

    def factory() -> Any:
        lmi_emulator.reset()
        return ctx

    return factory


@pytest.mark.parametrize("after", [False, True], ids=["rejected", "crash-after-accept"])
def test_create_converges_after_a_failure_at_every_step(fresh: Any, after: bool) -> None:
    total = mutating(fresh(), lambda c: apply_once(c, v1()))
    assert total >= 14  # bucket, uploads, 3 models, config, endpoint, 3 components, target, 2 policies, alarm
    for n in range(1, total + 1):
        ctx = fresh()
        fail_then_rerun(ctx, lambda c: apply_once(c, v1()), n, after)
        assert_converged(ctx, v1())


@pytest.mark.parametrize("after", [False, True], ids=["rejected", "crash-after-accept"])
def test_update_converges_after_a_failure_at_every_step(fresh: Any, after: bool) -> None:
    probe = fresh()
    apply_once(probe, v1())
    total = mutating(probe, lambda c: apply_once(c, v2()))
    assert total >= 14  # uploads, 2 models, tags, old's scaling and IC, runtime, update IC, create IC, scaling, deletes
    for n in range(1, total + 1):
        ctx = fresh()
        apply_once(ctx, v1())
        fail_then_rerun(ctx, lambda c: apply_once(c, v2()), n, after)
        assert_converged(ctx, v2())


@pytest.mark.parametrize("after", [False, True], ids=["rejected", "crash-after-accept"])
def test_destroy_converges_after_a_failure_at_every_step(fresh: Any, after: bool) -> None:
    probe = fresh()
    apply_once(probe, v1())
    total = mutating(probe, destroy)
    assert total >= 13  # alarm, 2 policies, target, 3 components, endpoint, uploads, config, 3 models
    for n in range(1, total + 1):
        ctx = fresh()
        apply_once(ctx, v1())
        fail_then_rerun(ctx, destroy, n, after)
        assert_nothing_left(ctx)
