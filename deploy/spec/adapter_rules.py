"""LoRA adapters of a component: names, sources, and which LMI version and mode can serve them.

An adapter becomes an adapter inference component on its base component; the base's container must load LoRA
adapters at run time. Rules here are offline: a name SageMaker accepts and that is unique on its component, an
``s3://`` source (SageMaker copies an adapter IC's artifact from S3), and an LMI version/mode that serves adapters.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploy.spec.components import ComponentEndpointSpec

ADAPTER_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
S3_PREFIX = re.compile(r"s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?")


def check_adapters(spec: ComponentEndpointSpec) -> None:
    """Raise ValueError (message starting with the field) for the first adapter rule broken."""
    for index, component in enumerate(spec.components):
        seen: set[str] = set()
        for number, adapter in enumerate(component.adapters):
            where = f"components.{index}.adapters.{number}"
            if not ADAPTER_NAME.fullmatch(adapter.name):
                raise ValueError(
                    f"{where}.name={adapter.name!r} is not a valid adapter name; use letters, digits and single "
                    "hyphens, start and end with a letter or digit, at most 63 characters"
                )
            if adapter.name in seen:
                raise ValueError(
                    f"{where}.name={adapter.name!r} is used twice on component {component.name!r}; "
                    "adapter names must be unique per component"
                )
            seen.add(adapter.name)
            if not S3_PREFIX.fullmatch(adapter.source):
                raise ValueError(
                    f"{where}.source={adapter.source!r} is not an s3:// URI; an adapter inference component's "
                    "weights come from S3: upload the adapter and give s3://bucket/prefix/"
                )
