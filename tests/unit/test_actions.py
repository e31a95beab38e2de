"""Plan actions are self-contained frozen records, and apply's dispatch covers every type.

mypy checks the exhaustiveness of ``Applier._dispatch``'s match (``assert_never``); these tests check the runtime
side: every concrete action class is in ``AnyAction``, actions cannot be changed, and the payload apply needs
(request bodies, upload manifest, secret references) travels inside the action, not beside it on the plan.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing

import pytest

from deploy.engine import actions as plan_module
from deploy.engine.actions import Action, AnyAction, CreateModel, RequestAction, UploadArtifacts
from deploy.engine.apply import Applier, RunState
from deploy.engine.artifacts import ArtifactUpload
from deploy.engine.plan import Plan


def _concrete_actions() -> set[type]:
    found = set()
    for _, cls in inspect.getmembers(plan_module, inspect.isclass):
        if issubclass(cls, Action) and cls not in (Action, RequestAction):
            found.add(cls)
    return found


def test_every_action_class_is_in_any_action() -> None:
    assert set(typing.get_args(AnyAction)) == _concrete_actions()


@pytest.mark.parametrize("cls", sorted(_concrete_actions(), key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_actions_are_frozen(cls: type) -> None:
    action = cls("resource", "reason")
    with pytest.raises(dataclasses.FrozenInstanceError):
        action.resource = "other"  # type: ignore[attr-defined]


def test_a_plan_carries_no_desired_state() -> None:
    assert {f.name for f in dataclasses.fields(Plan)} == {"endpoint_name", "actions"}


def test_create_model_and_upload_carry_their_payload() -> None:
    upload = ArtifactUpload(bucket="b", prefix="lmi-deploy/ep/weights/", files=())
    model = CreateModel(
        "ep-0123456789", "new", request={"ModelName": "ep-0123456789"}, secret_env={"HF_TOKEN": "env:T"}
    )
    assert UploadArtifacts("s3://b/p/", "first upload", upload=upload).upload is upload
    assert model.secret_env == {"HF_TOKEN": "env:T"} and model.request["ModelName"] == "ep-0123456789"


def test_an_upload_without_files_is_refused_not_guessed() -> None:
    from deploy.errors import DeployError

    applier = Applier.__new__(Applier)  # no AWS context needed: the check comes before any call
    with pytest.raises(DeployError):
        applier._upload(UploadArtifacts("s3://b/p/", "first upload"))


def test_run_state_is_typed_and_starts_unchanged() -> None:
    state = RunState()
    assert (state.status, state.config, state.upload, state.since_ms, state.scaling_off) == (
        "unchanged",
        None,
        None,
        None,
        None,
    )
