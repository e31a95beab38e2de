"""Standard output that cannot take the output: one clear outcome, not a traceback.

- The reader of a pipe went away (``lmi render x | head -0``): stop quietly with exit 1, as every typer command of
  the CLI already does (click's handling of EPIPE). Python ignores SIGPIPE, so the write raises BrokenPipeError
  instead of ending the process; stdout is pointed at /dev/null before exiting, so the interpreter's final flush
  cannot fail again. A BrokenPipeError that is not about stdout (a socket) is not this case:
  :func:`reader_gone_exit_code` checks the descriptor itself and answers None.
- Closed before the start (``>&-``): the output is dropped, as ``print`` does when ``sys.stdout`` is None, and the
  exit code still says whether the spec is valid (:func:`ensure_stdout`, called first by ``deploy.cli.main``).
"""

from __future__ import annotations

import os
import sys

EXIT_CODE = 1


def ensure_stdout() -> None:
    """``sys.stdout`` is None when descriptor 1 was closed at start: write to /dev/null instead."""
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process, like stdout itself


def reader_gone_exit_code() -> int | None:
    """After a BrokenPipeError: the exit code when it is stdout's reader that went away, else None."""
    if not stdout_closed():
        return None
    silence_stdout()
    return EXIT_CODE


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
    """Point stdout at /dev/null (what is still buffered is dropped: it cannot be written)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
    except (AttributeError, OSError, ValueError):  # no descriptor to replace
        pass
