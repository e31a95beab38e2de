"""One error tree for the whole tool.

Every error a user can cause carries *where* (``field``), *what* (``value``) and *how to fix it* (``fix``), so the
CLI can print one clear line and pick an exit code without a traceback. Exit codes: 2 for input the user must change
(spec, arguments, a model that does not fit), 1 for runtime or AWS failures, 130 for an interrupted apply. Library
errors name library fields (``region``, ``minimum``), never command-line flags; the CLI's own flag errors are
UsageErrors raised by the CLI.

    LmiError                              exit 1
    ├── UsageError                        exit 2   an argument the caller must change
    ├── SpecError (also a ValueError)     exit 2   the spec is invalid; DeploymentSpec(...) raises it too
    ├── FitError                          exit 2   the model does not fit; .estimate shows why
    ├── PlanError                         exit 1   the remote state is in a shape lmi-deploy will not touch
    │   └── ForeignResourceError          exit 2   resources lmi-deploy did not create (or another endpoint's) are
    │                                              in the way: rename, or remove them yourself; a re-run cannot help
    ├── AwsError                          exit 1   an AWS call failed; .code, .operation, .status
    │   └── NotFoundError                 exit 1   the resource does not exist
    │       └── EndpointNotFoundError     exit 1   no endpoint of that name (also an InvokeError)
    ├── DeployError                       exit 1   a deployment or update failed; says what still serves
    │   └── Interrupted                   exit 130 apply stopped at a safe point when asked (Ctrl-C)
    └── InvokeError                       exit 1   invoking failed; .status; subclasses in deploy.invoke.errors

Secrets: every text an error shows (``str``, ``repr``, ``to_dict``) passes through
:func:`deploy.secrets.masking.scrub`, and ``value`` at a secret field (``model.hf_token``) is shown only when it is a
plain reference (``env:NAME``). So no caller can print a secret through an error, even by passing one in.
"""

from __future__ import annotations

import math
from typing import Any

from deploy.secrets.masking import scrub, scrub_value

__all__ = [
    "AwsError",
    "DeployError",
    "EndpointNotFoundError",
    "FitError",
    "ForeignResourceError",
    "Interrupted",
    "InvokeError",
    "LmiError",
    "NotFoundError",
    "PlanError",
    "SpecError",
    "UsageError",
]


class LmiError(Exception):
    """Base of every error lmi-deploy raises on purpose."""

    exit_code = 1
    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: Any = None,
        fix: str | None = None,
        hint: str | None = None,
    ) -> None:
        message = scrub(message)
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = scrub_value(value, field)
        self.fix = fix
        self.hint = hint

    def __str__(self) -> str:
        text = self.message
        if self.fix:
            text += f"\n  fix: {self.fix}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return scrub(text)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({scrub(self.message)!r})"

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape printed by ``--json`` commands: one object, stable keys, secrets masked."""
        out: dict[str, Any] = {"error": self.kind, "message": scrub(self.message)}
        for key in ("field", "value", "fix", "hint"):
            val = getattr(self, key)
            if key == "value":
                val = scrub_value(val, self.field)
            elif isinstance(val, str):
                val = scrub(val)
            if val is not None:
                plain = isinstance(val, (str, int, bool, list, dict)) or (isinstance(val, float) and math.isfinite(val))
                out[key] = val if plain else scrub(str(val))  # inf/nan as text: JSON has no Infinity or NaN
        out["exit_code"] = self.exit_code
        return out


class UsageError(LmiError):
    """A command-line flag or argument the user must change."""

    exit_code = 2
    kind = "usage_error"


class SpecError(LmiError, ValueError):
    """The deployment spec is invalid: names the field, the value and the fix. A ``ValueError``, as Python expects."""

    exit_code = 2
    kind = "spec_error"


class FitError(LmiError):
    """The model does not fit the hardware asked for; ``estimate`` holds the budget that shows why."""

    exit_code = 2
    kind = "fit_error"

    def __init__(self, message: str, *, estimate: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.estimate = estimate

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.estimate is not None and hasattr(self.estimate, "to_dict"):
            out["estimate"] = self.estimate.to_dict()
        return out


class PlanError(LmiError):
    """The plan cannot be computed (e.g. the remote state is in a shape we refuse to touch)."""

    kind = "plan_error"


class ForeignResourceError(PlanError):
    """Something lmi-deploy did not create holds a name the spec needs, or sits on the endpoint to be destroyed.

    Exit 2, like a spec error: retrying changes nothing; the user renames (the spec) or removes what is in the way
    (by hand: lmi-deploy never deletes what it did not create)."""

    exit_code = 2


class AwsError(LmiError):
    """An AWS call failed. Keeps the AWS error code and message and names the operation that failed."""

    kind = "aws_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        operation: str | None = None,
        status: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.code = code
        self.operation = operation
        self.status = status

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.update({k: v for k, v in (("code", self.code), ("operation", self.operation)) if v})
        return out


class NotFoundError(AwsError):
    """The resource does not exist (SageMaker says ``Could not find …``)."""

    kind = "not_found"


class DeployError(LmiError):
    """A deployment or update failed; the message says what is still serving."""

    kind = "deploy_error"


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


class InvokeError(LmiError):
    """Invoking an endpoint failed; ``status`` is the container's HTTP status when known."""

    kind = "invoke_error"

    def __init__(self, message: str, *, status: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status = status

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.status is not None:
            out["status"] = self.status
        return out


class EndpointNotFoundError(NotFoundError, InvokeError):
    """SageMaker has no endpoint of that name in this account and region (status, scale, invoke alike)."""

    kind = "endpoint_not_found"
