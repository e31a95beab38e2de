"""Show a benchmark: a rich table for people, a PNG plot for reports (``--json`` needs nothing from here).

Rule: presentation only; every number shown is a field of :class:`deploy.bench.metrics.LevelResult`.
matplotlib is an optional extra (``pip install 'lmi-deploy[plot]'``) imported only when a plot is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deploy.errors import UsageError

if TYPE_CHECKING:
    from deploy.bench.metrics import LevelResult
    from deploy.bench.runner import BenchReport
    from deploy.bench.stats import Distribution

PLOT_FIX = "pip install 'lmi-deploy[plot]'  (installs matplotlib)"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f}"


def _triple(dist: Distribution) -> str:
    return "/".join(_ms(v) for v in (dist.p50, dist.p90, dist.p99))


def _num(value: float | None, fmt: str = "{:.1f}") -> str:
    return "-" if value is None else fmt.format(value)


def throughput_rows(report: BenchReport) -> list[list[str]]:
    """Per level: load, ok/sent, error rate, req/s, output tok/s, goodput, cost per million output tokens."""
    return [
        [
            _level(lv), f"{lv.completed}/{lv.sent}", f"{lv.error_rate:.1%}",
            _num(lv.requests_per_s, "{:.2f}"), _num(lv.output_tokens_per_s),
            _num(lv.goodput_requests_per_s, "{:.2f}"),
            _num(lv.cost_per_million_output_tokens, "${:.2f}"),
        ]
        for lv in report.levels
    ]  # fmt: skip


def latency_rows(report: BenchReport) -> list[list[str]]:
    """Per level: TTFT, TPOT, ITL and E2E as p50/p90/p99 in milliseconds."""
    return [[_level(lv), *(_triple(d) for d in (lv.ttft, lv.tpot, lv.itl, lv.e2e))] for lv in report.levels]


def _level(lv: LevelResult) -> str:
    return str(int(lv.level)) if lv.mode == "concurrency" else f"{lv.level:g}/s"


THROUGHPUT_HEADERS = ("load", "ok/sent", "errors", "req/s", "out tok/s", "goodput req/s", "$/M out tok")
LATENCY_HEADERS = ("load", "TTFT", "TPOT", "ITL", "E2E")


def render_tables(report: BenchReport) -> list[Any]:
    """Two rich Tables: throughput and cost, then latency percentiles (each fits 80 columns)."""
    from rich.table import Table

    config = report.config
    where = f", {config.instance_count} x {config.instance_type}" if config.instance_type else ""
    if config.capacity_share is not None:
        where += f", component's share {config.capacity_share:.0%}"
    about = "" if report.token_counting.get("exact") else "~"
    sent = (
        "ShareGPT replay" if config.dataset else f"{about}{config.input_tokens} in / {config.output_tokens} out tokens"
    )
    title = f"lmi bench {report.target}: {sent}{where}"
    tables = []
    for caption, headers, rows in (
        (title, THROUGHPUT_HEADERS, throughput_rows(report)),
        ("latency in ms, p50/p90/p99", LATENCY_HEADERS, latency_rows(report)),
    ):
        table = Table(title=caption, title_justify="left")
        for header in headers:
            table.add_column(header, justify="left" if header == "load" else "right", no_wrap=True)
        for row in rows:
            table.add_row(*row)
        tables.append(table)
    return tables + prediction_tables(report)


PREDICTION_HEADERS = ("load", "TTFT ms", "ITL ms", "out tok/s")


def prediction_tables(report: BenchReport) -> list[Any]:
    """Measured / predicted (x measured/predicted) per level, when the performance model could be applied."""
    from rich.table import Table

    prediction = report.prediction or {}
    if not prediction.get("levels"):
        return []
    tp = prediction.get("tensor_parallel_degree")
    where = f"{prediction.get('model')} on {prediction.get('instance_type')}, tp {tp}"
    if prediction.get("copies"):  # an inference component: the level is spread over its copies
        where += f", {prediction['copies']} cop{'y' if prediction['copies'] == 1 else 'ies'}"
    table = Table(title=f"measured / predicted by the performance model ({where})", title_justify="left")
    for header in PREDICTION_HEADERS:
        table.add_column(header, justify="left" if header == "load" else "right", no_wrap=True)
    for row in prediction["levels"]:
        cells = [_versus(row, key) for key in ("ttft_ms", "itl_ms", "output_tokens_per_s")]
        table.add_row(str(row["level"]), *cells)
    return [table]


def _versus(row: dict[str, Any], key: str) -> str:
    measured, predicted, ratio = row["measured"].get(key), row["predicted"].get(key), row["ratio"].get(key)
    return f"{_num(measured)} / {_num(predicted)} (x{_num(ratio, '{:.2f}')})"


def error_lines(report: BenchReport) -> list[str]:
    """One line per level and kind of failure: how many, and the first message (the table only counts them)."""
    return [
        f"{_level(lv)}: {count} x {kind}: {lv.error_examples.get(kind, 'no message')}"
        for lv in report.levels
        for kind, count in lv.errors.items()
    ]


def require_matplotlib(path: str) -> None:
    """Fail before a long run when ``--plot`` cannot be honoured (no matplotlib, or nowhere to write)."""
    import importlib.util
    import os

    if importlib.util.find_spec("matplotlib") is None:
        raise UsageError("--plot needs matplotlib, which is not installed", field="--plot", value=path, fix=PLOT_FIX)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UsageError(
            f"--plot: the directory {directory} does not exist",
            field="--plot",
            value=path,
            fix="create it first, or write the plot elsewhere",
        )


def plot(report: BenchReport, path: str) -> None:
    """Latency (TTFT, TPOT, E2E p50 and p99) and output throughput against the load level, to a PNG."""
    drawn = figure(report)
    try:
        drawn.savefig(path, dpi=120)
    except OSError as exc:
        raise UsageError(
            f"--plot: cannot write {path}: {exc.strerror or exc}", field="--plot", value=path, fix="choose another path"
        ) from exc


def figure(report: BenchReport) -> Any:
    """The plot as a ``matplotlib.figure.Figure`` (shown inline by Jupyter); the global backend is never touched.

    Built with the object-oriented API (no pyplot), so it neither switches a notebook's backend nor stays
    registered with pyplot's figure manager.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise UsageError("plotting needs matplotlib, which is not installed", field="plot", fix=PLOT_FIX) from exc
    levels = [lv.level for lv in report.levels]
    drawn = Figure(figsize=(12, 4.5))
    latency, throughput = drawn.subplots(1, 2)
    for name in ("ttft", "tpot", "e2e"):
        for pct in ("p50", "p99"):
            values = [_scaled(getattr(getattr(lv, name), pct)) for lv in report.levels]
            latency.plot(levels, values, marker="o", label=f"{name.upper()} {pct}")
    latency.set_yscale("log")
    latency.set_ylabel("latency (ms, log scale)")
    throughput.plot(levels, [lv.output_tokens_per_s for lv in report.levels], marker="o", label="output tok/s")
    throughput.set_ylabel("output tokens/s")
    xlabel = "concurrent requests" if report.config.mode == "concurrency" else "request rate (req/s)"
    for axis in (latency, throughput):
        axis.set_xlabel(xlabel)
        if len(levels) > 2 and min(levels) > 0 and max(levels) / min(levels) >= 8:
            axis.set_xscale("log", base=2)  # sweeps like 1,4,16,64 spread evenly
            axis.set_xticks(levels, [f"{lv:g}" for lv in levels])
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize="small")
    drawn.suptitle(f"lmi bench {report.target}")
    drawn.tight_layout()
    return drawn


def _scaled(seconds: float | None) -> float:
    return float("nan") if seconds is None else seconds * 1000.0


def run_with_progress(run: Any, endpoint: Any, config: Any, *, quiet: bool) -> Any:
    """Call ``run(endpoint, config, on_done=..., on_level=...)`` under a rich progress bar on stderr."""
    if quiet:
        return run(endpoint, config)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("warm-up", total=None)

        def on_level(level: float, count: int) -> None:
            label = f"{config.mode} {level:g}"
            progress.reset(task, description=label, total=count or None, completed=0)

        def on_done(record: Any) -> None:
            progress.advance(task)

        return run(endpoint, config, on_done=on_done, on_level=on_level)
