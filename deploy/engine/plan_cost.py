"""The bill of a plan: hourly and monthly cost before and after, and predicted $/M output tokens. Pure (no I/O).

Hourly cost = instances x the instance type's on-demand price in the plan's region (:func:`hourly_price`); with
autoscaling, at the minimum and at the maximum capacity. A month is 730 hours (AWS's own convention). $/M output
tokens comes from the performance model (:mod:`deploy.sizing.perf`) at a stated default workload: every model copy
runs as many streams as the engine admits (``option.max_rolling_batch_size``, then the KV cache decides), each
request 1,000 input and 200 output tokens, so the figure is the cost of a fully loaded instance: a price per
token, independent of the instance count. The "before" side is computed the same way from what the endpoint
serves (its instance type and its options), so both sides differ only by what the plan changes. An unknown price
(a type or region the price table lacks) stays None: never another region's price.
"""

from __future__ import annotations

from dataclasses import asdict, field
from typing import TYPE_CHECKING, Any

from deploy.engine.desired import DesiredState
from deploy.engine.plan_diff import desired_options, lmi_options
from deploy.engine.snapshot import RemoteSnapshot, ServingState
from deploy.records import record

if TYPE_CHECKING:
    from deploy.sizing import ModelShape

HOURS_PER_MONTH = 730
DEFAULT_INPUT_TOKENS = 1000
DEFAULT_OUTPUT_TOKENS = 200
LMI_DEFAULT_BATCH = 256  # LMI's max_rolling_batch_size with the vLLM rolling batch


def hourly_price(instance_type: str, region: str, observed: dict[str, float | None] | None = None) -> float | None:
    """On-demand $/h of one ``instance_type`` in ``region``; None when unknown (the one place prices are chosen).

    ``observed``: what observe read for the region (the Price List API, its cache or the bundled table,
    :func:`deploy.engine.observe_serving.read_prices`); a type it did not read falls back to the bundled table.
    """
    if observed is not None and instance_type in observed:
        return observed[instance_type]
    from deploy.catalog import price_in

    return price_in(instance_type, region)


@record
class PriceBook:
    """The plan's region and the prices observe read for it (instance type -> $/h, None = not priced there)."""

    region: str
    observed: dict[str, float | None] = field(default_factory=dict)


@record
class FleetCost:
    """What one side of the plan costs: instances at the minimum and maximum capacity, and per token."""

    instance_type: str | None
    instances_min: int
    instances_max: int
    price_per_instance_hour: float | None
    usd_per_million_output_tokens: float | None = None
    output_tokens_per_s_per_instance: float | None = None

    @property
    def usd_per_hour(self) -> float | None:
        return _times(self.price_per_instance_hour, self.instances_min)

    @property
    def usd_per_hour_max(self) -> float | None:
        return _times(self.price_per_instance_hour, self.instances_max)

    @property
    def usd_per_month(self) -> float | None:
        return _times(self.usd_per_hour, HOURS_PER_MONTH)

    @property
    def usd_per_month_max(self) -> float | None:
        return _times(self.usd_per_hour_max, HOURS_PER_MONTH)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("usd_per_hour", "usd_per_hour_max", "usd_per_month", "usd_per_month_max"):
            out[key] = getattr(self, key)
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}


NOTHING = FleetCost(None, 0, 0, 0.0)


@record
class PlanCost:
    """Before and after, the monthly change (at minimum and at maximum capacity) and the workload assumed."""

    region: str
    before: FleetCost
    after: FleetCost
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def change_per_month(self) -> float | None:
        return _minus(self.after.usd_per_month, self.before.usd_per_month)

    @property
    def change_per_month_max(self) -> float | None:
        return _minus(self.after.usd_per_month_max, self.before.usd_per_month_max)

    @property
    def is_teardown(self) -> bool:
        """Something serves now and nothing will after: the bill is what stops being paid, no $/M tokens after."""
        return self.before.instance_type is not None and self.after.instance_type is None

    def to_dict(self) -> dict[str, Any]:
        saved = (self.before.usd_per_hour, self.before.usd_per_hour_max) if self.is_teardown else (None, None)
        return {
            "region": self.region,
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
            "change_per_month": _round(self.change_per_month),
            "change_per_month_max": _round(self.change_per_month_max),
            "saved_per_hour": _round(saved[0]),  # a teardown: the hourly cost that goes away (else null)
            "saved_per_hour_max": _round(saved[1]),
            "hours_per_month": HOURS_PER_MONTH,
            "workload": {
                "concurrency_per_copy": "max_rolling_batch_size (full load)",
                "input_tokens": DEFAULT_INPUT_TOKENS,
                "output_tokens": DEFAULT_OUTPUT_TOKENS,
            },
            "notes": list(self.notes),
        }


def plan_cost(
    desired: DesiredState | None, snapshot: RemoteSnapshot, shape: ModelShape | None, region: str
) -> PlanCost:
    """The cost of ``snapshot`` (what serves now) and of ``desired`` (None: a teardown, nothing after)."""
    notes: list[str] = []
    book = PriceBook(region, dict(snapshot.prices))
    before = _before(snapshot, shape, book, notes, desired)
    after = NOTHING
    if desired is not None and desired.instance_type:
        after = _after(desired, snapshot.serving, shape, book, notes)
    if _is_blue_green_update(desired, snapshot) and before.instance_type and after.instance_type:
        notes.append("a blue/green update runs the old and the new fleet together until it completes")
    return PlanCost(region, before, after, tuple(notes))


