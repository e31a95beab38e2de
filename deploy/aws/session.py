"""Sessions, clients and error translation for every AWS call lmi-deploy makes.

Why a module of its own: the same code must run against AWS, a plain ``moto_server`` and the embedded emulator.
boto3 already honours ``AWS_PROFILE``, ``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL`` and the per-service
``AWS_ENDPOINT_URL_<SERVICE>`` variables; we add ``AWS_REGION`` (the AWS CLI and the other SDKs read it, boto3
does not), an explicit ``endpoint_url`` (used by ``--local``) and pin the retry mode, because botocore's default
changed between 1.43 and 1.44.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from deploy.aws.region import choose_region, environment
from deploy.errors import AwsError, NotFoundError

RETRY_CONFIG = {"mode": "standard", "total_max_attempts": 6}
NOT_FOUND_PREFIXES = ("Could not find", "does not exist", "not found")


@dataclass
class AwsContext:
    """Where AWS calls go: a boto3 session plus an optional endpoint override (the emulator or moto_server).

    Building one creates no client and makes no call; clients are made on first use and cached per service.
    """

    session: boto3.Session
    endpoint_url: str | None = None
    max_attempts: int = 6
    region_name: str | None = None  # overrides the session's region (clients are made for this one)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def region(self) -> str:
        return self.region_name or self.session.region_name or "us-east-1"

    def client(self, service: str) -> Any:
        """A cached, thread-safe-to-create client with standard retries and our endpoint override."""
        with self._lock:
            if service not in self._clients:
                config = Config(
                    retries={"mode": "standard", "total_max_attempts": self.max_attempts},
                    user_agent_extra="lmi-deploy",
                    connect_timeout=10,
                    read_timeout=70,
                )
                kwargs: dict[str, Any] = {"config": config}
                if self.endpoint_url:
                    kwargs["endpoint_url"] = self.endpoint_url
                if self.region_name:
                    kwargs["region_name"] = self.region_name
                self._clients[service] = self.session.client(service, **kwargs)  # type: ignore[call-overload]
            return self._clients[service]


def make_context(
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    session: boto3.Session | None = None,
) -> AwsContext:
    """Build an :class:`AwsContext` from explicit arguments, falling back to the standard AWS settings.

    The region follows :func:`deploy.aws.region.choose_region` (asked, the session's, ``AWS_REGION``,
    ``AWS_DEFAULT_REGION``, the profile's), the order of the AWS CLI and the other AWS SDKs.
    """
    if session is None:
        require_profile(profile)
    choice = choose_region(
        asked=region,
        session_region=session.region_name if session is not None else None,
        environ=environment(),
        profile=profile,
    )
    if session is None:
        return AwsContext(
            session=boto3.Session(region_name=choice.region, profile_name=profile), endpoint_url=endpoint_url
        )
    # Same session (credentials, caches), clients made for another region: a second boto3.Session on the same
    # botocore session would register boto3's client customisations twice.
    override = choice.region if choice.region and session.region_name != choice.region else None
    return AwsContext(session=session, endpoint_url=endpoint_url, region_name=override)


def require_profile(profile: str | None) -> None:
    """A named profile (``--profile`` or ``AWS_PROFILE``) that the AWS config files do not define is a usage error
    naming it, before anything else: boto3 raises ProfileNotFound (a traceback), and without a region the run
    would first say "no AWS region given", which is not what is wrong."""
    environ = environment()
    name = profile or environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE")
    if not name:
        return
    import botocore.session

    known = botocore.session.Session().available_profiles
    if name in known:
        return
    from deploy.errors import UsageError

    listed = ", ".join(sorted(known)[:10]) or "none"
    raise UsageError(
        f"AWS profile {name!r} is not in the AWS config files (profiles there: {listed})",
        field="--profile" if profile else "AWS_PROFILE",
        value=name,
        fix="use a profile from `aws configure list-profiles`, create it with `aws configure --profile NAME`, "
        "or unset AWS_PROFILE to use the default credentials",
    )


def translate(exc: Exception, operation: str, resource: str | None = None) -> AwsError:
    """Turn a botocore exception into an lmi-deploy error that keeps AWS's code and message."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", "ClientError"))
        message = str(err.get("Message", str(exc)))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        text = f"{operation}{f' {resource}' if resource else ''} failed: {code}: {message}"
        cls = NotFoundError if _is_not_found(code, message) else AwsError
        return cls(text, code=code, operation=operation, status=status, hint=_hint_for(code))
    if isinstance(exc, NoCredentialsError):
        return AwsError(
            f"{operation} failed: no AWS credentials found",
            operation=operation,
            fix="configure credentials (AWS_PROFILE, aws configure, or an instance role), or use --local",
        )
    if isinstance(exc, NoRegionError):
        return AwsError(
            f"{operation} failed: no AWS region",
            operation=operation,
            fix="set region in the spec, pass --region, or export AWS_REGION",
        )
    if isinstance(exc, BotoCoreError):
        return AwsError(f"{operation} failed: {exc}", operation=operation)
    raise exc


def _is_not_found(code: str, message: str) -> bool:
    if code in {
        "ResourceNotFound",
        "ResourceNotFoundException",
        "NoSuchKey",
        "NoSuchBucket",
        "404",
        "ObjectNotFoundException",
    }:
        return True
    return code in {"ValidationException", "ValidationError"} and any(p in message for p in NOT_FOUND_PREFIXES)


def _hint_for(code: str) -> str | None:
    hints = {
        "ThrottlingException": "AWS throttled the call after retries; wait and run again (apply is idempotent)",
        "ResourceLimitExceeded": "request a quota increase in Service Quotas, or pick another instance type",
        "AccessDeniedException": "see `lmi iam-policy SPEC` for the permissions this spec needs",
        "ExpiredTokenException": "refresh your AWS credentials",
    }
    return hints.get(code)


def call(client: Any, method: str, operation: str, resource: str | None = None, **kwargs: Any) -> Any:
    """Call ``client.method(**kwargs)`` and translate any AWS failure. The single choke point for AWS calls."""
    try:
        return getattr(client, method)(**kwargs)
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, operation, resource) from exc
