"""The offline commands on a component-endpoint spec: validate, render, size --spec and recommend --spec.

Typer-free like :mod:`deploy.cli.offline` (the fast path of validate/render calls these too). Each component is
resolved and rendered through its single-model view, so its serving.properties is exactly what a single-model spec
of the same model and engine block would render; the endpoint's fit is the placement of every copy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy.cli._output import StyledLines, console, echo, output_errors, print_json

if TYPE_CHECKING:
    from deploy.sizing.component_fit import ComponentFit, EndpointFit
    from deploy.sizing.packing import Placement
    from deploy.spec.components import ComponentEndpointSpec


def endpoint_fit(spec: ComponentEndpointSpec, *, refuse: bool = True) -> EndpointFit:
    """Size and place every component (SpecError, exit 2, with the numbers when ``refuse`` and it does not fit)."""
    from deploy.sizing.component_fit import endpoint_fit as fit_endpoint

    fit = fit_endpoint(spec)
    if refuse:
        fit.raise_if_refused()
    return fit


def _bounds(spec: ComponentEndpointSpec) -> str:
    if spec.scaling is None:
        return f"{spec.instance.count} x {spec.instance.type}"
    return f"{spec.instance.count} x {spec.instance.type} (scaling {spec.scaling.min}..{spec.scaling.max})"


def _component_line(c: ComponentFit) -> str:
    req = c.requirements
    return (
        f"  {c.name} ({c.inference_component}): {req.model_id}  tp={req.accelerators}  "
        f"max_model_len={c.resolved.max_model_len}  copies {c.min_copies}..{c.max_copies} (initial {c.copies})  "
        f"per copy: {req.accelerators} GPU(s), {req.gpu_memory_mib / 1024:.1f} GiB GPU, "
        f"{req.memory_mib:,} MiB host, {req.cpu_cores:g} CPU"
    )


def placement_lines(label: str, placed: Placement) -> list[str]:
    """``label: N of M x TYPE`` and one line per instance with the copies on it."""
    head = f"  {label}: {placed.copies} copies on {placed.instances_used} of {placed.instances_available} x "
    lines = [head + placed.instance_type + ("" if placed.fits else f" - does not fit: {placed.problem}")]
    for number, names in enumerate(placed.per_instance, start=1):
        lines.append(f"    instance {number}: {', '.join(names)}")
    return lines


def validate(spec: ComponentEndpointSpec, spec_path: Path, as_json: bool) -> None:
    """``lmi validate`` of a component spec: the rules, each component's fit, and the placement of the copies."""
    fit = endpoint_fit(spec)
    if as_json:
        print_json({"valid": True, "kind": "components", "name": spec.name, **fit.to_dict()})
        return
    out = StyledLines()  # as the single-model validate: no rich, no wrapping at 80 columns on a pipe
    out.print(
        f"{out.style('ok', 'green')} {spec_path}: {spec.name} on {_bounds(spec)}, {len(spec.components)} component(s)"
    )
    for c in fit.components:
        out.print(_component_line(c))
    for line in [*placement_lines("minimum", fit.minimum), *placement_lines("initial", fit.initial)]:
        out.print(line)
    for note in fit.notes:
        out.print(f"  {out.style('note:', 'dim')} {note}")
    for c in fit.components:
        for note in c.resolved.notes:
            out.print(f"  {out.style(f'note ({c.name}):', 'dim')} {note}")


def _rendered(spec: ComponentEndpointSpec, fit: EndpointFit) -> dict[str, Any]:
    from deploy.render.components import render_component

    by_name = {c.name: c for c in spec.components}
    return {c.name: render_component(c.resolved, by_name[c.name]) for c in fit.components}


def render(spec: ComponentEndpointSpec, out_dir: Path | None, as_json: bool) -> None:
    """``lmi render``: each component's serving.properties (stdout), or ``<out>/<component>/`` files, or JSON."""
    fit = endpoint_fit(spec)
    rendered = _rendered(spec, fit)
    if out_dir is not None:
        written = write_components(out_dir, fit, rendered)
        if not as_json:
            for path in written:
                echo(f"wrote {path}")
    if as_json:
        print_json(
            {
                "kind": "components",
                "name": spec.name,
                "components": {
                    c.name: {
                        **rendered[c.name].to_dict(),
                        "inference_component": c.inference_component,
                        "compute_resource_requirements": c.requirements.to_request(),
                        "resolved": c.resolved.to_dict(),
                    }
                    for c in fit.components
                },
                "placement": {"minimum": fit.minimum.to_dict(), "initial": fit.initial.to_dict()},
            }
        )
    elif out_dir is None:
        for c in fit.components:
            echo(f"# component {c.name} ({c.inference_component})")
            echo(rendered[c.name].serving_properties, nl=False)
    for name, item in rendered.items():
        for warning in item.warnings:
            echo(f"warning ({name}): {warning}", err=True)