def _is_blue_green_update(desired: DesiredState | None, snapshot: RemoteSnapshot) -> bool:
    if desired is None or snapshot.endpoint is None or desired.config_name == snapshot.endpoint.config_name:
        return False
    return "RollingUpdatePolicy" not in (desired.deployment_config or {})


def _before(
    snapshot: RemoteSnapshot, shape: ModelShape | None, book: PriceBook, notes: list[str], desired: DesiredState | None
) -> FleetCost:
    serving = snapshot.serving
    if snapshot.endpoint is None or serving is None or not serving.variant.get("InstanceType"):
        return NOTHING
    instance_type = str(serving.variant["InstanceType"])
    low, high = _observed_capacity(snapshot, serving)
    options = lmi_options(serving.environment, serving.properties)
    same_model = desired is None or _model_ref(options) == _model_ref(_desired_options(desired, serving))
    if not same_model:
        notes.append("the endpoint serves another model now: its $/M tokens is not predicted")
    return _fleet(instance_type, low, high, options, shape if same_model else None, book, notes, "before")


def _after(
    desired: DesiredState, serving: ServingState | None, shape: ModelShape | None, book: PriceBook, notes: list[str]
) -> FleetCost:
    instance_type = str(desired.instance_type)
    variants = desired.config_request.get("ProductionVariants") or [{}]
    count = int(variants[0].get("InitialInstanceCount") or 1)
    low, high = (count, count)
    if desired.scaling is not None:
        low, high = int(desired.scaling.target["MinCapacity"]), int(desired.scaling.target["MaxCapacity"])
    return _fleet(instance_type, low, high, _desired_options(desired, serving), shape, book, notes, "after")


def _observed_capacity(snapshot: RemoteSnapshot, serving: ServingState) -> tuple[int, int]:
    target = snapshot.scaling_target
    if target is not None:
        return int(target["MinCapacity"]), int(target["MaxCapacity"])
    counts = snapshot.endpoint.instance_counts if snapshot.endpoint else ()
    current = counts[0] if counts and counts[0] > 0 else int(serving.variant.get("InitialInstanceCount") or 1)
    return current, current


def _desired_options(desired: DesiredState, serving: ServingState | None = None) -> dict[str, str]:
    return desired_options(desired, serving or ServingState())


def _model_ref(options: dict[str, str]) -> str | None:
    return options.get("option.model_id")


def _fleet(
    instance_type: str,
    low: int,
    high: int,
    options: dict[str, str],
    shape: ModelShape | None,
    book: PriceBook,
    notes: list[str],
    side: str,
) -> FleetCost:
    price = hourly_price(instance_type, book.region, book.observed)
    if price is None:
        notes.append(f"{side}: no on-demand price for {instance_type} in {book.region}")
    per_million, tokens = predicted_cost_per_token(shape, instance_type, options, price, notes, side)
    return FleetCost(instance_type, low, high, price, per_million, tokens)


def predicted_cost_per_token(
    shape: ModelShape | None,
    instance_type: str,
    options: dict[str, str],
    price: float | None,
    notes: list[str],
    side: str,
) -> tuple[float | None, float | None]:
    """($/M output tokens, output tokens/s per instance) at the default workload; (None, None) when unknown."""
    from deploy.errors import LmiError
    from deploy.sizing import Hardware, estimate
    from deploy.sizing.perf import Workload
    from deploy.sizing.perf_inputs import predict_for_instance

    if shape is None:
        return None, None
    try:
        hardware = Hardware.from_instance(instance_type)
        params = engine_params_of(options, hardware.gpu_count)
        est = estimate(shape, hardware, params, with_fixes=False)
        if not est.fits:
            notes.append(f"{side}: the model does not fit {instance_type} with these settings: no $/M tokens")
            return None, None
        work = Workload(est.max_num_seqs, DEFAULT_INPUT_TOKENS, DEFAULT_OUTPUT_TOKENS)
        perf = predict_for_instance(shape, est, instance_type, work, quantize=params.quantize, price_per_hour=price)
    except (LmiError, ValueError) as exc:
        notes.append(f"{side}: no performance prediction ({exc})")
        return None, None
    return perf.cost_per_million_output_tokens, perf.output_tokens_per_s_per_instance


def engine_params_of(options: dict[str, str], gpu_count: int) -> Any:
    """The estimator's EngineParams for LMI options as the container reads them (LMI's defaults filled in)."""
    from deploy.sizing.params import engine_params

    def number(key: str) -> int | None:
        value = options.get(f"option.{key}")
        return int(value) if value not in (None, "", "max") else None

    tp_text = options.get("option.tensor_parallel_degree", "max")
    return engine_params(
        tensor_parallel_degree=gpu_count if tp_text == "max" else int(tp_text),
        max_model_len=number("max_model_len"),
        max_num_seqs=number("max_rolling_batch_size") or LMI_DEFAULT_BATCH,
        max_num_batched_tokens=number("max_rolling_batch_prefill_tokens"),
        gpu_memory_utilization=float(options.get("option.gpu_memory_utilization", "0.9")),
        dtype=options.get("option.dtype", "auto"),
        quantize=options.get("option.quantize") or options.get("option.quantization"),
        kv_cache_dtype=options.get("option.kv_cache_dtype", "auto"),
    )


def _times(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def _minus(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
