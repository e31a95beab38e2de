"""The actions of a plan: self-contained frozen records, each carrying everything apply needs to run it.

Why records and not methods: plan (pure) builds them, apply (the only writer) runs them, and a reviewer reads them
on a pull request. Each one says what it touches (``resource``) and why (``reason``); request bodies, upload
manifests and secret references travel inside. :data:`AnyAction` lists every type; apply matches on it
exhaustively, so adding a type without teaching apply to run it fails mypy.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any, ClassVar, TypeAlias

from deploy.engine.artifacts import ArtifactUpload
from deploy.records import record

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


@record
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


@record
class RequestAction(Action):
    """An action that sends one request body, built by ``desired`` and sent unchanged by apply."""

    request: dict[str, Any] = field(default_factory=dict)


@record
class CreateBucket(Action):
    region: str = ""


@record
class UploadArtifacts(Action):
    """Upload the files of ``upload`` (unchanged files are skipped by digest)."""

    upload: ArtifactUpload | None = None


@record
class PutAlarm(RequestAction):
    pass


@record
class DeleteAlarm(Action):
    pass


@record
class CreateModel(RequestAction):
    """CreateModel; ``secret_env`` maps variables to references (``env:HF_TOKEN``) apply resolves at the last moment.

    ``secret_fingerprints``: the plan-time keyed fingerprints (bound to ``endpoint``) the model's name was made from;
    apply refuses a value that no longer matches them.
    """

    secret_env: dict[str, str] = field(default_factory=dict)
    secret_fingerprints: dict[str, str] = field(default_factory=dict)
    endpoint: str = ""


@record
class CreateEndpointConfig(RequestAction):
    pass


@record
class CreateEndpoint(RequestAction):
    pass


@record
class UpdateEndpoint(RequestAction):
    previous_config: str = ""


@record
class DeleteEndpoint(Action):
    pass


@record
class WaitForEndpoint(Action):
    expected_config: str = ""
    timeout_s: float = 3600.0
    previous_config: str | None = None
    mutating: ClassVar[bool] = False


@record
class WaitForDeletion(Action):
    timeout_s: float = 1800.0
    mutating: ClassVar[bool] = False


@record
class TagEndpoint(Action):
    arn: str = ""
    tags: dict[str, str] = field(default_factory=dict)


@record
class RegisterScalableTarget(RequestAction):
    pass


@record
class PutScalingPolicy(RequestAction):
    pass


@record
class DeleteScalingPolicy(Action):
    resource_id: str = ""


@record
class DeregisterScalableTarget(Action):
    pass


@record
class DeleteModel(Action):
    pass


@record
class DeleteEndpointConfig(Action):
    pass


@record
class DeleteArtifacts(Action):
    bucket: str = ""
    prefix: str = ""


# -- inference components (component endpoints) ------------------------------------------------------------------
@record
class CreateInferenceComponent(RequestAction):
    """CreateInferenceComponent: one model on the endpoint's shared capacity, with its copies."""


@record
class UpdateInferenceComponent(RequestAction):
    """UpdateInferenceComponent to a new specification (model, requirements), rolled one copy at a time."""

    previous_model: str = ""


@record
class UpdateInferenceComponentRuntimeConfig(RequestAction):
    """A copy-count change only: no new model, no rolling update."""


@record
class DeleteInferenceComponent(Action):
    pass


@record
class WaitForInferenceComponent(Action):
    """Until the IC is InService (pointing at ``expected_model`` when given); ``endpoint`` names its endpoint."""

    endpoint: str = ""
    expected_model: str = ""
    timeout_s: float = 3600.0
    previous_model: str | None = None
    mutating: ClassVar[bool] = False


@record
class WaitForInferenceComponentDeletion(Action):
    endpoint: str = ""
    timeout_s: float = 1800.0
    mutating: ClassVar[bool] = False


@record
class TagInferenceComponent(Action):
    arn: str = ""
    tags: dict[str, str] = field(default_factory=dict)


@record
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
