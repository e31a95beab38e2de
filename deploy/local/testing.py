"""Helpers for testing a deployment pipeline offline against the emulator, and its pytest fixture.

The helpers (``deploy``, ``create_model``, ``create_config``, ``invoke_json``, ``container_log``) live in
:mod:`deploy.local.helpers` and need no test tools; the ``lmi_emulator`` fixture lives in
:mod:`deploy.local.fixtures` and is loaded (with pytest) only when it is asked for::

    from deploy.local.testing import lmi_emulator  # noqa: F401 - a pytest fixture

    def test_my_pipeline(lmi_emulator):
        ctx = lmi_emulator.context()
        ...
"""

from __future__ import annotations

from typing import Any

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
    "create_config",
    "create_model",
    "deploy",
    "invoke_json",
]
