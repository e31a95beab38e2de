"""Finding and rendering the project's Jinja templates, in a checkout and in an installed wheel alike.

The wheel carries ``serving.properties.j2`` and ``templates/`` under ``deploy/_data`` (see pyproject.toml); a checkout
or editable install has them at the repository root. Rendering uses StrictUndefined so a missing variable is an error,
never an empty string in a file that a container will read.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from deploy.render.java_properties import comment_text, escape_key, escape_value

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # deploy/


def _candidates(relative: str) -> list[Path]:
    return [PACKAGE_DIR / "_data" / relative, PACKAGE_DIR.parent / relative]


def template_path(relative: str) -> Path:
    """Absolute path of a shipped template, e.g. ``serving.properties.j2`` or ``templates/spec.yaml.j2``."""
    for candidate in _candidates(relative):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"template {relative!r} not found in {[str(c) for c in _candidates(relative)]}")


def escape_property(value: Any) -> str:
    """A value escaped exactly as Java's ``Properties.store`` writes it (see :mod:`deploy.render.java_properties`)."""
    return escape_value(str(value).lower() if isinstance(value, bool) else str(value))


def yaml_scalar(value: Any) -> str:
    """``value`` as a YAML scalar that reads back as exactly this string: plain when YAML would read it unchanged,
    else double-quoted. ``lmi init --model 'org/m # x'`` must not lose `` # x`` to a YAML comment, and a line
    break in a flag must not add a key to the starter spec."""
    import yaml

    text = str(value)
    try:
        plain_reads_back = text.isprintable() and yaml.safe_load(f"k: {text}\n") == {"k": text}
    except yaml.YAMLError:
        plain_reads_back = False
    if plain_reads_back:
        return text
    # PyYAML's double-quoted style escapes every non-printable character and never breaks the line at this width.
    quoted = yaml.safe_dump(text, default_style='"', width=1 << 30, allow_unicode=True, explicit_end=False)
    return str(quoted).splitlines()[0]


@lru_cache(maxsize=8)
def _environment(directory: str) -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # config files, not HTML
    )
    env.filters["prop"] = escape_property
    env.filters["prop_key"] = escape_key
    env.filters["comment"] = comment_text
    env.filters["yaml_scalar"] = yaml_scalar
    return env


def render_template(relative: str, **variables: Any) -> str:
    """Render a shipped template with StrictUndefined."""
    path = template_path(relative)
    return str(_environment(str(path.parent)).get_template(path.name).render(**variables))
