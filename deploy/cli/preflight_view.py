"""How `lmi plan` / `lmi deploy` show the pre-flight verdicts (deploy.engine.preflight) in text.

Why here: the plan table stays in deploy_cmds; this prints one line per check above it (warnings in yellow),
so a quota that AWS would refuse, or a read AWS denied, is seen before the confirmation.
"""

from __future__ import annotations

from typing import Any

from deploy.cli._output import console

STYLE = {"ok": "green", "warning": "yellow", "refused": "red", "skipped": "dim"}


def show_preflight(result: Any) -> None:
    """One line per pre-flight check of a plan result (nothing for a plan without checks)."""
    from rich.markup import escape

    checks = getattr(result, "preflight", ()) or ()
    out = console()
    for check in checks:
        style = STYLE.get(check.status, "")
        line = f"  pre-flight {check.check}: [{style}]{check.status}[/{style}] {escape(check.message)}"
        if check.status in ("warning", "refused") and check.fix:
            line += f"\n    fix: {escape(check.fix)}"
        out.print(line, highlight=False)
