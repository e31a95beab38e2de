"""Progress of deployments on a terminal: one live line per endpoint with its status and a ticking clock.

Why: waits last minutes and polls come every few seconds; a line that only changes at each poll looks frozen.
The board renders the elapsed time when it is drawn (four times a second), so the clock moves between polls, and
finished steps scroll above it. Off a terminal (CI logs) the command prints plain lines instead.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.spinner import Spinner
from rich.text import Text


class ProgressBoard:
    """Live status lines for several endpoints applied at once; thread-safe."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._rows: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._live = Live(self, console=console, refresh_per_second=4, transient=True)

    def __enter__(self) -> ProgressBoard:
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()

    def waiting(self, name: str, status: str, elapsed_s: float) -> None:
        """Show ``name`` as ``status`` since ``elapsed_s`` seconds ago (the waiter's own clock)."""
        with self._lock:
            self._rows[name] = (status, time.monotonic() - elapsed_s)

    def finished(self, name: str, line: str) -> None:
        """Print a finished step above the board and stop the endpoint's clock."""
        with self._lock:
            self._rows.pop(name, None)
        self._console.print(line)

    def __rich__(self) -> Group:
        with self._lock:
            rows = list(self._rows.items())
        now = time.monotonic()
        return Group(
            *(
                Spinner("dots", Text.assemble((f"{name} ", "bold"), status, (f"  {now - since:.0f}s", "dim")))
                for name, (status, since) in rows
            )
        )


def board_printer(board: ProgressBoard, name: str) -> Any:
    """An ``on_event`` callback that feeds ``board`` with one endpoint's events."""

    def show(event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "wait":
            status = f"{event['component']} {event['status']}" if event.get("component") else str(event["status"])
            board.waiting(name, status, float(event["elapsed_s"]))
        elif kind == "action" and event.get("phase") == "done":
            board.finished(name, f"  [dim]{name}[/dim] [green]done[/green] {event['type']} {escape(event['resource'])}")
        elif kind == "upload":
            board.finished(name, f"  [dim]{name}[/dim] uploaded {escape(event['key'])} ({event['bytes']} bytes)")

    return show
