"""Shared test set-up: never reach real AWS, never read the developer's ~/.aws, never use the emulator by accident."""

from __future__ import annotations

from pathlib import Path

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
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "LMI_LOCAL", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
