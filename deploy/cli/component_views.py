"""How ``lmi status`` and ``lmi list`` show inference components (the data comes from ``deploy.client``).

Rule: printing only. One table row per component: copies desired/current, accelerators per copy, the model (id
and Hub commit), copy scaling (min/max, metric, target) and status; FailureReason lines below the table, in
full, because a truncated reason hides the cause.
"""

from __future__ import annotations

from typing import Any

COLUMNS = ("component", "status", "copies now/desired", "GPUs/copy", "memory/copy", "model", "scaling")


def show_components(endpoint: Any) -> None:
    """The component table of one endpoint's status (nothing for an endpoint that serves one model)."""
    from rich.markup import escape
    from rich.table import Table

    from deploy.cli._common import console

    if not endpoint.components:
        return
    table = Table(title=f"inference components of {endpoint.name}", title_justify="left")
    for column in COLUMNS:
        table.add_column(column)
    for component in endpoint.components:
        table.add_row(*(escape(cell) for cell in component_row(component)))
    console().print(table)
    for component in endpoint.components:
        if component.failure_reason:
            console().print(
                f"[red]{escape(component.short_name)} FailureReason:[/red] {escape(component.failure_reason)}",
                soft_wrap=True,
            )


def component_row(component: Any) -> tuple[str, ...]:
    """The cells of one component's row (plain text)."""
    name = component.short_name
    if component.base_component:  # a LoRA adapter: it runs in its base's copies, with none of its own
        name += f" (adapter on {component.base_component})"
        return name, component.status, "base's", "-", "-", _model(component), "base's"
    return (
        name,
        component.status,
        f"{_num(component.current_copies)}/{_num(component.desired_copies)}",
        _num(component.accelerators_per_copy),
        f"{component.memory_mb_per_copy:,} MiB" if component.memory_mb_per_copy else "-",
        _model(component),
        _scaling(component.scaling),
    )


def _model(component: Any) -> str:
    model = component.model_id or component.model_name or "?"
    return f"{model}@{component.model_sha[:10]}" if component.model_sha else str(model)


def _scaling(scaling: Any) -> str:
    if scaling is None:
        return "fixed"
    text = f"{scaling.min_copies}-{scaling.max_copies}"
    if scaling.metric:
        target = f" {scaling.target:g}" if scaling.target is not None else ""
        text += f" {scaling.metric}{target}"
    if scaling.scale_out_from_zero:
        text += ", wakes from 0"
    return text


def _num(value: Any) -> str:
    return "?" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def components_cell(endpoint: Any) -> str:
    """The ``components`` cell of ``lmi list``: how many, or ``-`` when not read."""
    count = endpoint.component_count
    return "-" if count is None else str(count)
