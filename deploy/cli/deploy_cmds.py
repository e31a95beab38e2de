"""Deployment commands: ``lmi plan``, ``lmi deploy``/``apply``, ``lmi status``, ``lmi list``, ``lmi destroy``,
``lmi scale``.

Rule: thin. Parse flags, call :mod:`deploy.client`, print. Only typer and the standard library are imported at module
level (``lmi --help`` must stay fast). Data goes to stdout (a rich table, or JSON with ``--json``); progress goes to
stderr on a terminal, or to stdout as one JSON object per line with ``--json``. A terminal asks before changing
anything; elsewhere ``--yes`` is required, so a CI job can never apply by accident.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
from pathlib import Path
from typing import Any

import typer

from deploy.cli._common import JSON_OPTION, LOCAL_OPTION, PROFILE_OPTION, REGION_OPTION, console, print_json

YES_OPTION = typer.Option(False, "--yes", "-y", help="Apply without asking (CI); also consents to creating the bucket.")
STYLES = {
    "Create": "green",
    "Upload": "green",
    "Put": "green",
    "Register": "green",
    "Update": "yellow",
    "Tag": "yellow",
    "Wait": "dim",
    "Delete": "red",
    "Deregister": "red",
}
_print_lock = threading.Lock()


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_cmd)
    app.command("deploy")(deploy_cmd)
    app.command("apply", help="Alias of `lmi deploy`.")(deploy_cmd)
    app.command("status")(status_cmd)
    app.command("list")(list_cmd)
    app.command("destroy")(destroy_cmd)
    app.command("scale")(scale_cmd)


def plan_cmd(
    spec: Path = typer.Argument(..., help="Spec file (YAML or TOML)."),
    as_json: bool = JSON_OPTION,
    output_format: str = typer.Option("table", "--format", help="table (default), json or markdown (a PR comment)."),
    local: bool = LOCAL_OPTION,
    region: str | None = REGION_OPTION,
    profile: str | None = PROFILE_OPTION,
) -> None:
    """Show what `lmi deploy SPEC` would change (read-only AWS calls): each action with its field changes
    (old -> new), and the cost before and after. Empty when nothing would change."""
    from deploy.cli.plan_view import check_format
    from deploy.errors import UsageError

    output_format = check_format(output_format)
    if as_json and output_format not in {"table", "json"}:  # two formats asked for: say so instead of picking one
        raise UsageError(
            f"--json and --format {output_format} ask for two output formats",
            field="--format",
            value=output_format,
            fix="keep one: --json (or --format json) for the JSON plan, --format markdown for the comment",
        )
    output_format = "json" if as_json else output_format
    result = _plan(spec, _client(region, profile, local))
    if output_format == "json":
        print_json(result.to_dict())
    elif output_format == "markdown":
        from deploy.cli.plan_view import markdown

        sys.stdout.write(markdown(result.to_dict()))
    else:
        _show_plan(result)


def deploy_cmd(
    specs: list[Path] = typer.Argument(..., help="One or more spec files; several are applied concurrently."),
    yes: bool = YES_OPTION,
    as_json: bool = JSON_OPTION,
    local: bool = LOCAL_OPTION,
    region: str | None = REGION_OPTION,
    profile: str | None = PROFILE_OPTION,
) -> None:
    """Plan, show the plan, confirm (unless --yes), apply and wait until InService."""
    client = _client(region, profile, local)
    plans = [_plan(path, client) for path in specs]
    _refuse_shared_endpoints(specs, plans)
    if as_json:
        for result in plans:
            _emit_json({"event": "plan", **result.to_dict()})
    else:
        for result in plans:
            _show_plan(result)
    if all(result.is_empty for result in plans):
        _finish([{"endpoint": r.plan.endpoint_name, "status": "unchanged", "actions": []} for r in plans], as_json)
        return
    _confirm(sum(len(r.actions) for r in plans), yes, as_json)
    from deploy.cli.interrupts import finish_command

    commands = {
        r.plan.endpoint_name: finish_command(["deploy", str(path)], region=region, profile=profile, local=local)
        for path, r in zip(specs, plans, strict=True)
    }
    _finish(_apply_all(plans, as_json, commands), as_json)


def status_cmd(
    name: str = typer.Argument(..., help="Endpoint name."),
    as_json: bool = JSON_OPTION,
    local: bool = LOCAL_OPTION,
    region: str | None = REGION_OPTION,
    profile: str | None = PROFILE_OPTION,
) -> None:
    """Status, instance, count, spec hash, age and indicative hourly cost of endpoint NAME."""
    endpoint = _client(region, profile, local).status(name)
    if as_json:
        print_json(endpoint.to_dict())
    else:
        from deploy.cli.component_views import show_components

        _show_endpoints([endpoint], title=f"endpoint {name}")
        show_components(endpoint)
        if endpoint.metrics is not None:
            console().print(_metrics_line(endpoint.metrics))
        if endpoint.failure_reason:
            from rich.markup import escape

            console().print(f"[red]FailureReason:[/red] {escape(endpoint.failure_reason)}", soft_wrap=True)


def list_cmd(
    as_json: bool = JSON_OPTION,
    local: bool = LOCAL_OPTION,
    region: str | None = REGION_OPTION,
    profile: str | None = PROFILE_OPTION,
) -> None:
    """Endpoints created by lmi-deploy in the region, with instance, count, spec hash, age and hourly cost."""
    client = _client(region, profile, local)
    endpoints, left = client.list(), client.leftovers()
    if as_json:
        print_json({"endpoints": [e.to_dict() for e in endpoints], "leftovers": [item.to_dict() for item in left]})
        return
    _show_endpoints(endpoints, title="endpoints managed by lmi-deploy")
    if left:
        _show_leftovers(left, client.context().region)


def destroy_cmd(
    target: str = typer.Argument(..., help="Spec file or endpoint name."),
    yes: bool = YES_OPTION,
    keep_artifacts: bool = typer.Option(False, "--keep-artifacts", help="Keep the uploaded S3 artifacts."),
    as_json: bool = JSON_OPTION,
    local: bool = LOCAL_OPTION,
    region: str | None = REGION_OPTION,
    profile: str | None = PROFILE_OPTION,
) -> None:
    """Delete the endpoint and everything lmi-deploy made for it: scaling, configs, models, alarm, uploads."""
    client = _client(region, profile, local)
    result = client.destroy_plan(target, keep_artifacts=keep_artifacts)
    if as_json:
        _emit_json({"event": "plan", **result.to_dict()})
    else:
        _show_plan(result)
    if result.is_empty:
        _finish([{"endpoint": result.plan.endpoint_name, "status": "absent", "actions": []}], as_json)
        return
    _confirm(len(result.actions), yes, as_json)
    from deploy.cli.interrupts import finish_command

    words = ["destroy", target] + (["--keep-artifacts"] if keep_artifacts else [])
    command = finish_command(words, region=result.context.region, profile=profile, local=local)

    def job(plan_result: Any, on_event: Any, stop: threading.Event) -> Any:
        return client.apply(plan_result, on_event=on_event, cancel=stop)

    _finish(_run_interruptible([result], as_json, {result.plan.endpoint_name: command}, job), as_json)


def scale_cmd(
    name: str = typer.Argument(..., help="Endpoint name."),
    minimum: int = typer.Option(..., "--min", help="Minimum instance count."),
    maximum: int = typer.Option(..., "--max", help="Maximum instance count."),
    as_json: bool = JSON_OPTION,
    local: bool = LOCAL_OPTION,
    region: str | None = REGION_OPTION,
    profile: str | None = PROFILE_OPTION,
) -> None:
    """Change the autoscaling bounds of endpoint NAME (the next `lmi deploy` restores the spec's values)."""
    endpoint = _client(region, profile, local).scale(name, minimum, maximum)
    if as_json:
        print_json(endpoint.to_dict())
    else:
        _show_endpoints([endpoint], title=f"endpoint {name}: scaling {minimum}..{maximum}")


# -- helpers --------------------------------------------------------------------------------------------------
def _client(region: str | None, profile: str | None, local: bool) -> Any:
    """The emulator's client with --local; else one for AWS (or AWS_ENDPOINT_URL) and the standard settings."""
    from deploy.cli._common import make_client

    return make_client(region, profile, local)


def _plan(path: Path, client: Any) -> Any:
    return client.plan(path)


def _refuse_shared_endpoints(paths: list[Path], plans: list[Any]) -> None:
    """Two specs for one endpoint would race each other (and leave the loser's model and config behind)."""
    from deploy.errors import UsageError

    seen: dict[tuple[str, str], Path] = {}
    for path, result in zip(paths, plans, strict=True):
        key = (result.context.region, result.plan.endpoint_name)
        if key in seen:
            raise UsageError(
                f"{seen[key]} and {path} both deploy endpoint {key[1]} in {key[0]}",
                field="name",
                value=key[1],
                fix="give each spec its own name, or deploy them one after the other",
            )
        seen[key] = path


def _confirm(count: int, yes: bool, as_json: bool) -> None:
    from deploy.errors import UsageError

    if yes:
        return
    if as_json or not sys.stdin.isatty():
        raise UsageError(
            "refusing to change AWS without confirmation",
            field="--yes",
            value=False,
            fix="pass --yes (CI), or run on a terminal to be asked",
        )
    if not typer.confirm(f"Apply {count} action(s)?", default=False, err=True):
        raise typer.Abort()


def _apply_all(plans: list[Any], as_json: bool, commands: dict[str, str]) -> list[dict[str, Any]]:
    """Apply every non-empty plan, concurrently; one summary row per spec (errors included, not raised)."""
    from deploy.client import apply

    def job(result: Any, on_event: Any, stop: threading.Event) -> Any:
        return apply(result, on_event=on_event, create_bucket=True, cancel=stop)

    return _run_interruptible(plans, as_json, commands, job)


def _run_interruptible(plans: list[Any], as_json: bool, commands: dict[str, str], job: Any) -> list[dict[str, Any]]:
    """``job(plan, on_event, stop)`` per plan, with progress; Ctrl-C asks every job to stop at its next safe point,
    a second Ctrl-C stops waiting, and each unfinished plan's row lists the steps left and the finishing command
    (:mod:`deploy.cli.interrupts`)."""
    from deploy.cli.interrupts import Tracker, guarded, interrupted_row, run_jobs

    tracker = Tracker({p.plan.endpoint_name: p.plan for p in plans})
    stop = threading.Event()
    with _progress(as_json) as board:
        jobs = []
        for p in plans:
            name = p.plan.endpoint_name
            sink = tracker.wrap(name, _printer(name, as_json, board))
            jobs.append(guarded(name, functools.partial(job, p, sink, stop), _error_dict))
        results, _ = run_jobs(jobs, stop, quiet=as_json)
    rows = []
    for p, row in zip(plans, results, strict=True):
        name = p.plan.endpoint_name
        if row is None or row.get("error", {}).get("exit_code") == 130:
            row = interrupted_row(name, tracker.left(name), commands[name], (row or {}).get("error"))
        rows.append(row)
    return rows


def _error_dict(exc: Exception) -> dict[str, Any]:
    from deploy.errors import LmiError

    if isinstance(exc, LmiError):
        return exc.to_dict()
    return {"error": type(exc).__name__, "message": str(exc), "exit_code": 1}


def _finish(rows: list[dict[str, Any]], as_json: bool) -> None:
    """Print the summary; exit non-zero when any spec failed (the highest exit code wins)."""
    if as_json:
        _emit_json({"event": "summary", "results": rows})
    else:
        _show_summary(rows)
    codes = [int(row["error"].get("exit_code", 1)) for row in rows if "error" in row]
    if codes:
        raise typer.Exit(max(codes))


def _emit_json(obj: dict[str, Any]) -> None:
    with _print_lock:
        sys.stdout.write(json.dumps(obj, default=str) + "\n")
        sys.stdout.flush()


def _progress(as_json: bool) -> Any:
    """A live progress board on an interactive terminal; otherwise nothing (plain lines are printed)."""
    import contextlib

    err = console(stderr=True)
    if as_json or not err.is_terminal:
        return contextlib.nullcontext(None)
    from deploy.cli.progress import ProgressBoard

    return ProgressBoard(err)


def _printer(name: str, as_json: bool, board: Any) -> Any:
    if board is None:
        return _event_printer(name, as_json)
    from deploy.cli.progress import board_printer

    return board_printer(board, name)


def _event_printer(name: str, as_json: bool) -> Any:
    """Plain progress lines (CI logs, pipes): one event per line, never wrapped, text never read as markup."""
    from rich.markup import escape

    err = console(stderr=True)

    def show(event: dict[str, Any]) -> None:
        if as_json:
            _emit_json({"endpoint": name, **event})
            return
        with _print_lock:
            if event.get("event") == "wait":
                status = f"{event['component']} {event['status']}" if event.get("component") else str(event["status"])
                line = f"  [dim]{escape(name)}[/dim] {escape(status)} ({event['elapsed_s']:.0f}s)"
            elif event.get("event") == "action" and event.get("phase") == "done":
                line = f"  [dim]{escape(name)}[/dim] [green]done[/green] {event['type']} {escape(event['resource'])}"
            elif event.get("event") == "upload":
                line = f"  [dim]{escape(name)}[/dim] uploaded {escape(event['key'])} ({event['bytes']} bytes)"
            else:
                return
            err.print(line, soft_wrap=True)

    return show


def _show_plan(result: Any) -> None:
    from rich.table import Table

    from deploy.cli.preflight_view import show_preflight

    name = result.plan.endpoint_name
    show_preflight(result)
    if result.is_empty:
        console().print(f"[bold]{name}[/bold]: no changes")
        _show_notes(result)
        return
    table = Table(title=f"plan for {name}: {len(result.actions)} action(s)", title_justify="left")
    for column in ("#", "action", "resource", "reason"):
        table.add_column(column)
    from rich.markup import escape

    from deploy.cli.plan_view import change_text, changes_by_action, cost_lines

    data = result.to_dict()
    for index, (action, changes) in enumerate(zip(result.actions, changes_by_action(data), strict=True), 1):
        style = next((s for prefix, s in STYLES.items() if action.type.startswith(prefix)), "")
        table.add_row(
            str(index), f"[{style}]{action.type}[/{style}]" if style else action.type, action.resource, action.reason
        )
        for change in changes:
            table.add_row("", "", "", f"[cyan]  {escape(change_text(change))}[/cyan]")
    console().print(table)
    for line in cost_lines(data.get("cost")):
        console().print(escape(line), soft_wrap=True)
    _show_notes(result)


def _show_notes(result: Any) -> None:
    from rich.markup import escape

    from deploy.cli.plan_view import note_lines

    for line in note_lines(result.to_dict()):
        console().print(escape(line), soft_wrap=True)


def _show_summary(rows: list[dict[str, Any]]) -> None:
    """One line per spec; errors with fix and hint. AWS messages and container log lines are printed verbatim:
    not wrapped, and never read as rich markup (a log line like ``[rank0]: ...`` would vanish)."""
    from rich.markup import escape

    out = console()
    for row in rows:
        if "error" in row:
            out.print(
                f"[red]✗ {escape(row['endpoint'])}[/red]: {escape(str(row['error'].get('message')))}", soft_wrap=True
            )
            for step in row["error"].get("remaining") or []:
                out.print(f"  left: {escape(step)}", soft_wrap=True)
            for key in ("fix", "hint"):
                if row["error"].get(key):
                    out.print(f"  {key}: {escape(str(row['error'][key]))}", soft_wrap=True)
        else:
            out.print(f"[green]✓ {escape(row['endpoint'])}[/green]: {row['status']} ({len(row['actions'])} action(s))")


def _show_endpoints(endpoints: list[Any], title: str) -> None:
    from rich.table import Table

    from deploy.cli.component_views import components_cell

    table = Table(title=title, title_justify="left")
    with_components = any(e.component_count for e in endpoints)  # the column only where components exist
    for column in ("name", "status", "instance", "count", "spec hash", "age", "$/hour"):
        table.add_column(column)
    if with_components:
        table.add_column("components")
    for e in endpoints:
        cost = f"{e.hourly_cost:.2f}" if e.hourly_cost is not None else "?"
        cells = [e.name, e.status, e.instance_type or "?", str(e.instance_count), e.spec_hash or "-", _age(e.age_s)]
        table.add_row(*cells, cost, *([components_cell(e)] if with_components else []))
    console().print(table)


def _show_leftovers(left: list[Any], region: str) -> None:
    """Resources of endpoints that do not exist (a run stopped half-way), with the command that removes them."""
    from rich.table import Table

    table = Table(title="left behind by runs that did not finish (no endpoint)", title_justify="left")
    for column in ("endpoint", "kind", "resource"):
        table.add_column(column)
    for item in left:
        table.add_row(item.endpoint, item.kind, item.resource)
    console().print(table)
    for name in sorted({item.endpoint for item in left}):
        console().print(f"remove with: lmi destroy {name} --region {region} --yes", soft_wrap=True)


def _metrics_line(metrics: dict[str, float | None]) -> str:
    """One line of the last hour's invocation metrics (CloudWatch AWS/SageMaker)."""

    def count(name: str) -> str:
        value = metrics.get(name)
        return "0" if value is None else f"{value:,.0f}"

    latency = metrics.get("ModelLatency")
    latency_text = f"{latency:,.1f} ms" if latency is not None else "-"
    return (
        f"last hour: {count('Invocations')} invocations, model latency avg {latency_text}, "
        f"4xx {count('Invocation4XXErrors')}, 5xx {count('Invocation5XXErrors')}"
    )


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"
