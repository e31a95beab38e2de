"""The Price List parser on recorded-shape answers, the on-disk cache's TTL, and the API-or-table order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deploy.aws import pricing, pricing_cache
from deploy.aws.pricing_parse import hosting_filters, parse_item, parse_price_list


def listing(
    name: str, region: str, usd: str, *, component: str = "Hosting", unit: str = "Hrs", extra_usd: str | None = None
) -> str:
    """One PriceList item in the shape GetProducts returns (a JSON string of the bulk-offer format)."""
    dims: dict[str, Any] = {
        "SKU1.JRTCKXETXF.6YS6EN2CT7": {
            "unit": unit,
            "pricePerUnit": {"USD": usd},
            "description": f"${usd} per Hosting {name} in {region}",
            "beginRange": "0",
            "endRange": "Inf",
            "rateCode": "SKU1.JRTCKXETXF.6YS6EN2CT7",
        }
    }
    if extra_usd is not None:
        dims["SKU1.JRTCKXETXF.OTHER"] = {"unit": unit, "pricePerUnit": {"USD": extra_usd}}
    doc = {
        "product": {
            "productFamily": "ML Instance",
            "attributes": {
                "regionCode": region,
                "instanceName": name,
                "instanceType": f"{name}-{component}",
                "component": component,
                "servicecode": "AmazonSageMaker",
                "usagetype": f"USE1-{component[:4]}:{name}",
            },
            "sku": "SKU1",
        },
        "serviceCode": "AmazonSageMaker",
        "terms": {"OnDemand": {"SKU1.JRTCKXETXF": {"priceDimensions": dims, "sku": "SKU1"}}},
        "version": "20261101000000",
        "publicationDate": "2026-11-20T18:03:12Z",
    }
    return json.dumps(doc)


def test_filters_ask_for_hosting_instance_hours_of_one_region() -> None:
    fields = {f["Field"]: f["Value"] for f in hosting_filters("eu-west-1", "ml.g5.xlarge")}
    assert fields == {
        "regionCode": "eu-west-1",
        "component": "Hosting",
        "productFamily": "ML Instance",
        "instanceName": "ml.g5.xlarge",
    }
    assert all(f["Type"] == "TERM_MATCH" for f in hosting_filters("us-east-1"))


@pytest.mark.parametrize(
    ("name", "region", "usd"),
    [
        ("ml.g5.xlarge", "eu-west-1", "1.6"),
        ("ml.p5.48xlarge", "us-west-2", "63.296"),
        ("ml.g6e.2xlarge", "ap-northeast-1", "3.1"),
    ],
)
def test_parse_item_reads_the_hourly_usd_and_publication_date(name: str, region: str, usd: str) -> None:
    listed = parse_item(listing(name, region, usd))
    assert listed is not None
    assert (listed.instance_type, listed.region, listed.usd_per_hour, listed.published) == (
        name,
        region,
        float(usd),
        "2026-11-20",
    )


@pytest.mark.parametrize(
    "item",
    [
        listing("ml.g5.xlarge", "eu-west-1", "1.6", component="Training"),
        listing("ml.g5.xlarge", "eu-west-1", "1.6", component="Notebook"),
        listing("ml.g5.xlarge", "eu-west-1", "0.1", unit="GB-Mo"),
        listing("ml.g5.xlarge", "eu-west-1", "0"),
        listing("ml.g5.xlarge", "eu-west-1", "not-a-number"),
        listing("ml.g5.xlarge", "eu-west-1", "1.6", extra_usd="1.9"),  # two hourly rates: ambiguous
        json.dumps({"product": {"attributes": {}}, "terms": {}}),
    ],
)
def test_parse_item_refuses_what_is_no_single_hosting_hourly_price(item: str) -> None:
    assert parse_item(item) is None


def test_parse_price_list_keeps_the_region_and_drops_conflicts() -> None:
    items = [
        listing("ml.g5.xlarge", "eu-west-1", "1.6"),
        listing("ml.g5.xlarge", "us-east-1", "1.408"),  # another region: never mixed in
        listing("ml.g5.2xlarge", "eu-west-1", "1.7"),
        listing("ml.g5.2xlarge", "eu-west-1", "1.9"),  # the same type listed twice at different prices
        listing("ml.g6.xlarge", "eu-west-1", "1.2", component="Training"),
    ]
    found = parse_price_list(items, "eu-west-1")
    assert set(found) == {"ml.g5.xlarge"}
    assert found["ml.g5.xlarge"].usd_per_hour == 1.6


def test_cache_round_trip_and_ttl(tmp_path: Path) -> None:
    env = {"LMI_CACHE_DIR": str(tmp_path), "LMI_PRICE_CACHE_TTL_HOURS": "2"}
    prices = {"ml.g5.xlarge": {"usd_per_hour": 1.6, "published": "2026-11-20"}}
    pricing_cache.write("eu-west-1", prices, now=1_000_000.0, env=env)
    assert pricing_cache.read("eu-west-1", now=1_000_000.0 + 7199, env=env)["prices"] == prices  # type: ignore[index]
    assert pricing_cache.read("eu-west-1", now=1_000_000.0 + 7201, env=env) is None  # expired
    assert pricing_cache.read("eu-west-1", now=1_000_000.0 - 10, env=env) is None  # from the future: distrusted
    assert pricing_cache.read("us-west-2", now=1_000_000.0, env=env) is None  # never another region's


@pytest.mark.parametrize("content", ["", "{", "[]", '{"prices": 3}', '{"fetched_at": "x", "prices": {}}'])
def test_a_broken_cache_file_is_skipped(tmp_path: Path, content: str) -> None:
    env = {"LMI_CACHE_DIR": str(tmp_path)}
    path = tmp_path / "prices" / "sagemaker-hosting-eu-west-1.json"
    path.parent.mkdir(parents=True)
    path.write_text(content)
    try:
        assert pricing_cache.read("eu-west-1", env=env) is None
    except ValueError:
        pytest.fail("a broken cache must be skipped")


@pytest.mark.parametrize(("value", "hours"), [("1", 1.0), ("0", 0.0), ("junk", 168.0), ("-5", 0.0)])
def test_ttl_setting(value: str, hours: float) -> None:
    assert pricing_cache.ttl_seconds({"LMI_PRICE_CACHE_TTL_HOURS": value}) == hours * 3600


def test_fresh_cache_answers_before_the_api(tmp_path: Path) -> None:
    pricing_cache.write("eu-west-1", {"ml.g5.xlarge": {"usd_per_hour": 1.61, "published": "2026-11-20"}})
    quote = pricing.hourly_price("ml.g5.xlarge", "eu-west-1")
    assert (quote.usd_per_hour, quote.source, quote.as_of) == (1.61, "price-list-cache", "2026-11-20")
    other = pricing.hourly_price("ml.g5.2xlarge", "eu-west-1")  # cached region, type not listed: table -> unknown
    assert other.usd_per_hour is None and "lists no eu-west-1 hosting price" in other.note


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-south-1"])
def test_unreachable_api_falls_back_to_the_table_and_says_why(region: str) -> None:
    quote = pricing.hourly_price("ml.g5.xlarge", region)  # conftest points the API at a closed port
    assert quote.source == "table"
    assert "did not answer" in quote.note
    assert quote.usd_per_hour == (1.408 if region == "us-east-1" else None)


def test_offline_and_lmi_prices_table_never_ask(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "did not answer" not in pricing.hourly_price("ml.g5.xlarge", "us-east-1", offline=True).note
    monkeypatch.setenv("LMI_PRICES", "table")
    assert pricing.hourly_price("ml.g5.xlarge", "eu-west-1").note.startswith("no public eu-west-1")


def test_partition_without_the_api_uses_the_table() -> None:
    quote = pricing.hourly_price("ml.g5.xlarge", "us-gov-west-1")
    assert quote.usd_per_hour is None and "does not serve the aws-us-gov partition" in quote.note
