"""Helpers shared by the command modules: JSON output, consoles, AWS contexts, the ``--local`` switch.

Nothing heavy is imported at module level: rich and boto3 are imported inside the helpers that use them.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import typer

from deploy.cli.flags import callback, check_region

JSON_OPTION = typer.Option(False, "--json", help="Print one JSON object on stdout (for CI and scripts).")
LOCAL_OPTION = typer.Option(
    False,
    "--local",
    help="Run against the embedded SageMaker + LMI emulator instead of AWS (also: LMI_LOCAL=1).",
)
REGION_OPTION = typer.Option(
    None,
    "--region",
    callback=callback(check_region, "--region"),
    help="AWS region for a spec without `region` (another than the spec's is refused) and for endpoint names; "
    "default AWS_REGION, AWS_DEFAULT_REGION, the profile's.",
)
PROFILE_OPTION = typer.Option(None, "--profile", help="AWS profile (default: AWS_PROFILE).")


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


def console(stderr: bool = False) -> Any:
    """A rich console; progress and tables go to stderr when stdout carries data."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def use_local(flag: bool) -> bool:
    """``--local`` or ``LMI_LOCAL=1`` selects the embedded emulator."""
    return flag or os.environ.get("LMI_LOCAL", "").lower() in {"1", "true", "yes"}


def make_client(region: str | None, profile: str | None = None, local: bool = False) -> Any:
    """A :class:`deploy.Client`: the emulator's when ``local``, else AWS with the standard settings."""
    from deploy.client import Client

    if use_local(local):
        from deploy.local import connect

        return Client.from_context(connect(region=region or "us-east-1"), region=region)
    return Client(region=region, profile=profile)
