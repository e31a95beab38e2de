"""Output helpers that import nothing heavy (no typer, no rich): JSON documents, plain and styled lines.

Why a module of its own: the fast path of ``lmi render`` / ``lmi validate`` (:mod:`deploy.cli.fast`) must not import
typer, and ``deploy.cli._common`` defines typer options at import time.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO


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


# The few styles the human output of `lmi validate` uses, as SGR codes; colours are dropped under NO_COLOR, the
# others (dim, bold) are kept, as rich does.
_SGR = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33"}
_COLOURS = frozenset({"red", "green", "yellow"})


class StyledLines:
    """Lines with a word or two styled, without rich: ANSI codes only where rich would emit them, and no wrapping.

    Why: rich costs ~15 ms of every `lmi validate` start-up for a handful of lines, and on a pipe it wraps them at
    80 columns, which breaks lines in CI logs. Styles are applied when the stream is a terminal (``TTY_COMPATIBLE``
    and ``FORCE_COLOR`` override ``isatty()``, as in rich) whose ``TERM`` is not dumb; ``NO_COLOR`` drops colours.
    """

    def __init__(self, stream: TextIO | None = None, environ: Mapping[str, str] | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout
        env = os.environ if environ is None else environ
        self._styled = _is_terminal(self._stream, env) and env.get("TERM", "").lower() not in ("dumb", "unknown")
        self._no_colour = env.get("NO_COLOR", "") != ""

    def style(self, text: str, style: str) -> str:
        """``text`` in ``style`` (a key of ``_SGR``) when this stream shows styles, else ``text`` unchanged."""
        if not self._styled or (self._no_colour and style in _COLOURS):
            return text
        return f"\x1b[{_SGR[style]}m{text}\x1b[0m"

    def print(self, text: str) -> None:
        """Write one line, as it is (no markup, no wrapping), and flush so it interleaves with stderr in order."""
        self._stream.write(text + "\n")
        self._stream.flush()


def _is_terminal(stream: TextIO, env: Mapping[str, str]) -> bool:
    """rich's Console.is_terminal: TTY_COMPATIBLE=0/1, then FORCE_COLOR (set and non-empty), then ``isatty()``."""
    compatible = env.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    force = env.get("FORCE_COLOR")
    if force is not None:
        return force != ""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


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
