"""``lmi local start|stop|status``: the background SageMaker + LMI emulator that ``--local`` commands use.

Rule: thin commands over :mod:`deploy.local.background`; only typer and the standard library are imported at
module level (``lmi --help`` must stay fast). State lives in one user-level directory, whatever the current
directory (``lmi local status`` shows it; ``LMI_LOCAL_DIR`` overrides it). ``stop`` signals a process only after
it has proven it is the emulator the state file names.
"""

from __future__ import annotations

from typing import Any

import typer

from deploy.cli._common import JSON_OPTION, print_json
from deploy.cli.flags import callback, check_port, check_seconds, check_time_scale


def _describe(state: dict[str, Any]) -> str:
    return (
        f"emulator running at {state['endpoint_url']} (pid {state['pid']}, time scale {state['time_scale']}, "
        f"ttft {state.get('ttft_s', 0)}s, itl {state.get('itl_s', 0)}s)"
    )


def start(
    port: int = typer.Option(
        0, "--port", callback=callback(check_port, "--port"), help="Port on 127.0.0.1 (0: a free port)."
    ),
    time_scale: float = typer.Option(
        1.0,
        "--time-scale",
        callback=callback(check_time_scale, "--time-scale"),
        help="Lifecycle speed: 1 = a few seconds per phase, 0 = instant.",
    ),
    ttft: float = typer.Option(
        0.0,
        "--ttft",
        callback=callback(check_seconds, "--ttft"),
        help="Fixed time to first token, seconds (0 with --itl 0: from the performance model).",
    ),
    itl: float = typer.Option(
        0.0,
        "--itl",
        callback=callback(check_seconds, "--itl"),
        help="Fixed inter-token latency, seconds (0 with --ttft 0: the model).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Start the emulator in the background and print its endpoint URL (or say which one already runs)."""
    from deploy.errors import LmiError
    from deploy.local.background import public, start_background
    from deploy.local.state import state_dir

    try:
        state = start_background(port=port, time_scale=time_scale, ttft_s=ttft, itl_s=itl)
    except RuntimeError as exc:
        raise LmiError(str(exc), fix="run `python -m deploy.local` in the foreground to see the error") from exc
    if as_json:
        print_json({**public(state), "state_dir": str(state_dir())})
        return
    if state.get("stale"):
        typer.echo(f"removed a stale state file ({state['stale']}); nothing was signalled", err=True)
    if state.get("already_running"):
        who = "another `lmi local start` started it at the same time" if state.get("raced") else "already running"
        typer.echo(f"{who}: {_describe(state)}")
        if state.get("differs"):
            typer.echo(f"note: it runs with {', '.join(state['differs'])}; `lmi local stop` first to change them")
    else:
        typer.echo(_describe(state))
    typer.echo(state["endpoint_url"])


def stop(
    instance_id: str | None = typer.Option(
        None, "--instance-id", help="Stop only the emulator with this instance id (as `lmi local start --json` gave)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Stop the background emulator (its state is lost); never signals a process that is not proven to be it."""
    from deploy.local.background import public, stop_background

    result = stop_background(instance_id=instance_id)
    pid = result.state.get("pid") if result.state else None
    if as_json:
        print_json(
            {
                "stopped": result.outcome == "stopped",
                "outcome": result.outcome,
                "pid": pid,
                "reason": result.reason or None,
                "state": public(result.state) if result.state else None,
            }
        )
    else:
        typer.echo(_stop_text(result.outcome, pid, result.reason))
    if result.outcome in ("unproven", "stuck"):
        raise typer.Exit(1)


def _stop_text(outcome: str, pid: Any, reason: str) -> str:
    return {
        "stopped": f"stopped the emulator (pid {pid})",
        "none": "no emulator was running",
        "stale": f"no emulator was running: removed a stale state file ({reason}); nothing was signalled",
        "unproven": f"not stopping pid {pid}: {reason}; if it is a hung emulator of yours, end it with `kill {pid}`",
        "other": f"left the running emulator alone: {reason}",
        "stuck": f"the emulator did not stop: {reason}",
    }[outcome]


def status(as_json: bool = JSON_OPTION) -> None:
    """Show whether a background emulator is running, where, which endpoints it holds, and the state directory."""
    from deploy.local.background import public, running_server
    from deploy.local.state import state_dir

    state = running_server()
    directory = str(state_dir())
    stale = _stale_reason() if state is None else None
    if as_json:
        health = (state or {}).get("health") or {}
        body = {"running": state is not None, "state_dir": directory, "stale": stale, **public(state or {})}
        print_json({**body, "health": {k: v for k, v in health.items() if k != "proof"}} if state else body)
        return
    typer.echo(f"state directory: {directory} (LMI_LOCAL_DIR overrides it)")
    if state is None:
        typer.echo("no emulator running (start one with `lmi local start`)")
        if stale:
            typer.echo(f"the state file there is stale ({stale}); `lmi local stop` removes it, signalling nothing")
        return
    typer.echo(_describe(state))
    endpoints = state["health"].get("endpoints") or []
    typer.echo(f"endpoints: {', '.join(endpoints) if endpoints else '(none)'}")


def _stale_reason() -> str | None:
    """Why the state file (if any) names no emulator of ours; None without a state file."""
    from deploy.local.state import read_state, verify

    state = read_state()
    return verify(state).reason if state else None


def register(app: typer.Typer) -> None:
    local = typer.Typer(
        help="Run the embedded SageMaker + LMI emulator in the background (used by --local).", no_args_is_help=True
    )
    local.command("start")(start)
    local.command("stop")(stop)
    local.command("status")(status)
    app.add_typer(local, name="local")
