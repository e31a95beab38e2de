"""``deploy.Endpoint``: generate, chat, stream and submit (async) against a deployed LMI v15 endpoint.

Rule: this module composes; it decides nothing about bodies (``deploy.invoke.requests``), responses
(``deploy.invoke.results``, ``deploy.invoke.streaming``) or AWS (``deploy.aws.runtime``). Building an Endpoint
makes no session, client or call, so it is cheap to create one per request in user code.

    ep = deploy.Endpoint("qwen-chat", region="us-east-1")
    ep.generate("The capital of France is", max_new_tokens=8)
    for text in (s := ep.chat_stream([{"role": "user", "content": "hi"}])):
        print(text, end="")
    s.result.completion_tokens

    deploy.Endpoint("team-llms", component="qwen")   # an inference component: short name or full IC name

Requests to an endpoint with inference components carry ``InferenceComponentName``; which one is decided by
:class:`deploy.invoke.components.ComponentChoice` (the only component, or the one named).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from deploy.invoke.components import ComponentChoice, async_not_supported
from deploy.invoke.errors import ComponentRequiredError, InvokeTimeoutError, NoCapacityError, classify_failure_body
from deploy.invoke.requests import chat_body, lmi_body
from deploy.invoke.results import ChatResult, Generation, StreamResult, parse_chat, parse_generation
from deploy.invoke.streaming import StreamEvent, iter_events

if TYPE_CHECKING:
    import boto3

    from deploy.aws.openai_route import OpenAIRoute, RouteCredentials
    from deploy.aws.runtime import RuntimeGateway
    from deploy.aws.session import AwsContext

Messages = Sequence[Mapping[str, Any]]
ROUTES = ("invoke", "openai")
_GATEWAY_LOCK = threading.Lock()
T = TypeVar("T")

__all__ = ["AsyncJob", "ChatResult", "Endpoint", "Generation", "StreamResult"]


class Endpoint:
    """A client for one SageMaker endpoint that serves an LMI v15 container."""

    def __init__(
        self,
        name: str,
        session: boto3.Session | None = None,
        *,
        context: AwsContext | None = None,
        region: str | None = None,
        read_timeout_s: float = 70.0,
        max_pool_connections: int = 10,
        max_attempts: int = 3,
        component: str | None = None,
    ) -> None:
        self.name = name
        self.component = component
        self._choice = ComponentChoice(name, component)
        self._session = session
        self._context = context
        self._region = region
        self._gateway_options = {
            "read_timeout_s": read_timeout_s,
            "max_pool_connections": max_pool_connections,
            "max_attempts": max_attempts,
        }
        self._gateway: RuntimeGateway | None = None
        self._openai_route: OpenAIRoute | None = None

    def __repr__(self) -> str:
        component = f", component={self.component!r}" if self.component else ""
        return f"Endpoint({self.name!r}{component})"

    @property
    def gateway(self) -> RuntimeGateway:
        """The runtime gateway, built on first use."""
        if self._gateway is None:
            with _GATEWAY_LOCK:  # threads sharing an Endpoint must share one gateway (and one client)
                if self._gateway is None:
                    self._gateway = self._make_gateway()
        return self._gateway

    def _make_gateway(self) -> RuntimeGateway:
        from deploy.aws.runtime import RuntimeGateway
        from deploy.aws.session import make_context

        context = self._context or make_context(region=self._region, session=self._session)
        return RuntimeGateway(context, **self._gateway_options)  # type: ignore[arg-type]

    def generate(self, prompt: str, **params: Any) -> Generation:
        """Complete ``prompt`` with the LMI schema (``max_new_tokens``, ``temperature``, ``stop`` ...)."""
        body = _encode(lmi_body(prompt, params))
        started = time.perf_counter()
        response = self._send(lambda extra: self.gateway.invoke(self.name, body, **extra))
        return parse_generation(response.body, latency_s=time.perf_counter() - started, endpoint=self.name)

    def chat(self, messages: Messages | str, *, route: str = "invoke", **params: Any) -> ChatResult:
        """Answer a conversation with the OpenAI chat schema (``max_tokens``, ``temperature`` ...).

        ``route="openai"`` sends it to SageMaker's OpenAI-compatible route instead of InvokeEndpoint.
        """
        body = _encode(chat_body(messages, params))
        started = time.perf_counter()
        if _route(route) == "openai":
            answer = self._send(lambda extra: self.openai_route.chat(self.name, body, _ic(extra)))
        else:
            answer = self._send(lambda extra: self.gateway.invoke(self.name, body, **extra)).body
        return parse_chat(answer, latency_s=time.perf_counter() - started, endpoint=self.name)

    def stream(self, prompt: str, **params: Any) -> StreamResult[Generation]:
        """Like :meth:`generate`, but iterate the result to receive text as it is generated."""
        events, started = self._open_stream(lmi_body(prompt, params, stream=True))
        return StreamResult(events, Generation, started=started)

    def chat_stream(
        self, messages: Messages | str, *, route: str = "invoke", **params: Any
    ) -> StreamResult[ChatResult]:
        """Like :meth:`chat`, but iterate the result to receive text as it is generated.

        Over ``route="openai"`` the request asks for usage in the last chunk (``stream_options.include_usage``),
        so ``result.completion_tokens`` is the server's count.
        """
        body = chat_body(messages, params, stream=True)
        if _route(route) == "openai":
            body.setdefault("stream_options", {"include_usage": True})
            started = time.perf_counter()
            data = _encode(body)
            chunks = self._send(lambda extra: self.openai_route.chat_stream(self.name, data, _ic(extra)))
            return StreamResult(iter_events(chunks, endpoint=self.name), ChatResult, started=started)
        events, started = self._open_stream(body)
        return StreamResult(events, ChatResult, started=started)

    def _open_stream(self, body: dict[str, Any]) -> tuple[Iterator[StreamEvent], float]:
        started = time.perf_counter()
        data = _encode(body)
        parts = self._send(lambda extra: self.gateway.invoke_stream(self.name, data, **extra))
        return iter_events(parts, endpoint=self.name), started

    # -- inference components ------------------------------------------------------------------------------

    @property
    def inference_component(self) -> str | None:
        """The full IC name requests carry; None for an endpoint that serves one model directly.

        A named component is resolved on first use (one ListInferenceComponents call: short names become
        ``<endpoint>-<name>``); without a name, the only component is found when AWS asks for one.
        """
        return self._choice.current(self._component_names)

    def resolve_component(self) -> str | None:
        """Look the endpoint's components up now and pick the one requests go to (None: no components).

        Raises :class:`deploy.errors.UsageError` (exit 2) naming the components when the endpoint has several
        and none was named, or the named one is not there.
        """
        return self._choice.resolve(self._component_names)

    def component_names(self) -> list[str]:
        """The endpoint's inference components, oldest first (one read call; [] for a single-model endpoint)."""
        from deploy.aws.inference_components import InferenceComponentReader

        return InferenceComponentReader(self.gateway.context).names(self.name)

    def _component_names(self) -> list[str]:
        names = self.component_names()
        if not names and self.component is not None:
            from deploy.aws.sagemaker import SageMakerGateway
            from deploy.errors import EndpointNotFoundError

            context = self.gateway.context
            if SageMakerGateway(context).describe_endpoint(self.name) is None:
                raise EndpointNotFoundError(
                    f"endpoint {self.name} does not exist in {context.region}", field="name", value=self.name,
                    fix="check the name and region (`lmi list` shows lmi-deploy endpoints)",
                )  # fmt: skip
        return names

    def _send(self, request: Callable[[dict[str, str]], T]) -> T:
        """Run one runtime call with the component's InferenceComponentName (if any).

        When AWS says the endpoint needs a component and none was named, the components are looked up and the
        request is sent again to the only one (nothing was processed: AWS refused it before the model saw it).
        "No capacity" (a component scaled to zero) is explained with what wakes it and when to retry.
        """
        try:
            return request(self._component_args())
        except ComponentRequiredError:
            if self._choice.settled:
                raise
            self.resolve_component()
            return self._send(request)
        except NoCapacityError as exc:
            raise self._no_capacity(exc) from exc

    def _component_args(self) -> dict[str, str]:
        component = self.inference_component
        return {"InferenceComponentName": component} if component else {}

    def _no_capacity(self, exc: NoCapacityError) -> NoCapacityError:
        from deploy.invoke.cold_start import explain_no_capacity, read_wake_facts

        component = self.inference_component or str(exc.value)
        what, fix = explain_no_capacity(read_wake_facts(self.gateway.context, self.name, component))
        return NoCapacityError(
            f"endpoint {self.name!r}: {what}", status=exc.status, field="component", value=component, fix=fix,
            hint=f"AWS said: {exc.message}",
        )  # fmt: skip

    # -- the OpenAI-compatible route ----------------------------------------------------------------------

    @property
    def openai_route(self) -> OpenAIRoute:
        """The route's gateway (URLs, tokens, signed requests), sharing this endpoint's runtime client."""
        if self._openai_route is None:
            from deploy.aws.openai_route import OpenAIRoute

            gateway = self.gateway
            with _GATEWAY_LOCK:  # benchmark threads share one route (and one connection pool)
                if self._openai_route is None:
                    self._openai_route = OpenAIRoute(gateway)
        return self._openai_route

    def openai_credentials(self, *, hours: float = 12.0, model: str = "") -> RouteCredentials:
        """``base_url``, a bearer ``api_key`` valid ``hours`` (at most 12), its expiry and the ``model`` to send."""
        from deploy.aws.bearer import hours_to_seconds

        return self.openai_route.credentials(self.name, self.inference_component, hours_to_seconds(hours), model)

    def openai_client(self, *, hours: float = 12.0, sigv4: bool = False, **options: Any) -> Any:
        """An ``openai.OpenAI`` pointed at this endpoint's route (needs ``pip install 'lmi-deploy[openai]'``).

        By default it carries a bearer token valid ``hours``; ``sigv4=True`` signs every request with the
        session's credentials instead (no token, nothing expires while the credentials refresh).
        """
        from deploy.invoke.openai_clients import make_client

        return make_client(self, hours=hours, sigv4=sigv4, is_async=False, **options)

    def openai_async_client(self, *, hours: float = 12.0, sigv4: bool = False, **options: Any) -> Any:
        """Like :meth:`openai_client`, an ``openai.AsyncOpenAI``."""
        from deploy.invoke.openai_clients import make_client

        return make_client(self, hours=hours, sigv4=sigv4, is_async=True, **options)

    def submit(self, request: str | Messages, input_s3_uri: str | None = None, **params: Any) -> AsyncJob:
        """Queue a request on an async-inference endpoint; the body is uploaded to ``input_s3_uri``.

        A string is an LMI-schema prompt, a list of messages a chat request. Without ``input_s3_uri`` the body
        goes to ``s3://sagemaker-<region>-<account>/lmi-deploy/async-inputs/<uuid>.json``, and that bucket is
        created if it does not exist yet (as the SageMaker SDK does).
        """
        if self.component is not None:
            raise async_not_supported(self.name, self.component)
        is_chat = not isinstance(request, str)
        body = chat_body(request, params) if not isinstance(request, str) else lmi_body(request, params)
        gateway = self.gateway
        if input_s3_uri is None:
            bucket = gateway.default_bucket()
            gateway.create_bucket_if_missing(bucket)
            input_s3_uri = f"s3://{bucket}/lmi-deploy/async-inputs/{uuid.uuid4().hex}.json"
        gateway.put_object(input_s3_uri, _encode(body))
        invocation = gateway.invoke_async(self.name, input_s3_uri)
        return AsyncJob(
            endpoint=self.name,
            inference_id=invocation.inference_id,
            input_location=input_s3_uri,
            output_location=invocation.output_location,
            failure_location=invocation.failure_location,
            chat=is_chat,
            submitted=time.perf_counter(),
            _gateway=gateway,
        )


