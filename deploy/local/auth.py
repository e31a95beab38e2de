"""Who may call the emulator's OpenAI-compatible route: a valid bearer token or a valid SigV4 signature.

Rule: check what AWS checks, with the one key pair the emulator hands out (``testing``/``testing``, see
:func:`deploy.local.background.fake_session`). A bearer token must be well formed, unexpired and signed with
that secret (:func:`deploy.aws.bearer.verify_token`); a SigV4 ``Authorization`` header must name that access key,
be less than 15 minutes old (SigV4's clock-skew window) and carry the signature botocore computes for the same
request. Every refusal is an :class:`ApiError` that never repeats the credential. Returns the region the caller
signed for, which is how the emulator knows which region's endpoint is meant.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from werkzeug.wrappers import Request

from deploy.aws.bearer import BearerTokenError, verify_token
from deploy.local.errors import ApiError

ACCESS_KEY = "testing"
SECRET_KEY = "testing"
MAX_SKEW = dt.timedelta(minutes=15)
_SIGV4 = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,"
    r"\s*SignedHeaders=(?P<headers>[^,]+),\s*Signature=(?P<signature>[0-9a-f]{64})\Z"
)


def authenticate(request: Request, *, now: dt.datetime | None = None) -> str:
    """The caller's signing region, or an :class:`ApiError` (401/403) saying what is wrong."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return _bearer(header[len("Bearer ") :].strip(), now)
    if header.startswith("AWS4-HMAC-SHA256 "):
        return _sigv4(request, header, now)
    raise ApiError(
        "MissingAuthenticationTokenException",
        "Missing authentication: send Authorization: Bearer <sagemaker-api-key-...> or a SigV4 signature.",
        401,
    )


def _bearer(token: str, now: dt.datetime | None) -> str:
    try:
        info = verify_token(token, SECRET_KEY, now=now)
    except BearerTokenError as exc:
        code = {"expiry": "ExpiredTokenException", "signature": "InvalidSignatureException"}.get(
            exc.field or "", "UnrecognizedClientException"
        )
        raise ApiError(code, f"Invalid bearer token: {exc.message}.", 401) from exc
    if info.access_key_id != ACCESS_KEY:
        raise ApiError("UnrecognizedClientException", "The security token included in the request is invalid.", 401)
    return info.region


def _sigv4(request: Request, header: str, now: dt.datetime | None) -> str:
    match = _SIGV4.match(header)
    if match is None:
        raise ApiError("IncompleteSignatureException", "The Authorization header is not a SigV4 signature.", 403)
    if match["key"] != ACCESS_KEY:
        raise ApiError("UnrecognizedClientException", "The security token included in the request is invalid.", 403)
    stamp = request.headers.get("X-Amz-Date", "")
    try:
        signed_at = dt.datetime.strptime(stamp, SIGV4_TIMESTAMP).replace(tzinfo=dt.timezone.utc)
    except ValueError as exc:
        raise ApiError("IncompleteSignatureException", "X-Amz-Date is missing or malformed.", 403) from exc
    clock = now or dt.datetime.now(dt.timezone.utc)
    if abs(clock - signed_at) > MAX_SKEW:
        raise ApiError("InvalidSignatureException", "Signature expired: the request is more than 15 minutes old.", 403)
    expected = _expected_signature(request, match, stamp)
    if not hmac.compare_digest(expected, match["signature"]):
        raise ApiError(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.",
            403,
        )
    return match["region"]


def _expected_signature(request: Request, match: re.Match[str], stamp: str) -> str:
    """Sign the same method, URL, signed headers and body with botocore, at the caller's timestamp."""
    names = match["headers"].split(";")
    headers = {name: request.headers.get(name, "") for name in names}
    url = request.url  # werkzeug rebuilds scheme://host/path?query as sent
    aws_request = AWSRequest(method=request.method, url=url, data=request.get_data(), headers=headers)
    aws_request.context["timestamp"] = stamp
    signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), match["service"], match["region"])
    canonical = signer.canonical_request(aws_request)
    return str(signer.signature(signer.string_to_sign(aws_request, canonical), aws_request))


__all__ = ["ACCESS_KEY", "SECRET_KEY", "authenticate"]
