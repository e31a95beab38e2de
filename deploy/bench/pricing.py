"""Which instances served the benchmark, and what they cost per hour (for cost per million tokens).

Rule: flags win; otherwise ask the endpoint (DescribeEndpoint + DescribeEndpointConfig); the hourly price
is the endpoint's region's own (:func:`deploy.aws.pricing.hourly_price`: Price List API, its cache, or the
bundled table; never another region's figure). When nothing is known the cost column stays empty rather than guessed.

An inference component pays for the GPUs its copies hold, not for the whole endpoint: its cost is the instances'
price times its share of their GPUs (accelerators per copy x current copies / GPUs of the instances, from
DescribeInferenceComponent and the catalog), so two components benchmarked apart add up to the endpoint.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from deploy.errors import LmiError, SpecError, UsageError

if TYPE_CHECKING:
    from deploy.bench.runner import BenchConfig
    from deploy.invoke.endpoint import Endpoint


def capacity_and_price(
    endpoint: Endpoint, config: BenchConfig, instance_type: str | None, instance_count: int | None
) -> BenchConfig:
    """``config`` with instance type, count and price from the flags, the endpoint and the catalog.

    An unknown ``--instance-type`` is an error (a typo would silently drop the cost); an endpoint on a type the
    catalog has no price for simply gets no cost column.
    """
    from_flag = instance_type is not None
    if instance_type is None or instance_count is None:
        try:
            capacity = endpoint.gateway.endpoint_capacity(endpoint.name)
        except LmiError:
            capacity = None
        if capacity is not None:
            instance_type = instance_type or capacity.instance_type
            if instance_count is None:
                instance_count = capacity.instance_count or None  # an async endpoint may be scaled to zero
    price = None
    if instance_type:
        from deploy.aws.pricing import hourly_price
        from deploy.catalog import get_instance

        try:
            get_instance(instance_type)
            context = endpoint.gateway.context
            price = hourly_price(instance_type, context.region, context).usd_per_hour
        except SpecError as exc:
            if from_flag:
                raise UsageError(
                    f"--instance-type {instance_type!r} is not in the catalog",
                    field="--instance-type",
                    value=instance_type,
                    fix=exc.fix or "see `lmi catalog instances`",
                ) from exc
    count = 1 if instance_count is None else instance_count
    share = _component_share(endpoint, config.component, instance_type, count) if config.component else None
    return dataclasses.replace(
        config, instance_type=instance_type, instance_count=count, price_per_hour=price, capacity_share=share
    )


def _component_share(endpoint: Endpoint, component: str, instance_type: str | None, count: int) -> float | None:
    """The component's GPUs over the instances' GPUs (None when either is unknown: then the whole price counts)."""
    from deploy.catalog import get_instance

    if not instance_type:
        return None
    try:
        gpus = get_instance(instance_type).gpu_count * count
        held = endpoint.gateway.component_gpus(component)
    except LmiError:
        return None
    if not gpus or not held:
        return None
    return min(1.0, round(held / gpus, 4))
