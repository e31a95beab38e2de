"""Operations commands: ``lmi logs`` (container logs of an endpoint or one of its inference components) and
``lmi iam-policy`` (least privilege).

Rule: thin. Parse flags, call :mod:`deploy.aws.logs` or :mod:`deploy.engine.iam`, print. Only typer and the
standard library are imported at module level (``lmi --help`` must stay fast); boto3, pydantic and rich are
imported inside the commands. With ``--json``, ``lmi logs`` prints one object; ``lmi logs --follow --json``
prints one JSON object per line (JSON Lines) so a pipe can consume it as it arrives.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from deploy.cli._common import JSON_OPTION, LOCAL_OPTION, PROFILE_OPTION, REGION_OPTION, print_json

ROLES = ("deployer", "execution", "both")
ROLE_TITLES = {
    "deployer": "Deploying identity (the user or CI role that runs lmi)",
    "execution": "SageMaker execution role (the spec's `role`): permissions policy",
    "execution_trust": "SageMaker execution role: trust policy",
}


def logs_cmd(
    name: str = typer.Argument(..., help="Endpoint name."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new lines (Ctrl-C to stop)."),
    since: str | None = typer.Option(None, "--since", help="Only lines newer than this: 10m, 1h, 2d or ISO time."),
    lines: int = typer.Option(50, "--lines", "-n", min=0, help="How many of the newest lines to print first."),
    explain: bool = typer.Option(
        False, "--explain", help="Explain a failed endpoint: FailureReason, log tail, hints for known errors."
    ),
    component: str | None = typer.Option(
        None, "--component", help="An inference component (short or full name): read its own log group."
    ),
    region: str | None = REGION_OPTION,
    profile: str | None = PROFILE_OPTION,
    local: bool = LOCAL_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Print the container logs of endpoint NAME (CloudWatch group /aws/sagemaker/Endpoints/NAME), or of one of
    its inference components (--component C: /aws/sagemaker/InferenceComponents/<ic-name>)."""
    from deploy.cli._common import make_client

    client = make_client(region, profile, local)
    client.context()  # exit 2 when no region is set (never a botocore traceback)
    if explain:
        _explain(client, name, lines, as_json, component)
        return
    if not follow:
        recent = client.logs(name, lines=lines, since=since, component=component)
        _print_lines(client, name, recent, as_json, component)
        return
    _follow(client, name, lines, since, as_json, component)


def _explain(client: Any, name: str, lines: int, as_json: bool, component: str | None = None) -> None:
    """The endpoint's (or component's) status and FailureReason (if it still exists) plus the diagnosis of its
    logs."""
    status, diagnosis = client.explain(name, lines=lines, component=component)
    if as_json:
        print_json({"endpoint": name, "component": component, "status": status, **diagnosis.to_dict()})
        return
    typer.echo(f"Inference component {component} of {name}: {status}" if component else f"Endpoint {name}: {status}")
    typer.echo(diagnosis.render())


def _print_lines(client: Any, name: str, recent: list[Any], as_json: bool, component: str | None = None) -> None:
    if as_json:
        ic = client.resolve_component(name, component) if component is not None else None
        print_json({"endpoint": name, "component": ic, "log_group": client.log_group(name, ic), "lines": recent})
        return
    with_stream = len({line.stream for line in recent}) > 1
    for line in recent:
        typer.echo(line.render(with_stream=with_stream))


def _follow(client: Any, name: str, lines: int, since: str | None, as_json: bool, component: str | None) -> None:
    """Print the last ``lines`` lines (if the group exists yet), then new lines until Ctrl-C."""

    def waiting(group: str) -> None:
        sys.stderr.write(f"waiting for log group {group} to appear...\n")

    try:
        for line in client.follow_logs(name, lines=lines, since=since, on_waiting=waiting, component=component):
            _emit(line, as_json)
    except KeyboardInterrupt:
        return


def _emit(line: Any, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(line.to_dict()) + "\n")
    else:
        sys.stdout.write(line.render(with_stream=True) + "\n")
    sys.stdout.flush()


def iam_policy_cmd(
    spec_path: Path = typer.Argument(..., metavar="SPEC", help="Deployment spec (YAML or TOML)."),
    role: str = typer.Option("both", "--role", help="Which policy: deployer, execution or both."),
    account: str | None = typer.Option(
        None, "--account", help="AWS account id for ARNs (default: the role ARN's account, else '*')."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Print least-privilege IAM policies for SPEC: the deploying identity and the execution role."""
    from deploy.client import Client
    from deploy.engine.iam_components import any_policy_inputs, policies
    from deploy.errors import UsageError

    if role not in ROLES:
        raise UsageError(f"unknown --role {role!r}", field="--role", value=role, fix="use deployer, execution or both")
    if account is not None and not (account.isdigit() and len(account) == 12):
        raise UsageError(
            f"invalid --account {account!r}",
            field="--account",
            value=account,
            fix="pass a 12-digit account id",
        )
    inputs = any_policy_inputs(Client().in_region_any(spec_path), account=account)
    documents = policies(inputs, role)
    notes = _notes(inputs)
    if as_json:
        print_json({"endpoint": inputs.endpoint_name, "partition": inputs.partition, **documents, "notes": notes})
        return
    _print_documents(documents if role == "both" else {role: documents[role]}, notes)


def _notes(inputs: Any) -> list[str]:
    notes = []
    if inputs.account == "*":
        notes.append("account unknown (the spec's role is not an ARN): ARNs use '*'; pass --account to pin it")
    if inputs.create_default_bucket and inputs.artifacts:
        notes.append(f"no artifacts.bucket in the spec: the default bucket {inputs.artifacts.bucket} is used")
    if inputs.scaling or inputs.component_scaling:
        what = "inference component copy counts" if inputs.components else "variant instance counts"
        notes.append(
            "Application Auto Scaling cannot scope by endpoint: its write actions are limited to SageMaker "
            f"{what} by condition keys"
        )
    if inputs.components:
        notes.append(
            f"inference components are granted as {inputs.endpoint_name}-* (lmi-deploy's names), so an endpoint "
            f"whose name starts with '{inputs.endpoint_name}-' shares them; ListInferenceComponents takes no resource"
        )
    return notes


def _print_documents(documents: dict[str, Any], notes: list[str]) -> None:
    """One document prints as bare JSON (pipe it to `aws iam put-role-policy`); several get titles."""
    if len(documents) == 1:
        typer.echo(json.dumps(next(iter(documents.values())), indent=2))
    else:
        for key, document in documents.items():
            typer.echo(f"# {ROLE_TITLES[key]}")
            typer.echo(json.dumps(document, indent=2))
    for note in notes:
        sys.stderr.write(f"note: {note}\n")


def register(app: typer.Typer) -> None:
    """Add ``logs`` and ``iam-policy`` to the ``lmi`` app."""
    app.command("logs")(logs_cmd)
    app.command("iam-policy")(iam_policy_cmd)
