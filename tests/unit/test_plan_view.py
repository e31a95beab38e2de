"""The plan's diff and bill as text and as a pull-request comment (Markdown), from the plan's JSON form; the cost
arithmetic checked by hand; the CI workflow builds its comment with the same renderer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploy.cli.plan_markdown import comment
from deploy.cli.plan_view import change_text, changes_by_action, check_format, cost_lines, markdown, value_text
from deploy.engine.plan_cost import HOURS_PER_MONTH, NOTHING, FleetCost, PlanCost, hourly_price
from deploy.errors import UsageError

REPO = Path(__file__).resolve().parents[2]


def fleet(kind: str | None, low: int, high: int, price: float | None, per_m: float | None = None) -> FleetCost:
    return FleetCost(kind, low, high, price, per_m)


def sample_plan() -> dict[str, Any]:
    cost = PlanCost(
        "us-east-1",
        fleet("ml.g6e.2xlarge", 1, 4, 2.8, 0.4634),
        fleet("ml.g6e.4xlarge", 1, 2, 3.76, 0.6317),
        ("a blue/green update runs the old and the new fleet together until it completes",),
    )
    return {
        "endpoint": "qwen",
        "actions": [
            {"type": "CreateModel", "resource": "qwen-m2", "reason": "model content changed or new"},
            {"type": "CreateEndpointConfig", "resource": "qwen-c2", "reason": "endpoint config content changed"},
            {"type": "DeregisterScalableTarget", "resource": "endpoint/qwen/variant/AllTraffic", "reason": "x"},
            {"type": "RegisterScalableTarget", "resource": "endpoint/qwen/variant/AllTraffic", "reason": "y"},
            {"type": "UpdateEndpoint", "resource": "qwen", "reason": "blue/green"},
            {"type": "DeleteModel", "resource": "qwen-m1", "reason": "superseded"},
        ],
        "diff": [
            {"resource": "qwen-m2", "field": "option.max_model_len", "old": "32768", "new": "8192"},
            {"resource": "qwen-m2", "field": "env.HF_TOKEN", "old": "****", "new": "**** (changed, env:HF_TOKEN)"},
            {"resource": "qwen-c2", "field": "instance_type", "old": "ml.g6e.2xlarge", "new": "ml.g6e.4xlarge"},
            {"resource": "endpoint/qwen/variant/AllTraffic", "field": "scaling.max", "old": 4, "new": 2},
            {"resource": "elsewhere", "field": "update_strategy", "old": "blue/green", "new": "rolling"},
        ],
        "cost": cost.to_dict(),
    }


# -- the cost arithmetic, by hand --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("price", "low", "high", "hour", "hour_max", "month", "month_max"),
    [
        (2.8, 1, 4, 2.8, 11.2, 2044.0, 8176.0),  # 2.80 x 730 = 2,044; x 4 = 8,176
        (3.76, 2, 2, 7.52, 7.52, 5489.6, 5489.6),  # 3.76 x 2 = 7.52; x 730 = 5,489.60
        (1.212, 0, 3, 0.0, 3.636, 0.0, 2654.28),  # async scaled to zero: 0 at minimum; 1.212 x 3 x 730
        (None, 1, 2, None, None, None, None),  # unknown price: unknown, never guessed
    ],
)
def test_fleet_cost_by_hand(
    price: float | None, low: int, high: int, hour: Any, hour_max: Any, month: Any, month_max: Any
) -> None:
    side = fleet("ml.x", low, high, price).to_dict()
    assert (side["usd_per_hour"], side["usd_per_hour_max"]) == (hour, hour_max)
    assert (side["usd_per_month"], side["usd_per_month_max"]) == (month, month_max)
    assert HOURS_PER_MONTH == 730


def test_the_change_per_month_is_after_minus_before_and_unknown_when_either_is() -> None:
    cost = PlanCost("us-east-1", fleet("a", 1, 4, 2.8), fleet("b", 1, 2, 3.76))
    assert cost.to_dict()["change_per_month"] == pytest.approx(2744.8 - 2044.0)  # 700.80
    assert cost.to_dict()["change_per_month_max"] == pytest.approx(5489.6 - 8176.0)  # -2,686.40
    assert PlanCost("r", NOTHING, fleet("b", 1, 1, 2.0)).change_per_month == pytest.approx(1460.0)
    assert PlanCost("r", fleet("a", 1, 1, None), fleet("b", 1, 1, 2.0)).change_per_month is None
    assert PlanCost("r", fleet("a", 1, 1, 2.0), NOTHING).change_per_month == pytest.approx(-1460.0)


@pytest.mark.parametrize("region", ["eu-west-1", "ap-southeast-2", "xx-nowhere-1"])
def test_a_region_without_prices_is_unknown_never_another_regions_price(region: str) -> None:
    assert hourly_price("ml.g6e.2xlarge", region) is None
    lines = cost_lines(PlanCost(region, NOTHING, fleet("ml.g6e.2xlarge", 1, 1, None)).to_dict())
    assert lines[1] == "cost after:  1 x ml.g6e.2xlarge, unknown/h (unknown/month)"
    assert lines[2] == "change per month (730 h): unknown"


def test_the_known_region_has_the_catalog_price() -> None:
    assert hourly_price("ml.g6e.2xlarge", "us-east-1") == pytest.approx(2.8)
    assert hourly_price("ml.not-a-type", "us-east-1") is None


# -- text ----------------------------------------------------------------------------------------------------
def test_each_change_goes_under_the_action_that_makes_its_resource() -> None:
    groups = changes_by_action(sample_plan())
    fields = [[c["field"] for c in group] for group in groups]
    assert fields == [
        ["option.max_model_len", "env.HF_TOKEN"],
        ["instance_type"],
        [],  # Deregister comes first, but the new bounds belong to Register
        ["scaling.max"],
        ["update_strategy"],  # no action names its resource: kept, under the action that switches the endpoint
        [],  # never under the Delete of what it replaces
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "(none)"), (True, "true"), (False, "false"), (10.0, "10"), (0.85, "0.85"), (4, "4"),
     ({"b": 1, "a": [2]}, '{"a":[2],"b":1}'), ("ml.g5", "ml.g5")],
)  # fmt: skip
def test_values_read_as_one_short_line(value: Any, text: str) -> None:
    assert value_text(value) == text
    assert change_text({"field": "f", "old": value, "new": None}) == f"f: {text} → (none)"


def test_cost_lines_read_like_a_bill() -> None:
    assert cost_lines(sample_plan()["cost"]) == [
        "cost before: 1-4 x ml.g6e.2xlarge, $2.80/h to $11.20/h ($2,044.00 to $8,176.00/month)",
        "cost after:  1-2 x ml.g6e.4xlarge, $3.76/h to $7.52/h ($2,744.80 to $5,489.60/month)",
        "change per month (730 h): +$700.80 at minimum, -$2,686.40 at maximum capacity",
        "predicted $/M output tokens: $0.463 → $0.632 (full load, 1,000 in / 200 out tokens per request, "
        "on-demand prices in us-east-1)",
        "note: a blue/green update runs the old and the new fleet together until it completes",
    ]
    assert cost_lines(None) == []


@pytest.mark.parametrize("bad", ["yaml", "JSON", "", "md"])
def test_an_unknown_format_is_a_usage_error(bad: str) -> None:
    with pytest.raises(UsageError) as info:
        check_format(bad)
    assert info.value.field == "--format" and "markdown" in str(info.value.fix)


# -- markdown ------------------------------------------------------------------------------------------------
def test_markdown_lists_actions_with_their_changes_then_the_bill() -> None:
    text = markdown(sample_plan())
    lines = text.splitlines()
    assert lines[0] == "### `qwen`"
    model = lines.index("- **CreateModel** `qwen-m2`: model content changed or new")
    assert lines[model + 1] == "  - `option.max_model_len: 32768 → 8192`"
    assert lines[model + 2] == "  - `env.HF_TOKEN: **** → **** (changed, env:HF_TOKEN)`"
    assert "| change per month (730 h) | +$700.80 at minimum, -$2,686.40 at maximum capacity |" in lines
    per_token = "$0.463 → $0.632 (full load, 1,000 in / 200 out tokens per request, on-demand prices in us-east-1)"
    assert f"| predicted $/M output tokens | {per_token} |" in lines


def test_markdown_of_an_empty_plan_and_of_an_error() -> None:
    assert "No changes." in markdown({"endpoint": "e", "actions": [], "diff": []})
    error = {"error": "SpecError", "message": "bad | spec <b>", "fix": "use `x`", "exit_code": 2}
    text = markdown(error, title="`spec.yaml` (exit 2)")
    assert text.splitlines()[0] == "### `spec.yaml` (exit 2)"
    assert "**error:** bad \\| spec &lt;b>" in text and "fix: use `x`" in text


@given(st.text(max_size=40), st.text(max_size=40), st.text(max_size=40))
def test_any_text_stays_on_its_own_line_and_cell(resource: str, field: str, reason: str) -> None:
    data = {
        "endpoint": "e",
        "actions": [{"type": "CreateModel", "resource": resource, "reason": reason}],
        "diff": [{"resource": resource, "field": field, "old": reason, "new": None}],
        "cost": PlanCost("us-east-1", NOTHING, fleet(reason or "t", 1, 1, 1.0), (reason,)).to_dict(),
    }
    lines = markdown(data).splitlines()
    bullets = [line for line in lines if line.startswith(("- ", "  - "))]
    assert len(bullets) == 2  # a line break in any value never starts a new bullet or row
    rows = [line for line in lines if line.startswith("|")]
    assert len(rows) == 2 + 5 and all(line.count("|") - line.count("\\|") == 3 for line in rows)
    assert "<" not in "".join(rows)


# -- the script the CI workflow runs -------------------------------------------------------------------------
def test_the_script_renders_a_saved_plan_an_error_and_junk(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(sample_plan()))
    assert comment(plan, "`s.yaml` (exit 0)") == markdown(sample_plan(), title="`s.yaml` (exit 0)")
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps({"event": "x"}) + "\n" + json.dumps(sample_plan()) + "\n")
    assert comment(events) == markdown(sample_plan())
    junk = tmp_path / "junk.json"
    for content in ("Traceback (most recent call last):", "[1, 2]", ""):
        junk.write_text(content)
        assert "not a plan" in comment(junk)
    assert "cannot read" in comment(tmp_path / "missing.json")


def test_the_workflow_posts_the_comment_the_script_makes(tmp_path: Path) -> None:
    import yaml

    from deploy.render.templates import render_template

    workflow = yaml.safe_load(render_template("templates/github-workflow.yml", spec_glob="s/*.yaml", region="r"))
    (plan_step,) = [s for s in workflow["jobs"]["plan"]["steps"] if s.get("id") == "plan"]
    assert 'lmi plan "$spec" --json > plan.json' in plan_step["run"]
    assert "python -m deploy.cli.plan_markdown plan.json" in plan_step["run"]
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(sample_plan()))
    run = subprocess.run(
        [sys.executable, "-m", "deploy.cli.plan_markdown", str(plan), "`s.yaml` (exit 0)"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert run.returncode == 0 and run.stdout == markdown(sample_plan(), title="`s.yaml` (exit 0)")
    usage = subprocess.run([sys.executable, "-m", "deploy.cli.plan_markdown"], capture_output=True, text=True)
    assert usage.returncode == 2 and "usage:" in usage.stderr


def test_observed_prices_win_and_an_unread_type_falls_back_to_the_table() -> None:
    observed = {"ml.g6e.2xlarge": 3.1, "ml.g5.xlarge": None}
    assert hourly_price("ml.g6e.2xlarge", "us-east-1", observed) == pytest.approx(3.1)  # the Price List's figure
    assert hourly_price("ml.g5.xlarge", "us-east-1", observed) is None  # observe said: not priced there
    assert hourly_price("ml.g6e.4xlarge", "us-east-1", observed) == pytest.approx(3.76)  # not read: the table
