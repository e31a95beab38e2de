"""Run many ``lmi`` command lines as separate processes without paying Python's start-up for each.

Why: the adversarial suite runs a few hundred command lines; a fresh interpreter costs ~0.4 s, which would make the
suite take minutes on a 2-core CI machine. This server imports the CLI once, then forks one child per command line:
each child is its own process with its own working directory, environment, stdout/stderr files and exit status, and
runs the CLI's ``deploy.cli.main`` on the command line (what the console script ``deploy.cli:run`` runs, without
its quick exit). The parent never runs a command, so no state of one run reaches another. Children are bounded:
address space (``MAX_MEMORY_BYTES``) and wall time per run.

Protocol: one JSON object per line on stdin (``{"argv": [...], "cwd": ..., "env": {...}}``), one JSON result per
line on stdout (``{"code": int, "stdout": str, "stderr": str, "seconds": float}``).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import sys
import tempfile
import time
from typing import Any

MAX_MEMORY_BYTES = 3 * 1024**3
TIMEOUT_S = 30.0


def _preload() -> Any:
    """Import every module of the package (and what they import) once, so children start with them loaded."""
    import importlib
    import pkgutil

    import deploy
    import deploy.cli

    for module in pkgutil.walk_packages(deploy.__path__, "deploy."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    for name in ("jinja2", "rich.console", "rich.table", "rich.progress", "hypothesis"):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    return deploy.cli.main


def _child(job: dict[str, Any], out_path: str, err_path: str, main: Any) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MAX_MEMORY_BYTES, MAX_MEMORY_BYTES))
    os.chdir(job["cwd"])
    os.environ.clear()
    os.environ.update(job["env"])
    for fd, path in ((1, out_path), (2, err_path)):
        handle = os.open(path, os.O_WRONLY | os.O_TRUNC)
        os.dup2(handle, fd)
        os.close(handle)
    sys.stdin = open(os.devnull)  # noqa: SIM115 - a command that prompts sees end of input
    code = 1
    try:
        main(job["argv"])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # an escaped exception prints its traceback, as the console script would
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _run(job: dict[str, Any], main: Any) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(delete=False) as out, tempfile.NamedTemporaryFile(delete=False) as err:
        paths = (out.name, err.name)
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(job, *paths, main)
    code = _wait(pid)
    result = {"code": code, "seconds": round(time.monotonic() - start, 3)}
    for key, path in zip(("stdout", "stderr"), paths, strict=True):
        with open(path, "rb") as handle:
            result[key] = handle.read().decode("utf-8", "replace")
        os.unlink(path)
    return result


def _wait(pid: int) -> int:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.005)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return -999  # timed out


def serve() -> None:
    main = _preload()
    for line in sys.stdin:
        if line.strip():
            sys.stdout.write(json.dumps(_run(json.loads(line), main)) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    serve()
