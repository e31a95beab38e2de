"""Finding and rendering the project's Jinja templates, in a checkout and in an installed wheel alike.

The wheel carries ``serving.properties.j2`` and ``templates/`` under ``deploy/_data`` (see pyproject.toml); a checkout
or editable install has them at the repository root. Rendering uses StrictUndefined so a missing variable is an error,
never an empty string in a file that a container will read.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

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
    """Escape a value for a Java .properties file; refuse line breaks (they would start a new key)."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if "\n" in text or "\r" in text:
        raise ValueError(f"property values cannot contain line breaks: {text!r}")
    return text.replace("\\", "\\\\")


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
    return env


def render_template(relative: str, **variables: Any) -> str:
    """Render a shipped template with StrictUndefined."""
    path = template_path(relative)
    return str(_environment(str(path.parent)).get_template(path.name).render(**variables))
