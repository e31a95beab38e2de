"""recommend(): which catalog instance types run this model, cheapest first.

Rule: an instance qualifies at the smallest tensor-parallel degree (dividing its GPU count) that fits the
asked max_model_len (default: the model maximum capped at DEFAULT_LEN) and, when ``concurrency`` is given,
holds that many full-length requests across all the copies it runs. Ranked by the hourly price in the asked region
(unpriced types last), then by GPU count, then by headroom. Each recommendation carries its price quote (source,
date, why unknown).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from deploy.records import record
from deploy.sizing.hardware import Hardware
from deploy.sizing.shape import ModelShape
from deploy.sizing.verdict import Estimate, judge
from deploy.sizing.versions import Engine, EngineParams

if TYPE_CHECKING:  # annotations only; the price tables load when a ranking needs them (table_lookup below)
    from deploy.catalog.prices import PriceLookup, PriceQuote

DEFAULT_LEN = 8192


@record
class Recommendation:
    """One instance type that fits, with the numbers that rank it."""

    instance_type: str
    gpu: str
    gpu_count: int
    tensor_parallel_degree: int
    copies: int
    kv_cache_tokens: int
    max_concurrency: float
    headroom: float
    price_per_hour: float | None
    max_model_len: int
    estimate: Estimate
    performance: Any = None  # a deploy.sizing.perf.Performance when a workload was given
    price: PriceQuote | None = None  # the quote behind price_per_hour: region, source, date, why unknown

    def to_dict(self) -> dict[str, Any]:
        out = {
            "instance_type": self.instance_type,
            "gpu": self.gpu,
            "gpu_count": self.gpu_count,
            "tensor_parallel_degree": self.tensor_parallel_degree,
            "copies": self.copies,
            "kv_cache_tokens": self.kv_cache_tokens,
            "max_concurrency": round(self.max_concurrency, 2),
            "headroom": round(self.headroom, 2),
            "price_per_hour": self.price_per_hour,
            "max_model_len": self.max_model_len,
        }
        if self.price is not None:
            out["price"] = self.price.to_dict()
        if self.performance is not None:
            out["performance"] = self.performance.to_dict()
        return out


def _first_fit(shape: ModelShape, hardware: Hardware, params: EngineParams, concurrency: int | None) -> Estimate | None:
    for tp in shape.valid_tp_degrees(hardware.gpu_count, gpu_count=hardware.gpu_count):
        est = judge(shape, hardware, replace(params, tensor_parallel_degree=tp))
        if not est.fits:
            continue
        if concurrency and est.max_concurrency * est.copies_per_instance < concurrency:
            continue
        return est
    return None


def _to_rec(hardware: Hardware, est: Estimate, concurrency: int | None) -> Recommendation:
    capacity = est.max_concurrency * est.copies_per_instance
    headroom = capacity / concurrency if concurrency else est.max_concurrency
    return Recommendation(
        instance_type=hardware.name,
        gpu=hardware.gpu_name,
        gpu_count=hardware.gpu_count,
        tensor_parallel_degree=est.tensor_parallel_degree,
        copies=est.copies_per_instance,
        kv_cache_tokens=est.kv_cache_tokens,
        max_concurrency=est.max_concurrency,
        headroom=headroom,
        price_per_hour=hardware.price_per_hour,
        max_model_len=est.max_model_len,
        estimate=est,
    )


def _rank_key(rec: Recommendation) -> tuple[float, int, float]:
    price = rec.price_per_hour if rec.price_per_hour is not None else float("inf")
    return (price, rec.gpu_count, -rec.headroom)


def recommend(
    shape: ModelShape,
    *,
    max_model_len: int | None = None,
    concurrency: int | None = None,
    region: str = "us-east-1",
    gpu_memory_utilization: float = 0.9,
    dtype: str = "auto",
    quantize: str | None = None,
    kv_cache_dtype: str = "auto",
    vllm_version: str = "0.8.4",
    engine: Engine = "v1",
    limit: int | None = None,
    base_params: EngineParams | None = None,
    prices: PriceLookup | None = None,
) -> list[Recommendation]:
    """Catalog instance types that fit, cheapest first.

    Prices come from ``prices`` (a lookup for ``region``: :func:`deploy.client.price_lookup`), by default the
    bundled table for ``region``; a type without a price there is unknown and ranks after every priced one
    (by GPU count and headroom), never priced at another region's figure.
    An unknown region is a SpecError naming it.
    """
    from deploy import catalog
    from deploy.catalog.prices import table_lookup

    catalog.region_info(region)
    price_of = prices or table_lookup(region)
    length = max_model_len or min(shape.max_position_embeddings or DEFAULT_LEN, DEFAULT_LEN)
    params = base_params or EngineParams(
        gpu_memory_utilization=gpu_memory_utilization,
        dtype=dtype,
        quantize=quantize,
        kv_cache_dtype=kv_cache_dtype,
        vllm_version=vllm_version,
        engine=engine,
    )
    params = replace(params, max_model_len=length, tensor_parallel_degree=1)
    recs = []
    for inst in catalog.instances():
        hardware = Hardware.from_instance(inst.name)
        est = _first_fit(shape, hardware, params, concurrency)
        if est is not None:
            quote = price_of(inst.name)
            recs.append(replace(_to_rec(hardware, est, concurrency), price_per_hour=quote.usd_per_hour, price=quote))
    recs.sort(key=_rank_key)
    return recs[:limit] if limit else recs
