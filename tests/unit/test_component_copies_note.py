"""With component scaling, a `copies` that differs from the live count makes no action (Application Auto Scaling
owns the count), so the plan says so in a note: in its JSON (`notes`), its text and its Markdown comment."""

from __future__ import annotations

from dataclasses import replace

import pytest

from deploy.cli.plan_view import markdown, note_lines
from deploy.engine.components.plan import plan_components
from deploy.engine.components.review import component_notes
from tests.unit.component_plan_helpers import desired_of, document, serving, with_component

QWEN = "team-llms-qwen"


def live(copies: int, live_count: int, **scaling: int) -> tuple[tuple[str, ...], list[str]]:
    """(notes, action types) when the spec says ``copies`` (and ``scaling`` bounds) while the deployed component
    has the document's own bounds and AWS reports ``live_count`` desired copies."""
    base = document()
    bounds = {**base["components"][0]["scaling"], **scaling}
    desired = desired_of(with_component(base, 0, copies=copies, scaling=bounds))
    snapshot = serving(desired_of(with_component(base, 0, copies=copies)))
    moved = replace(snapshot.components[0], desired_copies=live_count)
    snapshot = replace(snapshot, components=(moved, *snapshot.components[1:]))
    return component_notes(desired, snapshot), [a.type for a in plan_components(desired, snapshot).actions]


@pytest.mark.parametrize(("live_count", "copies"), [(1, 3), (0, 2), (2, 4), (1, 2)])
def test_a_higher_copies_is_called_out_with_the_floor_to_raise(live_count: int, copies: int) -> None:
    notes, actions = live(copies, live_count)
    assert actions == []  # autoscaling owns the count: nothing to do
    assert notes == (
        f"{QWEN}: copies {live_count} -> {copies} not applied: component scaling owns the count (0..4); "
        "raise components[qwen].scaling.min to move the floor",
    )


@pytest.mark.parametrize(("live_count", "copies"), [(3, 1), (4, 2), (2, 1)])
def test_a_lower_copies_is_called_out_with_the_ceiling_to_lower(live_count: int, copies: int) -> None:
    notes, _ = live(copies, live_count)
    assert len(notes) == 1 and f"copies {live_count} -> {copies} not applied" in notes[0]
    assert "lower components[qwen].scaling.max to cap it" in notes[0]


@pytest.mark.parametrize(("live_count", "low"), [(0, 2), (1, 3)])
def test_a_new_floor_above_the_live_count_says_it_lifts_it(live_count: int, low: int) -> None:
    notes, actions = live(low, live_count, min=low)
    assert "RegisterScalableTarget" in actions
    assert notes and f"({low}..4)" in notes[0] and f"min {low} lifts it to {low}" in notes[0]


@pytest.mark.parametrize("copies", [1, 2, 3])
def test_no_note_when_the_live_count_is_what_the_spec_says(copies: int) -> None:
    assert live(copies, copies)[0] == ()


@pytest.mark.parametrize(("old", "new"), [(1, 2), (2, 1)])
def test_no_note_without_component_scaling_the_plan_changes_the_copies(old: int, new: int) -> None:
    base = with_component(document(), 0, scaling=None)
    desired = desired_of(with_component(base, 0, copies=new))
    snapshot = serving(desired_of(with_component(base, 0, copies=old)))
    assert component_notes(desired, snapshot) == ()
    assert "UpdateInferenceComponentRuntimeConfig" in [a.type for a in plan_components(desired, snapshot).actions]


def test_a_failed_component_is_recreated_with_the_spec_copies_so_no_note() -> None:
    desired = desired_of(with_component(document(), 0, copies=3))
    snapshot = serving(desired)
    failed = replace(snapshot.components[0], status="Failed", desired_copies=1)
    assert component_notes(desired, replace(snapshot, components=(failed, *snapshot.components[1:]))) == ()


NOTE = f"{QWEN}: copies 1 -> 3 not applied: component scaling owns the count (0..4); raise it"


@pytest.mark.parametrize("actions", [[], [{"type": "CreateModel", "resource": "m", "reason": "new"}]])
def test_the_markdown_comment_and_the_text_lines_show_the_notes(actions: list[dict[str, str]]) -> None:
    data = {"endpoint": "team-llms", "actions": actions, "diff": [], "notes": [NOTE, "second | note <b>"]}
    body = markdown(data)
    assert f"> note: {NOTE}" in body and "> note: second \\| note &lt;b>" in body
    assert ("No changes." in body) is (not actions)
    assert note_lines(data) == [f"note: {NOTE}", "note: second | note <b>"]
    assert note_lines({"actions": []}) == [] and "> " not in markdown({"endpoint": "e", "actions": []})
