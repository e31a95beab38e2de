"""Reading AWS Price List ``GetProducts`` answers for SageMaker real-time hosting (pure; no boto3).

Each ``PriceList`` item is a JSON *string* (the bulk-offer format): ``product.attributes`` (``regionCode``,
``instanceName`` such as ``ml.g5.xlarge``, ``component`` = ``Hosting`` for real-time endpoints, ``instanceType``
= ``ml.g5.xlarge-Hosting``) and ``terms.OnDemand.<offer>.priceDimensions.<rate>`` with ``unit`` ``Hrs`` and
``pricePerUnit.USD``. Why a module of its own: the parser is tested on recorded-shape answers without AWS, and
the emulator serves the same shape.
"""

from __future__ import annotations

import json
from typing import Any

from deploy.records import record

SERVICE_CODE = "AmazonSageMaker"
HOSTING_COMPONENT = "Hosting"
PRODUCT_FAMILY = "ML Instance"


def hosting_filters(region: str, instance_type: str | None = None) -> list[dict[str, str]]:
    """GetProducts filters for the real-time hosting instance-hours of one region (optionally one type)."""
    terms = {"regionCode": region, "component": HOSTING_COMPONENT, "productFamily": PRODUCT_FAMILY}
    if instance_type is not None:
        terms["instanceName"] = instance_type
    return [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in terms.items()]


@record
class ListedPrice:
    """One hosting product's on-demand hourly USD price, with the Price List's publication date."""

    instance_type: str
    region: str
    usd_per_hour: float
    published: str


def parse_item(item: str | dict[str, Any]) -> ListedPrice | None:
    """The hourly on-demand price in one PriceList item, or None when the item is no hosting instance-hour."""
    doc = json.loads(item) if isinstance(item, str) else item
    attrs = doc.get("product", {}).get("attributes", {})
    if attrs.get("component") != HOSTING_COMPONENT or not str(attrs.get("instanceName", "")).startswith("ml."):
        return None
    prices = [_usd(dim) for dim in _dimensions(doc)]
    hourly = sorted({p for p in prices if p is not None and p > 0})
    if len(hourly) != 1:  # no hourly rate, or several: nothing we can quote honestly
        return None
    published = str(doc.get("publicationDate", ""))[:10]
    return ListedPrice(str(attrs["instanceName"]), str(attrs.get("regionCode", "")), hourly[0], published)


def _dimensions(doc: dict[str, Any]) -> list[dict[str, Any]]:
    offers = doc.get("terms", {}).get("OnDemand", {})
    return [dim for offer in offers.values() for dim in offer.get("priceDimensions", {}).values()]


def _usd(dimension: dict[str, Any]) -> float | None:
    if str(dimension.get("unit", "")).lower() not in ("hrs", "hours", "hour"):
        return None
    try:
        return float(dimension.get("pricePerUnit", {}).get("USD"))
    except (TypeError, ValueError):
        return None


def parse_price_list(items: list[str] | list[dict[str, Any]], region: str) -> dict[str, ListedPrice]:
    """Instance type -> its listed hosting price in ``region``; types listed with conflicting prices are dropped."""
    found: dict[str, ListedPrice] = {}
    conflicting: set[str] = set()
    for item in items:
        listed = parse_item(item)
        if listed is None or listed.region != region:
            continue
        known = found.get(listed.instance_type)
        if known is not None and known.usd_per_hour != listed.usd_per_hour:
            conflicting.add(listed.instance_type)
        found[listed.instance_type] = listed
    return {name: listed for name, listed in found.items() if name not in conflicting}


def listed_types(items: list[str] | list[dict[str, Any]], region: str) -> set[str]:
    """Every instance type with a real-time hosting product in ``region``, priced or not (availability)."""
    found = set()
    for item in items:
        doc = json.loads(item) if isinstance(item, str) else item
        attrs = doc.get("product", {}).get("attributes", {})
        name = str(attrs.get("instanceName", ""))
        if attrs.get("component") == HOSTING_COMPONENT and attrs.get("regionCode") == region and name.startswith("ml."):
            found.add(name)
    return found
