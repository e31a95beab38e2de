"""A diff entry whose resource no action names (the new model already exists, so there is no CreateModel) is shown
under the action that puts it into service, never under the DeleteModel of the model it replaces.

Classes tried: the model exists (config is created), the model and the config exist (only UpdateEndpoint), a first
deploy (CreateEndpoint), a plan with no endpoint switch (inference components), a plan of deletes only; and, on
arbitrary action lists, every entry is placed exactly once and never under a Delete when something changes.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploy.cli.plan_view import changes_by_action, markdown

OPTION = {"resource": "qwen-new-model", "field": "option.max_model_len", "old": "32768", "new": "8192"}


def act(kind: str, resource: str) -> dict[str, Any]:
    return {"type": kind, "resource": resource, "reason": "r"}


CASES = {
    "model exists": (
        [
            act("UploadArtifacts", "s3://b/p/"),
            act("CreateEndpointConfig", "qwen-c2"),
            act("UpdateEndpoint", "qwen"),
            act("WaitForEndpoint", "qwen"),
            act("DeleteEndpointConfig", "qwen-c1"),
            act("DeleteModel", "qwen-old-model"),
        ],
        "UpdateEndpoint",
    ),
    "model and config exist": (
        [act("UpdateEndpoint", "qwen"), act("DeleteEndpointConfig", "qwen-c1"), act("DeleteModel", "qwen-m1")],
        "UpdateEndpoint",
    ),
    "first deploy": ([act("CreateEndpointConfig", "qwen-c1"), act("CreateEndpoint", "qwen")], "CreateEndpoint"),
    "no endpoint switch": (
        [act("DeleteInferenceComponent", "qwen-a"), act("UpdateInferenceComponent", "qwen-b")],
        "UpdateInferenceComponent",
    ),
    "deletes only": ([act("DeleteModel", "qwen-m1"), act("DeleteModel", "qwen-m2")], "DeleteModel"),
}


@pytest.mark.parametrize("case", CASES)
def test_an_entry_of_an_existing_resource_goes_under_the_action_that_serves_it(case: str) -> None:
    actions, home = CASES[case]
    data = {"endpoint": "qwen", "actions": actions, "diff": [OPTION]}
    groups = changes_by_action(data)
    placed = [(i, a["type"]) for i, (a, group) in enumerate(zip(actions, groups, strict=True)) if group]
    assert [kind for _, kind in placed] == [home]
    kinds = [a["type"] for a in actions]
    assert placed[0][0] == (len(actions) - 1 if case == "deletes only" else kinds.index(home))
    lines = markdown(data).splitlines()
    row = [i for i, line in enumerate(lines) if line.startswith("- **")][placed[0][0]]
    assert lines[row + 1] == "  - `option.max_model_len: 32768 → 8192`"


KINDS = ["CreateModel", "CreateEndpointConfig", "UpdateEndpoint", "DeleteModel", "DeleteEndpointConfig", "Wait"]


@given(
    st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from(["a", "b", "c"])), max_size=8),
    st.lists(st.sampled_from(["a", "b", "c", "orphan"]), max_size=6),
)
def test_every_entry_is_placed_once_and_orphans_avoid_deletes(kinds: list[tuple[str, str]], owners: list[str]) -> None:
    actions = [act(kind, resource) for kind, resource in kinds]
    diff = [{"resource": owner, "field": f"f{i}", "old": 1, "new": 2} for i, owner in enumerate(owners)]
    groups = changes_by_action({"actions": actions, "diff": diff})
    placed = [c["field"] for group in groups for c in group]
    assert sorted(placed) == sorted(c["field"] for c in diff) if actions else placed == []
    changing = any(not a["type"].startswith(("Delete", "Wait")) for a in actions)
    for action, group in zip(actions, groups, strict=True):
        if changing and action["type"].startswith("Delete"):
            assert all(c["resource"] == action["resource"] for c in group)  # only its own resource's entries
