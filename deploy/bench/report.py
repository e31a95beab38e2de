"""Show a benchmark: a rich table for people, a PNG plot for reports (``--json`` needs nothing from here).

Rule: presentation only; every number shown is a field of :class:`deploy.bench.metrics.LevelResult`.
matplotlib is an optional extra (``pip install 'lmi-deploy[plot]'``) imported only when a plot is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deploy.errors import UsageError

if TYPE_CHECKING:
    from deploy.bench.runner import BenchReport
    from deploy.bench.stats import Distribution

PLOT_FIX = "pip install 'lmi-deploy[plot]'  (installs matplotlib)"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f}"


def _triple(dist: Distribution) -> str:
    return "/".join(_ms(v) for v in (dist.p50, dist.p90, dist.p99))


def _num(value: float | None, fmt: str = "{:.1f}") -> str:
    return "-" if value is None else fmt.format(value)


def table_rows(report: BenchReport) -> list[list[str]]:
    """One row of text cells per level (the table's body; also handy for plain-text tests)."""
    rows = []
    for lv in report.levels:
        level = str(int(lv.level)) if lv.mode == "concurrency" else f"{lv.level:g}/s"
        rows.append([
            level, f"{lv.completed}/{lv.sent}", f"{lv.error_rate:.1%}", _num(lv.requests_per_s, "{:.2f}"),
            _num(lv.output_tokens_per_s), _triple(lv.ttft), _triple(lv.tpot), _triple(lv.itl),
            _triple(lv.e2e),
            _num(lv.goodput_requests_per_s, "{:.2f}"), _num(lv.cost_per_million_output_tokens, "${:.2f}"),
        ])  # fmt: skip
    return rows


HEADERS = (
    "load", "ok/sent", "errors", "req/s", "out tok/s", "TTFT ms p50/90/99", "TPOT ms p50/90/99",
    "ITL ms p50/90/99", "E2E ms p50/90/99", "goodput req/s", "$/M out tok",
)  # fmt: skip


def render_table(report: BenchReport) -> Any:
    """A rich Table of the report."""
    from rich.table import Table

    config = report.config
    title = (
        f"lmi bench {report.endpoint}: {config.mode}, ~{config.input_tokens} in / {config.output_tokens} out "
        f"tokens" + (f", {config.instance_count} x {config.instance_type}" if config.instance_type else "")
    )
    table = Table(title=title, title_justify="left")
    for header in HEADERS:
        table.add_column(header, justify="left" if header == "load" else "right", no_wrap=True)
    for row in table_rows(report):
        table.add_row(*row)
    return table


def plot(report: BenchReport, path: str) -> None:
    """Latency (TTFT, TPOT, E2E p50 and p99) and output throughput against the load level, to a PNG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise UsageError(
            "--plot needs matplotlib, which is not installed", field="--plot", value=path, fix=PLOT_FIX
        ) from exc
    levels = [lv.level for lv in report.levels]
    figure, (latency, throughput) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name in ("ttft", "tpot", "e2e"):
        for pct in ("p50", "p99"):
            values = [_scaled(getattr(getattr(lv, name), pct)) for lv in report.levels]
            latency.plot(levels, values, marker="o", label=f"{name.upper()} {pct}")
    latency.set_yscale("log")
    latency.set_ylabel("latency (ms, log scale)")
    throughput.plot(
        levels, [lv.output_tokens_per_s for lv in report.levels], marker="o", label="output tok/s"
    )
    throughput.set_ylabel("output tokens/s")
    xlabel = "concurrent requests" if report.config.mode == "concurrency" else "request rate (req/s)"
    for axis in (latency, throughput):
        axis.set_xlabel(xlabel)
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize="small")
    figure.suptitle(f"lmi bench {report.endpoint}")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _scaled(seconds: float | None) -> float:
    return float("nan") if seconds is None else seconds * 1000.0
