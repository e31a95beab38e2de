"""Which instances served the benchmark, and what they cost per hour (for cost per million tokens).

Rule: flags win; otherwise ask the endpoint (DescribeEndpoint + DescribeEndpointConfig); the hourly price
always comes from :mod:`deploy.catalog` (indicative us-east-1 on-demand). When nothing is known the cost
column stays empty rather than guessed.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from deploy.errors import LmiError

if TYPE_CHECKING:
    from deploy.bench.runner import BenchConfig
    from deploy.invoke import Endpoint


def capacity_and_price(
    endpoint: Endpoint, config: BenchConfig, instance_type: str | None, instance_count: int | None
) -> BenchConfig:
    """``config`` with instance type, count and price from the flags, the endpoint and the catalog."""
    if instance_type is None or instance_count is None:
        try:
            capacity = endpoint.gateway.endpoint_capacity(endpoint.name)
        except LmiError:
            capacity = None
        if capacity is not None:
            instance_type = instance_type or capacity.instance_type
            instance_count = instance_count or capacity.instance_count
    price = None
    if instance_type:
        from deploy.catalog import get_instance

        price = get_instance(instance_type).price_per_hour
    return dataclasses.replace(
        config, instance_type=instance_type, instance_count=instance_count or 1, price_per_hour=price
    )
