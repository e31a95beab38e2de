"""Human-readable views of an Estimate and of recommendations (rich tables and a per-GPU memory bar).

Rule: presentation only - every number shown comes from an Estimate/Recommendation; nothing is computed here
that the JSON output does not also carry. Imported only by the CLI commands, so rich stays off the import
path of the library.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from deploy.sizing.recommend import Recommendation
from deploy.sizing.verdict import Estimate

GIB = 1024**3
BAR_WIDTH = 40
SEGMENTS = (  # (label, style, character)
    ("weights", "bold blue", "█"),
    ("activation", "yellow", "█"),
    ("non-torch", "magenta", "█"),
    ("cuda graphs", "cyan", "█"),
    ("KV cache", "green", "█"),
    ("headroom", "grey50", "░"),
)


def _segments(est: Estimate) -> list[tuple[str, float]]:
    """Bytes per segment of one GPU, in SEGMENTS order, summing to its total memory."""
    kv = max(0, est.kv_cache_bytes_per_gpu)
    graphs = est.cuda_graph_bytes_per_gpu
    used = est.weights_bytes_per_gpu + est.activation_bytes_per_gpu + est.non_torch_bytes_per_gpu + kv
    used += graphs if est.cuda_graph_in_budget else 0
    headroom = max(0, est.total_bytes_per_gpu - used - (0 if est.cuda_graph_in_budget else graphs))
    return [
        ("weights", est.weights_bytes_per_gpu),
        ("activation", est.activation_bytes_per_gpu),
        ("non-torch", est.non_torch_bytes_per_gpu),
        ("cuda graphs", graphs),
        ("KV cache", kv),
        ("headroom", headroom),
    ]


def memory_bar(est: Estimate, width: int = BAR_WIDTH) -> Text:
    """One line: how each GPU's memory is spent (weights, activation, non-torch, graphs, KV, headroom)."""
    parts = _segments(est)
    total = max(sum(v for _, v in parts), est.total_bytes_per_gpu, 1)
    bar = Text()
    for (label, style, char), (_, value) in zip(SEGMENTS, parts, strict=True):
        cells = round(width * value / total)
        if value > 0 and cells == 0 and label in ("weights", "KV cache"):
            cells = 1
        bar.append(char * cells, style=style)
    return bar


def bar_legend(est: Estimate) -> Text:
    legend = Text()
    for (label, style, char), (_, value) in zip(SEGMENTS, _segments(est), strict=True):
        legend.append(f"{char} {label} {value / GIB:.2f} GiB  ", style=style)
    return legend


def _copies(count: int) -> str:
    return f"{count} copy" if count == 1 else f"{count} copies"


def estimate_table(est: Estimate) -> Table:
    """Budget table of one estimate (per GPU) with the verdict rows."""
    table = Table(title=f"{est.model_id} on {est.hardware}", show_header=False, title_justify="left")
    table.add_column("item", style="bold")
    table.add_column("value")
    rows: list[tuple[str, Any]] = [
        (
            "engine",
            f"{est.vllm}, tp={est.tensor_parallel_degree} ({_copies(est.copies_per_instance)}), "
            f"dtype {est.dtype}, kv {est.kv_cache_dtype}",
        ),
        (
            "settings",
            f"max_model_len {est.max_model_len:,}, max_num_seqs {est.max_num_seqs}, profiled tokens "
            f"{est.max_num_batched_tokens:,}, gpu_memory_utilization {est.gpu_memory_utilization}",
        ),
        (
            "GPU memory (torch)",
            f"{est.total_bytes_per_gpu / GIB:.2f} GiB, budget {est.budget_bytes_per_gpu / GIB:.2f} GiB",
        ),
        ("weights / GPU", f"{est.weights_bytes_per_gpu / GIB:.2f} GiB"),
        ("activation peak", f"{est.activation_bytes_per_gpu / GIB:.2f} GiB"),
        ("non-torch", f"{est.non_torch_bytes_per_gpu / GIB:.2f} GiB"),
        (
            "CUDA graphs",
            f"{est.cuda_graph_bytes_per_gpu / GIB:.2f} GiB "
            + ("(in budget)" if est.cuda_graph_in_budget else "(in the headroom, after KV sizing)"),
        ),
        (
            "KV cache / GPU",
            f"{est.kv_cache_gib:.2f} GiB, {est.kv_cache_bytes_per_token / 1024:.1f} KiB per token",
        ),
        ("KV cache tokens", f"{est.kv_cache_tokens:,} ({est.kv_cache_blocks:,} blocks of {est.block_size})"),
        ("max concurrency", f"{est.max_concurrency:.2f}x at {est.max_model_len:,} tokens per request"),
        ("memory per GPU", memory_bar(est)),
        ("", bar_legend(est)),
        ("verdict", Text("fits", style="bold green") if est.fits else Text("does not fit", style="bold red")),
    ]
    for key, value in rows:
        table.add_row(key, value)
    _add_list(table, "reason", est.reasons)
    _add_list(table, "fix", est.fixes)
    _add_list(table, "warning", est.warnings)
    _add_list(table, "source", est.sources)
    _add_list(table, "note", est.notes)
    return table


