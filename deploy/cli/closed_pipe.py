"""``lmi render x | head -0``: the reader of stdout went away. Stop quietly with exit 1, not with a traceback.

Why 1: it is what every typer command of the CLI already does there (click's own handling of EPIPE), so the
fast path of ``render``/``validate`` answers the same. Python ignores SIGPIPE, so the write raises
BrokenPipeError instead of ending the process; stdout is pointed at /dev/null before exiting so the interpreter's
final flush cannot fail a second time. A BrokenPipeError that
is not about stdout (a socket) is not this case: :func:`stdout_closed` checks the descriptor itself.
"""

from __future__ import annotations

import os
import sys

EXIT_CODE = 1


def stdout_closed() -> bool:
    """Whether stdout is a pipe whose reader has gone (poll reports an error on it)."""
    try:
        import select

        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll (Windows), or no real stdout (a test's capture)
        return False


def silence_stdout() -> None:
    """Point stdout at /dev/null (what is still buffered is dropped: nobody reads it)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)
