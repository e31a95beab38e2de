"""Output helpers that import nothing heavy (no typer, no rich): JSON documents and plain lines.

Why a module of its own: the fast path of ``lmi render`` / ``lmi validate`` (:mod:`deploy.cli.fast`) must not import
typer, and ``deploy.cli._common`` defines typer options at import time.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def print_json(obj: Any) -> None:
    """Write one JSON document to stdout; dataclasses and pydantic models are converted by ``to_dict``."""
    from deploy.secrets.masking import scrub_known

    # A last line of defence: no secret value resolved by this command can reach stdout through a JSON document.
    sys.stdout.write(scrub_known(json.dumps(obj, indent=2, default=_default)) + "\n")


def _default(obj: Any) -> Any:
    for attr in ("to_dict", "model_dump"):
        if hasattr(obj, attr):
            return getattr(obj, attr)()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    return str(obj)


def echo(text: str, *, nl: bool = True, err: bool = False) -> None:
    """Write ``text`` (plus a newline) and flush, as ``typer.echo`` does for plain text."""
    stream = sys.stderr if err else sys.stdout
    stream.write(text + "\n" if nl else text)
    stream.flush()


def console(stderr: bool = False) -> Any:
    """A rich console; progress and tables go to stderr when stdout carries data."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


@contextmanager
def output_errors(flag: str, path: Path) -> Iterator[None]:
    """A path that cannot be written (a file where a directory is wanted, no permission) is a usage error."""
    from deploy.errors import UsageError

    try:
        yield
    except OSError as exc:
        where = exc.filename if exc.filename is not None else path
        raise UsageError(
            f"cannot write {where}: {exc.strerror or exc}",
            field=flag,
            value=str(path),
            fix=f"pass a {flag} path you can write to",
        ) from None
