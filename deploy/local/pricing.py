"""The AWS Price List ``GetProducts`` call for SageMaker hosting, emulated (moto 5.2 has no Pricing API).

Rule: answers ``AWSPriceListService.GetProducts`` for ``ServiceCode=AmazonSageMaker`` in AWS's shape: a
``PriceList`` of JSON *strings* (product attributes ``regionCode``, ``instanceName``, ``instanceType``
``<type>-Hosting``, ``component`` ``Hosting``; ``terms.OnDemand`` with an ``Hrs`` dimension in USD), TERM_MATCH
filters, ``MaxResults``/``NextToken`` paging. Every catalog type is offered in every region; its price is the
bundled table's for that region (none where the table has none: the product is listed without an OnDemand term),
so ``--local`` prices exactly as the offline table does. Tests change a price, or withdraw a type from a region
(not offered there), with ``Emulator.set_price`` / ``POST /_lmi/prices``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from deploy.local.errors import ApiError

SERVICE_CODE = "AmazonSageMaker"
PUBLISHED = "2026-11-27T00:00:00Z"  # the bundled table's collection date: the emulator lists those figures
WITHDRAWN = "withdrawn"


class PriceStore:
    """Overrides of the bundled table per (region, type): a USD/h figure, None (unpriced) or withdrawn."""

    def __init__(self) -> None:
        self._overrides: dict[tuple[str, str], float | str | None] = {}
        self._lock = threading.Lock()

    def set(self, region: str, instance_type: str, value: float | str | None) -> None:
        with self._lock:
            self._overrides[(region, instance_type)] = value

    def reset(self) -> None:
        with self._lock:
            self._overrides.clear()

    def products(self, region: str) -> list[dict[str, Any]]:
        from deploy.catalog import instances, region_price_rows

        table = region_price_rows().get(region, {})
        out = []
        with self._lock:
            overrides = dict(self._overrides)
        for inst in instances():
            value = overrides.get((region, inst.name), table.get(inst.name))
            if value == WITHDRAWN:
                continue
            out.append(product(region, inst.name, value if isinstance(value, float | int) else None))
        return out


def product(region: str, instance_type: str, usd_per_hour: float | None) -> dict[str, Any]:
    """One Price List product of a hosting instance-hour (an OnDemand term only when priced)."""
    sku = "EMU" + hashlib.sha256(f"{region}|{instance_type}".encode()).hexdigest()[:12].upper()
    terms: dict[str, Any] = {}
    if usd_per_hour is not None:
        rate = f"{sku}.JRTCKXETXF.6YS6EN2CT7"
        dimension = {
            "unit": "Hrs",
            "pricePerUnit": {"USD": f"{usd_per_hour:.10f}"},
            "description": f"${usd_per_hour} per Hosting {instance_type} in {region}",
            "rateCode": rate,
            "beginRange": "0",
            "endRange": "Inf",
            "appliesTo": [],
        }
        terms = {"OnDemand": {f"{sku}.JRTCKXETXF": {"priceDimensions": {rate: dimension}, "sku": sku}}}
    return {
        "product": {
            "productFamily": "ML Instance",
            "attributes": {
                "regionCode": region,
                "servicecode": SERVICE_CODE,
                "instanceName": instance_type,
                "instanceType": f"{instance_type}-Hosting",
                "component": "Hosting",
                "operation": "RunInstance",
            },
            "sku": sku,
        },
        "serviceCode": SERVICE_CODE,
        "terms": terms,
        "version": "20261127000000",
        "publicationDate": PUBLISHED,
    }


def _matches(item: dict[str, Any], filters: list[dict[str, Any]]) -> bool:
    attrs = {**item["product"]["attributes"], "productFamily": item["product"]["productFamily"]}
    return all(attrs.get(f.get("Field")) == f.get("Value") for f in filters if f.get("Type") == "TERM_MATCH")


def handle(store: PriceStore, operation: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """The answer to a Price List call for AmazonSageMaker products; None for anything else (moto answers)."""
    if operation != "GetProducts" or body.get("ServiceCode") != SERVICE_CODE:
        return None
    filters = list(body.get("Filters") or [])
    region = next((f.get("Value") for f in filters if f.get("Field") == "regionCode"), None)
    if region is None:
        raise ApiError("InvalidParameterException", "the emulator answers GetProducts for one regionCode at a time")
    matched = [item for item in store.products(str(region)) if _matches(item, filters)]
    size = max(1, min(int(body.get("MaxResults") or 100), 100))
    start = int(body.get("NextToken") or 0)
    out: dict[str, Any] = {
        "FormatVersion": "aws_v1",
        "PriceList": [json.dumps(i) for i in matched[start : start + size]],
    }
    if start + size < len(matched):
        out["NextToken"] = str(start + size)
    return out
