"""``openai.OpenAI`` / ``openai.AsyncOpenAI`` clients configured for an endpoint's OpenAI-compatible route.

Rule: ``openai`` is an optional extra (``pip install 'lmi-deploy[openai]'``), imported only here and only when a
client is asked for, with a clear error when it is missing. Two ways to authenticate, both built from the
caller's AWS credentials without the SageMaker SDK: a bearer token (the default; it expires after ``hours``)
or SigV4 on every request, through an auth hook of the HTTP library the installed ``openai`` uses (httpx, or
httpx2 for openai 3.x), so nothing expires while the credentials refresh.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

from deploy.errors import UsageError

if TYPE_CHECKING:
    from deploy.invoke.endpoint import Endpoint

SIGV4_PLACEHOLDER_KEY = "sigv4"  # openai insists on an api_key; the auth hook replaces its header


def require_openai() -> ModuleType:
    """The ``openai`` module, or a :class:`UsageError` that says how to install it."""
    try:
        import openai
    except ImportError as exc:
        raise UsageError(
            "the openai package is not installed",
            field="openai",
            value=None,
            fix="pip install 'lmi-deploy[openai]'",
        ) from exc
    return openai


def http_module(openai: ModuleType) -> ModuleType:
    """The HTTP library the installed openai is built on (its default client's base class tells)."""
    import importlib

    base = next(cls for cls in openai.DefaultHttpxClient.__mro__[1:] if cls.__name__ == "Client")
    return importlib.import_module(base.__module__.split(".")[0])


def sigv4_auth(session: Any, region: str, http: ModuleType) -> Any:
    """An ``Auth`` of ``http`` (httpx/httpx2) that SigV4-signs each request for SageMaker's runtime."""
    from deploy.aws.openai_route import sign_request

    class SageMakerSigV4Auth(http.Auth):  # type: ignore[name-defined,misc]
        """Signs method, URL, body, Content-Type and Host; replaces any Authorization header."""

        requires_request_body = True

        def auth_flow(self, request: Any) -> Iterator[Any]:
            request.headers.pop("Authorization", None)
            headers = {"Content-Type": request.headers.get("Content-Type", "application/json")}
            signed = sign_request(session, region, request.method, str(request.url), request.content, headers)
            for name, value in signed.items():
                request.headers[name] = value
            yield request

    return SageMakerSigV4Auth()


def make_client(endpoint: Endpoint, *, hours: float, sigv4: bool, is_async: bool, **options: Any) -> Any:
    """The configured client; ``options`` go to the openai constructor (timeout, max_retries, ...)."""
    openai = require_openai()
    route = endpoint.openai_route
    cls = openai.AsyncOpenAI if is_async else openai.OpenAI
    if not sigv4:
        creds = endpoint.openai_credentials(hours=hours)
        return cls(base_url=creds.base_url, api_key=creds.api_key, **options)
    context = route.gateway.context
    auth = sigv4_auth(context.session, context.region, http_module(openai))
    http_cls = openai.DefaultAsyncHttpxClient if is_async else openai.DefaultHttpxClient
    options.setdefault("http_client", http_cls(auth=auth))
    base_url = route.base_url(endpoint.name, endpoint.inference_component)
    return cls(base_url=base_url, api_key=SIGV4_PLACEHOLDER_KEY, **options)


__all__ = ["http_module", "make_client", "require_openai", "sigv4_auth"]
