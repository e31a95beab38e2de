"""``Emulator``: the embedded SageMaker + LMI emulator as an HTTP server on 127.0.0.1, for tests and ``--local``.

Rule: one object owns one server thread and its clock; starting it makes no AWS call and touches no file, and
``context()`` hands out an ordinary :class:`deploy.aws.session.AwsContext` whose clients talk to it, so the code
under test is exactly the code that talks to AWS. moto's backends are process-global: leaving the ``with`` block
resets them, as ``mock_aws`` does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any

from deploy.aws.session import AwsContext, make_context
from deploy.local import perf_latency
from deploy.local.app import EmulatorApp, EmulatorState, FaultInjector
from deploy.local.control import install_moto_patches
from deploy.local.credentials import fake_session
from deploy.local.endpoints import EndpointRegistry
from deploy.local.runtime import Timing

if TYPE_CHECKING:
    from deploy.client import Client

DEFAULT_FAULT_STATUS = {
    "ThrottlingException": 400,
    "ServiceUnavailable": 503,
    "InternalFailure": 500,
    "ModelError": 424,
    "ModelNotReadyException": 429,
    "ResourceLimitExceeded": 400,
}
DEFAULT_FAULT_MESSAGE = {"ThrottlingException": "Rate exceeded", "ModelStreamError": "Model stream failed"}


class Emulator:
    """SageMaker hosting + the LMI v15 container, emulated; use as a context manager.

    ``time_scale`` multiplies the lifecycle phases (1.0: a few seconds each, for demos; 0: immediate, for tests);
    ``ttft_s``/``itl_s`` fix the simulated time to first token and inter-token latency (0: instant); left unset,
    each request is timed by the performance model (:mod:`deploy.local.perf_latency`) unless ``latency="off"`` (or
    ``LMI_EMULATOR_LATENCY=off``) makes every answer instant.
    """

    def __init__(
        self,
        *,
        time_scale: float = 1.0,
        ttft_s: float | None = None,
        itl_s: float | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = "us-east-1",
        latency: str | None = None,
    ) -> None:
        model = perf_latency.latency_mode(latency) == "model" and ttft_s is None and itl_s is None
        timing = Timing(ttft_s or 0.0, itl_s or 0.0, model)
        self.state = EmulatorState(EndpointRegistry(time_scale), timing, FaultInjector())
        self.host, self.port, self.region = host, port, region
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running: call start() or use it as a context manager")
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> Emulator:
        """Bind the port and serve on a daemon thread; returns self."""
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        install_moto_patches()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        app = EmulatorApp(self.state, DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="lmi-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Run in the foreground (the background server process uses this)."""
        self.start()
        assert self._thread is not None
        self._thread.join()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def reset(self) -> None:
        """Forget every resource (moto backends, endpoints, faults)."""
        from moto.moto_api._internal.models import moto_api_backend

        with self.state.registry.lock:
            moto_api_backend.reset()
            self.state.registry.reset()
            self.state.faults.clear()
            self.state.quotas.reset()
            self.state.prices.reset()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        self.reset()

    def context(self, region: str | None = None) -> AwsContext:
        """An :class:`AwsContext` whose clients call this emulator with dummy credentials."""
        name = region or self.region
        return make_context(region=name, endpoint_url=self.endpoint_url, session=fake_session(name))

    def client(self, region: str | None = None) -> Client:
        """A :class:`deploy.Client` whose calls go to this emulator (``region``: as with ``Client(region=...)``)."""
        from deploy.client import Client

        return Client.from_context(self.context(region), region=region)

    def inject_fault(
        self,
        operation: str,
        *,
        code: str = "ThrottlingException",
        times: int = 1,
        status: int | None = None,
        message: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``operation`` fail with ``code`` (e.g. throttling, 5xx, ModelError).

        ``code="ModelStreamError"`` on ``InvokeEndpointWithResponseStream`` fails the stream mid-way instead.
        """
        self.state.faults.add(
            operation,
            code,
            message or DEFAULT_FAULT_MESSAGE.get(code, f"Injected {code}"),
            status or DEFAULT_FAULT_STATUS.get(code, 400),
            times,
        )

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Hold every endpoint operation in its in-progress state (Creating, Updating, Deleting) until exit."""
        self.state.registry.frozen = True
        try:
            yield
        finally:
            self.state.registry.frozen = False

    def set_quota(self, instance_type: str, value: float | None, *, region: str | None = None) -> None:
        """Set the ``<type> for endpoint usage`` quota in ``region`` (None: the region defines no such quota)."""
        self.state.quotas.set(region or self.region, instance_type, value)

    def set_price(self, instance_type: str, usd_per_hour: float | str | None, *, region: str | None = None) -> None:
        """Override the Price List's hosting price (None: listed unpriced; ``"withdrawn"``: not offered there)."""
        self.state.prices.set(region or self.region, instance_type, usd_per_hour)

    def run_autoscaling(self, region: str | None = None) -> list[dict[str, Any]]:
        """One round of automatic scaling for inference components: evaluate CloudWatch alarms (an alarm entering
        ALARM runs its step-scaling actions, e.g. scale-out from zero on ``NoCapacityInvocationFailures``), then
        target tracking on the invocations since the last round (no traffic scales in to ``MinCapacity``).
        Returns the copy-count changes made (``component``, ``policy``, ``from``, ``to``, ``cause``)."""
        from deploy.local import ic_scaler

        return ic_scaler.run(self.state.registry, region or self.region)

    def set_latency(self, *, ttft_s: float | None = None, itl_s: float | None = None) -> None:
        """Fixed latencies from now on (the performance model's timing stops)."""
        self.state.timing.model = False
        if ttft_s is not None:
            self.state.timing.ttft_s = ttft_s
        if itl_s is not None:
            self.state.timing.itl_s = itl_s
