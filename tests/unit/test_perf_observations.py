"""The performance model's calibration data: every row cited and split, and the model within 2x of each row."""

from __future__ import annotations

import pytest

from deploy import catalog
from tests.unit.script_loading import load_benchmark_script

ACCURACY = load_benchmark_script("perf_accuracy.py")
ROWS = ACCURACY.load_rows()


def test_rows_exist_in_both_splits() -> None:
    splits = {row["split"] for row in ROWS}
    assert splits == {"calibration", "held_out"}
    assert len({row["id"] for row in ROWS}) == len(ROWS)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["id"])
def test_every_row_is_cited_and_complete(row: dict) -> None:  # type: ignore[type-arg]
    assert row["source"].startswith("https://")
    catalog.get_instance(row["instance"])
    for key in ("concurrency", "input_tokens", "output_tokens", "tp"):
        assert isinstance(row[key], int) and row[key] >= 1
    assert row["output_tokens_per_s"] > 0 and (row["itl_ms"] is None or row["itl_ms"] > 0)


@pytest.mark.parametrize("result", ACCURACY.errors(ROWS, ACCURACY.CALIBRATED), ids=lambda r: r["id"])
def test_no_prediction_is_off_by_more_than_2x(result: dict) -> None:  # type: ignore[type-arg]
    for key in ("tps_ratio", "itl_ratio"):
        assert result[key] is None or 0.5 <= result[key] <= 2.0, (key, result[key])


def test_fit_uses_calibration_rows_only() -> None:
    poisoned = [
        dict(row, output_tokens_per_s=row["output_tokens_per_s"] * 100) if row["split"] == "held_out" else row
        for row in ROWS
    ]
    assert ACCURACY.fit(poisoned) == ACCURACY.fit(ROWS)
