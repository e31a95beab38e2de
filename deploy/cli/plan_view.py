"""How a plan's field diff and bill read, in a terminal and on a pull request (Markdown). Presentation only.

Rule: every function takes the plan's JSON form (``PlanResult.to_dict()``: ``actions``, ``diff``, ``cost``), so
``lmi plan``, ``lmi plan --format markdown`` and the CI comment built from a saved ``plan --json`` file
(``python -m deploy.cli.plan_markdown plan.json``) show the same thing. Standard library only at module level.
"""

from __future__ import annotations

import json
from typing import Any

ARROW = "→"
NONE_TEXT = "(none)"
FORMATS = ("table", "json", "markdown")


def check_format(value: Any, flag: str = "--format") -> str:
    """One of :data:`FORMATS` (a UsageError, exit 2, otherwise)."""
    from deploy.errors import UsageError

    if value not in FORMATS:
        raise UsageError(
            f"invalid {flag} {str(value)!r}: not an output format",
            field=flag,
            value=value,
            fix="use " + ", ".join(FORMATS),
        )
    return str(value)


def value_text(value: Any) -> str:
    """A field value as one short line: ``(none)`` for absent, JSON for structures, ``g`` format for floats."""
    if value is None:
        return NONE_TEXT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)


def changes_by_action(data: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """For each action (in order) the diff entries printed under it: each entry under the action that makes its
    resource (a create, register, put or update; else the first action on it); entries whose resource no action
    names go under the last action (none are lost)."""
    actions = data.get("actions") or []
    groups: list[list[dict[str, Any]]] = [[] for _ in actions]
    first: dict[Any, int] = {}
    for index, action in enumerate(actions):
        if str(action.get("type", "")).startswith(("Create", "Register", "Put", "Update")):
            first.setdefault(action.get("resource"), index)
    for index, action in enumerate(actions):
        first.setdefault(action.get("resource"), index)
    for change in data.get("diff") or []:
        index = first.get(change.get("resource"), len(actions) - 1)
        if index >= 0:
            groups[index].append(change)
    return groups


def change_text(change: dict[str, Any]) -> str:
    return f"{change['field']}: {value_text(change.get('old'))} {ARROW} {value_text(change.get('new'))}"


def money(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "unknown"
    sign = ("+" if value > 0 else "-" if value < 0 else "±") if signed else ("-" if value < 0 else "")
    return f"{sign}${abs(value):,.2f}"


def _hourly(side: dict[str, Any]) -> str:
    low, high = side.get("usd_per_hour"), side.get("usd_per_hour_max")
    text = f"{money(low)}/h"
    if side.get("instances_max") != side.get("instances_min"):
        text += f" to {money(high)}/h"
    return text


def fleet_text(side: dict[str, Any]) -> str:
    """``2 x ml.g6e.2xlarge, $5.60/h ($4,088.00/month)`` (with a range when autoscaled); ``nothing`` when empty."""
    if not side.get("instance_type"):
        return "nothing"
    low, high = side.get("instances_min"), side.get("instances_max")
    count = str(low) if low == high else f"{low}-{high}"
    month = money(side.get("usd_per_month"))
    if low != high:
        month += f" to {money(side.get('usd_per_month_max'))}"
    return f"{count} x {side['instance_type']}, {_hourly(side)} ({month}/month)"


def per_token_text(side: dict[str, Any]) -> str:
    value = side.get("usd_per_million_output_tokens")
    return "unknown" if value is None else f"${value:,.3f}"


def cost_lines(cost: dict[str, Any] | None) -> list[str]:
    """The bill in four lines (or none without a cost)."""
    if not cost:
        return []
    before, after = cost["before"], cost["after"]
    change = money(cost.get("change_per_month"), signed=True)
    if before.get("instances_max") != before.get("instances_min") or (
        after.get("instances_max") != after.get("instances_min")
    ):
        change += f" at minimum, {money(cost.get('change_per_month_max'), signed=True)} at maximum capacity"
    work = cost.get("workload") or {}
    lines = [
        f"cost before: {fleet_text(before)}",
        f"cost after:  {fleet_text(after)}",
        f"change per month ({cost.get('hours_per_month', 730)} h): {change}",
        f"predicted $/M output tokens: {per_token_text(before)} {ARROW} {per_token_text(after)} "
        f"(full load, {work.get('input_tokens', '?'):,} in / {work.get('output_tokens', '?'):,} out tokens "
        f"per request, on-demand prices in {cost.get('region', '?')})",
    ]
    return lines + [f"note: {note}" for note in cost.get("notes") or []]


def note_lines(data: dict[str, Any]) -> list[str]:
    """The plan's own notes (what the spec asks but the plan leaves alone), one ``note:`` line each."""
    return [f"note: {note}" for note in data.get("notes") or []]


def markdown(data: dict[str, Any], *, title: str | None = None) -> str:
    """The plan as a pull-request comment body: actions with their field changes, then the bill."""
    name = data.get("endpoint", "?")
    lines = [f"### {title or f'`{name}`'}", ""]
    if "error" in data:
        lines.append(f"**error:** {_md(str(data.get('message', data['error'])))}")
        if data.get("fix"):
            lines += ["", f"fix: {_md(str(data['fix']))}"]
        return "\n".join(lines) + "\n"
    actions = data.get("actions") or []
    if not actions:
        lines.append("No changes.")
    for action, changes in zip(actions, changes_by_action(data), strict=True):
        lines.append(f"- **{action['type']}** `{_code(action['resource'])}`: {_md(action.get('reason', ''))}")
        lines += [f"  - `{_code(change_text(change))}`" for change in changes]
    notes = note_lines(data)
    if notes:
        lines += ["", *(f"> {_md(note)}" for note in notes)]
    bill = cost_lines(data.get("cost"))
    if bill:
        lines += ["", "| | |", "|---|---|"]
        lines += [
            f"| {_md(key.strip())} | {_md(value.strip())} |" for key, _, value in (x.partition(":") for x in bill)
        ]
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    """Every line break (``\\r``, ``\\v``, U+2028 ... as well as ``\\n``) and control character as a space."""
    return "".join(" " if ch.isspace() or not ch.isprintable() else ch for ch in text)


def _md(text: str) -> str:
    """Text safe in a Markdown line or table cell: no HTML, no table breaks, no line breaks."""
    return _one_line(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def _code(text: str) -> str:
    """Text inside single backticks: a backtick would end the span, a line break the bullet."""
    return _one_line(text).replace("`", "'")
