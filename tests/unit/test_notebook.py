"""Notebook quality: results render as HTML tables, bench results become rows (or a DataFrame), plotting returns a
Figure and leaves the global matplotlib backend alone."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from test_bench_stats import _report

from deploy.engine.apply import ApplyResult
from deploy.engine.plan import CreateModel, Plan
from deploy.engine.resolve import resolve
from deploy.errors import UsageError
from deploy.spec.loader import parse_spec

ROLE = "arn:aws:iam::123456789012:role/R"


def _estimate() -> Any:
    spec = parse_spec({"name": "ep", "role": ROLE, "model": {"id": "Qwen/Qwen2.5-7B-Instruct"}})
    return resolve(spec).estimate


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda: Plan("ep", (CreateModel("ep-0123456789", "new <model>"),)), "new &lt;model&gt;"),
        (lambda: Plan("ep", ()), "no changes"),
        (lambda: ApplyResult("ep", "InService", ("CreateModel ep-1",)), "CreateModel ep-1"),
        (_estimate, "KV cache"),
        (_report, "ttft_p50_ms"),
    ],
    ids=["plan", "empty-plan", "apply-result", "estimate", "bench-report"],
)
def test_results_render_as_html_with_text_escaped(make: Any, needle: str) -> None:
    html = make()._repr_html_()
    assert html.startswith(("<table", "<p>")) and needle in html


def test_bench_records_are_flat_rows() -> None:
    rows = _report().records()
    assert isinstance(rows, list) and len(rows) == 1
    row = rows[0]
    assert row["level"] == 2 and row["endpoint"] == "ep"
    assert all(isinstance(v, (str, int, float, type(None))) for v in row.values())
    assert {"ttft_p50_ms", "tpot_p99_ms", "e2e_mean_ms", "itl_p90_ms", "ttft_count", "output_tokens_per_s"} <= set(row)
    assert row["ttft_count"] == 3 and row["failed"] == 1


def test_to_dataframe_without_pandas_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(UsageError) as info:
        _report().to_dataframe()
    assert "pip install pandas" in (info.value.fix or "")


def test_to_dataframe_with_pandas() -> None:
    pd = pytest.importorskip("pandas")
    frame = _report().to_dataframe()
    assert isinstance(frame, pd.DataFrame) and list(frame["level"]) == [2]


def test_the_figure_is_a_figure_and_the_backend_stays() -> None:
    """In a fresh interpreter: pick a backend, draw, check the backend and that pyplot was never imported."""
    pytest.importorskip("matplotlib")
    code = (
        "import sys, matplotlib\n"
        "matplotlib.use('svg')\n"
        "sys.path.insert(0, 'tests/unit')\n"
        "from test_bench_stats import _report\n"
        "from matplotlib.figure import Figure\n"
        "from deploy.bench.report import figure as draw\n"
        "figure = draw(_report())\n"
        "assert isinstance(figure, Figure), type(figure)\n"
        "print(matplotlib.get_backend(), 'matplotlib.pyplot' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["svg", "False"]
