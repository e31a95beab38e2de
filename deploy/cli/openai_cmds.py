"""``lmi openai NAME``: what an OpenAI client needs to call an endpoint's OpenAI-compatible route.

Rule: print the base URL, a short-lived bearer token built locally from the caller's AWS credentials (no AWS
call, no SageMaker SDK; ``--component`` costs one ListInferenceComponents to turn a short name into the IC's),
its expiry and the ``model`` value to send. Printing the token is this command's
purpose: it goes to stdout only, as ``export`` lines for a shell or as JSON, and nowhere else.
"""

from __future__ import annotations

import shlex
import sys

import typer

from deploy.cli._common import JSON_OPTION, LOCAL_OPTION, PROFILE_OPTION, REGION_OPTION


def register(app: typer.Typer) -> None:
    app.command("openai")(openai_cmd)


def openai_cmd(
    name: str = typer.Argument(..., help="Endpoint name."),
    component: str | None = typer.Option(
        None, "--component", help="Inference component on that endpoint (short name or full IC name)."
    ),
    hours: float = typer.Option(12.0, "--hours", help="Token lifetime in hours (at most 12, AWS's limit)."),
    model: str = typer.Option("", "--model", help="Value for the requests' model field (default: empty)."),
    as_json: bool = JSON_OPTION,
    local: bool = LOCAL_OPTION,
    region: str | None = REGION_OPTION,
    profile: str | None = PROFILE_OPTION,
) -> None:
    """Print OPENAI_BASE_URL / OPENAI_API_KEY for the endpoint's OpenAI-compatible route (eval "$(lmi openai X)")."""
    from deploy.cli._common import make_client, print_json

    endpoint = make_client(region, profile, local).endpoint(name, component=component)
    creds = endpoint.openai_credentials(hours=hours, model=model)
    if as_json:
        print_json(creds.to_dict())
        return
    typer.echo(f"export OPENAI_BASE_URL={shlex.quote(creds.base_url)}")
    typer.echo(f"export OPENAI_API_KEY={shlex.quote(creds.api_key)}")
    expires = creds.to_dict()["expires_at"]
    sys.stderr.write(f"# token expires at {expires}; send model={creds.model!r} in each request\n")
