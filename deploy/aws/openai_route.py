"""The gateway for SageMaker's OpenAI-compatible route: URLs, bearer tokens and SigV4-signed chat requests.

Rule: the route lives on the runtime host, so its base URL is the runtime client's own endpoint URL (which
already honours the region's DNS suffix, ``AWS_ENDPOINT_URL`` and ``--local``) plus
``/endpoints/<name>[/inference-components/<component>]/openai/v1``. Requests from lmi-deploy itself are SigV4
signed (signing name ``sagemaker``) with the caller's credentials through urllib3, which comes with botocore:
no ``openai`` package is needed for ``Endpoint.chat(route="openai")``. Failures leave as the same typed
:class:`deploy.errors.InvokeError` subclasses as the InvokeEndpoint path, so callers handle one error tree.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from deploy.aws.bearer import BearerToken, build_token
from deploy.aws.runtime import RuntimeGateway
from deploy.errors import InvokeError
from deploy.invoke.errors import classify_container_error, classify_runtime_error, container_text, timeout_error
from deploy.records import record

SIGNING_NAME = "sagemaker"


@record
class RouteCredentials:
    """What an OpenAI client needs: where to send requests, the key, when it expires, the ``model`` to send."""

    base_url: str
    api_key: str
    expires_at: dt.datetime
    model: str

    def __repr__(self) -> str:
        expires = self.expires_at.isoformat()
        return f"RouteCredentials(base_url={self.base_url!r}, expires_at={expires!r}, api_key=<hidden>)"

    def to_dict(self) -> dict[str, str]:
        """The JSON ``lmi openai --json`` prints (the key included: printing it is that command's purpose)."""
        return {
            "base_url": self.base_url,
            "api_key": self.api_key,
            "expires_at": self.expires_at.isoformat().replace("+00:00", "Z"),
            "model": self.model,
        }


def route_path(endpoint: str, component: str | None = None) -> str:
    """``/endpoints/<name>[/inference-components/<component>]/openai/v1`` with each name URL-quoted."""
    path = f"/endpoints/{quote(endpoint, safe='')}"
    if component:
        path += f"/inference-components/{quote(component, safe='')}"
    return path + "/openai/v1"


class OpenAIRoute:
    """Chat completions through ``…/openai/v1/chat/completions`` for one runtime gateway's account and region."""

    def __init__(self, gateway: RuntimeGateway) -> None:
        self.gateway = gateway
        self._pool: urllib3.PoolManager | None = None
        self._lock = threading.Lock()

    @property
    def runtime_url(self) -> str:
        return str(self.gateway.client.meta.endpoint_url).rstrip("/")

    def base_url(self, endpoint: str, component: str | None = None) -> str:
        return self.runtime_url + route_path(endpoint, component)

    def bearer_token(self, expires_s: int) -> BearerToken:
        """A token from the session's credentials for the gateway's region (built locally, no AWS call)."""
        context = self.gateway.context
        return build_token(context.session.get_credentials(), context.region, expires_s=expires_s)

    def credentials(self, endpoint: str, component: str | None, expires_s: int, model: str = "") -> RouteCredentials:
        token = self.bearer_token(expires_s)
        return RouteCredentials(self.base_url(endpoint, component), token.token, token.expires_at, model)

    @property
    def pool(self) -> urllib3.PoolManager:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    size = self.gateway.max_pool_connections
                    self._pool = urllib3.PoolManager(num_pools=4, maxsize=size, block=False)
        return self._pool

    def chat(self, endpoint: str, body: bytes, component: str | None = None) -> bytes:
        """One non-streamed chat completion: the JSON body of the answer."""
        response = self._post(endpoint, component, body, stream=False)
        try:
            return bytes(response.data)
        finally:
            response.release_conn()

    def chat_stream(self, endpoint: str, body: bytes, component: str | None = None) -> Iterator[bytes]:
        """A streamed chat completion: the raw bytes of the SSE answer as they arrive."""
        response = self._post(endpoint, component, body, stream=True)
        return self._chunks(endpoint, response)

    def _chunks(self, endpoint: str, response: Any) -> Iterator[bytes]:
        try:
            yield from response.stream(4096, decode_content=True)
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise timeout_error(endpoint, self.gateway.read_timeout_s, stream=True) from exc
        except urllib3.exceptions.ProtocolError as exc:
            from deploy.invoke.errors import stream_broken

            raise stream_broken(endpoint, exc) from exc
        finally:
            response.release_conn()

    def _post(self, endpoint: str, component: str | None, body: bytes, *, stream: bool) -> Any:
        url = self.base_url(endpoint, component) + "/chat/completions"
        headers = self._signed_headers(url, body, stream=stream)
        timeout = urllib3.Timeout(connect=10.0, read=self.gateway.read_timeout_s)
        try:
            response = self.pool.request(
                "POST", url, body=body, headers=headers, preload_content=False, timeout=timeout, retries=False
            )
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise timeout_error(endpoint, self.gateway.read_timeout_s) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise InvokeError(
                f"endpoint {endpoint!r}: cannot reach the OpenAI-compatible route at {url}: {exc}",
                field="endpoint",
                value=endpoint,
                fix="check the region and the network path to the SageMaker runtime",
            ) from exc
        if response.status >= 400:
            text = response.data.decode("utf-8", "replace")
            response.release_conn()
            error_type = response.headers.get("x-amzn-ErrorType")
            raise route_error(endpoint, response.status, error_type, text, component=component)
        return response

    def _signed_headers(self, url: str, body: bytes, *, stream: bool) -> dict[str, str]:
        accept = "text/event-stream" if stream else "application/json"
        headers = {"Content-Type": "application/json", "Accept": accept}
        context = self.gateway.context
        return sign_request(context.session, context.region, "POST", url, body, headers)


def sign_request(
    session: Any, region: str, method: str, url: str, body: bytes, headers: dict[str, str]
) -> dict[str, str]:
    """``headers`` plus SigV4 ``Authorization``/``X-Amz-Date`` (and the session token) for this request.

    Credentials are read (and frozen) per call, so refreshing credentials keep working in long-lived clients.
    """
    credentials = session.get_credentials()
    if credentials is None:
        raise InvokeError(
            "no AWS credentials to sign the request with",
            field="credentials",
            value=None,
            fix="configure AWS credentials (AWS_PROFILE, aws configure, or an instance role)",
        )
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    SigV4Auth(credentials.get_frozen_credentials(), SIGNING_NAME, region).add_auth(request)
    return {key: str(value) for key, value in request.headers.items()}


def route_error(
    endpoint: str, status: int, error_type: str | None, text: str, *, component: str | None = None
) -> InvokeError:
    """Map an HTTP error of the route to the typed invoke error (AWS's own errors first, then the container's)."""
    code = (error_type or "").split(":")[0]
    message = _message(text)
    if status == 404 or (code in {"ValidationError", "ValidationException"} and "not found" in message.lower()):
        return classify_runtime_error(
            "ValidationError", message or "not found", endpoint=endpoint, status=status, component=component
        )
    if status in {401, 403} or code.endswith(("SignatureException", "ClientException", "TokenException")):
        return InvokeError(
            f"endpoint {endpoint!r}: the OpenAI-compatible route refused the credentials (HTTP {status}): {message}",
            status=status,
            field="credentials",
            value=code or status,
            fix="allow sagemaker:InvokeEndpoint on the endpoint (and sagemaker:CallWithBearerToken for tokens); "
            "build a fresh token with `lmi openai NAME`",
        )
    if code and code != "ModelError" and not text.lstrip().startswith('{"object"'):
        return classify_runtime_error(code, message, endpoint=endpoint, status=status, component=component)
    return classify_container_error(status, container_text(text), endpoint=endpoint)


def _message(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        return str(data.get("message") or data.get("Message") or text).strip()
    return text.strip()


__all__ = ["OpenAIRoute", "RouteCredentials", "route_error", "route_path", "sign_request"]
