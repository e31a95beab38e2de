"""Which inference component (IC) a request goes to: short names, full names, and endpoints with one or many.

Why a module of its own: the rule is the same for ``lmi invoke``, ``lmi chat``, ``lmi bench``, ``lmi logs``,
``lmi openai`` and ``deploy.Endpoint``, and it is pure (the list of the endpoint's ICs comes in as an argument),
so it is tested without AWS. lmi-deploy names an IC ``<endpoint>-<component>`` (see
:func:`deploy.spec.components.inference_component_name`); users may type either the short name (``qwen``) or the
full IC name (``team-llms-qwen``), and ICs made by other tools keep whatever name they were given.

    resolve_component("team-llms", "qwen", ["team-llms-qwen", "team-llms-llama"])  -> "team-llms-qwen"
    resolve_component("team-llms", None, ["team-llms-qwen"])                       -> "team-llms-qwen"
    resolve_component("plain", None, [])                                           -> None (no components)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from deploy.errors import AwsError, EndpointNotFoundError, UsageError

__all__ = [
    "ASYNC_NOT_SUPPORTED_FIX",
    "ComponentChoice",
    "async_not_supported",
    "component_choices",
    "resolve_component",
    "short_name",
]

ASYNC_NOT_SUPPORTED_FIX = (
    "invoke the component in real time (generate/chat/stream, `lmi invoke --component C`); for async inference "
    "deploy the model as a single-model endpoint with `async_inference:` in its spec"
)


def short_name(endpoint: str, component: str) -> str:
    """``team-llms-qwen`` on endpoint ``team-llms`` -> ``qwen``; a name without the prefix stays as it is."""
    prefix = f"{endpoint}-"
    return component[len(prefix) :] if component.startswith(prefix) and len(component) > len(prefix) else component


def component_choices(endpoint: str, names: Sequence[str]) -> str:
    """The components as a user would type them: ``qwen (team-llms-qwen), llama (team-llms-llama)``."""
    shown = []
    for name in names:
        short = short_name(endpoint, name)
        shown.append(short if short == name else f"{short} ({name})")
    return ", ".join(shown)


def resolve_component(endpoint: str, requested: str | None, names: Sequence[str]) -> str | None:
    """The full IC name a request to ``endpoint`` must carry, or None for an endpoint without components.

    ``requested`` may be the full IC name or the short name; None picks the only component, and is refused
    (exit 2, listing them) when there are several: guessing would send traffic to the wrong model.
    """
    if requested is not None:
        return _named(endpoint, requested.strip(), names)
    if not names:
        return None
    if len(names) == 1:
        return names[0]
    raise UsageError(
        f"endpoint {endpoint!r} hosts {len(names)} inference components; say which one to use",
        field="component",
        value=None,
        fix=f"pass --component (or component=...) with one of: {component_choices(endpoint, names)}",
    )


def _named(endpoint: str, requested: str, names: Sequence[str]) -> str:
    if not requested:
        raise UsageError(
            "the component name is empty",
            field="component",
            value=requested,
            fix="give a component's short name (e.g. qwen) or its full inference component name",
        )
    if requested in names:
        return requested
    full = f"{endpoint}-{requested}"
    if full in names:
        return full
    if not names:
        raise UsageError(
            f"endpoint {endpoint!r} has no inference components, so there is no component {requested!r}",
            field="component",
            value=requested,
            fix="drop --component (the endpoint serves one model directly), or check the endpoint name",
        )
    raise UsageError(
        f"endpoint {endpoint!r} has no inference component {requested!r}",
        field="component",
        value=requested,
        fix=f"use one of: {component_choices(endpoint, names)} (`lmi status {endpoint}` lists them)",
    )


def async_not_supported(endpoint: str, component: str) -> UsageError:
    """Inference components serve real-time requests only: InvokeEndpointAsync has no InferenceComponentName."""
    return UsageError(
        f"inference component {component!r} on endpoint {endpoint!r} cannot take asynchronous requests: "
        "SageMaker's InvokeEndpointAsync has no InferenceComponentName parameter, so a queued request cannot "
        "name a component",
        field="component",
        value=component,
        fix=ASYNC_NOT_SUPPORTED_FIX,
    )


class ComponentChoice:
    """The component an :class:`~deploy.invoke.endpoint.Endpoint` sends to, resolved at most once.

    ``requested`` is what the caller named (short or full name, or None). Resolution needs the endpoint's IC
    names, which cost one ListInferenceComponents call: it happens on first use when a component was named, and
    for an endpoint named without one only when AWS answers that a component is required, so invoking a
    single-model endpoint costs no extra call. Threads sharing an Endpoint (a benchmark) resolve once.
    """

    def __init__(self, endpoint: str, requested: str | None) -> None:
        self.endpoint = endpoint
        self.requested = requested
        self._resolved: str | None = None
        self._done = False
        self._lock = threading.Lock()

    @property
    def settled(self) -> bool:
        """True once the endpoint's components were looked up (or a component needs no lookup any more)."""
        return self._done

    def current(self, list_names: Callable[[], Sequence[str]]) -> str | None:
        """The IC name to send now: resolved when one was requested, else whatever discovery found (or None)."""
        if self.requested is None and not self._done:
            return None
        return self.resolve(list_names)

    def resolve(self, list_names: Callable[[], Sequence[str]]) -> str | None:
        """Look the components up (once) and apply :func:`resolve_component`.

        When the list cannot be read (no ``sagemaker:ListInferenceComponents`` permission, say), the name is
        sent as given and AWS's answer decides; a missing endpoint is still an error.
        """
        with self._lock:
            if not self._done:
                try:
                    names = list(list_names())
                except EndpointNotFoundError:
                    raise
                except AwsError:
                    names = None
                self._resolved = (
                    self.requested if names is None else resolve_component(self.endpoint, self.requested, names)
                )
                self._done = True
        return self._resolved
