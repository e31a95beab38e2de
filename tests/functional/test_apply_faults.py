"""Crash safety: fail each mutating call of a create and of an update in turn, then re-run: every case converges
with no orphaned models/configs. Throttled calls are absorbed by the standard retry mode."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from moto import mock_aws

try:
    from tests.functional.conftest_engine import (
        FAST_WAITER,
        MUTATING_PREFIXES,
        Lifecycle,
        count_calls,
        error_response,
        make_desired,
        patch_moto,
    )
except ImportError:  # rootdir not on sys.path: the test directory is
    from conftest_engine import (  # type: ignore[no-redef]
        FAST_WAITER,
        MUTATING_PREFIXES,
        Lifecycle,
        count_calls,
        error_response,
        make_desired,
        patch_moto,
    )

from deploy.aws.session import AwsContext, make_context
from deploy.engine.apply import Applier
from deploy.engine.artifacts import build_upload, generated_file
from deploy.engine.desired import DesiredState
from deploy.engine.observe import observe
from deploy.engine.plan import plan, plan_destroy
from deploy.errors import LmiError
from deploy.render.bodies import builtin_alarm_request, deployment_config

SERVICES = ("sagemaker", "application-autoscaling", "cloudwatch", "s3")
ALARM = builtin_alarm_request("engine-test")


class Crash(Exception):
    """Stands for the process dying right after AWS accepted a call."""


def with_properties(desired: DesiredState, text: str) -> DesiredState:
    """Add an upload of serving.properties to a bucket that does not exist yet (CreateBucket + PutObject steps)."""
    upload = build_upload(
        "fault-bucket", f"lmi-deploy/engine-test/{text}/", None, [generated_file("serving.properties", text)]
    )
    return replace(desired, artifacts=upload)


def v1() -> DesiredState:
    return with_properties(make_desired(scaling=(1, 2), alarm=ALARM), "option.max_model_len=4096")


def v2() -> DesiredState:
    return with_properties(_v2(), "option.max_model_len=8192")


def _v2() -> DesiredState:
    return make_desired(
        instance_type="ml.g6e.12xlarge",
        scaling=(1, 3),
        alarm=ALARM,
        env={"OPTION_MAX_MODEL_LEN": "8192"},
        spec_hash="111111111111",
        deployment_config=deployment_config("blue_green", [ALARM["AlarmName"]]),
    )


def apply_once(ctx: AwsContext, desired: DesiredState) -> None:
    Applier(ctx, waiter=FAST_WAITER, create_bucket=True).run(
        plan(desired, observe(ctx, desired.endpoint_name, desired))
    )


def mutating_ops(ctx: AwsContext, desired: DesiredState) -> list[str]:
    counter = count_calls(ctx)
    apply_once(ctx, desired)
    return counter.mutating


class _Http:
    status_code = 400


class FailNth:
    """Breaks the n-th mutating call: rejected before it reaches AWS, or a crash after AWS accepted it."""

    def __init__(self, n: int, after: bool) -> None:
        self.n, self.after, self.seen = n, after, 0

    def before_call(self, model: Any, **kwargs: Any) -> Any:
        if self.after or not model.name.startswith(MUTATING_PREFIXES):
            return None
        self.seen += 1
        if self.seen != self.n:
            return None
        return _Http(), {"Error": {"Code": "AccessDeniedException", "Message": "injected failure"}}

    def after_call(self, model: Any, **kwargs: Any) -> None:
        if self.after and model.name.startswith(MUTATING_PREFIXES):
            self.seen += 1
            if self.seen == self.n:
                raise Crash(model.name)

    def install(self, ctx: AwsContext) -> None:
        for service in SERVICES:
            events = ctx.client(service).meta.events
            events.register_first("before-call", self.before_call)
            events.register("after-call", self.after_call)

    def remove(self, ctx: AwsContext) -> None:
        for service in SERVICES:
            events = ctx.client(service).meta.events
            events.unregister("before-call", self.before_call)
            events.unregister("after-call", self.after_call)


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    patch_moto(monkeypatch.setattr, Lifecycle(creating_polls=1))

    mocker = mock_aws()
    mocker.start()
    ctx = make_context(region="us-east-1")

    def factory() -> AwsContext:
        """The same clients on a freshly reset (empty) moto account: cheap, so every step can be tried."""
        mocker.reset()
        return ctx

    yield factory
    mocker.stop()


def assert_converged(ctx: AwsContext, desired: DesiredState) -> None:
    snapshot = observe(ctx, desired.endpoint_name, desired)
    assert plan(desired, snapshot).actions == ()
    assert snapshot.models == (desired.model_name,)
    assert snapshot.configs == (desired.config_name,)
    assert snapshot.endpoint is not None and snapshot.endpoint.config_name == desired.config_name
    assert desired.artifacts is not None and snapshot.artifact_digest == desired.artifacts.digest


def fail_then_rerun(ctx: Any, run: Any, n: int, after: bool) -> None:
    """``run(ctx)`` with its n-th mutating call broken (it must fail), then ``run(ctx)`` again without the fault:
    the shape of every convergence test, single-model or component."""
    fault = FailNth(n, after)
    fault.install(ctx)
    with pytest.raises((LmiError, Crash)):
        run(ctx)
    fault.remove(ctx)
    run(ctx)


def run_with_fault(ctx: AwsContext, desired: DesiredState, n: int, after: bool) -> None:
    fail_then_rerun(ctx, lambda c: apply_once(c, desired), n, after)


@pytest.mark.parametrize("after", [False, True], ids=["rejected", "crash-after-accept"])
def test_create_converges_after_failure_at_every_step(fresh: Any, after: bool) -> None:
    probe = fresh()
    total = len(mutating_ops(probe, v1()))
    assert total >= 5
    for n in range(1, total + 1):
        ctx = fresh()
        run_with_fault(ctx, v1(), n, after)
        assert_converged(ctx, v1())


@pytest.mark.parametrize("after", [False, True], ids=["rejected", "crash-after-accept"])
def test_update_converges_after_failure_at_every_step(fresh: Any, after: bool) -> None:
    probe = fresh()
    apply_once(probe, v1())
    total = len(mutating_ops(probe, v2()))
    assert total >= 8  # model, config, policy delete, deregister, update, tags, register, policy, 2 deletes
    for n in range(1, total + 1):
        ctx = fresh()
        apply_once(ctx, v1())
        run_with_fault(ctx, v2(), n, after)
        assert_converged(ctx, v2())


def test_throttling_is_retried(fresh: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.retries import standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
    ctx = fresh()
    throttles = {"left": 2, "sent": 0}
    reject = error_response("ThrottlingException", "Rate exceeded")
    slow_down = error_response("SlowDown", "Please reduce your request rate.", status=503)  # S3's throttle

    def throttle_twice(request: Any, **kwargs: Any) -> Any:
        if throttles["left"] > 0:
            throttles["left"] -= 1
            throttles["sent"] += 1
            return slow_down(request) if "s3" in request.url else reject(request)
        throttles["left"] = 2  # next distinct call is throttled twice again
        return None

    for service in SERVICES:
        ctx.client(service).meta.events.register_first("before-send", throttle_twice)
    apply_once(ctx, v1())
    for service in SERVICES:
        ctx.client(service).meta.events.unregister("before-send", throttle_twice)
    assert_converged(ctx, v1())
    assert throttles["sent"] >= 20  # every call was throttled twice and still succeeded


@pytest.mark.parametrize("after", [False, True], ids=["rejected", "crash-after-accept"])
def test_destroy_converges_after_failure_at_every_step(fresh: Any, after: bool) -> None:
    def destroy(ctx: AwsContext) -> None:
        snapshot = observe(ctx, "engine-test", v1())
        Applier(ctx, waiter=FAST_WAITER).run(plan_destroy(snapshot))

    probe = fresh()
    apply_once(probe, v1())
    counter = count_calls(probe)
    destroy(probe)
    total = len(counter.mutating)
    assert total >= 6  # policy, target, endpoint, config, model, alarm, objects
    for n in range(1, total + 1):
        ctx = fresh()
        apply_once(ctx, v1())
        fail_then_rerun(ctx, destroy, n, after)
        assert observe(ctx, "engine-test").is_empty
        assert ctx.client("s3").list_objects_v2(Bucket="fault-bucket").get("KeyCount") == 0