@dataclass
class AsyncJob:
    """A queued async request. ``wait()`` polls S3 until the output (or the failure) object appears."""

    endpoint: str
    inference_id: str
    input_location: str
    output_location: str
    failure_location: str | None
    chat: bool
    submitted: float
    _gateway: RuntimeGateway

    def __repr__(self) -> str:
        return (
            f"AsyncJob(endpoint={self.endpoint!r}, inference_id={self.inference_id!r}, output={self.output_location!r})"
        )

    def poll(self) -> Generation | ChatResult | None:
        """The result if SageMaker has written it, None while it is still queued; raises if it failed."""
        if self.failure_location:
            failure = self._gateway.get_object(self.failure_location)
            if failure is not None:
                raise classify_failure_body(failure, endpoint=self.endpoint)
        output = self._gateway.get_object(self.output_location)
        if output is None:
            return None
        latency = time.perf_counter() - self.submitted
        if self.chat:
            return parse_chat(output, latency_s=latency, endpoint=self.endpoint)
        return parse_generation(output, latency_s=latency, endpoint=self.endpoint)

    def wait(self, timeout_s: float = 900.0, poll_s: float = 2.0) -> Generation | ChatResult:
        """Poll until the result exists; :class:`InvokeTimeoutError` after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            result = self.poll()
            if result is not None:
                return result
            if time.monotonic() >= deadline:
                raise InvokeTimeoutError(
                    f"async request {self.inference_id} on {self.endpoint!r}: no output after {timeout_s:g} s",
                    field="timeout_s",
                    value=timeout_s,
                    fix=f"wait longer (job.wait(timeout_s=...)) or look for {self.output_location}",
                )
            time.sleep(poll_s)

    def result(self, timeout_s: float = 900.0) -> Generation | ChatResult:
        """Alias of :meth:`wait` with the default poll interval."""
        return self.wait(timeout_s=timeout_s)


def _ic(extra: Mapping[str, str]) -> str | None:
    """The component of a runtime call's extra arguments, for the OpenAI route (which takes it in its URL)."""
    return extra.get("InferenceComponentName")


def _route(route: str) -> str:
    if route not in ROUTES:
        from deploy.errors import UsageError

        raise UsageError(
            f"unknown route {route!r}", field="route", value=route, fix="'invoke' (InvokeEndpoint) or 'openai'"
        )
    return route


def _encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
