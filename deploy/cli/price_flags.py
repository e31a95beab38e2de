"""The price flags of `lmi size` and `lmi recommend` (--offline, --live-prices) and how prices are shown.

Why here: both commands price in the asked ``--region`` through :func:`deploy.client.price_lookup`; keeping the
flags and the "unknown" wording in one module keeps the commands small. Prices: a fresh cached AWS Price List
answer, else the bundled table (these commands never import boto3); ``--live-prices`` asks the Price List API
(credentials needed; it falls back to the table and says so); ``--offline`` uses the bundled table only.
"""

from __future__ import annotations

from typing import Any

import typer

OFFLINE_PRICES_OPTION = typer.Option(
    False, "--offline", help="Prices from the bundled table only (no cache, no AWS call)."
)
LIVE_PRICES_OPTION = typer.Option(
    False, "--live-prices", help="Ask the AWS Price List API (credentials needed; cached; falls back to the table)."
)


def lookup(region: str, offline: bool, live: bool) -> Any:
    """The price lookup for ``region`` the flags ask for (a deploy.catalog.prices.PriceLookup)."""
    from deploy.client import price_lookup

    if offline and live:
        from deploy.errors import UsageError

        raise UsageError(
            "--offline and --live-prices are exclusive",
            field="--live-prices",
            value=True,
            fix="pass one of them: --offline (bundled table) or --live-prices (AWS Price List API)",
        )
    return price_lookup(region, live=live, offline=offline)


def unknown_lines(recs: list[Any], region: str) -> list[str]:
    """Why the unpriced recommendations rank last (one line per distinct reason)."""
    unpriced = [r for r in recs if r.price is not None and r.price.usd_per_hour is None]
    if not unpriced:
        return []
    reasons = sorted({r.price.note for r in unpriced if r.price.note})
    head = (
        f"{len(unpriced)} instance type(s) have no known price in {region} (shown unknown) and rank after every "
        "priced one"
    )
    return [head + (f": {reasons[0]}" if len(reasons) == 1 else ":")] + (
        [f"  {reason}" for reason in reasons] if len(reasons) > 1 else []
    )


def source_line(quote: Any) -> str:
    """``price: $1.41/h (ml.g5.xlarge, us-east-1; table, as of 2026-11-27)`` or the unknown form with its reason."""
    where = f"{quote.instance_type}, {quote.region}; {quote.source}" + (f", as of {quote.as_of}" if quote.as_of else "")
    text = f"price: {quote.shown()} ({where})"
    return f"{text}: {quote.note}" if quote.usd_per_hour is None and quote.note else text
