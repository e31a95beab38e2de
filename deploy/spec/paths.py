"""Local paths as users write them (``~/models/qwen``, ``~alice/m``).

Why one function: ``Path.expanduser`` raises RuntimeError when there is no such home (``~0``, or no HOME and no
password entry), which once escaped as a traceback from three places. Here a path whose home cannot be found is
returned as written, so the caller's own check ("no such file or directory") names it to the user.
"""

from __future__ import annotations

from pathlib import Path


def expand_home(value: str | Path) -> Path:
    """``value`` with ``~``/``~user`` expanded; unchanged when that home cannot be determined."""
    try:
        return Path(value).expanduser()
    except RuntimeError:  # pathlib: "Could not determine home directory."
        return Path(value)


def replace_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a new file in the same directory, renamed over ``path``.

    Why not ``path.write_text``: that follows a symlink planted at ``path`` (``rendered/serving.properties ->
    ~/.bashrc`` committed to a repository whose specs CI renders) and writes wherever it points; the rename replaces
    the link itself. And an interrupted write (Ctrl-C, a full disk) never leaves half a file behind.
    """
    import os
    import tempfile

    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, 0o666 & ~_umask())  # what write_text would have created (mkstemp makes it 0600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask
