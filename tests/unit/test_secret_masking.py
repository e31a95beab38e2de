"""Secrets are never echoed: not by the spec's errors, not by pydantic's text, not by any LmiError's str/repr/JSON.

Classes: any value at ``model.hf_token`` (literal tokens, bearer headers, passwords, non-strings), credential-shaped
values in every other field, values resolved at run time, and the keyed fingerprint that replaces comparison.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

try:
    from tests.unit.spec_helpers import base
except ImportError:  # rootdir not on sys.path: the test directory is
    from spec_helpers import base  # type: ignore[no-redef]

from deploy.errors import DeployError, LmiError, SpecError
from deploy.secrets.masking import MASK, Secret, register, scrub
from deploy.secrets.references import fingerprint
from deploy.spec.loader import parse_spec
from deploy.spec.model import DeploymentSpec, ModelSource

HF = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
TOKEN_VALUES = [
    HF,
    f"Bearer {HF}",
    "hunter2-my-password",
    "ghp_0123456789abcdefghijklmnopqrstuvwxyz",
    "AKIAIOSFODNN7EXAMPLE",
    "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789",
    "pässwörd-ünïcode",
    "env:HF_TOKEN\nhf_injected_after_newline",
]


def all_text(exc: LmiError) -> str:
    return "\n".join([str(exc), repr(exc), json.dumps(exc.to_dict()), str(exc.args), str(exc.value)])


@pytest.mark.parametrize("secret", TOKEN_VALUES)
def test_any_value_in_hf_token_is_masked_in_every_rendering(secret: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(base(model={"id": "Qwen/Qwen2.5-7B-Instruct", "hf_token": secret}))
    text = all_text(info.value)
    assert info.value.field == "model.hf_token" and info.value.exit_code == 2
    assert secret not in text and secret.split()[-1] not in text
    assert info.value.to_dict()["value"] == MASK


@pytest.mark.parametrize("secret", [HF, [HF], {"token": HF}, 12345678901234567890])
def test_pydantic_own_text_shows_the_mask(secret: Any) -> None:
    for build in (
        lambda: DeploymentSpec.model_validate(base(model={"hf_token": secret})),  # model.id missing too
        lambda: DeploymentSpec.model_validate({"model": {"id": "x/y", "hf_token": secret}}),  # name, role missing
        lambda: ModelSource(id="x/y", hf_token=secret),
    ):
        with pytest.raises(ValidationError) as info:
            build()
        text = str(info.value) + repr(info.value.errors())
        assert str(HF) not in text and "12345678901234567890" not in text


@pytest.mark.parametrize(
    "where",
    [
        {"name": HF},
        {"role": f"arn:aws:iam::123456789012:role/{HF}"},
        {"model": {"id": f"org/{HF}"}},
        {"model": {"id": "Qwen/Qwen2.5-7B-Instruct", "revision": HF}},
        {"engine": {"env": {"HUGGING_FACE_HUB_TOKEN": HF}}},
        {"engine": {"options": {"max_loras": f"Bearer {HF}"}}},
        {"tags": {"team": HF}},
        {"update": {"rollback_alarms": [HF]}},
        {"lmi": {"image": f"{HF}.dkr.ecr.us-east-1.amazonaws.com/x:1"}},
        {"artifacts": {"bucket": "AKIAIOSFODNN7EXAMPLE"}},
        {"security": {"kms_key_id": "ghp_0123456789abcdefghijklmnopqrstuvwxyz"}},
    ],
)
def test_credentials_pasted_into_other_fields_are_refused_and_masked(where: dict[str, Any]) -> None:
    data = base(**where)
    with pytest.raises(SpecError) as info:
        parse_spec(data)
    text = all_text(info.value)
    assert "looks like a credential" in text
    for secret in (HF, "AKIAIOSFODNN7EXAMPLE", "ghp_0123456789abcdefghijklmnopqrstuvwxyz"):
        assert secret not in text


def test_a_valid_reference_is_still_shown_where_it_helps() -> None:
    spec = parse_spec(base(model={"id": "Qwen/Qwen2.5-7B-Instruct", "hf_token": "env:MY_TOKEN"}))
    assert spec.model.hf_token == "env:MY_TOKEN"
    err = SpecError("x", field="model.hf_token", value="env:MY_TOKEN")
    assert err.to_dict()["value"] == "env:MY_TOKEN"


def hf_token_error_text(value: str) -> str:
    try:
        parse_spec(base(model={"id": "Qwen/Qwen2.5-7B-Instruct", "hf_token": value}))
    except SpecError as exc:
        return all_text(exc)
    pytest.fail("a non-reference token parsed")


@settings(max_examples=200, deadline=None)
@given(secret=st.text(min_size=6, max_size=40).filter(lambda s: not s.startswith("env:") and s.strip() == s))
def test_no_string_in_hf_token_is_ever_echoed(secret: str) -> None:
    """What is shown does not depend on the value: it equals what a placeholder of the same kind shows (the literal
    token shape or any other string), so a secret can appear only where it is a piece of the fixed wording."""
    text = hf_token_error_text(secret)
    placeholders = [hf_token_error_text(p) for p in ("hf_" + "Z" * 30, "zz-placeholder-zz")]
    assert text in placeholders  # identical output whatever the value: nothing of it can be in there


def test_resolved_secrets_are_scrubbed_from_any_later_error() -> None:
    value = "plain-secret-value-from-env-7731"
    register(value)
    exc = DeployError(f"AWS said: bad Environment {{'HF_TOKEN': '{value}'}}", value=value, fix=f"not {value}")
    assert value not in all_text(exc) and MASK in str(exc)
    assert value not in scrub(f"x{value}y")


def test_secret_holder_never_shows_its_value() -> None:
    held = Secret(HF)
    assert HF not in repr(held) + str(held) + f"{held}" + f"{held!r}" + str([held]) + str({"k": held})
    assert held.reveal() == HF and held == Secret(HF) and held != Secret("other")


def test_fingerprints_are_keyed_stable_and_not_a_plain_hash(tmp_path: Path) -> None:
    one = {"LMI_SECRET_KEY": "k" * 32}
    other = {"LMI_SECRET_KEY": "j" * 32}
    first = fingerprint(HF, endpoint="ep", name="HF_TOKEN", environ=one)
    assert first == fingerprint(HF, endpoint="ep", name="HF_TOKEN", environ=one)
    assert first != fingerprint(HF, endpoint="ep", name="HF_TOKEN", environ=other)
    assert first != fingerprint(HF + "x", endpoint="ep", name="HF_TOKEN", environ=one)
    assert first != fingerprint(HF, endpoint="ep2", name="HF_TOKEN", environ=one)
    assert first not in hashlib.sha256(HF.encode()).hexdigest() and HF not in first


def test_the_install_key_is_created_once_private(tmp_path: Path) -> None:
    env = {"LMI_CONFIG_DIR": str(tmp_path / "cfg")}
    first = fingerprint("a-token-value", endpoint="ep", name="HF_TOKEN", environ=env)
    key = tmp_path / "cfg" / "secret-fingerprint.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert fingerprint("a-token-value", endpoint="ep", name="HF_TOKEN", environ=env) == first
    with pytest.raises(LmiError, match="at least 16"):
        fingerprint("v", endpoint="ep", name="HF_TOKEN", environ={"LMI_SECRET_KEY": "short"})


@pytest.mark.parametrize(
    "ordinary",
    [
        "sk-learn-endpoint-for-the-production-team",
        "hf-internal-testing/tiny-random-gpt2",
        "a3f5c9e1b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2",  # a commit hash as model.revision
        "s3://my-bucket/models/qwen25-7b/0123456789abcdef0123456789abcdef/",
        "arn:aws:iam::123456789012:role/SageMakerExecutionRole",
        "bearer of good news",
        "hf_model_cache_dir",
    ],
)
def test_ordinary_values_are_not_taken_for_credentials(ordinary: str) -> None:
    from deploy.secrets.masking import looks_like_credential

    assert not looks_like_credential(ordinary) and scrub(ordinary) == ordinary
