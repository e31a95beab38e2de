"""Rendering one inference component: its single-model view's settings, plus the LoRA switches when it has adapters.

Why not through ``engine.options``: a component's LoRA slots come from ``components[].lora`` (sized with the shape,
:mod:`deploy.sizing.lora`), and the same keys in its engine options are refused. A component with adapters is
allowed only on an LMI version whose async handler serves them (:mod:`deploy.spec.lora_support`, the rule a
single-model ``enable_lora`` follows), so the switches are added here, after the view is rendered:
``option.enable_lora``, ``option.max_loras``, ``option.max_lora_rank`` (as OPTION_* variables with
``delivery: env``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from deploy.render.properties import Rendered, properties_as_env, render
from deploy.render.templates import escape_property

if TYPE_CHECKING:
    from deploy.engine.resolve import ResolvedSpec
    from deploy.spec.components import ComponentSpec


def lora_properties(component: ComponentSpec) -> dict[str, str]:
    """The serving.properties keys that turn on vLLM's LoRA slots (empty without adapters)."""
    if not component.adapters:
        return {}
    return {
        "option.enable_lora": "true",
        "option.max_loras": str(component.lora.max_loras),
        "option.max_lora_rank": str(component.lora.max_lora_rank),
    }


def render_component(resolved: ResolvedSpec, component: ComponentSpec) -> Rendered:
    """:func:`deploy.render.properties.render` of the component's resolved view, plus its LoRA properties."""
    rendered = render(resolved)
    extra = lora_properties(component)
    if not extra:
        return rendered
    lines = "".join(f"{key}={escape_property(value)}\n" for key, value in extra.items())
    environment = dict(rendered.environment)
    if resolved.spec.delivery == "env":
        environment.update(properties_as_env(extra))
    return replace(
        rendered,
        serving_properties=rendered.serving_properties + lines,
        properties={**rendered.properties, **extra},
        environment=environment,
    )
