"""The embedded SageMaker + LMI v15 emulator behind ``--local`` and the functional tests.

Rule: nothing here is imported on a non-local code path. ``connect`` (and the background-server helpers) import
no moto until an in-process emulator is really needed, so ``lmi local status`` stays fast; ``Emulator`` is loaded
on first use.

    from deploy.local import Emulator
    with Emulator(time_scale=0) as emu:
        ctx = emu.context()          # an AwsContext whose clients talk to the emulator
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deploy.local.background import connect

if TYPE_CHECKING:
    from deploy.local.emulator import Emulator

__all__ = ["Emulator", "connect"]


def __getattr__(name: str) -> Any:
    if name == "Emulator":
        from deploy.local.credentials import forget_aws_profile

        # moto builds a boto3 Session at import: a profile the AWS config files lack would be a ProfileNotFound
        # traceback there. The emulator's sessions drop the profile anyway (credentials.fake_session); do it first.
        forget_aws_profile()
        from deploy.local.emulator import Emulator

        return Emulator
    raise AttributeError(name)
