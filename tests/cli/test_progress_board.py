"""The terminal progress board: live status with a clock that moves between polls, finished steps above it."""

from __future__ import annotations

import io

from rich.console import Console

from deploy.cli.progress import ProgressBoard, board_printer


def _console() -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=100, color_system=None)


def test_board_shows_status_and_elapsed_time_of_each_endpoint() -> None:
    console = _console()
    board = ProgressBoard(console)
    board.waiting("alpha", "Creating", 12.0)
    board.waiting("beta", "Updating", 3.0)
    console.print(board)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "alpha Creating  12s" in text
    assert "beta Updating  3s" in text


def test_done_event_prints_a_line_and_clears_the_row() -> None:
    console = _console()
    board = ProgressBoard(console)
    show = board_printer(board, "alpha")
    show({"event": "wait", "status": "Creating", "elapsed_s": 1.0})
    show({"event": "action", "phase": "done", "type": "WaitForEndpoint", "resource": "alpha"})
    console.print(board)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "alpha done WaitForEndpoint alpha" in text
    assert "Creating" not in text
