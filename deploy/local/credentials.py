"""Dummy credentials for the emulator: a boto3 session that never reads ``~/.aws`` or ``AWS_PROFILE``.

Its own module because both the in-process emulator and ``connect()`` to a background one need it, and neither
should import the other for it.
"""

from __future__ import annotations

import os
from typing import Any

_LOADER: Any = None


def forget_aws_profile() -> None:
    """Drop AWS_PROFILE / AWS_DEFAULT_PROFILE from this process: the emulator needs no profile, and one the AWS
    config files lack makes every boto3 Session raise ProfileNotFound, moto's own at import included."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(name, None)


def fake_session(region: str) -> Any:
    """A boto3 session with dummy credentials that ignores AWS_PROFILE and ~/.aws (nothing real is reachable)."""
    import boto3
    import botocore.session

    global _LOADER
    forget_aws_profile()
    core = botocore.session.Session()
    core.set_config_variable("profile", None)
    if _LOADER is None:  # share parsed service models: loading them is most of a client's creation time
        _LOADER = core.get_component("data_loader")
    else:
        core.register_component("data_loader", _LOADER)
    core.set_config_variable("region", region)
    core.set_credentials("testing", "testing")
    return boto3.Session(botocore_session=core, region_name=region)
