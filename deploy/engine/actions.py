"""The actions of a plan: self-contained frozen records, each carrying everything apply needs to run it.

Why records and not methods: plan (pure) builds them, apply (the only writer) runs them, and a reviewer reads them
on a pull request. Each one says what it touches (``resource``) and why (``reason``); request bodies, upload
manifests and secret references travel inside. :data:`AnyAction` lists every type; apply matches on it
exhaustively, so adding a type without teaching apply to run it fails mypy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeAlias

from deploy.engine.artifacts import ArtifactUpload

__all__ = [
    "Action",
    "AnyAction",
    "CreateBucket",
    "CreateEndpoint",
    "CreateEndpointConfig",
    "CreateInferenceComponent",
    "CreateModel",
    "DeleteAlarm",
    "DeleteArtifacts",
    "DeleteEndpoint",
    "DeleteEndpointConfig",
    "DeleteInferenceComponent",
    "DeleteModel",
    "DeleteScalingPolicy",
    "DeregisterScalableTarget",
    "PutAlarm",
    "PutScaleOutAlarm",
    "PutScalingPolicy",
    "RegisterScalableTarget",
    "RequestAction",
    "TagEndpoint",
    "TagInferenceComponent",
    "UpdateEndpoint",
    "UpdateInferenceComponent",
    "UpdateInferenceComponentRuntimeConfig",
    "UploadArtifacts",
    "WaitForDeletion",
    "WaitForEndpoint",
    "WaitForInferenceComponent",
    "WaitForInferenceComponentDeletion",
]


@dataclass(frozen=True)
class Action:
    """One step of a plan. ``mutating`` is False for waits (they only read)."""

    resource: str
    reason: str
    mutating: ClassVar[bool] = True

    @property
    def type(self) -> str:
        return type(self).__name__

    def to_dict(self) -> dict[str, str]:
        return {"type": self.type, "resource": self.resource, "reason": self.reason}


@dataclass(frozen=True)
class RequestAction(Action):
    """An action that sends one request body, built by ``desired`` and sent unchanged by apply."""

    request: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CreateBucket(Action):
    region: str = ""


@dataclass(frozen=True)
class UploadArtifacts(Action):
    """Upload the files of ``upload`` (unchanged files are skipped by digest)."""

    upload: ArtifactUpload | None = None


@dataclass(frozen=True)
class PutAlarm(RequestAction):
    pass


@dataclass(frozen=True)
class DeleteAlarm(Action):
    pass


@dataclass(frozen=True)
class CreateModel(RequestAction):
    """CreateModel; ``secret_env`` maps variables to references (``env:HF_TOKEN``) apply resolves at the last moment.

    ``secret_fingerprints``: the plan-time keyed fingerprints (bound to ``endpoint``) the model's name was made from;
    apply refuses a value that no longer matches them.
    """

    secret_env: dict[str, str] = field(default_factory=dict)
    secret_fingerprints: dict[str, str] = field(default_factory=dict)
    endpoint: str = ""


@dataclass(frozen=True)
class CreateEndpointConfig(RequestAction):
    pass


@dataclass(frozen=True)
class CreateEndpoint(RequestAction):
    pass


@dataclass(frozen=True)
class UpdateEndpoint(RequestAction):
    previous_config: str = ""


@dataclass(frozen=True)
class DeleteEndpoint(Action):
    pass


@dataclass(frozen=True)
class WaitForEndpoint(Action):
    expected_config: str = ""
    timeout_s: float = 3600.0
    previous_config: str | None = None
    mutating: ClassVar[bool] = False


@dataclass(frozen=True)
class WaitForDeletion(Action):
    timeout_s: float = 1800.0
    mutating: ClassVar[bool] = False


@dataclass(frozen=True)
class TagEndpoint(Action):
    arn: str = ""
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RegisterScalableTarget(RequestAction):
    pass


@dataclass(frozen=True)
class PutScalingPolicy(RequestAction):
    pass


@dataclass(frozen=True)
class DeleteScalingPolicy(Action):
    resource_id: str = ""


@dataclass(frozen=True)
class DeregisterScalableTarget(Action):
    pass


@dataclass(frozen=True)
class DeleteModel(Action):
    pass


@dataclass(frozen=True)
class DeleteEndpointConfig(Action):
    pass


@dataclass(frozen=True)
class DeleteArtifacts(Action):
    bucket: str = ""
    prefix: str = ""


# -- inference components (component endpoints) ------------------------------------------------------------------
@dataclass(frozen=True)
class CreateInferenceComponent(RequestAction):
    """CreateInferenceComponent: one model on the endpoint's shared capacity, with its copies."""


@dataclass(frozen=True)
class UpdateInferenceComponent(RequestAction):
    """UpdateInferenceComponent to a new specification (model, requirements), rolled one copy at a time."""

    previous_model: str = ""


@dataclass(frozen=True)
class UpdateInferenceComponentRuntimeConfig(RequestAction):
    """A copy-count change only: no new model, no rolling update."""


@dataclass(frozen=True)
class DeleteInferenceComponent(Action):
    pass


@dataclass(frozen=True)
class WaitForInferenceComponent(Action):
    """Until the IC is InService (pointing at ``expected_model`` when given); ``endpoint`` names its endpoint."""

    endpoint: str = ""
    expected_model: str = ""
    timeout_s: float = 3600.0
    previous_model: str | None = None
    mutating: ClassVar[bool] = False


@dataclass(frozen=True)
class WaitForInferenceComponentDeletion(Action):
    endpoint: str = ""
    timeout_s: float = 1800.0
    mutating: ClassVar[bool] = False


@dataclass(frozen=True)
class TagInferenceComponent(Action):
    arn: str = ""
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PutScaleOutAlarm(RequestAction):
    """PutMetricAlarm whose action is the ARN of step-scaling policy ``policy_name`` on ``resource_id``.

    AWS assigns that ARN when the policy is put, so the plan cannot carry it: apply looks it up just before.
    """

    policy_name: str = ""
    resource_id: str = ""


AnyAction: TypeAlias = (
    CreateBucket
    | UploadArtifacts
    | PutAlarm
    | DeleteAlarm
    | CreateModel
    | CreateEndpointConfig
    | CreateEndpoint
    | UpdateEndpoint
    | DeleteEndpoint
    | WaitForEndpoint
    | WaitForDeletion
    | TagEndpoint
    | RegisterScalableTarget
    | PutScalingPolicy
    | DeleteScalingPolicy
    | DeregisterScalableTarget
    | DeleteModel
    | DeleteEndpointConfig
    | DeleteArtifacts
    | CreateInferenceComponent
    | UpdateInferenceComponent
    | UpdateInferenceComponentRuntimeConfig
    | DeleteInferenceComponent
    | WaitForInferenceComponent
    | WaitForInferenceComponentDeletion
    | TagInferenceComponent
    | PutScaleOutAlarm
)  # every action type; apply matches on it exhaustively (mypy checks that no type is left out)
