"""Bundled hourly prices per region, and the quote type every price in lmi-deploy travels in.

Why a quote and not a float: a price without its region, its source and its date is how a us-east-1 figure ends
up on an eu-west-1 bill. Every price shown (size, recommend, plan, bench, status) is a :class:`PriceQuote`; an
unknown price is ``usd_per_hour=None`` (shown "unknown", JSON null), never another region's number.

This module is the offline half (the bundled table, ``prices.toml``, plus the us-east-1 figures of
``instances.toml``); :mod:`deploy.aws.pricing` asks the AWS Price List API first and falls back to this table.
No boto3 here: the pure stages (sizing, plan) price from it directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from functools import cache
from typing import Any

from deploy.catalog import _load, get_instance, price_info, region_info, region_price_rows
from deploy.records import record

SOURCE_TABLE = "table"  # the bundled table (prices.toml / instances.toml)
SOURCE_API = "price-list-api"  # the AWS Price List API, asked now
SOURCE_CACHE = "price-list-cache"  # the AWS Price List API, asked before (on-disk cache within its TTL)
UNKNOWN = "unknown"


@record
class PriceQuote:
    """The on-demand hourly price of one instance type in one region, with where and when it came from.

    ``source`` is one of ``table``, ``price-list-api``, ``price-list-cache``; ``as_of`` the date the figure was
    collected (table) or published (Price List); ``note`` says why a price is weak or unknown.
    """

    instance_type: str
    region: str
    usd_per_hour: float | None
    source: str
    as_of: str
    note: str = ""

    @property
    def known(self) -> bool:
        return self.usd_per_hour is not None

    def shown(self, digits: int = 2) -> str:
        """``$1.41/h`` or ``unknown``: the text form every command uses."""
        return f"${self.usd_per_hour:,.{digits}f}/h" if self.usd_per_hour is not None else UNKNOWN

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


PriceLookup = Callable[[str], PriceQuote]


@record
class RegionPrices:
    """The bundled table's entry for one region: its prices (type -> USD/h), source and collection date."""

    region: str
    prices: dict[str, float]
    source: str
    as_of: str
    note: str  # about the region's figures (e.g. their age)
    unknown_note: str = ""  # why a type without a figure here is unknown


@cache
def _table() -> dict[str, RegionPrices]:
    data = _load("prices.toml")["regions"]
    return {name: _region_from_row(name, row) for name, row in data.items()}


def _region_from_row(name: str, row: dict[str, Any]) -> RegionPrices:
    prices = region_price_rows()[name]
    if row.get("from_instances_toml"):
        meta = price_info()
        return RegionPrices(name, prices, meta["price_source"], meta["price_date"], str(row.get("note", "")))
    unknown = str(row.get("unknown_note", ""))
    return RegionPrices(name, prices, str(row["source"]), str(row["as_of"]), str(row.get("note", "")), unknown)


def region_prices(region: str) -> RegionPrices:
    """The bundled entry for ``region`` (every catalogue region has one, possibly without prices)."""
    region_info(region)  # an unknown region is a SpecError naming it
    found = _table().get(region)
    if found is None:  # a test keeps prices.toml and regions.toml in step; this is the safety net
        return RegionPrices(region, {}, "no bundled entry", "", "no bundled price for this region")
    return found


def table_price(instance_type: str, region: str) -> PriceQuote:
    """The bundled price of ``instance_type`` in ``region``: a number for that region, or unknown (None).

    Never another region's figure: a region with no public figure for the type answers unknown with the reason.
    An unknown instance type or region is a SpecError naming it.
    """
    name = get_instance(instance_type).name
    entry = region_prices(region)
    price = entry.prices.get(name)
    if price is not None:
        note = get_instance(name).price_note if entry.source == price_info()["price_source"] else ""
        return PriceQuote(name, region, price, SOURCE_TABLE, entry.as_of, note or entry.note)
    why = entry.unknown_note or f"no public {region} price for {name} was found"
    return PriceQuote(name, region, None, SOURCE_TABLE, entry.as_of, why)


def table_lookup(region: str) -> PriceLookup:
    """A price lookup for one region from the bundled table only (the pure stages and ``--offline`` use it)."""
    region_info(region)

    def lookup(instance_type: str) -> PriceQuote:
        return table_price(instance_type, region)

    return lookup


def unknown_quote(instance_type: str, region: str, why: str) -> PriceQuote:
    """An unknown price with the reason (e.g. a custom GPU size that is no catalog instance type)."""
    return PriceQuote(instance_type, region, None, SOURCE_TABLE, "", why)


__all__ = [
    "SOURCE_API",
    "SOURCE_CACHE",
    "SOURCE_TABLE",
    "PriceLookup",
    "PriceQuote",
    "RegionPrices",
    "region_prices",
    "table_lookup",
    "table_price",
    "unknown_quote",
]
