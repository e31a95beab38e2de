"""The on-disk cache of Price List answers: one JSON file per region under the user's cache directory.

Why: the Price List API is slow (several pages per region) and prices change rarely; a repeat ``lmi recommend``
should not ask again. Entries older than the TTL (``LMI_PRICE_CACHE_TTL_HOURS``, default 168 = one week) are
ignored. The directory is ``$LMI_CACHE_DIR`` or ``$XDG_CACHE_HOME/lmi-deploy`` or ``~/.cache/lmi-deploy``.
A cache that cannot be read or written is skipped, never an error. No boto3 here (offline commands read it).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from deploy.catalog import get_instance, region_info
from deploy.catalog.prices import SOURCE_CACHE, PriceLookup, PriceQuote, table_price

DEFAULT_TTL_HOURS = 168.0


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where lmi-deploy keeps its price cache."""
    env = os.environ if env is None else env
    if env.get("LMI_CACHE_DIR"):
        return Path(env["LMI_CACHE_DIR"]).expanduser()
    base = Path(env.get("XDG_CACHE_HOME") or "~/.cache").expanduser()
    return base / "lmi-deploy"


def ttl_seconds(env: Mapping[str, str] | None = None) -> float:
    """The cache's time to live; an unreadable setting falls back to the default."""
    env = os.environ if env is None else env
    try:
        hours = float(env.get("LMI_PRICE_CACHE_TTL_HOURS", DEFAULT_TTL_HOURS))
    except ValueError:
        hours = DEFAULT_TTL_HOURS
    return max(hours, 0.0) * 3600.0


def _path(region: str, env: Mapping[str, str] | None) -> Path:
    return cache_dir(env) / "prices" / f"sagemaker-hosting-{region}.json"


def read(region: str, *, now: float | None = None, env: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """The cached answer for ``region`` (``{"fetched_at", "prices": {type: {usd_per_hour, published}}}``), or
    None when absent, unreadable or older than the TTL."""
    try:
        doc = json.loads(_path(region, env).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("prices"), dict):
        return None
    try:
        age = (time.time() if now is None else now) - float(doc.get("fetched_at", 0.0))
    except (TypeError, ValueError):
        return None
    if age < 0 or age > ttl_seconds(env):
        return None
    return doc


def write(
    region: str,
    prices: dict[str, dict[str, Any]],
    *,
    offered: list[str] | None = None,
    now: float | None = None,
    env: Mapping[str, str] | None = None,
) -> None:
    """Store ``prices`` (and the ``offered`` types, priced or not) for ``region``, atomically."""
    path = _path(region, env)
    doc = {
        "region": region,
        "fetched_at": time.time() if now is None else now,
        "prices": prices,
        "offered": sorted(offered if offered is not None else prices),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(doc, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        return


def cached_price(instance_type: str, region: str) -> PriceQuote:
    """A fresh cached Price List figure for the type, else the bundled table's quote (no boto3, no AWS call).

    The offline commands (``lmi size``, ``lmi recommend``) price with this: they never import boto3, but they
    use what an earlier online command (``lmi plan``, ``--live-prices``) read from the Price List API.
    """
    name = get_instance(instance_type).name
    cached = read(region)
    row = cached["prices"].get(name) if cached is not None else None
    if isinstance(row, dict) and isinstance(row.get("usd_per_hour"), (int, float)):
        return PriceQuote(name, region, float(row["usd_per_hour"]), SOURCE_CACHE, str(row.get("published", "")))
    return table_price(name, region)


def cached_lookup(region: str) -> PriceLookup:
    """:func:`cached_price` for one region."""
    region_info(region)

    def lookup(instance_type: str) -> PriceQuote:
        return cached_price(instance_type, region)

    return lookup
