"""The work of `lmi validate` and `lmi render`, without typer: shared by the typer commands and the fast path.

Why typer-free: these two commands run in CI loops, and typer (with the pydantic adapters it builds per parameter)
is a large part of their start-up. :mod:`deploy.cli.spec_cmds` declares the commands (help, options) and calls
these functions; :mod:`deploy.cli.fast` calls them directly when the argument list is unambiguous.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deploy.cli._output import StyledLines, echo, output_errors, print_json


def _resolve(loaded: Any) -> Any:
    from deploy.client import Client

    return Client().resolve(loaded)  # the region follows the same order as lmi deploy (no AWS call)


def _load(spec_path: Path) -> Any:
    """The spec file as a single-model or a component-endpoint spec (``components``: see component_offline)."""
    from deploy.spec.loader import load_any_spec

    return load_any_spec(spec_path)


def _components(loaded: Any) -> bool:
    return hasattr(loaded, "components")


def validate(spec_path: Path, as_json: bool) -> None:
    """``lmi validate``: schema, LMI rules, and whether the model fits the instance (exit 2 if not)."""
    from deploy.render.properties import render_warnings

    loaded = _load(spec_path)
    if _components(loaded):
        from deploy.cli import component_offline

        component_offline.validate(loaded, spec_path, as_json)
        return
    resolved = _resolve(loaded)
    spec, warnings = resolved.spec, render_warnings(resolved)  # the template is not needed to validate
    if as_json:
        print_json({"valid": True, **resolved.to_dict(), "warnings": list(warnings)})
        return
    out = StyledLines()
    out.print(f"{out.style('ok', 'green')} {spec_path}: {spec.name} on {spec.instance.count} x {spec.instance.type}")
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
        out.print(f"  {out.style('note:', 'dim')} {note}")
    for warning in warnings:
        out.print(f"  {out.style('warning:', 'yellow')} {warning}")


def render(spec_path: Path, out_dir: Path | None, as_json: bool) -> None:
    """``lmi render``: serving.properties on stdout, every file with ``out_dir``, or one JSON object."""
    from deploy.render.properties import render as render_spec

    loaded = _load(spec_path)
    if _components(loaded):
        from deploy.cli import component_offline

        component_offline.render(loaded, out_dir, as_json)
        return
    resolved = _resolve(loaded)
    rendered = render_spec(resolved)
    if out_dir is not None:
        written = write_render(out_dir, resolved, rendered)
        if not as_json:
            for path in written:
                echo(f"wrote {path}")
    if as_json:
        print_json({**rendered.to_dict(), "resolved": resolved.to_dict()})
    elif out_dir is None:
        echo(rendered.serving_properties, nl=False)
    for warning in rendered.warnings:
        echo(f"warning: {warning}", err=True)


def write_render(out_dir: Path, resolved: Any, rendered: Any) -> list[Path]:
    """Write the rendered files with placeholder resource names (the planner picks the real ones)."""
    import json

    from deploy.render.bodies import endpoint_config_request, model_request, scaling_requests, update_settings

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
    alarm, deployment = update_settings(resolved.spec.update, name)
    if alarm is not None:
        files["put-metric-alarm.json"] = alarm
    files["deployment-config.json"] = deployment
    from deploy.spec.paths import replace_file

    written = []
    with output_errors("--out", out_dir):
        out_dir.mkdir(parents=True, exist_ok=True)
        for filename, content in files.items():
            path = out_dir / filename
            # allow_nan=False: these are AWS request bodies; Infinity/NaN is not JSON (the spec refuses them first).
            text = content if isinstance(content, str) else json.dumps(content, indent=2, allow_nan=False) + "\n"
            replace_file(path, text)  # a symlink planted in --out is replaced, never written through
            written.append(path)
    return written
