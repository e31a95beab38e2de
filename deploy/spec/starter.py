"""`lmi init`: write a commented starter spec (and optionally a CI workflow) from the shipped templates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from deploy.errors import UsageError
from deploy.records import record
from deploy.render.templates import render_template
from deploy.spec.paths import replace_file

CI_TEMPLATES = {"github": ("templates/github-workflow.yml", Path(".github/workflows/lmi-deploy.yml"))}


def refuse_overwrite(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise UsageError(f"{path} already exists", field="path", value=str(path), fix="pass --force to overwrite")


def write_starter_spec(path: Path, *, name: str, model: str, instance: str, region: str, force: bool) -> Path:
    """Render templates/spec.yaml.j2 and validate it before writing: a starter spec is always a valid spec, and an
    invalid one (a bad --name, --model, ...) leaves nothing on disk."""
    from deploy.spec.loader import parse_spec

    starter = StarterValues(name=name, model=model, instance=instance, region=region)
    return write_checked_starter(path, "templates/spec.yaml.j2", parse_spec, starter, force=force)


@record
class StarterValues:
    """The ``lmi init`` options every starter template is filled with."""

    name: str
    model: str
    instance: str
    region: str


def write_checked_starter(
    path: Path, template: str, parse: Callable[..., Any], starter: StarterValues, *, force: bool
) -> Path:
    """Render a starter ``template`` and write it only once ``parse`` (the spec kind's own parser) accepts it.

    Why one function: a single-model and a component starter must both refuse to overwrite, put the example role in
    the region's partition, and leave nothing on disk when the options make an invalid spec.
    """
    from deploy.catalog import region_info
    from deploy.spec.loader import read_yaml_text

    refuse_overwrite(path, force)
    partition = region_info(starter.region).partition  # the example role must be in the region's partition
    text = render_template(
        template,
        name=starter.name,
        model=starter.model,
        instance=starter.instance,
        region=starter.region,
        partition=partition,
        filename=path.name,
    )
    data, lines = read_yaml_text(text, path)
    parse(data, source=str(path), lines=lines, base_dir=path.parent)
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, text)
    return path


def ci_template(kind: str) -> tuple[str, Path]:
    """The template and target path of CI system ``kind`` (only ``github`` today)."""
    if kind not in CI_TEMPLATES:
        raise UsageError(f"unknown CI system {kind!r}", field="--ci", value=kind, fix="use --ci github")
    return CI_TEMPLATES[kind]


def write_ci_workflow(kind: str, *, spec_path: Path, region: str, force: bool) -> Path:
    """Write the CI workflow for ``kind``."""
    template, target = ci_template(kind)
    refuse_overwrite(target, force)
    spec_glob = str(spec_path.parent / "*.yaml") if str(spec_path.parent) != "." else "*.yaml"
    text = render_template(template, spec_glob=spec_glob, region=region)
    target.parent.mkdir(parents=True, exist_ok=True)
    replace_file(target, text)
    return target
