"""``python -m deploy.cli.plan_markdown PLAN.json [TITLE]``: a saved ``lmi plan --json`` as a pull-request comment.

Why a script and not a second ``lmi plan``: the CI job plans once (read-only AWS calls, one exit code) and both
keeps the JSON and posts the comment from it. A file that is not a plan (an error object, or not JSON at all) still
gives a readable comment, never a traceback. Standard library only, plus :mod:`deploy.cli.plan_view`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from deploy.cli.plan_view import markdown

USAGE = "usage: python -m deploy.cli.plan_markdown PLAN.json [TITLE]"


def comment(path: Path, title: str | None = None) -> str:
    """The Markdown for the plan JSON in ``path`` (the last JSON object when there are several lines)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return f"### {title or path.name}\n\n**error:** cannot read {path}: {exc.strerror or exc}\n"
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        data = json.loads(text) if len(lines) <= 1 else json.loads(lines[-1])
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        return f"### {title or path.name}\n\n**error:** not a plan (the output of `lmi plan --json` was expected)\n"
    return markdown(data, title=title)


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2 or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        return 2
    sys.stdout.write(comment(Path(argv[0]), argv[1] if len(argv) > 1 else None))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
