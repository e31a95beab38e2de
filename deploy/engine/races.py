"""Concurrent deploys of one endpoint, and runs stopped half-way: how apply tells them apart and what it reports.

Rule: SageMaker is the lock. An endpoint that is Creating/Updating towards a configuration is owned by the run
that asked for it; a second run that wants another configuration is refused with :class:`ConflictError` (never
a "rolled back" that did not happen) and removes the model and config it created itself, so the loser leaves
nothing behind. A run that wants the *same* configuration simply waits. :class:`Interrupted` carries what is
left of the plan, so the CLI can print it with the exact command that finishes the job.
"""

from __future__ import annotations

from typing import Any

from deploy.errors import AwsError, DeployError

IN_PROGRESS = ("Cannot update in-progress endpoint", "Cannot create already existing endpoint")


class Interrupted(DeployError):
    """Apply stopped because it was asked to (Ctrl-C); exit code 130 like SIGINT.

    ``remaining`` lists the plan's steps that had not finished ("Type resource"); ``in_progress`` is the step that
    was running when the interrupt arrived (AWS may or may not have done it: re-running is safe either way).
    """

    exit_code = 130

    def __init__(
        self, message: str, *, remaining: tuple[str, ...] = (), in_progress: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.remaining = remaining
        self.in_progress = in_progress

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["remaining"] = list(self.remaining)
        if self.in_progress:
            out["in_progress"] = self.in_progress
        return out


class ConflictError(DeployError):
    """Another run is changing the endpoint towards a different configuration; this run gave way."""

    def __init__(self, message: str, *, other_config: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.other_config = other_config

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "other_config": self.other_config}


def target_config(described: dict[str, Any] | None) -> tuple[str, str]:
    """(status, the configuration the endpoint is serving or moving to) from DescribeEndpoint."""
    if not described:
        return "absent", ""
    pending = (described.get("PendingDeploymentSummary") or {}).get("EndpointConfigName")
    return str(described.get("EndpointStatus", "")), str(pending or described.get("EndpointConfigName") or "")


def is_in_progress_error(exc: AwsError) -> bool:
    """SageMaker's refusal because the endpoint exists already or is mid-change (the race was lost)."""
    return any(text in exc.message for text in IN_PROGRESS)


def conflict(endpoint: str, status: str, other: str, wanted: str) -> ConflictError:
    verb = "is being changed" if status in ("Creating", "Updating", "SystemUpdating", "RollingBack") else "was changed"
    return ConflictError(
        f"endpoint {endpoint} {verb} towards another configuration: {other} (this deploy wanted {wanted}); "
        "this deploy gave way and changed nothing that serves",
        other_config=other,
        field="name",
        value=endpoint,
        fix=f"wait for the other deploy to finish (lmi status {endpoint}), then run this deploy again if its spec "
        "should win",
    )


def remaining_steps(actions: tuple[Any, ...], start: int) -> tuple[str, ...]:
    return tuple(f"{a.type} {a.resource}" for a in actions[start:])