def _add_list(table: Table, label: str, items: Sequence[str]) -> None:
    for item in items:
        table.add_row(label, item)


def _money(value: float | None) -> str:
    return f"${value:,.3f}" if value is not None else "unknown (no price for this region)"


def performance_table(perf: Any) -> Table:
    """Predicted speed and cost of one workload (a deploy.sizing.perf.Performance)."""
    table = Table(title="Predicted performance (model, not a measurement)", show_header=False, title_justify="left")
    table.add_column("item", style="bold")
    table.add_column("value")
    rows = [
        ("streams per copy", f"{perf.concurrency} asked, {perf.batch} running together"),
        (
            "output tokens/s",
            f"{perf.output_tokens_per_s:,.1f} per copy, {perf.output_tokens_per_s_per_instance:,.1f} per instance",
        ),
        ("TTFT", f"{perf.ttft_ms:,.1f} ms"),
        (
            "ITL",
            f"{perf.itl_ms:,.2f} ms (decode step {perf.decode_step_ms:,.2f} ms, prefill {perf.prefill_ms:,.1f} ms)",
        ),
        ("requests/s", f"{perf.requests_per_s:,.3f} per copy, {perf.requests_per_s_per_instance:,.3f} per instance"),
        ("$/M output tokens", _money(perf.cost_per_million_output_tokens)),
        ("$/M total tokens", _money(perf.cost_per_million_total_tokens)),
    ]
    for key, value in rows:
        table.add_row(key, value)
    _add_list(table, "note", perf.notes)
    return table


def recommendations_table(model_id: str, recs: Sequence[Recommendation], concurrency: int | None) -> Table:
    title = f"Instance types for {model_id}" + (f" at {concurrency} concurrent requests" if concurrency else "")
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 0))
    for name, justify in (
        ("#", "right"),
        ("instance", "left"),
        ("GPUs", "left"),
        ("tp", "right"),
        ("copies", "right"),
        ("KV tok/copy", "right"),
        ("conc/copy", "right"),
        ("headroom", "right"),
        ("$/h", "right"),
    ):
        # Only the GPU column wraps; nothing is cut, and the table fits an 80-column terminal or CI log.
        width = {"#": 2, "tp": 2}.get(name, 4)  # "#" and tp hold one or two digits; "unknown" needs the room
        table.add_column(name, justify=justify, no_wrap=name != "GPUs", min_width=width)  # type: ignore[arg-type]
    for rank, rec in enumerate(recs, 1):
        price = f"{rec.price_per_hour:.2f}" if rec.price_per_hour is not None else "unknown"
        table.add_row(
            str(rank),
            rec.instance_type,
            f"{rec.gpu_count} x {rec.gpu}",
            str(rec.tensor_parallel_degree),
            str(rec.copies),
            f"{rec.kv_cache_tokens:,}",
            f"{rec.max_concurrency:.2f}x",
            f"{rec.headroom:.1f}x",
            price,
        )
    return table


def performance_ranking_table(recs: Sequence[Recommendation], rank_by: str) -> Table:
    """Predicted speed and $/M output tokens per instance type (the workload's concurrency over all copies)."""
    title = f"Predicted performance, ranked by {rank_by} (a model, not a measurement)"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1))
    for name in ("#", "instance", "copies", "tok/s", "TTFT ms", "ITL ms", "$/h", "$/M out"):
        table.add_column(name, justify="left" if name == "instance" else "right", no_wrap=True)
    for rank, rec in enumerate(recs, 1):
        perf = rec.performance
        if perf is None:
            table.add_row(str(rank), rec.instance_type, str(rec.copies), "-", "-", "-", _price(rec), "-")
            continue
        cost = perf.cost_per_million_output_tokens
        table.add_row(
            str(rank),
            rec.instance_type,
            str(rec.copies),
            f"{perf.output_tokens_per_s_per_instance:,.0f}",
            f"{perf.ttft_ms:,.0f}",
            f"{perf.itl_ms:.1f}",
            _price(rec),
            f"{cost:.2f}" if cost is not None else "-",
        )
    return table


def _price(rec: Recommendation) -> str:
    return f"{rec.price_per_hour:.2f}" if rec.price_per_hour is not None else "unknown"
