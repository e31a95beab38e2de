"""Shared test set-up: never reach real AWS, never read the developer's ~/.aws, never use the emulator by accident."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _offline_aws(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if request.node.get_closest_marker("aws") is not None:
        return  # opt-in tests against a real account keep the caller's credentials
    fake_home = tmp_path_factory.mktemp("aws-home")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(fake_home / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(fake_home / "credentials"))
    monkeypatch.setenv("LMI_CONFIG_DIR", str(fake_home / "lmi-config"))  # the secret-fingerprint key of the tests
    monkeypatch.delenv("LMI_SECRET_KEY", raising=False)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "LMI_LOCAL", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture
def real_aws() -> Any:
    """An AwsContext on the caller's real account, for ``aws``-marked tests (skipped unless LMI_AWS_TESTS=1).

    Credentials are resolved at once, so fixtures requested after this one (e.g. the emulator's, which points the
    AWS_* variables at dummies) cannot change them.
    """
    from deploy.aws.session import make_context

    if os.environ.get("LMI_AWS_TESTS") != "1":
        pytest.skip("real-AWS test: set LMI_AWS_TESTS=1 and run pytest -m aws")
    ctx = make_context(region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
    ctx.session.get_credentials()
    return ctx
