"""The emulator's HTTP front door: a WSGI app in front of moto's own server app.

Rule: look at each request once, decide who answers, and never change moto's answers for calls we do not take
over. Order: advance the endpoint clock; injected faults; the emulator's own routes (``/_lmi/...``); the SageMaker
runtime paths, InvokeEndpoint* and the OpenAI-compatible route (served entirely here); the control-plane and
autoscaling calls that need AWS's behaviour; moto. Errors are written in the protocol the client speaks (JSON
``__type`` for the JSON services, the ``x-amzn-ErrorType`` header for the runtime's REST-JSON, OpenAI's
``{"error": ...}`` object on the OpenAI-compatible route).
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from deploy._version import __version__
from deploy.local import (
    autoscaling,
    component_api,
    component_runtime,
    control,
    ic_autoscaling,
    ic_scaler,
    openai_route,
    runtime,
)
from deploy.local import pricing as price_list
from deploy.local import quotas as service_quotas
from deploy.local.endpoints import EndpointRegistry
from deploy.local.errors import ApiError

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_RUNTIME_PATH = re.compile(
    r"/endpoints/(?P<name>[^/]+)/(?P<action>invocations|invocations-response-stream|async-invocations)"
)
_RUNTIME_OPS = {
    "invocations": "InvokeEndpoint",
    "invocations-response-stream": "InvokeEndpointWithResponseStream",
    "async-invocations": "InvokeEndpointAsync",
}
HANDLER_TABLES: dict[str, tuple[dict[str, Any], ...]] = {
    "SageMaker": (component_api.HANDLERS, control.HANDLERS),
    "AnyScaleFrontendService": (ic_autoscaling.HANDLERS, autoscaling.HANDLERS),
}
_SCOPE = re.compile(r"Credential=[^/]+/\d+/(?P<region>[^/]+)/")


@dataclass
class Fault:
    operation: str
    code: str
    message: str
    status: int
    remaining: int


class FaultInjector:
    """Queued failures per operation name (``CreateEndpoint``, ``InvokeEndpoint``...), consumed in order."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, operation: str, code: str, message: str, status: int, times: int) -> None:
        with self._lock:
            self._faults.append(Fault(operation, code, message, status, times))

    def take(self, operation: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.operation == operation and fault.remaining > 0:
                    fault.remaining -= 1
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


@dataclass
class EmulatorState:
    registry: EndpointRegistry
    timing: runtime.Timing
    faults: FaultInjector
    identity_secret: str | None = None  # set by the background server: answers /_lmi/identity challenges
    instance_id: str | None = None
    quotas: service_quotas.QuotaStore = field(default_factory=service_quotas.QuotaStore)
    prices: price_list.PriceStore = field(default_factory=price_list.PriceStore)


OWN_SERVICES = ("ServiceQuotasV20190624", "AWSPriceListService")  # moto serves neither for SageMaker


def operation_of(request: Request) -> tuple[str, str]:
    """(service prefix, operation) from the JSON target header, the CBOR path or the runtime path."""
    target = request.headers.get("X-Amz-Target", "")
    if "." in target:
        service, _, op = target.rpartition(".")
        return service, op
    cbor = re.fullmatch(r"/service/(?P<svc>[^/]+)/operation/(?P<op>[^/]+)", request.path)
    if cbor:
        return cbor["svc"], cbor["op"]
    match = _RUNTIME_PATH.fullmatch(request.path)
    if match:
        return "SageMakerRuntime", _RUNTIME_OPS[match["action"]]
    if openai_route.PATH.fullmatch(request.path):
        return "SageMakerRuntimeOpenAI", openai_route.OPERATION
    return "", ""


def region_of(request: Request) -> str:
    match = _SCOPE.search(request.headers.get("Authorization", ""))
    return match["region"] if match else "us-east-1"


def error_response(error: ApiError, service: str) -> Response:
    if service == "SageMakerRuntimeOpenAI":
        return openai_route.error_response(error)
    if service == "SageMakerRuntime":
        body = {"message": error.message, "Message": error.message, **error.fields}
        headers = {"x-amzn-ErrorType": error.code, "Content-Type": "application/json"}
    else:
        body = {"__type": error.code, "message": error.message, **error.fields}
        headers = {"Content-Type": "application/x-amz-json-1.1"}
    return Response(json.dumps(body), status=error.status, headers=headers)


class EmulatorApp:
    """WSGI callable: the emulator's routes first, then moto's dispatcher for everything else."""

    def __init__(self, state: EmulatorState, moto_app: WsgiApp) -> None:
        self.state = state
        self.moto_app = moto_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        self.state.registry.tick()
        service, operation = operation_of(request)
        try:
            response = self._dispatch(request, environ, service, operation)
        except ApiError as error:
            response = error_response(error, service)
        if response is None:
            return self.moto_app(environ, start_response)
        return response(environ, start_response)

    def _dispatch(self, request: Request, environ: dict[str, Any], service: str, op: str) -> Response | None:
        fault = self.state.faults.take(op) if op else None
        if fault is not None and not (op == "InvokeEndpointWithResponseStream" and fault.code == "ModelStreamError"):
            extra = {"OriginalStatusCode": 500, "OriginalMessage": fault.message} if fault.code == "ModelError" else {}
            raise ApiError(fault.code, fault.message, fault.status, **extra)
        if request.path.startswith("/_lmi/"):
            return self._own_route(request)
        if request.path == "/moto-api/reset":
            self.state.registry.reset()
            self.state.faults.clear()
            self.state.quotas.reset()
            self.state.prices.reset()
            return None
        if service == "SageMakerRuntime":
            return self._runtime(request, op, fault)
        if service == "SageMakerRuntimeOpenAI":
            return openai_route.handle(self.state.registry, self.state.timing, request)
        if service in OWN_SERVICES:
            own = self._own_service(request, environ, service, op)
            if own is not None:
                return own
        chain = [table[op] for table in HANDLER_TABLES.get(service, ()) if op in table]
        if not chain:
            return None
        body = request.get_data()
        environ["wsgi.input"] = io.BytesIO(body)
        result = None
        with self.state.registry.lock:
            for handler in chain:  # the first handler that answers wins; None from all: moto answers
                result = handler(self.state.registry, region_of(request), json.loads(body or b"{}"))
                if result is not None:
                    break
        if result is None:
            return None
        return Response(json.dumps(result), status=200, headers={"Content-Type": "application/x-amz-json-1.1"})

    def _own_service(self, request: Request, environ: dict[str, Any], service: str, op: str) -> Response | None:
        """Service Quotas for ``sagemaker`` and the Price List for ``AmazonSageMaker``; None: moto answers."""
        body = request.get_data()
        environ["wsgi.input"] = io.BytesIO(body)
        payload = json.loads(body or b"{}")
        if service == "ServiceQuotasV20190624":
            result = service_quotas.handle(self.state.quotas, region_of(request), op, payload)
        else:
            result = price_list.handle(self.state.prices, op, payload)
        if result is None:
            return None
        return Response(json.dumps(result), status=200, headers={"Content-Type": "application/x-amz-json-1.1"})

    def _runtime(self, request: Request, op: str, fault: Any) -> Response:
        match = _RUNTIME_PATH.fullmatch(request.path)
        assert match is not None
        registry, region = self.state.registry, region_of(request)
        invocation = component_runtime.resolve(registry, region, match["name"], request)
        invocation = invocation or runtime.resolve(registry, region, match["name"], request)
        timing = self.state.timing
        if op == "InvokeEndpoint":
            return runtime.invoke(invocation, timing)
        if op == "InvokeEndpointAsync":
            return runtime.invoke_async(invocation, timing, request)
        stream_fault = ApiError(fault.code, fault.message) if fault is not None else None
        return runtime.invoke_stream(invocation, timing, stream_fault)

    def _health(self) -> dict[str, Any]:
        registry = self.state.registry
        return {
            "emulator": "lmi-deploy",
            "version": __version__,
            "time_scale": registry.time_scale,
            "ttft_s": self.state.timing.ttft_s,
            "itl_s": self.state.timing.itl_s,
            "endpoints": sorted(f"{r}/{n}" for r, n in registry.records),
        }

    def _identity(self, request: Request) -> Response:
        """Health plus proof of identity: the pid and an HMAC of the caller's nonce with the state file's secret
        (how `lmi local stop` knows a pid is this emulator before it signals it)."""
        import os

        from deploy.local.state import proof

        secret, nonce = self.state.identity_secret, request.args.get("nonce", "")
        if secret is None or not 16 <= len(nonce) <= 128:
            return Response(json.dumps({"error": "no identity"}), status=404, content_type="application/json")
        info = {**self._health(), "pid": os.getpid(), "instance_id": self.state.instance_id}
        return Response(json.dumps({**info, "proof": proof(secret, nonce)}), content_type="application/json")

    def _own_route(self, request: Request) -> Response:
        if request.path == "/_lmi/health":
            return Response(json.dumps(self._health()), status=200, content_type="application/json")
        if request.path == "/_lmi/identity":
            return self._identity(request)
        if request.path == "/_lmi/autoscaling/run" and request.method == "POST":
            region = request.args.get("region", "us-east-1")
            changes = ic_scaler.run(self.state.registry, region)
            return Response(json.dumps({"changes": changes}), status=200, content_type="application/json")
        if request.path == "/_lmi/faults" and request.method == "POST":
            spec = json.loads(request.get_data() or b"{}")
            self.state.faults.add(
                spec["operation"],
                spec.get("code", "ThrottlingException"),
                spec.get("message", "Rate exceeded"),
                int(spec.get("status", 400)),
                int(spec.get("times", 1)),
            )
            return Response("{}", status=200, content_type="application/json")
        if request.path in ("/_lmi/quotas", "/_lmi/prices") and request.method == "POST":
            return _set_quota_or_price(self.state, request.path, json.loads(request.get_data() or b"{}"))
        return Response(
            json.dumps({"error": f"unknown emulator route {request.path}"}),
            status=404,
            content_type="application/json",
        )


def _set_quota_or_price(state: EmulatorState, path: str, spec: dict[str, Any]) -> Response:
    """``{"instance_type", "region", "value"}``: a quota (None removes it) or a price (None unprices, "withdrawn")."""
    store = state.quotas if path == "/_lmi/quotas" else state.prices
    store.set(str(spec.get("region", "us-east-1")), str(spec["instance_type"]), spec.get("value"))
    return Response("{}", status=200, content_type="application/json")
