"""`lmi plan` on a component endpoint reads like a review: old -> new per changed field, and the bill.

Hand-checked bill: ml.g6e.12xlarge is priced from the bundled us-east-1 table; instance bounds 0..2 -> 1..3 move
the monthly cost at the minimum from 0 to 1 x price x 730 h.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from deploy import client
from deploy.catalog.prices import table_price
from deploy.local.testing import lmi_emulator
from tests.functional.test_component_deploy import deployed, plain, write
from tests.unit.component_plan_helpers import with_component

__all__ = ["lmi_emulator"]
TYPE = "ml.g6e.12xlarge"


def _review(ctx: Any, spec: Path) -> dict[str, Any]:
    return client.plan(spec, context=ctx).to_dict()


def test_an_unchanged_endpoint_has_no_diff_and_an_equal_bill(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    spec = deployed(ctx, tmp_path, plain())
    out = _review(ctx, spec)
    assert out["diff"] == []
    assert out["cost"]["before"] == out["cost"]["after"] and out["cost"]["change_per_month"] == 0


def test_copies_bounds_and_a_removed_component_are_listed_with_the_bill(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    deployed(ctx, tmp_path, plain())
    changed = with_component({**plain(), "scaling": {"min": 1, "max": 3}}, 1, copies=2)
    changed["components"] = changed["components"][1:]  # qwen removed, small 1 -> 2 copies
    out = _review(ctx, write(tmp_path, changed, "changed.yaml"))
    diff = {(d["resource"], d["field"]): (d["old"], d["new"]) for d in out["diff"]}
    assert diff[("team-llms", "instances (min..max)")] == ("0..2", "1..3")
    assert diff[("team-llms-small", "copies")] == (1, 2)
    assert diff[("team-llms-qwen", "component")][1] is None
    price = table_price(TYPE, "us-east-1").usd_per_hour
    assert price is not None
    cost = out["cost"]
    assert cost["before"]["usd_per_hour"] == 0 and cost["after"]["usd_per_hour"] == pytest.approx(price)
    assert cost["change_per_month"] == pytest.approx(price * 730, abs=0.01)
    assert cost["after"]["usd_per_hour_max"] == pytest.approx(3 * price)
    assert any("component endpoints" in note for note in cost["notes"])


def test_destroy_shows_what_stops_being_paid(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    spec = deployed(ctx, tmp_path, {**plain(), "scaling": {"min": 1, "max": 2}})
    out = client.destroy_plan(spec, context=ctx).to_dict()
    price = table_price(TYPE, "us-east-1").usd_per_hour
    assert out["cost"]["before"]["usd_per_hour"] == pytest.approx(price) and out["cost"]["after"]["usd_per_hour"] == 0
    assert out["cost"]["saved_per_hour"] == pytest.approx(price)  # the component endpoint's teardown saves it too
