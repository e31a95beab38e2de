"""``lmi local start|stop|status``: the background SageMaker + LMI emulator that ``--local`` commands use.

Rule: thin commands over :mod:`deploy.local.background`; only typer and the standard library are imported at
module level (``lmi --help`` must stay fast). State lives in ``.lmi/local/`` of the current project.
"""

from __future__ import annotations

from typing import Any

import typer

from deploy.cli._common import JSON_OPTION, print_json


def _describe(state: dict[str, Any]) -> str:
    return (
        f"emulator running at {state['endpoint_url']} (pid {state['pid']}, time scale {state['time_scale']}, "
        f"ttft {state.get('ttft_s', 0)}s, itl {state.get('itl_s', 0)}s)"
    )


def start(
    port: int = typer.Option(0, "--port", help="Port on 127.0.0.1 (0: a free port)."),
    time_scale: float = typer.Option(
        1.0, "--time-scale", help="Lifecycle speed: 1 = a few seconds per phase, 0 = instant."
    ),
    ttft: float = typer.Option(0.0, "--ttft", help="Simulated time to first token, seconds."),
    itl: float = typer.Option(0.0, "--itl", help="Simulated inter-token latency, seconds."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Start the emulator in the background and print its endpoint URL."""
    from deploy.errors import UsageError
    from deploy.local.background import start_background

    if port < 0 or time_scale < 0 or ttft < 0 or itl < 0:
        raise UsageError(
            "port, time scale and latencies must be >= 0",
            field="--time-scale",
            value=time_scale,
            fix="pass non-negative numbers, e.g. --time-scale 1",
        )
    try:
        state = start_background(port=port, time_scale=time_scale, ttft_s=ttft, itl_s=itl)
    except RuntimeError as exc:
        from deploy.errors import LmiError

        raise LmiError(str(exc), fix="run `python -m deploy.local` in the foreground to see the error") from exc
    if as_json:
        print_json({k: v for k, v in state.items() if k != "health"})
        return
    prefix = "already running: " if state.get("already_running") else ""
    typer.echo(f"{prefix}{_describe(state)}")
    typer.echo(state["endpoint_url"])


def stop(as_json: bool = JSON_OPTION) -> None:
    """Stop the background emulator (its state is lost)."""
    from deploy.local.background import stop_background

    state = stop_background()
    if as_json:
        print_json({"stopped": state is not None, "pid": state.get("pid") if state else None})
    else:
        typer.echo(f"stopped the emulator (pid {state['pid']})" if state else "no emulator was running")


def status(as_json: bool = JSON_OPTION) -> None:
    """Show whether a background emulator is running, where, and which endpoints it holds."""
    from deploy.local.background import running_server

    state = running_server()
    if as_json:
        print_json({"running": state is not None, **(state or {})})
        return
    if state is None:
        typer.echo("no emulator running (start one with `lmi local start`)")
        return
    typer.echo(_describe(state))
    endpoints = state["health"].get("endpoints") or []
    typer.echo(f"endpoints: {', '.join(endpoints) if endpoints else '(none)'}")


def register(app: typer.Typer) -> None:
    local = typer.Typer(
        help="Run the embedded SageMaker + LMI emulator in the background (used by --local).", no_args_is_help=True
    )
    local.command("start")(start)
    local.command("stop")(stop)
    local.command("status")(status)
    app.add_typer(local, name="local")
