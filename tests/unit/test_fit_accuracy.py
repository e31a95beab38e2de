"""benchmarks/fit_accuracy.py: every KV row declares its split, the calibration path never reads a held-out row,
and the report groups by split, vLLM version and GPU with false fits and false refusals."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.unit.script_loading import load_benchmark_script

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "benchmarks" / "data" / "kv_observations.jsonl"

FIT = load_benchmark_script("fit_accuracy.py")
ROWS = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]


class HeldOutRow(dict[str, Any]):
    """A held-out row that fails the test on any read but its split (the one field the filter may look at)."""

    def __getitem__(self, key: str) -> Any:
        if key != "split":
            raise AssertionError(f"held-out field {key!r} was read by the calibration path")
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        if key != "split":
            raise AssertionError(f"held-out field {key!r} was read by the calibration path")
        return super().get(key, default)


def test_every_row_declares_a_known_split_and_a_source() -> None:
    assert {row["split"] for row in ROWS} == {"calibration", "held_out"}
    for row in ROWS:
        assert row.get("split_basis"), row["id"]
        assert row.get("source_url") or row.get("source_context"), row["id"]


def test_row_ids_are_unique() -> None:
    ids = [row["id"] for row in ROWS]
    assert len(ids) == len(set(ids))


def test_calibration_path_never_reads_held_out_rows() -> None:
    poisoned = [HeldOutRow(row) if row["split"] == "held_out" else row for row in ROWS]
    chosen = FIT.calibration_rows(poisoned)
    assert all(row["split"] == "calibration" for row in chosen)
    assert len(chosen) == sum(1 for row in ROWS if row["split"] == "calibration")
    FIT.fit_constants(chosen, FIT._load_configs(DATA.parent))  # would raise on any held-out read


def test_fit_constants_refuses_a_held_out_row() -> None:
    held_out = next(row for row in ROWS if row["split"] == "held_out")
    with pytest.raises(ValueError, match="only calibration rows"):
        FIT.fit_constants([held_out], {})


def test_fit_output_does_not_depend_on_held_out_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # scrambling every held-out number must leave the fitted constants unchanged
    scrambled = []
    for row in ROWS:
        if row["split"] == "held_out":
            row = {**row, "gpu_total_memory_gib_reported": 1.0, "gpu_memory_utilization": 0.1,
                   "reported": {"kv_cache_tokens": 1}, "model_id": "no/such-model", "config_file": None}  # fmt: skip
        scrambled.append(row)
    data = tmp_path / "kv_observations.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in scrambled))
    (tmp_path / "model_configs.json").write_text((DATA.parent / "model_configs.json").read_text())
    assert FIT.main(["--fit", "--data", str(DATA)]) == 0
    original = json.loads(capsys.readouterr().out)
    assert FIT.main(["--fit", "--data", str(data)]) == 0
    assert json.loads(capsys.readouterr().out) == original


def test_fit_recovers_the_constants_in_use() -> None:
    from deploy.sizing.engine_memory import WARMUP_BYTES_PER_LOGIT_V1

    fitted = FIT.fit_constants(FIT.calibration_rows(ROWS), FIT._load_configs(DATA.parent))
    assert fitted["comm_buffer_gib"]["nvlink"] == pytest.approx(1.85, abs=0.1)
    # the warm-up constant sits above the bound the calibration failure implies
    assert fitted["warmup_bytes_per_logit_above"] < WARMUP_BYTES_PER_LOGIT_V1


def test_unknown_split_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "rows.jsonl"
    data.write_text(json.dumps({**ROWS[0], "split": "held-out"}) + "\n")
    assert FIT.main(["--data", str(data)]) == 2
    assert "split must be one of calibration, held_out" in capsys.readouterr().out


def test_report_groups_and_counts() -> None:
    configs = FIT._load_configs(DATA.parent)
    rows = [FIT.evaluate(obs, configs) for obs in ROWS]
    summary = FIT.grouped(rows)
    assert set(summary["by_split"]) == {"calibration", "held_out"}
    for group in summary["by_split_version_gpu"]:
        assert {"split", "vllm", "gpu", "median_abs_error_pct", "worst_case", "false_fits", "false_refusals"} <= set(
            group
        )
    goss = {r["id"]: r for r in rows if r["model"] == "openai/gpt-oss-20b"}
    died = [r for r in goss.values() if not r["vllm_started"]]
    started = [r for r in goss.values() if r["vllm_started"]]
    assert len(died) == 2 and all(not r["predicted_fits"] and not r["false_fit"] for r in died)
    assert started and all(r["predicted_fits"] for r in started)  # the same start at utilization 0.9


ASSUMED_ROWS = [row for row in ROWS if any(k.endswith("_assumed") and v for k, v in row.items())]


@pytest.mark.parametrize("row", ASSUMED_ROWS, ids=[row["id"] for row in ASSUMED_ROWS])
def test_every_assumed_setting_says_why(row: dict[str, Any]) -> None:
    # a value vLLM did not print (default utilization, a torch total taken from another log) names its basis
    for key, value in row.items():
        if key.endswith("_assumed") and value:
            basis = row.get(key.removesuffix("_assumed") + "_basis")
            assert isinstance(basis, str) and basis.strip(), f"{row['id']}: {key} is true but has no basis"


KV_LINE = re.compile(r"GPU KV cache size: ([\d,]+) tokens")
QUOTED_ROWS = [row for row in ROWS if any(KV_LINE.search(line) for line in row.get("verbatim") or [])]


@pytest.mark.parametrize("row", QUOTED_ROWS, ids=[row["id"] for row in QUOTED_ROWS])
def test_recorded_kv_tokens_are_the_first_quoted_kv_line(row: dict[str, Any]) -> None:
    # the number the script compares with is the one vLLM printed first (rank 0), not a retyped or averaged one
    first = next(m for line in row["verbatim"] if (m := KV_LINE.search(line)))
    assert row["reported"]["kv_cache_tokens"] == int(first.group(1).replace(",", ""))


@pytest.mark.parametrize(
    ("version", "series"),
    [("0.8.4", "0.8.x"), ("0.8.5.post1", "0.8.x"), ("0.8.5.dev404+g98060b001", "0.8.x"), ("0.19.0", "0.19.x"),
     ("0.10.1.1", "0.10.x"), ("0.6.4", "0.6.x")],
)  # fmt: skip
def test_release_series(version: str, series: str) -> None:
    assert FIT.release_series(version) == series


def test_vllm_0_8_is_its_own_held_out_group() -> None:
    configs = FIT._load_configs(DATA.parent)
    rows = [FIT.evaluate(obs, configs) for obs in ROWS]
    summary = FIT.grouped(rows)
    lines = {(g["split"], g["series"]): g for g in summary["by_split_series"]}
    held_08 = [r for r in rows if r["split"] == "held_out" and r["vllm_version"].startswith("0.8.")]
    assert held_08 and lines[("held_out", "0.8.x")]["cases"] == len(held_08)
    assert not any("held-out vLLM 0.8.4" in note for note in summary["notes"])  # LMI v15's vLLM is now covered
