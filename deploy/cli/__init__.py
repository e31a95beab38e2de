"""The ``lmi`` command line: thin typer commands that parse, call the library and print.

Start-up time matters (CI runs `lmi` many times; `--help` should feel instant), so this package imports nothing
heavy at module level, and an unambiguous `lmi render` / `lmi validate` skips typer altogether
(:mod:`deploy.cli.fast`). Each command module imports pydantic, jinja2, boto3 or rich inside the command that
needs them.
Errors from the library (:class:`deploy.errors.LmiError`) become one clear message and an exit code, never a
traceback: 2 for input the user must change, 1 for runtime or AWS failures.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import TYPE_CHECKING, Any

from deploy._version import __version__

if TYPE_CHECKING:
    import typer

COMMAND_MODULES = (
    "spec_cmds",
    "size_cmds",
    "catalog_cmds",
    "deploy_cmds",
    "ops_cmds",
    "invoke_cmds",
    "openai_cmds",
    "local_cmds",
)


def _version_callback(value: bool) -> None:
    import typer

    if value:
        typer.echo(f"lmi-deploy {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """Assemble the app from the command modules (each exposes ``register(app)``)."""
    import typer

    app = typer.Typer(
        name="lmi",
        help="Check, render, plan and deploy LLMs on Amazon SageMaker with the LMI v15 (vLLM) container.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def _root(
        version: bool = typer.Option(
            False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
        ),
    ) -> None:
        """lmi-deploy: one typed spec -> a sized, rendered, planned and applied SageMaker LMI endpoint."""

    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"deploy.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"deploy.cli.{name}":
                raise
            continue
        module.register(app)
    return app


def _wants_json(argv: list[str]) -> bool:
    return "--json" in argv


def _report(exc: Any, as_json: bool) -> int:
    from deploy.errors import LmiError

    if isinstance(exc, LmiError):
        if as_json:
            sys.stdout.write(json.dumps(exc.to_dict()) + "\n")
        else:
            _show_budget(exc)
            sys.stderr.write(f"error: {exc}\n")
        return exc.exit_code
    raise exc


def _show_budget(exc: Any) -> None:
    """A model that does not fit: show the memory budget that says why, before the one-line error."""
    estimate = getattr(exc, "estimate", None)
    if estimate is None:
        return
    from rich.console import Console

    from deploy.sizing.report import estimate_table

    Console(stderr=True, highlight=False).print(estimate_table(estimate))


def run() -> None:
    """The process's own entry point (the ``lmi`` console script, ``python -m deploy.cli``): :func:`main` on
    ``sys.argv``, and the fast path may end the process quickly (:mod:`deploy.cli.quick_exit`). A program that
    calls :func:`main` itself keeps its normal exit and its own exit code."""
    main(entry_point=True)


def main(argv: list[str] | None = None, *, entry_point: bool = False) -> None:
    """Run the app on ``argv`` (default ``sys.argv[1:]``) and map errors to exit codes.

    Ctrl-C is exit 130 with one line wherever it lands, also while the command modules are still being imported
    (``build_app``), which takes long enough on a busy machine to be hit."""
    if sys.stdout is None:  # descriptor 1 closed at start (`>&-`): drop the output, as print() does
        from deploy.cli.stdout_failures import ensure_stdout

        ensure_stdout()
    try:
        _main(list(sys.argv[1:] if argv is None else argv), entry_point=entry_point)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except BrokenPipeError:  # the reader of stdout went away, or another pipe broke
        from deploy.cli.stdout_failures import reader_gone_exit_code

        code = reader_gone_exit_code()
        if code is None:
            raise
        sys.exit(code)


def _main(args: list[str], entry_point: bool = False) -> None:
    from deploy.cli.fast import runner
    from deploy.errors import LmiError

    fast = runner(args)
    if fast is None:
        _run_typer(args)
        return
    from deploy.cli import quick_exit

    if entry_point:
        quick_exit.arm()
    try:
        fast()
    except LmiError as exc:
        quick_exit.leave(_report(exc, _wants_json(args)))
    quick_exit.leave(0)


def _run_typer(args: list[str]) -> None:
    import typer

    from deploy.errors import LmiError

    app = build_app()
    try:
        result = app(args=args, prog_name="lmi", standalone_mode=False)
    except LmiError as exc:
        sys.exit(_report(exc, _wants_json(args)))
    except typer.Abort:
        sys.stderr.write("aborted\n")
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        if not _is_usage_error(exc):
            raise
        sys.exit(_report_usage(exc, _wants_json(args), _command_path(exc, app, args)))
    sys.exit(result if isinstance(result, int) else 0)


def _command_path(exc: Any, app: Any, args: list[str]) -> str:
    """``lmi size`` for the fix: click's context when the error carries one, else the first argument when it is a
    command (an option missing its value is raised without one), else ``lmi``."""
    path = getattr(getattr(exc, "ctx", None), "command_path", None)
    if path and path != "lmi":
        return str(path)
    import typer.main

    commands = getattr(typer.main.get_command(app), "commands", {})
    return f"lmi {args[0]}" if args and args[0] in commands else "lmi"


def _is_usage_error(exc: Exception) -> bool:
    """click's (or typer's vendored click's) usage errors: they know how to show themselves."""
    return hasattr(exc, "format_message") and hasattr(exc, "show") and hasattr(exc, "exit_code")


def _report_usage(exc: Any, as_json: bool, command: str = "lmi") -> int:
    """click's usage error: its own text on stderr, or under ``--json`` one error object on stdout (CI reads it)."""
    if as_json:
        payload = {
            "error": "usage_error",
            "message": exc.format_message(),
            "field": _usage_field(exc),
            "fix": f"run {command} --help",
            "exit_code": 2,
        }
        sys.stdout.write(json.dumps(payload) + "\n")
    else:
        exc.show()
    return 2


def _usage_field(exc: Any) -> str | None:
    """The option or argument click blames (``--tp``, ``SPEC``), None when it names none (an unknown command)."""
    name = getattr(exc, "option_name", None)  # NoSuchOption, BadOptionUsage
    if name:
        return str(name)
    param = getattr(exc, "param", None)  # BadParameter, MissingParameter
    if param is None:
        return None
    options = [str(o) for o in getattr(param, "opts", None) or () if str(o).startswith("--")]
    if getattr(param, "param_type_name", "") == "option" and options:
        return max(options, key=len)
    # An argument: its metavar as the usage line shows it (typer's display_name_raw; click's human_readable_name).
    for attribute in ("display_name_raw", "human_readable_name", "name"):
        name = getattr(param, attribute, None)
        if name:
            return str(name)
    return None
