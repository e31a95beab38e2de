"""`--region` is honoured wherever `lmi size` and `lmi recommend` show a price; unknown is unknown/null."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deploy.aws import pricing_cache
from deploy.catalog import region_price_rows as catalog_rows
from deploy.catalog.prices import table_price
from deploy.cli import build_app

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / "tests" / "fixtures" / "configs" / "llama-3.1-8b-instruct.json")
WORK = ("--concurrency", "8", "--input-tokens", "500", "--output-tokens", "200")
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(build_app(), list(args))
    return result.exit_code, result.stdout


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-northeast-1", "us-gov-west-1", "sa-east-1"])
@pytest.mark.parametrize("instance", ["ml.g5.12xlarge", "ml.g6e.2xlarge", "ml.p4d.24xlarge"])
def test_size_json_prices_in_the_asked_region(region: str, instance: str) -> None:
    code, out = run("size", CONFIG, "--instance", instance, "--region", region, *WORK, "--json")
    assert code == 0, out
    data = json.loads(out)
    expected = table_price(instance, region).usd_per_hour
    assert data["region"] == region and data["price"]["region"] == region
    assert data["price"]["usd_per_hour"] == expected == data["price_per_hour"]
    cost = data["performance"]["cost_per_million_output_tokens"]
    assert (cost is None) is (expected is None)  # never priced at another region's figure
    shown = data["performance"]["price_per_hour"]
    assert shown == (pytest.approx(expected, abs=1e-3) if expected is not None else None)


@pytest.mark.parametrize("region", ["eu-west-1", "ap-south-1", "ca-central-1"])
def test_size_text_says_unknown_with_the_reason(region: str) -> None:
    code, out = run("size", CONFIG, "--instance", "ml.g6e.12xlarge", "--region", region, *WORK)
    assert code == 0, out
    assert f"price: unknown (ml.g6e.12xlarge, {region}; table" in out
    assert "unknown (no price for this region)" in out  # the performance table's $/M rows


@pytest.mark.parametrize("rank_by", ["price", "cost-per-token"])
@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "me-central-1"])
def test_recommend_json_prices_in_the_region_and_ranks_unknown_last(rank_by: str, region: str) -> None:
    code, out = run("recommend", CONFIG, "--region", region, "--rank-by", rank_by, *WORK, "--json")
    assert code == 0, out
    recs = json.loads(out)["recommendations"]
    assert recs
    priced = [r["price_per_hour"] is not None for r in recs]
    assert priced == sorted(priced, reverse=True)  # every priced type before every unpriced one
    for rec in recs:
        assert rec["price"]["region"] == region
        assert rec["price_per_hour"] == table_price(rec["instance_type"], region).usd_per_hour
        if rec["price_per_hour"] is None:
            assert rec["price"]["note"] and rec["performance"]["cost_per_million_output_tokens"] is None


def test_recommend_text_says_why_unknown_prices_rank_last() -> None:
    code, out = run("recommend", CONFIG, "--region", "eu-west-1", "--rank-by", "cost-per-token", *WORK)
    assert code == 0, out
    assert "unknown" in out
    assert "no known price in eu-west-1" in " ".join(out.split()) and "rank after every priced one" in " ".join(
        out.split()
    )


def test_a_cached_price_list_answer_is_used_offline_commands_and_skipped_with_offline() -> None:
    pricing_cache.write("ap-south-1", {"ml.g5.12xlarge": {"usd_per_hour": 7.5, "published": "2026-11-20"}})
    code, out = run("size", CONFIG, "--instance", "ml.g5.12xlarge", "--region", "ap-south-1", "--json")
    assert code == 0, out
    price = json.loads(out)["price"]
    assert (price["usd_per_hour"], price["source"], price["as_of"]) == (7.5, "price-list-cache", "2026-11-20")
    code, out = run("size", CONFIG, "--instance", "ml.g5.12xlarge", "--region", "ap-south-1", "--offline", "--json")
    assert json.loads(out)["price"]["usd_per_hour"] is None
    code, out = run("recommend", CONFIG, "--region", "ap-south-1", "--json")
    first = json.loads(out)["recommendations"][0]
    assert first["instance_type"] == "ml.g5.12xlarge" and first["price"]["source"] == "price-list-cache"


@pytest.mark.parametrize(
    ("region", "instance", "usd", "as_of"),
    [
        ("eu-west-1", "ml.g5.12xlarge", 7.91, "2023-12"),
        ("eu-west-1", "ml.g4dn.xlarge", 0.821, "2023-12"),
        ("us-east-2", "ml.g6.xlarge", 1.1267, "2026-09-25"),
        ("us-east-2", "ml.g6.4xlarge", 1.654, "2026-09-25"),
    ],
)
def test_bundled_regional_figures_are_the_regions_own(region: str, instance: str, usd: float, as_of: str) -> None:
    code, out = run("size", CONFIG, "--instance", instance, "--region", region, "--offline", "--json")
    assert code in (0, 2), out  # 2: the 8B model at its full length does not fit a small type; priced all the same
    price = json.loads(out)["price"]
    assert (price["usd_per_hour"], price["source"], price["as_of"]) == (usd, "table", as_of)
    assert catalog_rows()[region][instance] == usd  # the region's own row (us-east-2 often equals us-east-1)


@pytest.mark.parametrize("command", ["size", "recommend"])
def test_offline_and_live_prices_are_exclusive(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    extra = ("--instance", "ml.g5.12xlarge") if command == "size" else ()
    from deploy.cli import main

    with pytest.raises(SystemExit) as exited:
        main([command, CONFIG, *extra, "--offline", "--live-prices", "--json"])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "--live-prices" in text and "exclusive" in text


def test_live_prices_without_a_reachable_api_falls_back_to_the_table_and_says_so() -> None:
    code, out = run("size", CONFIG, "--instance", "ml.g5.12xlarge", "--region", "us-east-1", "--live-prices", "--json")
    assert code == 0, out
    price = json.loads(out)["price"]
    assert price["source"] == "table" and price["usd_per_hour"] == 7.09 and "did not answer" in price["note"]
