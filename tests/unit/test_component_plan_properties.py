"""Properties of the component plan over generated pairs of specs (before -> after): a component whose spec did not
change is never touched, a removed one is deleted, an added one created, and only superseded models are deleted."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from component_plan_helpers import desired_of, document, serving
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deploy.engine.components.plan import plan_components

MODELS = ("Qwen/Qwen2.5-0.5B-Instruct", "Qwen/Qwen2.5-1.5B-Instruct", "Qwen/Qwen3-0.6B")


@st.composite
def components(draw: Any) -> list[dict[str, Any]]:
    names = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3, unique=True))
    out = []
    for name in sorted(names):
        item: dict[str, Any] = {"name": name, "model": {"id": draw(st.sampled_from(MODELS))}}
        item["copies"] = draw(st.integers(min_value=1, max_value=2))
        if draw(st.booleans()):
            item["scaling"] = {"min": 1, "max": 3}
        out.append(item)
    return out


def spec(items: list[dict[str, Any]]) -> dict[str, Any]:
    return document(scaling={"min": 1, "max": 2}, components=items)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(components(), components())
def test_only_what_changed_is_touched(before_items: list[dict[str, Any]], after_items: list[dict[str, Any]]) -> None:
    before, after = desired_of(spec(before_items)), desired_of(spec(after_items))
    snapshot = replace(serving(before), endpoint=serving(after).endpoint)
    plan = plan_components(after, snapshot)
    touched = {a.resource for a in plan.actions}
    old = {i["name"]: i for i in before_items}
    for item in after_items:
        ic = f"team-llms-{item['name']}"
        previous = old.get(item["name"])
        if previous is None:
            assert ("CreateInferenceComponent", ic) in {(a.type, a.resource) for a in plan.actions}
        elif previous == item:
            assert ic not in touched and f"inference-component/{ic}" not in touched
    for name in set(old) - {i["name"] for i in after_items}:
        assert ("DeleteInferenceComponent", f"team-llms-{name}") in {(a.type, a.resource) for a in plan.actions}
    deleted = {a.resource for a in plan.actions if a.type == "DeleteModel"}
    assert deleted == set(before.model_names) - set(after.model_names)
    assert plan_components(after, serving(after)).actions == ()
