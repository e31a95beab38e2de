"""Short-lived bearer tokens for SageMaker's OpenAI-compatible route, built locally with botocore alone.

Why this module: the route (``/endpoints/<name>/openai/v1``) takes ``Authorization: Bearer <token>`` so that
OpenAI clients work unchanged. The token is not issued by a service: the SageMaker Python SDK builds it on
the caller's machine (``sagemaker.core.token_generator``) as a SigV4 *query* pre-signature of
``POST https://sagemaker.amazonaws.com/?Action=CallWithBearerToken`` for the signing name ``sagemaker`` in the
caller's region, appends ``&Version=1``, base64-encodes the URL (without ``https://``) and prefixes
``sagemaker-api-key-``. AWS checks it like any pre-signed URL, so it expires after ``X-Amz-Expires`` seconds
(at most 12 h). We build the same thing without the SDK, read a token back (:func:`inspect_token`) and, for the
emulator, check one against known credentials (:func:`verify_token`).

The token *is* a credential (it carries the access key id and, for temporary credentials, the session token):
nothing here logs it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from botocore.auth import SIGV4_TIMESTAMP, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from deploy.errors import LmiError
from deploy.records import record

TOKEN_PREFIX = "sagemaker-api-key-"
TOKEN_HOST = "sagemaker.amazonaws.com"
SIGNING_NAME = "sagemaker"
ACTION = "CallWithBearerToken"
VERSION_SUFFIX = "&Version=1"
MAX_EXPIRES_S = 43200  # 12 hours: the most AWS accepts for this token
_SIGNED_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders")


class BearerTokenError(LmiError):
    """A token that cannot be built (bad lifetime, no credentials) or read (not a SageMaker bearer token)."""

    exit_code = 2
    kind = "bearer_token_error"


@record
class BearerToken:
    """A token and when it stops working (UTC). ``repr`` hides the token: it is a credential."""

    token: str
    expires_at: dt.datetime
    region: str

    def __repr__(self) -> str:
        return f"BearerToken(region={self.region!r}, expires_at={self.expires_at.isoformat()!r}, token=<hidden>)"


@record
class TokenInfo:
    """What a token says about itself: who signed it, for which region, from when, for how long."""

    access_key_id: str
    region: str
    service: str
    signed_at: dt.datetime
    expires_s: int
    signature: str
    session_token: str | None
    url: str

    @property
    def expires_at(self) -> dt.datetime:
        return self.signed_at + dt.timedelta(seconds=self.expires_s)

    def expired(self, now: dt.datetime | None = None) -> bool:
        return _utc(now) >= self.expires_at


class _ClockedQueryAuth(SigV4QueryAuth):
    """botocore's query signer with the signing time given instead of read from the clock (for tests)."""

    def __init__(self, credentials: Any, region: str, expires: int, now: dt.datetime) -> None:
        super().__init__(credentials, SIGNING_NAME, region, expires=expires)
        self._now = now

    def add_auth(self, request: Any) -> None:
        request.context["timestamp"] = self._now.strftime(SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)  # type: ignore[attr-defined]  # not in botocore-stubs
        canonical = self.canonical_request(request)
        signature = self.signature(self.string_to_sign(request, canonical), request)
        self._inject_signature_to_request(request, signature)  # type: ignore[attr-defined]


def build_token(
    credentials: Any,
    region: str,
    *,
    expires_s: int = MAX_EXPIRES_S,
    now: dt.datetime | None = None,
) -> BearerToken:
    """A ``sagemaker-api-key-…`` token valid ``expires_s`` seconds from ``now`` (default: the clock).

    ``credentials`` is anything with ``access_key``/``secret_key``/``token`` (botocore's credentials, frozen
    first so a refresh cannot mix two key versions into one signature).
    """
    check_lifetime(expires_s)
    if credentials is None:
        raise BearerTokenError(
            "no AWS credentials to sign the bearer token with",
            field="credentials",
            value=None,
            fix="configure AWS credentials (AWS_PROFILE, aws configure, or an instance role)",
        )
    frozen = credentials.get_frozen_credentials() if hasattr(credentials, "get_frozen_credentials") else credentials
    creds = Credentials(frozen.access_key, frozen.secret_key, getattr(frozen, "token", None))
    signed_at = _utc(now).replace(microsecond=0)
    request = AWSRequest(
        method="POST", url=f"https://{TOKEN_HOST}/", headers={"host": TOKEN_HOST}, params={"Action": ACTION}
    )
    _ClockedQueryAuth(creds, region, expires_s, signed_at.replace(tzinfo=None)).add_auth(request)
    presigned = str(request.url).removeprefix("https://") + VERSION_SUFFIX
    token = TOKEN_PREFIX + base64.b64encode(presigned.encode("utf-8")).decode("ascii")
    return BearerToken(token, signed_at + dt.timedelta(seconds=expires_s), region)


