"""The emulator's check of callers on the OpenAI-compatible route: bearer tokens and SigV4 headers, accepted and
refused as AWS would (the emulator's key pair is testing/testing). Requests are built with werkzeug's test
environment and signed with botocore, as a real client signs them."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from deploy.aws.bearer import build_token
from deploy.local.auth import authenticate
from deploy.local.errors import ApiError

URL = "http://127.0.0.1:5000/endpoints/ep/openai/v1/chat/completions"
BODY = b'{"messages":[{"role":"user","content":"hi"}]}'
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)


def _request(headers: dict[str, str], body: bytes = BODY) -> Request:
    path = URL.removeprefix("http://127.0.0.1:5000")
    builder = EnvironBuilder(method="POST", base_url="http://127.0.0.1:5000", path=path, data=body, headers=headers)
    return Request(builder.get_environ())


def _sigv4(key: str = "testing", secret: str = "testing", region: str = "us-west-2", when: dt.datetime = NOW,
           body: bytes = BODY) -> dict[str, str]:  # fmt: skip
    request = AWSRequest(method="POST", url=URL, data=body, headers={"Content-Type": "application/json"})
    with mock.patch("botocore.auth.get_current_datetime", return_value=when.replace(tzinfo=None)):
        SigV4Auth(Credentials(key, secret), "sagemaker", region).add_auth(request)
    return dict(request.headers.items())


def test_a_valid_bearer_token_names_its_region() -> None:
    token = build_token(Credentials("testing", "testing"), "eu-central-1", now=NOW - dt.timedelta(hours=1)).token
    assert authenticate(_request({"Authorization": f"Bearer {token}"}), now=NOW) == "eu-central-1"


def test_a_valid_sigv4_request_names_its_region() -> None:
    assert authenticate(_request(_sigv4()), now=NOW + dt.timedelta(minutes=14)) == "us-west-2"


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "MissingAuthenticationTokenException"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 401, "MissingAuthenticationTokenException"),
        ({"Authorization": "Bearer sk-abc"}, 401, "UnrecognizedClientException"),
        ({"Authorization": "AWS4-HMAC-SHA256 Credential=broken"}, 403, "IncompleteSignatureException"),
        (_sigv4(secret="wrong"), 403, "InvalidSignatureException"),
        (_sigv4(key="AKIAOTHER"), 403, "UnrecognizedClientException"),
        (_sigv4(when=NOW - dt.timedelta(minutes=16)), 403, "InvalidSignatureException"),  # too old
        (_sigv4(when=NOW + dt.timedelta(minutes=16)), 403, "InvalidSignatureException"),  # from the future
    ],
    ids=["none", "basic", "not-a-token", "malformed-sigv4", "wrong-secret", "unknown-key", "stale", "future"],
)
def test_refusals(headers: dict[str, str], status: int, code: str) -> None:
    with pytest.raises(ApiError) as err:
        authenticate(_request(headers), now=NOW)
    assert (err.value.status, err.value.code) == (status, code)


def test_a_body_changed_after_signing_is_refused() -> None:
    with pytest.raises(ApiError) as err:
        authenticate(_request(_sigv4(), body=BODY.replace(b"hi", b"ho")), now=NOW)
    assert err.value.code == "InvalidSignatureException"


@pytest.mark.parametrize(
    ("token_time", "expires", "code"),
    [
        (NOW - dt.timedelta(seconds=61), 60, "ExpiredTokenException"),
        (NOW - dt.timedelta(hours=13), 43200, "ExpiredTokenException"),
    ],
)
def test_expired_bearer_tokens(token_time: dt.datetime, expires: int, code: str) -> None:
    token = build_token(Credentials("testing", "testing"), "us-east-1", expires_s=expires, now=token_time).token
    with pytest.raises(ApiError) as err:
        authenticate(_request({"Authorization": f"Bearer {token}"}), now=NOW)
    assert (err.value.status, err.value.code) == (401, code)
    assert token not in err.value.message
