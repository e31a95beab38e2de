"""A destroy plan's bill says what stops being paid, never "predicted $/M output tokens: unknown -> unknown".

Classes tried: a fixed fleet, an autoscaled fleet (a range), an unpriced instance type, nothing serving before
(a destroy of an endpoint that never existed), and, for contrast, a first deploy and an update (the $/M line stays);
each in the text lines, the --json form and the Markdown comment.
"""

from __future__ import annotations

from typing import Any

import pytest

from deploy.cli.plan_view import cost_lines, markdown
from deploy.engine.plan_cost import NOTHING, FleetCost, PlanCost

TEARDOWNS = [
    (FleetCost("ml.g6e.2xlarge", 1, 1, 2.8), "saved: $2.80/h once it is deleted", (2.8, 2.8)),
    (FleetCost("ml.g6e.2xlarge", 1, 3, 2.8), "saved: $2.80/h to $8.40/h once it is deleted", (2.8, 8.4)),
    (FleetCost("ml.g5.xlarge", 0, 2, 1.006), "saved: $0.00/h to $2.01/h once it is deleted", (0.0, 2.012)),
    (FleetCost("ml.x9.huge", 2, 2, None), "saved: unknown (no price, see the note) once it is deleted", (None, None)),
]


def plan(cost: PlanCost) -> dict[str, Any]:
    actions = [{"type": "DeleteEndpoint", "resource": "qwen", "reason": "destroy"}]
    return {"endpoint": "qwen", "actions": actions, "diff": [], "cost": cost.to_dict()}


@pytest.mark.parametrize(("before", "line", "saved"), TEARDOWNS)
def test_a_teardown_says_what_it_saves_in_text_json_and_markdown(
    before: FleetCost, line: str, saved: tuple[float | None, float | None]
) -> None:
    data = plan(PlanCost("us-east-1", before, NOTHING))
    lines = cost_lines(data["cost"])
    assert line in lines
    assert not any("$/M" in text or "unknown → unknown" in text for text in lines)
    assert (data["cost"]["saved_per_hour"], data["cost"]["saved_per_hour_max"]) == saved
    label, _, value = line.partition(": ")
    assert f"| {label} | {value} |" in markdown(data).splitlines()
    assert "$/M" not in markdown(data)


def test_a_teardown_of_nothing_has_no_speed_or_savings_line() -> None:
    data = plan(PlanCost("us-east-1", NOTHING, NOTHING))
    lines = cost_lines(data["cost"])
    assert lines == ["cost before: nothing", "cost after:  nothing", "change per month (730 h): ±$0.00"]
    assert data["cost"]["saved_per_hour"] is None and data["cost"]["saved_per_hour_max"] is None
    assert "saved" not in markdown(data) and "$/M" not in markdown(data)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (NOTHING, FleetCost("ml.g6e.2xlarge", 1, 1, 2.8, 0.46)),  # first deploy
        (FleetCost("ml.g6e.2xlarge", 1, 1, 2.8, 0.46), FleetCost("ml.g6e.4xlarge", 1, 2, 3.76, 0.63)),  # update
    ],
)
def test_a_plan_that_serves_after_keeps_the_per_token_line_and_saves_nothing(
    before: FleetCost, after: FleetCost
) -> None:
    data = plan(PlanCost("us-east-1", before, after))
    assert any(text.startswith("predicted $/M output tokens: ") for text in cost_lines(data["cost"]))
    assert not any(text.startswith("saved") for text in cost_lines(data["cost"]))
    assert data["cost"]["saved_per_hour"] is None
