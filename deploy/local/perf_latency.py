"""The emulated container's token timing from the performance model, so a demo's latencies look like the GPU's.

Why: ``lmi size --concurrency`` and ``lmi bench`` predict time to first token and inter-token latency from
:mod:`deploy.sizing.perf`; an emulator that answered instantly (or with one fixed delay) would show a benchmark
that no instance could produce. Each container that starts with a known model shape gets a :class:`LatencyModel`
(the same bytes and FLOPs the estimator sized it with); each request is timed for its own prompt and output
length at the number of requests the container is running at that moment (spread over its instances and model
copies), so latency grows with load as on a real endpoint.

Switches: fixed latencies win (``Emulator(ttft_s=0, itl_s=0)`` is instant; ``lmi local start --ttft S --itl S``
with a value above 0); otherwise the model is used unless ``LMI_EMULATOR_LATENCY=off`` (or
``Emulator(latency="off")``) makes every answer instant: the test suite sets it. A container whose shape is
unknown answers instantly.
"""

from __future__ import annotations

import math
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from deploy.errors import UsageError
from deploy.records import record

if TYPE_CHECKING:
    from deploy.local.runtime import Timing

MODE_ENV = "LMI_EMULATOR_LATENCY"
MODES = ("model", "off")


def latency_mode(asked: str | None = None) -> str:
    """``model`` (default) or ``off``: the argument, else ``LMI_EMULATOR_LATENCY``; anything else is refused."""
    mode = (asked if asked is not None else os.environ.get(MODE_ENV, "model")).strip().lower()
    if mode not in MODES:
        raise UsageError(
            f"{MODE_ENV}={mode!r} is not a latency mode",
            field=MODE_ENV,
            value=mode,
            fix="use model (latencies from the performance model) or off (instant answers)",
        )
    return mode


@record
class LatencyModel:
    """The performance model of one started container: one copy's costs, its GPU and how many copies serve."""

    perf_model: Any  # deploy.sizing.perf.PerfModel
    gpu: Any  # deploy.sizing.perf.GpuPerf
    copies: int  # model copies across all instances of the variant

    def timing(self, input_tokens: int, output_tokens: int, running: int) -> tuple[float, float]:
        """(TTFT, ITL) in seconds for one request while ``running`` requests share the container."""
        from deploy.sizing.perf import Workload, predict

        per_copy = max(1, math.ceil(running / self.copies))
        work = Workload(per_copy, max(1, input_tokens), max(1, output_tokens))
        try:
            perf = predict(self.perf_model, self.gpu, work)
        except UsageError:  # one request longer than the KV cache: the fit check let it through, answer at once
            return 0.0, 0.0
        return perf.ttft_ms / 1e3, perf.itl_ms / 1e3


def model_for(shape: Any, estimate: Any, instance_type: str, instance_count: int, quantize: str | None) -> Any:
    """The :class:`LatencyModel` of a container that fits (None when the instance is not in the catalogue)."""
    from deploy import catalog
    from deploy.errors import SpecError
    from deploy.sizing.perf import GpuPerf
    from deploy.sizing.perf_inputs import model_costs

    if shape is None or estimate is None or not estimate.fits:
        return None
    try:
        inst = catalog.get_instance(instance_type)
    except SpecError:
        return None
    costs = model_costs(shape, estimate, gpu_has_fp8=inst.gpu.fp8, quantize=quantize)
    return LatencyModel(costs, GpuPerf.from_catalog(inst.gpu), max(1, costs.copies * max(1, instance_count)))


class _Running:
    """When each request of a container is expected to end, to count the requests running now (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ends: dict[str, list[float]] = {}

    def start(self, key: str, duration: Any) -> float:
        """Count the running requests (this one included), then record this one's end via ``duration(count)``."""
        now = time.monotonic()
        with self._lock:
            ends = [end for end in self._ends.get(key, []) if end > now]
            seconds = float(duration(len(ends) + 1))
            ends.append(now + seconds)
            self._ends[key] = ends
        return seconds


_RUNNING = _Running()


def timing_for(timing: Timing, container: Any, request: Any, output_tokens: int) -> Timing:
    """The timing of one request: ``timing`` when fixed (or the model is off/unknown), else the model's."""
    from dataclasses import replace

    latency = getattr(container, "latency", None)
    if not timing.model or latency is None:
        return timing
    result: dict[str, tuple[float, float]] = {}

    def duration(running: int) -> float:
        result["t"] = latency.timing(int(request.prompt_tokens), output_tokens, running)
        ttft, itl = result["t"]
        return ttft + itl * max(output_tokens - 1, 0)

    _RUNNING.start(str(container.log_stream), duration)
    ttft, itl = result["t"]
    return replace(timing, ttft_s=ttft, itl_s=itl, model=False)
