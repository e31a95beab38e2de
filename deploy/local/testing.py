"""Helpers for testing a deployment pipeline offline against the emulator, and its pytest fixture.

The helpers (``deploy``, ``create_model``, ``create_config``, ``invoke_json``, ``container_log``) live in
:mod:`deploy.local.helpers`, the inference-component ones (``create_component_endpoint``, ``create_lmi_model``,
``create_component``, ``create_adapter``) in :mod:`deploy.local.component_helpers`; none needs test tools. The
``lmi_emulator`` fixture lives in :mod:`deploy.local.fixtures` and is loaded (with pytest) only when it is asked
for::

    from deploy.local.testing import lmi_emulator  # noqa: F401 - a pytest fixture

    def test_my_pipeline(lmi_emulator):
        ctx = lmi_emulator.context()
        ...
"""

from __future__ import annotations

from typing import Any

from deploy.local.component_helpers import (
    create_adapter,
    create_component,
    create_component_endpoint,
    create_lmi_model,
)
from deploy.local.helpers import (
    ASYNC_ENV,
    LMI_IMAGE,
    ROLE_ARN,
    container_log,
    create_config,
    create_model,
    deploy,
    invoke_json,
)


def __getattr__(name: str) -> Any:
    if name == "lmi_emulator":  # importing the fixture imports pytest: only when a test asks for it
        from deploy.local.fixtures import lmi_emulator

        return lmi_emulator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ASYNC_ENV",
    "LMI_IMAGE",
    "ROLE_ARN",
    "container_log",
    "create_adapter",
    "create_component",
    "create_component_endpoint",
    "create_config",
    "create_lmi_model",
    "create_model",
    "deploy",
    "invoke_json",
]
