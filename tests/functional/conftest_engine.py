"""Fixtures for the deploy-engine tests: in-process moto with deploy.local.moto_lifecycle's SageMaker patches.

The patches live in deploy/local/moto_lifecycle.py (one SageMaker fake, beside the emulator); here they are applied
per test with monkeypatch, so nothing leaks into other tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from deploy.aws.session import AwsContext, make_context
from deploy.engine.waiting import PollSchedule, Waiter
from deploy.local.moto_lifecycle import INSTANCE_TYPES, Lifecycle, patch_moto

try:
    from tests.unit.desired_helpers import IMAGE, ROLE, make_desired
except ImportError:  # run from inside tests/functional
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
    from desired_helpers import IMAGE, ROLE, make_desired  # type: ignore[no-redef]

__all__ = ["IMAGE", "INSTANCE_TYPES", "ROLE", "Lifecycle", "make_desired", "patch_moto"]

MUTATING_PREFIXES = ("Create", "Update", "Delete", "Put", "Register", "Deregister", "Add", "Upload", "Complete")


@pytest.fixture
def lifecycle(monkeypatch: pytest.MonkeyPatch) -> Lifecycle:
    life = Lifecycle()
    patch_moto(monkeypatch.setattr, life)
    return life


@pytest.fixture
def ctx(lifecycle: Lifecycle) -> Iterator[AwsContext]:
    """An AwsContext on in-process moto (patched), region us-east-1."""
    with mock_aws():
        yield make_context(region="us-east-1")


FAST_WAITER = Waiter(schedule=PollSchedule(first=0.0, cap=0.0), sleep=lambda _s: None)


class CallCounter:
    """Counts API calls per operation through botocore's before-call event."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, model: Any, **_kwargs: Any) -> None:
        self.calls.append(model.name)

    @property
    def mutating(self) -> list[str]:
        return [c for c in self.calls if c.startswith(MUTATING_PREFIXES)]

    @property
    def reads(self) -> list[str]:
        return [c for c in self.calls if not c.startswith(MUTATING_PREFIXES)]


def count_calls(ctx: AwsContext) -> CallCounter:
    counter = CallCounter()
    for service in ("sagemaker", "application-autoscaling", "cloudwatch", "s3", "sts"):
        ctx.client(service).meta.events.register("before-call", counter)
    return counter


def error_response(code: str, message: str, status: int = 400) -> Callable[..., AWSResponse | None]:
    """A before-send hook that answers with an AWS error (every time it is called)."""

    class _Raw:
        def __init__(self, body: bytes) -> None:
            self.body = body

        def stream(self, **_kw: Any) -> Iterator[bytes]:
            yield self.body

    def hook(request: Any, **_kwargs: Any) -> AWSResponse:
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-query-error": f"{code};Sender"}
        return AWSResponse(request.url, status, headers, _Raw(body))

    return hook
