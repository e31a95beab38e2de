"""`lmi validate`, `lmi render`, `lmi schema`, `lmi init`: the offline commands (no AWS, no network).

Only typer is imported here; the library is imported inside each command so `lmi --help` stays fast. The work of
`validate` and `render` lives in :mod:`deploy.cli.offline` (typer-free), which :mod:`deploy.cli.fast` also calls.
"""

from __future__ import annotations

from pathlib import Path

import typer

from deploy.cli import offline
from deploy.cli._common import JSON_OPTION
from deploy.cli._output import output_errors
from deploy.cli.flags import callback, check_instance, check_output_path, check_region, checked_option
from deploy.cli.offline import write_render

SPEC_ARG = typer.Argument(..., metavar="SPEC", help="Deployment spec (YAML or TOML).", show_default=False)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("render")(render)
    app.command("schema")(schema)
    app.command("init")(init)


def validate(spec_path: Path = SPEC_ARG, as_json: bool = JSON_OPTION) -> None:
    """Check a spec offline: schema, LMI rules, and whether the model fits the instance (exit 2 if not)."""
    offline.validate(spec_path, as_json)


def render(
    spec_path: Path = SPEC_ARG,
    out_dir: str | None = checked_option(
        None, "--out", check_output_path, "Write serving.properties, environment.json and the request bodies to DIR."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Render serving.properties (stdout), or every file with --out, or one JSON object with --json."""
    offline.render(spec_path, None if out_dir is None else Path(out_dir), as_json)


def schema(
    out_text: str | None = checked_option(
        None, "--out", check_output_path, "Write the JSON Schema to a file instead of stdout."
    ),
    components: bool = typer.Option(
        False, "--components", help="The schema of a component-endpoint spec (top-level components)."
    ),
) -> None:
    """Print the JSON Schema of the deployment spec (for editor completion and validation)."""
    from deploy.spec.schema import spec_json_schema

    text = spec_json_schema(components)
    out = None if out_text is None else Path(out_text)
    if out is None:
        typer.echo(text, nl=False)
    else:
        from deploy.spec.paths import replace_file

        with output_errors("--out", out):
            replace_file(out, text)
        typer.echo(f"wrote {out}", err=True)


def init(
    path_text: str = typer.Argument(
        "lmi.yaml",
        metavar="PATH",
        callback=callback(check_output_path, "PATH"),
        help="Where to write the starter spec.",
    ),
    name: str = typer.Option("my-llm", "--name", help="Endpoint name."),
    model: str = typer.Option("Qwen/Qwen2.5-7B-Instruct", "--model", help="Hugging Face id, s3:// or ./dir."),
    instance: str | None = checked_option(
        None,
        "--instance",
        check_instance,
        "SageMaker instance type [default: ml.g6e.2xlarge; ml.g6e.12xlarge with --components].",
    ),
    region: str = checked_option("us-east-1", "--region", check_region, "AWS region."),
    ci: str | None = typer.Option(None, "--ci", help="Also write a CI workflow: github."),
    force: bool = typer.Option(False, "--force", help="Overwrite existing files."),
    components: bool = typer.Option(
        False, "--components", help="A component-endpoint starter (models as inference components)."
    ),
) -> None:
    """Write a commented starter spec (and, with --ci github, a GitHub Actions workflow)."""
    from deploy.spec.component_starter import write_components_starter
    from deploy.spec.starter import ci_template, refuse_overwrite, write_ci_workflow, write_starter_spec

    path = Path(path_text)

    if ci is not None:  # an unknown CI system, or a workflow that exists, is refused before anything is written
        refuse_overwrite(ci_template(ci)[1], force)
    writer = write_components_starter if components else write_starter_spec
    instance = instance or ("ml.g6e.12xlarge" if components else "ml.g6e.2xlarge")  # 4 GPUs to share, or 1
    written = [writer(path, name=name, model=model, instance=instance, region=region, force=force)]
    if ci is not None:
        written.append(write_ci_workflow(ci, spec_path=path, region=region, force=force))
    for item in written:
        typer.echo(f"wrote {item}")
    typer.echo(f"next: lmi validate {path}")


__all__ = ["register", "write_render"]
