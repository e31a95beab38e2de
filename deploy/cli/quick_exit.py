"""End `lmi validate` / `lmi render` without the interpreter's teardown, and without cyclic GC passes on the way.

Why: these two commands run in CI loops, and after the work is done CPython spends ~30 ms tearing down the
~350 modules pydantic and PyYAML loaded (``import boto3`` pays the same), while the cyclic collector runs every
few hundred allocations during the imports (~13 ms more) to free nothing: the process is about to end.
Measured side by side by ``benchmarks/cli_startup.py``.

What still happens, in order, as in a normal exit: non-daemon threads are joined (the interpreter does it before
exit handlers), every exit handler registered while the command ran runs (``arm`` registers this module's
handler first, so it runs last), then stdout and stderr are flushed; only then does the process end with
``os._exit``. What is skipped: freeing objects and modules, which the operating system does at once. A closed
stdout pipe ends quietly with 1 as everywhere in the CLI (:mod:`deploy.cli.stdout_failures`); another failure
to flush falls back to the normal exit, which reports it as Python always has.

Only the process's own entry point arms it (``deploy.cli.run``: the ``lmi`` console script and
``python -m deploy.cli``): a program that calls ``deploy.cli.main()`` inside its own process (tests, notebooks,
wrappers) keeps its normal exit and its own exit code.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys

_exit_code: int | None = None


def arm() -> None:
    """Before the command runs: no cyclic GC passes, and an exit handler that will end the process quickly.

    Not when an exit handler is registered already: it would run after ours, that is never, and such handlers are
    the ones that save state (``coverage run`` writes its data file in one, a ``sitecustomize`` may add its own).
    """
    gc.disable()
    registered = getattr(atexit, "_ncallbacks", None)  # CPython's count; without it, assume there may be some
    if registered is not None and registered() == 0:
        atexit.register(_end_now)


def leave(code: int) -> None:
    """The command's exit: ``sys.exit(code)``, noted so the armed exit handler ends the process with this code."""
    global _exit_code
    _exit_code = code
    sys.exit(code)


def _end_now() -> None:
    if _exit_code is None:  # the command did not reach leave(): an unexpected exit keeps the normal teardown
        return
    code = _exit_code
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # None: the descriptor was closed when Python started (`2>&-`)
                stream.flush()
    except BrokenPipeError:  # the reader of stdout went away: ends as in deploy.cli.main
        from deploy.cli.stdout_failures import reader_gone_exit_code

        handled = reader_gone_exit_code()
        if handled is None:  # not stdout's reader: let the normal exit report it
            return
        code = handled
    except (OSError, ValueError):  # another failure to flush: let the normal exit report it
        return
    os._exit(code)
