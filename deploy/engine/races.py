"""Concurrent deploys of one endpoint, and runs stopped half-way: how apply tells them apart and what it reports.

Rule: SageMaker is the lock. An endpoint that is Creating/Updating towards a configuration is owned by the run
that asked for it; a second run that wants another configuration is refused with :class:`ConflictError` (never
a "rolled back" that did not happen) and removes the model and config it created itself, so the loser leaves
nothing behind. A run that wants the *same* configuration simply waits. :class:`Interrupted` carries what is
left of the plan (:func:`interrupted`), so the CLI can print it with the exact command that finishes the job.
"""

from __future__ import annotations

from typing import Any

from deploy.errors import AwsError, DeployError, Interrupted

TARGET_KEYS = ("ServiceNamespace", "ResourceId", "ScalableDimension", "MinCapacity", "MaxCapacity")
POLICY_KEYS = ("PolicyName", "ServiceNamespace", "ResourceId", "ScalableDimension", "PolicyType",
               "TargetTrackingScalingPolicyConfiguration", "StepScalingPolicyConfiguration")  # fmt: skip
IN_PROGRESS = ("Cannot update in-progress endpoint", "Cannot create already existing endpoint")


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


def backup_scaling(scaling: Any, resource_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The scalable target and policies an instance-type update is about to remove (restored if it loses)."""
    return scaling.describe_target(resource_id), list(scaling.describe_policies(resource_id))


def _restore_scaling(scaling: Any, backup: tuple[dict[str, Any] | None, list[dict[str, Any]]]) -> bool:
    target, policies = backup
    if target is None:
        return False
    scaling.register_target({k: target[k] for k in TARGET_KEYS if k in target})
    for policy in policies:
        scaling.put_policy({k: policy[k] for k in POLICY_KEYS if k in policy})
    return True


def _in_use(sm: Any, config_name: str) -> set[str]:
    """The models the winner's configuration serves (a model with equal content has the same name)."""
    config = sm.describe_endpoint_config(config_name) if config_name else None
    return {str(v.get("ModelName")) for v in (config or {}).get("ProductionVariants") or []}


def give_way(sm: Any, scaling: Any, state: Any, exc: ConflictError) -> None:
    """The loser of a race undoes its own changes: it puts back the autoscaling it had deregistered and deletes
    the config and model it created that the winner does not use, so it leaves nothing behind."""
    from deploy.errors import LmiError

    notes, removed = [], []
    try:
        if state.scaling_off and state.scaling_backup and _restore_scaling(scaling, state.scaling_backup):
            notes.append("put back the autoscaling it had deregistered")
        keep = {exc.other_config} | _in_use(sm, exc.other_config)
        for kind, name in reversed(state.created):
            if name in keep:
                continue
            if sm.delete_endpoint_config(name) if kind == "config" else sm.delete_model(name):
                removed.append(name)
    except LmiError as cleanup_error:  # best effort: the next deploy or destroy of this endpoint finishes it
        notes.append(f"could not finish cleaning up ({cleanup_error.message})")
    if removed:
        notes.append(f"removed what it had created: {', '.join(removed)}")
    if notes:
        exc.message += "; this run " + " and ".join(notes)
        exc.args = (exc.message,)


def remaining_steps(actions: tuple[Any, ...], start: int) -> tuple[str, ...]:
    return tuple(f"{a.type} {a.resource}" for a in actions[start:])


def interrupted(actions: tuple[Any, ...], endpoint: str, index: int, in_progress: str | None) -> Interrupted:
    """Ctrl-C at step ``index``: what is left, and that re-running finishes."""
    left = remaining_steps(actions, index)
    where = f"during {in_progress} (it may or may not have completed)" if in_progress else "between two steps"
    return Interrupted(
        f"interrupted {where}; {len(left)} step(s) of the plan for {endpoint} are left",
        remaining=left,
        in_progress=in_progress,
        field="name",
        value=endpoint,
        fix="run the same command again: it plans what is left and finishes the job",
    )


def check_not_raced(sm: Any, scaling: Any, actions: tuple[Any, ...], state: Any, resource_id: str) -> None:
    """Before an instance-type update takes the endpoint's autoscaling away: the endpoint must still be where the
    plan found it (else another deploy owns it), and what is removed is remembered so a loser can put it back."""
    from deploy.engine.actions import UpdateEndpoint

    update = next((a for a in actions if isinstance(a, UpdateEndpoint)), None)
    if update is None or state.scaling_backup is not None:
        return
    state.scaling_backup = backup_scaling(scaling, resource_id)
    wanted = str(update.request["EndpointConfigName"])
    status, target = target_config(sm.describe_endpoint(update.resource))
    if target not in (update.previous_config, wanted):
        raise conflict(update.resource, status, target, wanted)
