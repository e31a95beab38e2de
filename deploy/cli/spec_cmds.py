"""`lmi validate`, `lmi render`, `lmi schema`, `lmi init`: the offline commands (no AWS, no network).

Only typer is imported here; the library is imported inside each command so `lmi --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from deploy.cli._common import JSON_OPTION, console, print_json

SPEC_ARG = typer.Argument(..., metavar="SPEC", help="Deployment spec (YAML or TOML).", show_default=False)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("render")(render)
    app.command("schema")(schema)
    app.command("init")(init)


def _load_and_resolve(spec_path: Path) -> tuple[Any, Any, Any]:
    from deploy.engine.resolve import resolve
    from deploy.render.properties import render as render_spec
    from deploy.spec.model import load_spec

    spec = load_spec(spec_path)
    resolved = resolve(spec)
    return spec, resolved, render_spec(resolved)


def validate(spec_path: Path = SPEC_ARG, as_json: bool = JSON_OPTION) -> None:
    """Check a spec offline: schema, LMI rules, and whether the model fits the instance (exit 2 if not)."""
    spec, resolved, rendered = _load_and_resolve(spec_path)
    if as_json:
        print_json({"valid": True, **resolved.to_dict(), "warnings": list(rendered.warnings)})
        return
    out = console()
    out.print(f"[green]ok[/green] {spec_path}: {spec.name} on {spec.instance.count} x {spec.instance.type}")
    out.print(
        f"  tensor_parallel_degree={resolved.tensor_parallel_degree}  max_model_len={resolved.max_model_len}  "
        f"max_rolling_batch_size={resolved.max_rolling_batch_size}"
    )
    if resolved.estimate is not None:
        est = resolved.estimate
        out.print(
            f"  fits: {est.kv_cache_tokens:,} KV-cache tokens per copy, "
            f"max concurrency {est.max_concurrency:.1f}x at {resolved.max_model_len:,} tokens"
        )
    for note in resolved.notes:
        out.print(f"  [dim]note:[/dim] {note}")
    for warning in rendered.warnings:
        out.print(f"  [yellow]warning:[/yellow] {warning}")


def render(
    spec_path: Path = SPEC_ARG,
    out_dir: Path | None = typer.Option(
        None, "--out", help="Write serving.properties, environment.json and the request bodies to DIR."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Render serving.properties (stdout), or every file with --out, or one JSON object with --json."""
    _, resolved, rendered = _load_and_resolve(spec_path)
    if out_dir is not None:
        written = write_render(out_dir, resolved, rendered)
        if not as_json:
            for path in written:
                typer.echo(f"wrote {path}")
    if as_json:
        print_json({**rendered.to_dict(), "resolved": resolved.to_dict()})
    elif out_dir is None:
        typer.echo(rendered.serving_properties, nl=False)
    for warning in rendered.warnings:
        typer.echo(f"warning: {warning}", err=True)


def write_render(out_dir: Path, resolved: Any, rendered: Any) -> list[Path]:
    """Write the rendered files with placeholder resource names (the planner picks the real ones)."""
    import json

    from deploy.render.properties import endpoint_config_request, model_request, scaling_requests

    name = resolved.spec.name
    model_name = f"{name}-<content-hash>"
    files: dict[str, Any] = {
        "serving.properties": rendered.serving_properties,
        "environment.json": rendered.environment,
        "create-model.json": model_request(resolved, rendered, model_name=model_name, model_data_s3_uri=None),
        "create-endpoint-config.json": endpoint_config_request(
            resolved, config_name=f"{name}-<content-hash>", model_name=model_name
        ),
    }
    scaling = scaling_requests(resolved, endpoint_name=name)
    if scaling is not None:
        files["scaling.json"] = scaling.to_dict()
    written = []
    with _output_errors("--out", out_dir):
        out_dir.mkdir(parents=True, exist_ok=True)
        for filename, content in files.items():
            path = out_dir / filename
            text = content if isinstance(content, str) else json.dumps(content, indent=2) + "\n"
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


@contextmanager
def _output_errors(flag: str, path: Path) -> Iterator[None]:
    """A path that cannot be written (a file where a directory is wanted, no permission) is a usage error."""
    from deploy.errors import UsageError

    try:
        yield
    except OSError as exc:
        where = exc.filename if exc.filename is not None else path
        raise UsageError(
            f"cannot write {where}: {exc.strerror or exc}",
            field=flag,
            value=str(path),
            fix=f"pass a {flag} path you can write to",
        ) from None


def schema(
    out: Path | None = typer.Option(None, "--out", help="Write the JSON Schema to a file instead of stdout."),
) -> None:
    """Print the JSON Schema of the deployment spec (for editor completion and validation)."""
    from deploy.spec.schema import spec_json_schema

    text = spec_json_schema()
    if out is None:
        typer.echo(text, nl=False)
    else:
        with _output_errors("--out", out):
            out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}", err=True)


def init(
    path: Path = typer.Argument(Path("lmi.yaml"), help="Where to write the starter spec."),
    name: str = typer.Option("my-llm", "--name", help="Endpoint name."),
    model: str = typer.Option("Qwen/Qwen2.5-7B-Instruct", "--model", help="Hugging Face id, s3:// or ./dir."),
    instance: str = typer.Option("ml.g6e.2xlarge", "--instance", help="SageMaker instance type."),
    region: str = typer.Option("us-east-1", "--region", help="AWS region."),
    ci: str | None = typer.Option(None, "--ci", help="Also write a CI workflow: github."),
    force: bool = typer.Option(False, "--force", help="Overwrite existing files."),
) -> None:
    """Write a commented starter spec (and, with --ci github, a GitHub Actions workflow)."""
    from deploy.spec.starter import ci_template, write_ci_workflow, write_starter_spec

    if ci is not None:
        ci_template(ci)  # refuse an unknown CI system before writing anything
    written = [write_starter_spec(path, name=name, model=model, instance=instance, region=region, force=force)]
    if ci is not None:
        written.append(write_ci_workflow(ci, spec_path=path, region=region, force=force))
    for item in written:
        typer.echo(f"wrote {item}")
    typer.echo(f"next: lmi validate {path}")
