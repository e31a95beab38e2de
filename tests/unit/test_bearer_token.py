"""The SageMaker bearer token: built with botocore, checked against SigV4 computed here by hand.

The reference signer below follows the SigV4 specification step by step with hmac/hashlib only (canonical
request, string to sign, derived key, signature). It is first checked against AWS's published example vectors
(the signing-key derivation example and the IAM ``ListUsers`` request of the SigV4 documentation), then used to
compute what the token's ``X-Amz-Signature`` must be. Nothing here calls the code under test to get an
expected value.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from deploy.aws.bearer import (
    MAX_EXPIRES_S,
    BearerTokenError,
    build_token,
    hours_to_seconds,
    inspect_token,
    verify_token,
)

# AWS's documentation examples (IAM user guide, "Create a signed AWS API request" / "Examples of how to derive a
# signing key"): the example secret key, and the published outputs for it.
EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
EXAMPLE_KEY_ID = "AKIDEXAMPLE"
PUBLISHED_SIGNING_KEY_20120215_IAM = "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
PUBLISHED_LISTUSERS_CANONICAL_HASH = "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
PUBLISHED_LISTUSERS_SIGNATURE = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    k_date = _hmac(("AWS4" + secret).encode("utf-8"), date)
    return _hmac(_hmac(_hmac(k_date, region), service), "aws4_request")


def sign(secret: str, amz_date: str, region: str, service: str, canonical_request: str) -> str:
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    string_to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{digest}"
    key = signing_key(secret, amz_date[:8], region, service)
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def canonical_query(params: dict[str, str]) -> str:
    encoded = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in params.items())
    return "&".join(f"{k}={v}" for k, v in encoded)


def test_reference_signer_reproduces_the_published_signing_key() -> None:
    key = signing_key(EXAMPLE_SECRET, "20120215", "us-east-1", "iam")
    assert key.hex() == PUBLISHED_SIGNING_KEY_20120215_IAM


def test_reference_signer_reproduces_the_published_listusers_signature() -> None:
    canonical = "\n".join(
        [
            "GET",
            "/",
            "Action=ListUsers&Version=2010-05-08",
            "content-type:application/x-www-form-urlencoded; charset=utf-8",
            "host:iam.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "content-type;host;x-amz-date",
            EMPTY_SHA256,
        ]
    )
    assert hashlib.sha256(canonical.encode()).hexdigest() == PUBLISHED_LISTUSERS_CANONICAL_HASH
    assert sign(EXAMPLE_SECRET, "20150830T123600Z", "us-east-1", "iam", canonical) == PUBLISHED_LISTUSERS_SIGNATURE


def expected_token_signature(
    key_id: str, secret: str, session: str | None, region: str, when: str, expires: int
) -> str:
    """What X-Amz-Signature must be for POST https://sagemaker.amazonaws.com/?Action=CallWithBearerToken."""
    params = {
        "Action": "CallWithBearerToken",
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": f"{key_id}/{when[:8]}/{region}/sagemaker/aws4_request",
        "X-Amz-Date": when,
        "X-Amz-Expires": str(expires),
        "X-Amz-SignedHeaders": "host",
    }
    if session is not None:
        params["X-Amz-Security-Token"] = session
    canonical = "\n".join(
        ["POST", "/", canonical_query(params), "host:sagemaker.amazonaws.com", "", "host", EMPTY_SHA256]
    )
    return sign(secret, when, region, "sagemaker", canonical)


def _decoded(token: str) -> tuple[str, dict[str, str]]:
    assert token.startswith("sagemaker-api-key-")
    url = base64.b64decode(token.removeprefix("sagemaker-api-key-"), validate=True).decode()
    return url, dict(parse_qsl(urlsplit("https://" + url).query))


FROZEN = dt.datetime(2026, 5, 21, 12, 0, 0, tzinfo=dt.timezone.utc)


def test_token_signature_matches_the_hand_computed_sigv4() -> None:
    creds = Credentials(EXAMPLE_KEY_ID, EXAMPLE_SECRET)
    token = build_token(creds, "us-west-2", expires_s=300, now=FROZEN)
    url, params = _decoded(token.token)
    assert url.startswith("sagemaker.amazonaws.com/?Action=CallWithBearerToken&")
    assert url.endswith("&Version=1")
    assert params["X-Amz-Expires"] == "300"
    assert params["X-Amz-Date"] == "20260521T120000Z"
    assert params["X-Amz-Credential"] == "AKIDEXAMPLE/20260521/us-west-2/sagemaker/aws4_request"
    assert params["X-Amz-Signature"] == expected_token_signature(
        EXAMPLE_KEY_ID, EXAMPLE_SECRET, None, "us-west-2", "20260521T120000Z", 300
    )
    assert token.expires_at == FROZEN + dt.timedelta(seconds=300)


