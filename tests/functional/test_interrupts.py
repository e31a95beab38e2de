"""Ctrl-C at every step of deploy and of destroy, on the embedded emulator: the run says what is left, what is
left stays visible (``lmi list``/``lmi status``), and ``lmi destroy NAME`` removes all of it, uploads included.

A Ctrl-C is a ``KeyboardInterrupt`` raised from an injected hook: in the botocore call of the n-th mutating
request (before AWS gets it, or after AWS did it) or in the progress callback between two steps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

try:
    from tests.functional.conftest_engine import FAST_WAITER, MUTATING_PREFIXES
except ImportError:  # rootdir not on sys.path: the test directory is
    from conftest_engine import FAST_WAITER, MUTATING_PREFIXES  # type: ignore[no-redef]

from deploy import client
from deploy.engine.apply import Applier
from deploy.errors import Interrupted
from deploy.local.testing import lmi_emulator
from tests.functional.test_engine_emulator import spec_file

__all__ = ["lmi_emulator"]
REPO = Path(__file__).resolve().parents[2]
NAME = "qwen25-7b"
SERVICES = ("sagemaker", "application-autoscaling", "cloudwatch", "s3")
BUCKET = "sagemaker-us-east-1-123456789012"  # the emulator's default artifact bucket


class CtrlC:
    """Raises KeyboardInterrupt at the n-th mutating AWS call: before it is sent, or after AWS answered it."""

    def __init__(self, n: int, after: bool) -> None:
        self.n, self.after, self.seen = n, after, 0

    def _hit(self, model: Any) -> None:
        if model.name.startswith(MUTATING_PREFIXES):
            self.seen += 1
            if self.seen == self.n:
                raise KeyboardInterrupt

    def before_call(self, model: Any, **kwargs: Any) -> None:
        if not self.after:
            self._hit(model)

    def after_call(self, model: Any, **kwargs: Any) -> None:
        if self.after:
            self._hit(model)

    def install(self, ctx: Any) -> None:
        for service in SERVICES:
            events = ctx.client(service).meta.events
            events.register_first("before-call", self.before_call)
            events.register("after-call", self.after_call)

    def remove(self, ctx: Any) -> None:
        for service in SERVICES:
            events = ctx.client(service).meta.events
            events.unregister("before-call", self.before_call)
            events.unregister("after-call", self.after_call)


def what_exists(ctx: Any) -> set[str]:
    """Every model, endpoint config, endpoint and upload folder in the emulator, by name."""
    sm = ctx.client("sagemaker")
    found = {f"model {m['ModelName']}" for m in sm.list_models()["Models"]}
    found |= {f"endpoint-config {c['EndpointConfigName']}" for c in sm.list_endpoint_configs()["EndpointConfigs"]}
    found |= {f"endpoint {e['EndpointName']}" for e in sm.list_endpoints()["Endpoints"]}
    s3 = ctx.client("s3")
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    if BUCKET in buckets and s3.list_objects_v2(Bucket=BUCKET, Prefix=f"lmi-deploy/{NAME}/").get("KeyCount"):
        found.add(f"upload s3://{BUCKET}/lmi-deploy/{NAME}/")
    return found


def what_is_shown(ctx: Any) -> set[str]:
    """What `lmi list` shows: managed endpoints and leftovers (models, configs, uploads without an endpoint)."""
    shown = {f"endpoint {e.name}" for e in client.list_endpoints(context=ctx)}
    shown |= {f"{item.kind} {item.resource}" for item in client.leftovers(context=ctx)}
    return shown


def assert_visible(ctx: Any) -> None:
    exists = what_exists(ctx)
    if any(item.startswith("endpoint ") for item in exists):  # models/configs of a live endpoint are its own
        assert f"endpoint {NAME}" in what_is_shown(ctx)
        return
    assert exists <= what_is_shown(ctx), exists - what_is_shown(ctx)


def deploy(ctx: Any, spec: Path, **kwargs: Any) -> Any:
    return client.apply(spec, context=ctx, create_bucket=True, waiter=FAST_WAITER, **kwargs)


def destroy_by_name(ctx: Any) -> None:
    client.destroy(NAME, context=ctx, waiter=FAST_WAITER)
    assert what_exists(ctx) == set(), what_exists(ctx)


def mutating_calls(ctx: Any, run: Any) -> int:
    probe = CtrlC(10**6, after=False)
    probe.install(ctx)
    try:
        run()
    finally:
        probe.remove(ctx)
    return probe.seen


@pytest.mark.parametrize("after", [False, True], ids=["before-aws", "after-aws"])
def test_ctrl_c_at_every_step_of_deploy(lmi_emulator: Any, tmp_path: Path, after: bool) -> None:
    ctx = lmi_emulator.context()
    spec = spec_file(tmp_path)
    deploy(ctx, spec)  # creates the default bucket, which destroy keeps
    destroy_by_name(ctx)
    total = mutating_calls(ctx, lambda: deploy(ctx, spec))
    destroy_by_name(ctx)
    assert total >= 6  # upload, model, config, endpoint, scaling target and policy
    for n in range(1, total + 1):
        ctrl_c = CtrlC(n, after)
        ctrl_c.install(ctx)
        with pytest.raises(Interrupted) as info:
            deploy(ctx, spec)
        ctrl_c.remove(ctx)
        assert info.value.exit_code == 130 and info.value.remaining, n
        assert info.value.in_progress == info.value.remaining[0]
        assert_visible(ctx)
        destroy_by_name(ctx)  # by name: finds the uploads even when no model points at them yet


@pytest.mark.parametrize("after", [False, True], ids=["before-aws", "after-aws"])
def test_ctrl_c_at_every_step_of_destroy(lmi_emulator: Any, tmp_path: Path, after: bool) -> None:
    ctx = lmi_emulator.context()
    spec = spec_file(tmp_path)
    deploy(ctx, spec)
    total = mutating_calls(ctx, lambda: client.destroy(NAME, context=ctx, waiter=FAST_WAITER))
    assert total >= 5  # policy, target, endpoint, objects, config, model
    for n in range(1, total + 1):
        deploy(ctx, spec)
        ctrl_c = CtrlC(n, after)
        ctrl_c.install(ctx)
        with pytest.raises(Interrupted) as info:
            client.destroy(NAME, context=ctx, waiter=FAST_WAITER)
        ctrl_c.remove(ctx)
        assert info.value.remaining and "interrupted during" in info.value.message
        assert_visible(ctx)
        destroy_by_name(ctx)


def test_ctrl_c_between_steps_lists_exactly_the_steps_not_run(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    spec = spec_file(tmp_path)
    ctx.client("s3").create_bucket(Bucket=BUCKET)  # destroy keeps the bucket: every round plans the same steps
    count = len(client.plan(spec, context=ctx).actions)
    assert count >= 7
    for index in range(count):
        started: list[str] = []

        def press(event: dict[str, Any], index: int = index, started: list[str] = started) -> None:
            if event.get("event") == "action" and event["phase"] == "start":
                started.append(event["type"])
                if len(started) == index + 1:
                    raise KeyboardInterrupt

        result = client.plan(spec, context=ctx)
        steps = [f"{a.type} {a.resource}" for a in result.plan.actions]
        with pytest.raises(Interrupted) as info:
            Applier(ctx, on_event=press, create_bucket=True, waiter=FAST_WAITER).run(result.plan)
        assert list(info.value.remaining) == steps[index:]
        assert info.value.in_progress == steps[index]
        assert_visible(ctx)
        destroy_by_name(ctx)


def test_status_names_the_leftovers_and_the_command(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    spec = spec_file(tmp_path)
    ctrl_c = CtrlC(5, after=True)  # after CreateEndpointConfig: model, config and upload, no endpoint
    ctrl_c.install(ctx)
    with pytest.raises(Interrupted):
        deploy(ctx, spec)
    ctrl_c.remove(ctx)
    from deploy.errors import NotFoundError

    with pytest.raises(NotFoundError) as info:
        client.status(NAME, context=ctx)
    assert "resources made for it remain" in info.value.message and "model " in info.value.message
    assert info.value.fix is not None and f"lmi destroy {NAME} --region us-east-1 --yes" in info.value.fix
    kinds = {item.kind for item in client.leftovers(context=ctx)}
    assert kinds == {"model", "endpoint-config", "upload"}
    destroy_by_name(ctx)
    assert client.leftovers(context=ctx) == []