def check_lifetime(expires_s: int) -> None:
    """AWS accepts 1 s to 12 h; anything else is refused here with the range."""
    if not isinstance(expires_s, int) or isinstance(expires_s, bool) or not 1 <= expires_s <= MAX_EXPIRES_S:
        raise BearerTokenError(
            f"the bearer token lifetime {expires_s!r} s is out of range",
            field="expires_s",
            value=expires_s,
            fix=f"between 1 and {MAX_EXPIRES_S} seconds (12 hours), e.g. --hours 1",
        )


def hours_to_seconds(hours: float) -> int:
    """``--hours`` as whole seconds, refused outside (0, 12]."""
    if not 0 < hours <= MAX_EXPIRES_S / 3600:
        raise BearerTokenError(
            f"--hours {hours:g} is out of range",
            field="--hours",
            value=hours,
            fix="more than 0 and at most 12 (AWS's limit)",
        )
    return max(1, round(hours * 3600))


def inspect_token(token: str) -> TokenInfo:
    """Decode a token and read its signing parameters; :class:`BearerTokenError` if it is not one."""
    url = _decode(token)
    parts = urlsplit("https://" + url)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    missing = [name for name in (*_SIGNED_PARAMS, "X-Amz-Signature") if name not in params]
    if parts.hostname != TOKEN_HOST or params.get("Action") != ACTION or missing:
        raise _malformed(f"it is not a pre-signed {ACTION} request (missing: {', '.join(missing) or 'none'})")
    scope = params["X-Amz-Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise _malformed("its credential scope is not <key>/<date>/<region>/<service>/aws4_request")
    try:
        signed_at = dt.datetime.strptime(params["X-Amz-Date"], SIGV4_TIMESTAMP).replace(tzinfo=dt.timezone.utc)
        expires_s = int(params["X-Amz-Expires"])
    except ValueError as exc:
        raise _malformed("its X-Amz-Date or X-Amz-Expires cannot be read") from exc
    return TokenInfo(
        access_key_id=scope[0],
        region=scope[2],
        service=scope[3],
        signed_at=signed_at,
        expires_s=expires_s,
        signature=params["X-Amz-Signature"],
        session_token=params.get("X-Amz-Security-Token"),
        url=url,
    )


def verify_token(token: str, secret_key: str, *, now: dt.datetime | None = None) -> TokenInfo:
    """Check a token the way AWS does: well formed, not expired, lifetime <= 12 h, signature right.

    Raises :class:`BearerTokenError` whose ``field`` says which check failed (``token``, ``expiry``,
    ``signature``). Used by the emulator, which knows the one secret its credentials have.
    """
    info = inspect_token(token)
    if info.service != SIGNING_NAME or not 1 <= info.expires_s <= MAX_EXPIRES_S:
        raise _malformed(f"signed for {info.service!r} with X-Amz-Expires={info.expires_s}")
    if info.expired(now):
        raise BearerTokenError(
            f"the bearer token expired at {info.expires_at.isoformat()}",
            field="expiry",
            value=info.expires_at.isoformat(),
            fix="build a new one (lmi openai NAME)",
        )
    creds = Credentials(info.access_key_id, secret_key, info.session_token)
    expected = build_token(creds, info.region, expires_s=info.expires_s, now=info.signed_at)
    if not hmac.compare_digest(inspect_token(expected.token).signature, info.signature):
        raise BearerTokenError(
            "the bearer token's signature does not match",
            field="signature",
            value=info.access_key_id,
            fix="sign it with the credentials of that access key id",
        )
    return info


def _decode(token: str) -> str:
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
        raise _malformed(f"it does not start with {TOKEN_PREFIX!r}")
    body = token[len(TOKEN_PREFIX) :]
    try:
        url = base64.b64decode(body, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise _malformed("its body is not base64 of a URL") from exc
    return url


def _malformed(why: str) -> BearerTokenError:
    return BearerTokenError(
        f"not a SageMaker bearer token: {why}",
        field="token",
        value="<hidden>",
        fix="build one with `lmi openai NAME` (or the SageMaker SDK's generate_token)",
    )


def _utc(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(dt.timezone.utc)
    return now.replace(tzinfo=dt.timezone.utc) if now.tzinfo is None else now.astimezone(dt.timezone.utc)


__all__ = [
    "MAX_EXPIRES_S",
    "TOKEN_PREFIX",
    "BearerToken",
    "BearerTokenError",
    "TokenInfo",
    "build_token",
    "check_lifetime",
    "hours_to_seconds",
    "inspect_token",
    "verify_token",
]
