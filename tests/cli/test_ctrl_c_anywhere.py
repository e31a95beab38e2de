"""Ctrl-C that lands outside a command's own handling (while the command modules are imported, in the fast path's
dispatch, inside a command that has no handler) is exit 130 with one line on stderr, never a traceback."""

from __future__ import annotations

from typing import Any

import pytest

import deploy.cli as cli
from deploy.cli import fast


def _interrupt(*_: Any, **__: Any) -> Any:
    raise KeyboardInterrupt


def _run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    err = capsys.readouterr().err
    return int(exited.value.code or 0), err


@pytest.mark.parametrize(
    ("where", "argv"),
    [
        ("build_app", ["plan", "spec.yaml", "--local"]),  # the command modules are being imported
        ("build_app", ["--help"]),
        ("runner", ["render", "spec.yaml"]),  # the fast path is being chosen
        ("runner", ["validate", "spec.yaml", "--json"]),
    ],
)
def test_ctrl_c_before_any_command_runs_is_exit_130_without_a_traceback(
    where: str, argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = cli if where == "build_app" else fast
    monkeypatch.setattr(target, where, _interrupt)
    code, err = _run_main(argv, capsys)
    assert code == 130
    assert err == "interrupted\n"


def test_ctrl_c_inside_the_fast_path_is_exit_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(fast, "runner", lambda args: _interrupt)
    code, err = _run_main(["render", "spec.yaml"], capsys)
    assert (code, err) == (130, "interrupted\n")


def test_ctrl_c_inside_a_typer_command_is_exit_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from deploy.cli import catalog_cmds

    monkeypatch.setattr(fast, "runner", lambda args: None)
    monkeypatch.setattr(catalog_cmds, "register", _register_interrupting(catalog_cmds.register))
    code, err = _run_main(["catalog", "versions"], capsys)
    assert code == 130  # typer ends the command itself (silently); what matters: 130, no traceback
    assert "Traceback" not in err


def _register_interrupting(original: Any) -> Any:
    """``register`` whose ``catalog versions`` command is replaced by one that is interrupted at once."""
    del original

    def register(app: Any) -> None:
        import typer

        catalog = typer.Typer()
        catalog.command("versions")(_interrupt_command)
        app.add_typer(catalog, name="catalog")

    return register


def _interrupt_command() -> None:
    raise KeyboardInterrupt
