"""The emulator's Service Quotas and Price List handlers: AWS's shapes, paging, errors, settable values."""

from __future__ import annotations

import json

import pytest

from deploy.aws.pricing_parse import hosting_filters, listed_types, parse_price_list
from deploy.local import pricing, quotas
from deploy.local.errors import ApiError


def test_other_service_codes_are_left_to_moto() -> None:
    store = quotas.QuotaStore()
    assert quotas.handle(store, "us-east-1", "ListServiceQuotas", {"ServiceCode": "vpc"}) is None
    assert pricing.handle(pricing.PriceStore(), "GetProducts", {"ServiceCode": "AmazonEC2"}) is None


@pytest.mark.parametrize("size", [1, 7, 100])
def test_list_pages_cover_every_catalog_type_once(size: int) -> None:
    store, seen, token = quotas.QuotaStore(), [], None
    while True:
        body = {"ServiceCode": "sagemaker", "MaxResults": size, **({"NextToken": token} if token else {})}
        page = quotas.handle(store, "eu-west-1", "ListServiceQuotas", body)
        assert page is not None
        seen += [q["QuotaName"] for q in page["Quotas"]]
        token = page.get("NextToken")
        if not token:
            break
    from deploy.catalog import instances

    assert seen == [f"{i.name} for endpoint usage" for i in instances()]


def test_get_applied_default_set_and_removed() -> None:
    store = quotas.QuotaStore()
    code = quotas.quota_code("ml.g5.2xlarge")
    assert code == "L-9614C779"  # the real code
    ask = {"ServiceCode": "sagemaker", "QuotaCode": code}
    assert quotas.handle(store, "us-east-1", "GetServiceQuota", ask)["Quota"]["Value"] == quotas.DEFAULT_APPLIED  # type: ignore[index]
    assert quotas.handle(store, "us-east-1", "GetAWSDefaultServiceQuota", ask)["Quota"]["Value"] == 0.0  # type: ignore[index]
    store.set("us-east-1", "ml.g5.2xlarge", 3)
    assert quotas.handle(store, "us-east-1", "GetServiceQuota", ask)["Quota"]["Value"] == 3  # type: ignore[index]
    assert quotas.handle(store, "eu-west-1", "GetServiceQuota", ask)["Quota"]["Value"] == 10.0  # type: ignore[index]
    store.set("us-east-1", "ml.g5.2xlarge", None)
    with pytest.raises(ApiError) as err:
        quotas.handle(store, "us-east-1", "GetServiceQuota", ask)
    assert err.value.code == "NoSuchResourceException"


def _all_products(store: pricing.PriceStore, region: str, size: int = 100) -> list[str]:
    items, token = [], None
    while True:
        body = {"ServiceCode": "AmazonSageMaker", "Filters": hosting_filters(region), "MaxResults": size}
        if token:
            body["NextToken"] = token
        page = pricing.handle(store, "GetProducts", body)
        assert page is not None and page["FormatVersion"] == "aws_v1"
        assert all(isinstance(item, str) for item in page["PriceList"])  # JSON strings, as AWS sends them
        items += page["PriceList"]
        token = page.get("NextToken")
        if not token:
            return items


@pytest.mark.parametrize("size", [3, 100])
def test_products_parse_back_to_the_bundled_table(size: int) -> None:
    from deploy.catalog.prices import table_price

    items = _all_products(pricing.PriceStore(), "us-east-1", size)
    parsed = parse_price_list(items, "us-east-1")
    assert parsed["ml.g5.xlarge"].usd_per_hour == table_price("ml.g5.xlarge", "us-east-1").usd_per_hour
    assert all(table_price(n, "us-east-1").usd_per_hour == p.usd_per_hour for n, p in parsed.items())
    assert not parse_price_list(_all_products(pricing.PriceStore(), "ap-south-1"), "ap-south-1")  # none bundled
    west = parse_price_list(_all_products(pricing.PriceStore(), "eu-west-1"), "eu-west-1")
    assert {name: p.usd_per_hour for name, p in west.items()} == {
        name: table_price(name, "eu-west-1").usd_per_hour for name in west
    } and west["ml.g5.12xlarge"].usd_per_hour == 7.91


def test_set_price_unprice_and_withdraw() -> None:
    store = pricing.PriceStore()
    store.set("eu-west-1", "ml.g5.xlarge", 1.9)
    store.set("eu-west-1", "ml.g6.xlarge", "withdrawn")
    items = _all_products(store, "eu-west-1")
    assert parse_price_list(items, "eu-west-1")["ml.g5.xlarge"].usd_per_hour == 1.9
    offered = listed_types(items, "eu-west-1")
    assert "ml.g6.xlarge" not in offered and "ml.g6.2xlarge" in offered


def test_filters_narrow_to_one_type_and_a_region_is_required() -> None:
    body = {"ServiceCode": "AmazonSageMaker", "Filters": hosting_filters("us-east-1", "ml.g5.xlarge")}
    page = pricing.handle(pricing.PriceStore(), "GetProducts", body)
    assert page is not None and [json.loads(i)["product"]["attributes"]["instanceName"] for i in page["PriceList"]] == [
        "ml.g5.xlarge"
    ]
    with pytest.raises(ApiError):
        pricing.handle(pricing.PriceStore(), "GetProducts", {"ServiceCode": "AmazonSageMaker", "Filters": []})
