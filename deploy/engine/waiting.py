"""Bounded, visible waits for endpoint status changes.

Rule: every wait has a timeout (derived from the spec's start-up timeouts) and reports progress (status,
elapsed seconds) to a callback. Polling looks first after 1 s and backs off to a 4 s cap: botocore's waiter
polls every 30 s, so it notices InService up to 30 s late, where this notices within ~4 s. Even a 20-minute
creation costs only ~300 DescribeEndpoint calls, far below SageMaker's describe quotas. The clock and sleep
are injectable for tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from deploy.aws.sagemaker import SageMakerGateway
from deploy.errors import DeployError
from deploy.records import record

EventSink = Callable[[dict[str, Any]], None]
SETTLED = frozenset({"InService", "Failed", "UpdateRollbackFailed", "OutOfService"})


@record
class PollSchedule:
    """Delays between polls: ``first``, then times ``factor`` each poll, never above ``cap``."""

    first: float = 1.0
    factor: float = 1.5
    cap: float = 4.0

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(self.cap, max(delay * self.factor, delay + 0.5) if delay else 0.0)


@record
class Waiter:
    """Polls DescribeEndpoint on a schedule; ``sleep``/``clock`` are injectable."""

    schedule: PollSchedule = PollSchedule()
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def until_settled(
        self, sm: SageMakerGateway, name: str, timeout_s: float, on_event: EventSink | None = None
    ) -> dict[str, Any]:
        """Wait until the endpoint leaves Creating/Updating/...; return the last DescribeEndpoint."""
        emit = on_event or (lambda _e: None)
        start = self.clock()
        delays = self.schedule.delays()
        while True:
            described = sm.describe_endpoint(name)
            elapsed = self.clock() - start
            if described is None:
                raise DeployError(
                    f"endpoint {name} disappeared while waiting",
                    field="name",
                    value=name,
                    fix="check who deleted it (CloudTrail), then run deploy again",
                )
            status = str(described["EndpointStatus"])
            emit({"event": "wait", "endpoint": name, "status": status, "elapsed_s": round(elapsed, 1)})
            if status in SETTLED:
                return described
            self.pause_or_timeout(f"endpoint {name}", status, elapsed, timeout_s, next(delays))

    def until_deleted(
        self, sm: SageMakerGateway, name: str, timeout_s: float, on_event: EventSink | None = None
    ) -> None:
        """Wait until DescribeEndpoint says the endpoint is gone."""
        emit = on_event or (lambda _e: None)
        start = self.clock()
        delays = self.schedule.delays()
        while True:
            described = sm.describe_endpoint(name)
            elapsed = self.clock() - start
            if described is None:
                emit({"event": "wait", "endpoint": name, "status": "Deleted", "elapsed_s": round(elapsed, 1)})
                return
            status = str(described["EndpointStatus"])
            emit({"event": "wait", "endpoint": name, "status": status, "elapsed_s": round(elapsed, 1)})
            if status == "Failed":
                raise DeployError(
                    f"deleting endpoint {name} failed: {described.get('FailureReason')}",
                    field="name",
                    value=name,
                    fix="look at the endpoint in the console; run destroy again",
                )
            self.pause_or_timeout(f"endpoint {name}", status, elapsed, timeout_s, next(delays))

    def pause_or_timeout(self, subject: str, status: str, elapsed: float, timeout_s: float, delay: float) -> None:
        """Sleep until the next poll, or stop with the timeout error when that poll would come too late.

        Shared by the endpoint waits here and the inference-component waits: both are bounded by the spec's
        start-up timeouts and point at the same fix; ``subject`` names what is waited for ("endpoint NAME")."""
        if elapsed + delay > timeout_s:
            raise DeployError(
                f"{subject} still {status} after {elapsed:.0f}s (timeout {timeout_s:.0f}s)",
                field="instance.startup_health_check_timeout_s",
                value=timeout_s,
                fix="follow it with `lmi status NAME`; raise the spec's start-up timeouts for a large model",
            )
        self.sleep(delay)
