"""``lmi init --components``: a commented starter component-endpoint spec, validated before it is written."""

from __future__ import annotations

from pathlib import Path


def write_components_starter(path: Path, *, name: str, model: str, instance: str, region: str, force: bool) -> Path:
    """Render templates/components.yaml.j2 and check it parses as a component spec; nothing is written otherwise."""
    from deploy.spec.loader import parse_any_spec
    from deploy.spec.starter import StarterValues, write_checked_starter

    starter = StarterValues(name=name, model=model, instance=instance, region=region)
    return write_checked_starter(path, "templates/components.yaml.j2", parse_any_spec, starter, force=force)
