"""The fast path of `lmi render` and `lmi validate`: the same command functions, called without typer.

Why: these are the commands CI runs most, and building the typer app (every command module, pydantic adapters per
parameter) costs about as much as their whole job. Rule: take the fast path only for an argument list whose meaning
is certain (the command name, one SPEC that is not an option, and each known flag at most once); anything else
(``--help``, an unknown or repeated option, ``--``, a missing SPEC) goes to typer, which explains it as it always has.
The commands called here are the ones typer calls (:mod:`deploy.cli.offline`), so the output is the same.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from deploy.cli import offline

# command -> (flags without a value, options with a value)
COMMANDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "validate": (frozenset({"--json"}), frozenset()),
    "render": (frozenset({"--json"}), frozenset({"--out"})),
}


def parse(args: list[str]) -> dict[str, str | bool] | None:
    """``{"command", "spec", flag/option values}`` for an unambiguous argument list, else None."""
    if not args or args[0] not in COMMANDS:
        return None
    flags, options = COMMANDS[args[0]]
    parsed: dict[str, str | bool] = {"command": args[0]}
    rest = args[1:]
    while rest:
        token = rest.pop(0)
        name, has_value, value = token.partition("=")
        if token in flags and token not in parsed:
            parsed[token] = True
        elif name in options and name not in parsed:
            if not has_value:
                if not rest or rest[0].startswith("-"):
                    return None
                value = rest.pop(0)
            if not value:
                return None
            parsed[name] = value
        elif not token.startswith("-") and token and "spec" not in parsed:
            parsed["spec"] = token
        else:
            return None
    return parsed if "spec" in parsed else None


def runner(args: list[str]) -> Callable[[], None] | None:
    """The command call for ``args`` when the fast path may take it, else None."""
    parsed = parse(args)
    if parsed is None:
        return None
    spec, as_json = Path(str(parsed["spec"])), bool(parsed.get("--json"))
    if parsed["command"] == "validate":
        return lambda: offline.validate(spec, as_json)
    out = parsed.get("--out")

    def render() -> None:
        from deploy.cli.flags import check_output_path

        # "" is refused here as on the typer path, not taken as "no --out" (inside the call: its errors are mapped)
        offline.render(spec, None if out is None else Path(check_output_path(out)), as_json)

    return render
