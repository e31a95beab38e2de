"""The bundled per-region price table: every catalogue region answers with its own number or unknown."""

from __future__ import annotations

import pytest

from deploy import catalog
from deploy.catalog import prices
from deploy.errors import SpecError


def test_every_catalogue_region_has_an_entry_with_a_source_and_date() -> None:
    for region in catalog.regions():
        entry = prices.region_prices(region.name)
        assert entry.source and entry.as_of, region.name
        assert prices._table().get(region.name) is not None, f"prices.toml lacks {region.name}"


def test_every_region_and_type_answers_a_number_or_unknown_never_us_east_1s() -> None:
    east = {i.name: prices.table_price(i.name, "us-east-1").usd_per_hour for i in catalog.instances()}
    for region in catalog.regions():
        for inst in catalog.instances():
            quote = prices.table_price(inst.name, region.name)
            assert quote.region == region.name and quote.instance_type == inst.name
            assert quote.usd_per_hour is None or quote.usd_per_hour > 0
            if quote.usd_per_hour is None:
                assert quote.note, (inst.name, region.name)
                assert quote.shown() == "unknown"
            own = prices._table()[region.name].prices
            if region.name != "us-east-1" and quote.usd_per_hour is not None:
                assert own[inst.name] == quote.usd_per_hour  # from the region's own row
            if region.name != "us-east-1" and inst.name not in own:
                assert quote.usd_per_hour is None, (inst.name, region.name, east[inst.name])


@pytest.mark.parametrize("name", ["ml.g5.xlarge", "g5.xlarge", "ml.p4d.24xlarge", "ml.g6e.2xlarge"])
def test_us_east_1_quotes_the_catalog_price_with_its_date(name: str) -> None:
    quote = prices.table_price(name, "us-east-1")
    assert quote.usd_per_hour == catalog.get_instance(name).price_per_hour
    assert quote.source == prices.SOURCE_TABLE
    assert quote.as_of == catalog.price_info()["price_date"]


@pytest.mark.parametrize(
    ("instance", "region", "field"),
    [
        ("ml.g5.xlarg", "us-east-1", "instance.type"),
        ("ml.g5.xlarge", "eu-west-9", "region"),
        ("m5.large", "us-east-1", "instance.type"),
    ],
)
def test_unknown_names_are_spec_errors_naming_the_field(instance: str, region: str, field: str) -> None:
    with pytest.raises(SpecError) as err:
        prices.table_price(instance, region)
    assert err.value.field == field


def test_shown_text_and_json_forms() -> None:
    known = prices.table_price("ml.g5.xlarge", "us-east-1")
    assert known.shown() == "$1.41/h"
    unknown = prices.table_price("ml.g5.xlarge", "eu-west-1")
    assert unknown.to_dict()["usd_per_hour"] is None and unknown.shown() == "unknown"
