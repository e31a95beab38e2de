"""LoRA adapters of a component: names, sources, and which LMI version and mode can serve them.

An adapter becomes an adapter inference component on its base component; the base's container must load LoRA
adapters at run time. Rules here are offline: a name SageMaker accepts and that is unique on its component, an
``s3://`` source (SageMaker copies an adapter IC's artifact from S3), and an LMI version/mode that serves adapters.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from deploy.spec.lora_support import (
    ASYNC_LORA_SINCE,
    ASYNC_MOE_LORA_SINCE,
    LORA_OPTIONS,
    async_lora_problem,
    moe_lora_problem,
)

if TYPE_CHECKING:
    from deploy.spec.components import ComponentEndpointSpec, ComponentSpec

# The version rule is shared with a single-model spec's engine.options.enable_lora (deploy/spec/lora_support.py).
ADAPTERS_SINCE = ASYNC_LORA_SINCE
MOE_ADAPTERS_SINCE = ASYNC_MOE_LORA_SINCE
ADAPTER_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
S3_PREFIX = re.compile(r"s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?")


def check_adapters(spec: ComponentEndpointSpec) -> None:
    """Raise ValueError (message starting with the field) for the first adapter rule broken."""
    _check_each_component(spec)
    _check_ic_names_distinct(spec)


def check_adapter_lora_options(index: int, component: ComponentSpec) -> None:
    """A component with adapters gets its LoRA settings from ``components[].lora`` (rendered with
    ``enable_lora``); the same keys in its engine options would be rendered twice, with two values."""
    if not component.adapters:
        return
    given = [key for key in LORA_OPTIONS if key in component.engine.options]
    if given:
        raise ValueError(
            f"components.{index}.engine.options.{given[0]}: a component with adapters takes its LoRA settings from "
            f"components.{index}.lora (max_loras, max_lora_rank), which lmi-deploy renders with enable_lora; "
            "remove it from engine.options"
        )


def _check_ic_names_distinct(spec: ComponentEndpointSpec) -> None:
    """An adapter IC is ``<endpoint>-<component>-<adapter>``: adapter ``sql`` on ``qwen`` and a component named
    ``qwen-sql`` (or adapter ``b-c`` on ``a`` and ``c`` on ``a-b``) would be one IC name, which SageMaker refuses."""
    from deploy.spec.component_views import adapter_component_name, inference_component_name

    owners = {inference_component_name(spec, c).lower(): f"components.{i}" for i, c in enumerate(spec.components)}
    for index, component in enumerate(spec.components):
        for number, adapter in enumerate(component.adapters):
            where = f"components.{index}.adapters.{number}"
            name = adapter_component_name(spec, component, adapter.name)
            other = owners.setdefault(name.lower(), where)
            if other != where:
                raise ValueError(
                    f"{where}.name={adapter.name!r}: its inference component {name!r} has the same name as "
                    f"{other}'s (SageMaker names ignore case); rename the adapter"
                )


def _check_each_component(spec: ComponentEndpointSpec) -> None:
    for index, component in enumerate(spec.components):
        if component.adapters and spec.lmi.version < ADAPTERS_SINCE:
            raise ValueError(version_problem(spec.lmi.version, index))
        seen: set[str] = set()
        for number, adapter in enumerate(component.adapters):
            where = f"components.{index}.adapters.{number}"
            if not ADAPTER_NAME.fullmatch(adapter.name):
                raise ValueError(
                    f"{where}.name={adapter.name!r} is not a valid adapter name; use letters, digits and single "
                    "hyphens, start and end with a letter or digit, at most 63 characters"
                )
            if adapter.name.lower() in seen:  # SageMaker names ignore case: 'sql' and 'SQL' are one IC name
                raise ValueError(
                    f"{where}.name={adapter.name!r} is used twice on component {component.name!r} (names ignore "
                    "case); adapter names must be unique per component"
                )
            seen.add(adapter.name.lower())
            _check_adapter_ic_name(spec, index, number, component)
            if not S3_PREFIX.fullmatch(adapter.source):
                raise ValueError(
                    f"{where}.source={adapter.source!r} is not an s3:// URI; an adapter inference component's "
                    "weights come from S3: upload the adapter and give s3://bucket/prefix/"
                )


def _check_adapter_ic_name(spec: ComponentEndpointSpec, index: int, number: int, component: ComponentSpec) -> None:
    from deploy.spec.component_views import MAX_IC_NAME, adapter_component_name

    adapter = component.adapters[number]
    name = adapter_component_name(spec, component, adapter.name)
    if len(name) > MAX_IC_NAME:
        room = MAX_IC_NAME - len(name) + len(adapter.name)
        raise ValueError(
            f"components.{index}.adapters.{number}.name={adapter.name!r}: the adapter inference component name "
            f"{name!r} is {len(name)} characters; SageMaker allows at most {MAX_IC_NAME}; "
            + (f"shorten the adapter name to at most {room} characters" if room > 0 else "shorten the component name")
        )


def version_problem(version: int, index: int) -> str:
    """Why LMI ``version`` cannot serve a component's adapters in async mode, and the version that can."""
    problem = async_lora_problem(version, f"components.{index}.adapters")
    assert problem is not None, "called only below ASYNC_LORA_SINCE"
    return problem


def moe_problem(version: int, index: int, model_id: str) -> str | None:
    """LoRA on a mixture-of-experts base in async mode arrived one release later (None when ``version`` has it)."""
    return moe_lora_problem(version, f"components.{index}.adapters", model_id)
