"""Shared test set-up: never reach real AWS or the Hugging Face Hub, never read the developer's ~/.aws or
~/.cache/huggingface, never use the emulator by accident."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
# Set before anything imports huggingface_hub (it reads these once, at import): a Hub read that a test forgot to
# point at the fake Hub (tests/fakehub) meets a closed local port, never huggingface.co.
DEAD_HUB = "http://127.0.0.1:9"
os.environ["HF_ENDPOINT"] = DEAD_HUB
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="lmi-test-hf-home-")
atexit.register(shutil.rmtree, os.environ["HF_HOME"], ignore_errors=True)  # a test run leaves nothing in /tmp
for _name in ("HF_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_CACHE", "HF_ASSETS_CACHE"):
    os.environ.pop(_name, None)
# The emulator times tokens with the performance model by default (demos look real); tests want instant answers
# unless they ask for the model themselves (Emulator(latency="model")). Set here so background servers inherit it.
os.environ["LMI_EMULATOR_LATENCY"] = "off"


@pytest.fixture(autouse=True)
def _offline_hub(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test gets an empty Hub cache and the dead endpoint, unless it starts the fake Hub itself."""
    monkeypatch.setenv("HF_ENDPOINT", DEAD_HUB)
    monkeypatch.setenv("HF_HOME", str(tmp_path_factory.mktemp("hf-home")))
    for name in ("HF_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_CACHE", "HF_ASSETS_CACHE"):
        monkeypatch.delenv(name, raising=False)
    hub = sys.modules.get("deploy.sizing.hub")
    if hub is not None:
        hub._UNREACHABLE.clear()  # the per-process memory of Hubs that did not answer


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
    monkeypatch.setenv("LMI_LOCAL_DIR", str(fake_home / "lmi-local"))  # never the developer's background emulator
    monkeypatch.setenv("LMI_CONFIG_DIR", str(fake_home / "lmi-config"))  # the secret-fingerprint key of the tests
    monkeypatch.delenv("LMI_SECRET_KEY", raising=False)
    # The Price List API meets a closed local port (the bundled table answers) unless a test points it elsewhere;
    # its on-disk cache is per test.
    monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", DEAD_HUB)
    monkeypatch.setenv("LMI_CACHE_DIR", str(fake_home / "lmi-cache"))
    monkeypatch.delenv("LMI_PRICES", raising=False)
    pricing = sys.modules.get("deploy.aws.pricing")
    if pricing is not None:
        pricing.forget()
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
