"""The pytest fixture for testing a deployment pipeline offline against the emulator (needs pytest installed).

Rule: the fixture hands out a fresh, instant emulator per test (``time_scale=0``) and dummy credentials, so tests
never reach AWS and never read ``~/.aws``. This is the only module of ``deploy`` that imports pytest. Import the
fixture into a test module (or a conftest) to use it::

    from deploy.local.testing import lmi_emulator  # noqa: F401 - a pytest fixture

    def test_my_pipeline(lmi_emulator):
        ctx = lmi_emulator.context()
        ...
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deploy.local.emulator import Emulator


@pytest.fixture
def lmi_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """A running emulator with instant lifecycle phases and zero token latency; reset afterwards."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with Emulator(time_scale=0, latency="off") as emulator:  # tests want instant answers, whatever the env
        yield emulator
