"""Hourly SageMaker hosting prices per region: the AWS Price List API when it can answer, else the bundled table.

Order for one (instance type, region): ``--offline`` (or ``LMI_PRICES=table``) -> the bundled table; a fresh
on-disk cache of the region's Price List answer (:mod:`deploy.aws.pricing_cache`) -> ``price-list-cache``; AWS
credentials -> one paginated ``pricing:GetProducts`` for the region's hosting instance-hours, cached ->
``price-list-api``; anything else (no credentials, no network, AccessDenied, a partition without the API) ->
the bundled table, silently, with the reason in the quote's ``note``. Every answer is a
:class:`~deploy.catalog.prices.PriceQuote` that says its source and date; a type the region does not price is
unknown (None), never another region's figure.

The Price List API has endpoints in a few regions only (us-east-1 for the ``aws`` partition, cn-northwest-1 for
``aws-cn``); it answers for every region of its partition.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from deploy.aws import pricing_cache
from deploy.aws.pricing_parse import SERVICE_CODE, hosting_filters, listed_types, parse_price_list
from deploy.aws.session import AwsContext, make_context
from deploy.catalog import get_instance, region_info
from deploy.catalog.prices import SOURCE_API, SOURCE_CACHE, PriceLookup, PriceQuote, table_price
from deploy.records import record

API_REGION = {"aws": "us-east-1", "aws-cn": "cn-northwest-1"}
_FAILED: dict[str, str] = {}  # API endpoint -> why it did not answer (asked once per process, not per type)
_MEMO: dict[tuple[str, str], Listing] = {}  # (endpoint, region) -> the region's prices, this process
_LOCK = threading.Lock()


def hourly_price(
    instance_type: str, region: str, ctx: AwsContext | None = None, *, offline: bool = False
) -> PriceQuote:
    """The on-demand hourly price of ``instance_type`` in ``region`` with its source and date (None = unknown).

    ``ctx`` says where AWS calls go (the emulator's endpoint, a profile); without one the standard AWS settings
    are used. An unknown instance type or region is a SpecError naming it.
    """
    name = get_instance(instance_type).name
    if offline or os.environ.get("LMI_PRICES", "").strip().lower() == "table":
        return table_price(name, region)
    listing, why = _region_listing(region, ctx)
    if listing is not None and name in listing.prices:
        row = listing.prices[name]
        return PriceQuote(name, region, float(row["usd_per_hour"]), listing.source, str(row.get("published", "")))
    fallback = table_price(name, region)
    reason = why or f"the Price List lists no {region} hosting price for {name}"
    note = f"{reason}; {fallback.note}" if fallback.note else reason
    return PriceQuote(fallback.instance_type, region, fallback.usd_per_hour, fallback.source, fallback.as_of, note)


def price_lookup(region: str, ctx: AwsContext | None = None, *, offline: bool = False) -> PriceLookup:
    """A lookup for one region (``lookup("ml.g5.xlarge") -> PriceQuote``): one Price List read per region."""
    region_info(region)
    context = ctx if ctx is not None or offline else make_context(region=region)  # one session for every type

    def lookup(instance_type: str) -> PriceQuote:
        return hourly_price(instance_type, region, context, offline=offline)

    return lookup


@record
class Listing:
    """A region's Price List hosting listing: type -> {usd_per_hour, published}, and every type it lists."""

    prices: dict[str, dict[str, Any]]
    offered: frozenset[str]
    source: str


def _region_listing(region: str, ctx: AwsContext | None) -> tuple[Listing | None, str]:
    """(the region's listing, why none) from this process's memory, the disk cache, then the API."""
    partition = region_info(region).partition
    if partition not in API_REGION:
        return None, f"the Price List API does not serve the {partition} partition"
    context = ctx if ctx is not None else make_context(region=region)
    endpoint = f"{context.endpoint_url or 'aws'}|{partition}"
    with _LOCK:
        if (endpoint, region) in _MEMO:
            return _MEMO[(endpoint, region)], ""
        if endpoint in _FAILED:
            return None, _FAILED[endpoint]
    if context.endpoint_url is None:  # the disk cache holds real AWS answers only, never an emulator's
        cached = pricing_cache.read(region)
        if cached is not None:
            offered = frozenset(cached.get("offered") or cached["prices"])
            return Listing(cached["prices"], offered, SOURCE_CACHE), ""
    return _ask(context, endpoint, region, partition)


def _ask(context: AwsContext, endpoint: str, region: str, partition: str) -> tuple[Listing | None, str]:
    if context.session.get_credentials() is None:
        return None, "no AWS credentials for the Price List API"
    try:
        listing = fetch_region(context, region, API_REGION[partition])
    except (BotoCoreError, ClientError) as exc:
        why = f"the Price List API did not answer ({_short(exc)})"
        with _LOCK:
            _FAILED[endpoint] = why
        return None, why
    with _LOCK:
        _MEMO[(endpoint, region)] = listing
    if context.endpoint_url is None:
        pricing_cache.write(region, listing.prices, offered=sorted(listing.offered))
    return listing, ""


def fetch_region(context: AwsContext, region: str, api_region: str = "us-east-1") -> Listing:
    """Every hosting instance-hour product of ``region`` from ``pricing:GetProducts`` (all pages)."""
    client = context.session.client(
        "pricing",
        region_name=api_region,
        endpoint_url=context.endpoint_url,
        config=Config(retries={"mode": "standard", "total_max_attempts": 2}, connect_timeout=3, read_timeout=30),
    )
    items: list[str] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"ServiceCode": SERVICE_CODE, "Filters": hosting_filters(region), "MaxResults": 100}
        if token:
            kwargs["NextToken"] = token
        page = client.get_products(**kwargs)
        items.extend(page.get("PriceList", []))
        token = page.get("NextToken")
        if not token:
            break
    listed = parse_price_list(items, region)
    prices = {name: {"usd_per_hour": row.usd_per_hour, "published": row.published} for name, row in listed.items()}
    return Listing(prices, frozenset(listed_types(items, region)), SOURCE_API)


def _short(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "ClientError"))
    return type(exc).__name__


def forget() -> None:
    """Drop this process's memory of Price List answers and failures (tests; a long-lived notebook)."""
    with _LOCK:
        _FAILED.clear()
        _MEMO.clear()


def hosting_listing(region: str, ctx: AwsContext | None = None) -> tuple[set[str] | None, str]:
    """(the instance types the Price List prices for real-time hosting in ``region``, why unknown).

    Pre-flight reads availability from it: a type the region's listing does not price is not offered for
    endpoints there. None when no listing could be read (no credentials, no network, another partition).
    """
    listing, why = _region_listing(region, ctx)
    if listing is None:
        return None, why
    return set(listing.offered), ""
