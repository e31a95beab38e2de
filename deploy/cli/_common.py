"""Helpers shared by the command modules: typer options, AWS contexts, the ``--local`` switch (and, from
:mod:`deploy.cli._output`, JSON output and consoles).

Nothing heavy is imported at module level: rich and boto3 are imported inside the helpers that use them.
"""

from __future__ import annotations

import os
from typing import Any

import typer

from deploy.cli._output import console, print_json
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


__all__ = [
    "JSON_OPTION",
    "LOCAL_OPTION",
    "PROFILE_OPTION",
    "REGION_OPTION",
    "console",
    "make_client",
    "print_json",
    "use_local",
]
