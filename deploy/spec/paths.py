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
