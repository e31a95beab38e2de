"""``lmi init --components``: a commented starter component-endpoint spec, validated before it is written."""

from __future__ import annotations

from pathlib import Path


def write_components_starter(path: Path, *, name: str, model: str, instance: str, region: str, force: bool) -> Path:
    """Render templates/components.yaml.j2 and check it parses as a component spec; nothing is written otherwise."""
    from deploy.catalog import region_info
    from deploy.render.templates import render_template
    from deploy.spec.loader import parse_any_spec, read_yaml_text
    from deploy.spec.starter import _refuse_overwrite

    _refuse_overwrite(path, force)
    text = render_template(
        "templates/components.yaml.j2",
        name=name,
        model=model,
        instance=instance,
        region=region,
        partition=region_info(region).partition,
        filename=path.name,
    )
    data, lines = read_yaml_text(text, path)
    parse_any_spec(data, source=str(path), lines=lines, base_dir=path.parent)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