key_ids = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=16, max_size=20)
secrets = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/+", min_size=20, max_size=40)
sessions = st.none() | st.text(alphabet="abcdefXYZ0123456789/+=", min_size=1, max_size=60)
regions = st.sampled_from(["us-east-1", "eu-west-3", "ap-northeast-2", "cn-north-1", "us-gov-west-1"])
moments = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2035, 12, 31))


@settings(max_examples=60, deadline=None)
@given(key_ids, secrets, sessions, regions, moments, st.integers(1, MAX_EXPIRES_S))
def test_every_token_matches_the_reference(key_id, secret, session, region, when, expires) -> None:
    token = build_token(Credentials(key_id, secret, session), region, expires_s=expires, now=when)
    _, params = _decoded(token.token)
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    assert params["X-Amz-Signature"] == expected_token_signature(key_id, secret, session, region, stamp, expires)
    assert params.get("X-Amz-Security-Token") == session
    info = inspect_token(token.token)
    assert (info.region, info.expires_s, info.access_key_id) == (region, expires, key_id)
    assert info.expires_at == when.replace(microsecond=0, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=expires)


@pytest.mark.parametrize("expires", [0, -1, MAX_EXPIRES_S + 1, 10**9, 1.5, True])
def test_lifetime_outside_aws_limits_is_refused(expires: object) -> None:
    with pytest.raises(BearerTokenError) as err:
        build_token(Credentials("AKID", "secret"), "us-east-1", expires_s=expires)  # type: ignore[arg-type]
    assert err.value.field == "expires_s" and err.value.exit_code == 2


@pytest.mark.parametrize(("hours", "seconds"), [(12, 43200), (1, 3600), (0.5, 1800), (0.0001, 1)])
def test_hours_convert_within_the_limit(hours: float, seconds: int) -> None:
    assert hours_to_seconds(hours) == seconds


@pytest.mark.parametrize("hours", [0, -2, 12.01, 24])
def test_hours_out_of_range(hours: float) -> None:
    with pytest.raises(BearerTokenError, match="--hours"):
        hours_to_seconds(hours)


def test_verify_accepts_a_fresh_token_and_refuses_an_expired_one() -> None:
    creds = Credentials(EXAMPLE_KEY_ID, EXAMPLE_SECRET, "session")
    token = build_token(creds, "us-east-1", expires_s=60, now=FROZEN).token
    assert verify_token(token, EXAMPLE_SECRET, now=FROZEN + dt.timedelta(seconds=59)).access_key_id == EXAMPLE_KEY_ID
    for late in (60, 61, 3600):
        with pytest.raises(BearerTokenError) as err:
            verify_token(token, EXAMPLE_SECRET, now=FROZEN + dt.timedelta(seconds=late))
        assert err.value.field == "expiry"


def test_verify_refuses_a_wrong_secret_and_a_tampered_token() -> None:
    token = build_token(Credentials(EXAMPLE_KEY_ID, EXAMPLE_SECRET), "us-east-1", now=FROZEN).token
    with pytest.raises(BearerTokenError) as err:
        verify_token(token, "another-secret", now=FROZEN)
    assert err.value.field == "signature"
    url, _ = _decoded(token)
    for old, new in (("us-east-1", "us-west-2"), ("X-Amz-Expires=43200", "X-Amz-Expires=40000")):
        forged = "sagemaker-api-key-" + base64.b64encode(url.replace(old, new).encode()).decode()
        with pytest.raises(BearerTokenError) as err:
            verify_token(forged, EXAMPLE_SECRET, now=FROZEN)
        assert err.value.field == "signature"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "sk-openai-style-key",
        "sagemaker-api-key-",
        "sagemaker-api-key-!!!not-base64!!!",
        "sagemaker-api-key-" + base64.b64encode(b"example.com/?Action=CallWithBearerToken").decode(),
        "sagemaker-api-key-" + base64.b64encode(b"sagemaker.amazonaws.com/?Action=Other&X-Amz-Date=1").decode(),
        "sagemaker-api-key-" + base64.b64encode(b"\xff\xfe").decode(),
    ],
)
def test_malformed_tokens_are_refused_without_echoing_them(token: str) -> None:
    with pytest.raises(BearerTokenError) as err:
        verify_token(token, EXAMPLE_SECRET, now=FROZEN)
    assert err.value.field == "token" and err.value.value == "<hidden>"


def test_repr_hides_the_token() -> None:
    token = build_token(Credentials(EXAMPLE_KEY_ID, EXAMPLE_SECRET), "us-east-1", now=FROZEN)
    assert token.token not in repr(token) and "hidden" in repr(token)


def test_refreshable_credentials_are_frozen_once() -> None:
    class Refreshing:
        calls = 0

        def get_frozen_credentials(self) -> Credentials:
            Refreshing.calls += 1
            return Credentials(EXAMPLE_KEY_ID, EXAMPLE_SECRET)

    token = build_token(Refreshing(), "us-east-1", now=FROZEN)
    assert Refreshing.calls == 1
    assert verify_token(token.token, EXAMPLE_SECRET, now=FROZEN).access_key_id == EXAMPLE_KEY_ID