def write_components(out_dir: Path, fit: EndpointFit, rendered: dict[str, Any]) -> list[Path]:
    """``<out>/<component>/serving.properties``, ``environment.json``, ``compute-requirements.json``, and
    ``<out>/placement.json``."""
    files: dict[Path, Any] = {}
    for c in fit.components:
        item = rendered[c.name]
        files[Path(c.name) / "serving.properties"] = item.serving_properties
        files[Path(c.name) / "environment.json"] = item.environment
        files[Path(c.name) / "compute-requirements.json"] = {
            "ComputeResourceRequirements": c.requirements.to_request(),
            "reasoning": list(c.requirements.reasoning),
        }
    files[Path("placement.json")] = {"minimum": fit.minimum.to_dict(), "initial": fit.initial.to_dict()}
    from deploy.spec.paths import replace_file

    written = []
    with output_errors("--out", out_dir):
        for relative, content in files.items():
            path = out_dir / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            _refuse_escape(out_dir, path)
            text = content if isinstance(content, str) else json.dumps(content, indent=2, allow_nan=False) + "\n"
            replace_file(path, text)  # a symlink planted in --out is replaced, never written through
            written.append(path)
    return written


def _refuse_escape(out_dir: Path, path: Path) -> None:
    """A component directory inside --out that is a symlink to somewhere else (planted in a repository) is refused:
    the files would land outside the directory the user named."""
    from deploy.errors import UsageError

    if not path.parent.resolve().is_relative_to(out_dir.resolve()):
        raise UsageError(
            f"{path.parent} leads outside {out_dir} (a symbolic link)",
            field="--out",
            value=str(out_dir),
            fix=f"remove the link {path.parent}, or pass an empty --out directory",
        )


def size(spec: ComponentEndpointSpec, as_json: bool) -> None:
    """``lmi size --spec``: each component's estimate on the spec's instance type, then the placement (exit 2 if
    the copies do not fit)."""
    fit = endpoint_fit(spec, refuse=False)
    if as_json:  # one JSON document either way (like `lmi size MODEL --json`): the verdict is in "fits"/"problems"
        print_json({"kind": "components", "name": spec.name, **fit.to_dict()})
        if not fit.fits:
            raise SystemExit(2)
        return
    from deploy.sizing.report import estimate_table

    out = console()
    for c in fit.components:
        out.print(f"component {c.name} ({c.inference_component})", markup=False)
        if c.resolved.estimate is not None:
            out.print(estimate_table(c.resolved.estimate))
        out.print(_component_line(c), markup=False)
        for reason in c.requirements.reasoning:
            out.print(f"    {reason}", markup=False)
    for line in [*placement_lines("minimum", fit.minimum), *placement_lines("initial", fit.initial)]:
        out.print(line, markup=False)
    fit.raise_if_refused()


def recommend(spec: ComponentEndpointSpec, region: str, as_json: bool) -> None:
    """``lmi recommend --spec``: the cheapest instance type and count holding every component's copies."""
    from deploy.errors import FitError
    from deploy.sizing.component_recommend import recommend_components

    ranking = recommend_components(spec, region=region)
    if not ranking.recommendations:
        reasons = "; ".join(f"{k}: {v}" for k, v in list(ranking.skipped.items())[:3])
        raise FitError(
            f"{spec.name}: no instance type in the catalog holds the components' copies ({reasons})",
            field="components",
            value=len(spec.components),
            fix="lower copies or max_model_len, use smaller or quantized models, or split the endpoint",
        )
    if as_json:
        print_json({"kind": "components", "name": spec.name, "region": region, **ranking.to_dict()})
        return
    _print_ranking(spec, ranking)


def _print_ranking(spec: ComponentEndpointSpec, ranking: Any) -> None:
    from rich.table import Table

    table = Table(title=f"{spec.name}: instance types that hold every component's copies (cheapest first)")
    for column in ("instance type", "instances", "$/h each", "$/h total", "tp per component"):
        table.add_column(column)
    for rec in ranking.recommendations[:10]:
        tps = ", ".join(f"{c.name}={c.requirements.accelerators}" for c in rec.fit.components)
        each = "unknown" if rec.price_per_hour is None else f"{rec.price_per_hour:.3f}"
        total = "unknown" if rec.total_per_hour is None else f"{rec.total_per_hour:.3f}"
        table.add_row(rec.instance_type, str(rec.instances), each, total, tps)
    out = console()
    out.print(table)
    best = ranking.recommendations[0]
    out.print(f"cheapest: {best.instances} x {best.instance_type}", markup=False)
    for line in [*placement_lines("minimum", best.fit.minimum), *placement_lines("initial", best.fit.initial)]:
        out.print(line, markup=False)
