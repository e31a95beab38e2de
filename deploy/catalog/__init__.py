"""Catalogs: GPU models, SageMaker GPU instance types, LMI versions and the regions that host the LMI image.

Rule: the facts live in data files (``deploy/catalog/*.toml``, each with its sources at the top), not in
code. This module only loads them (once, cached), turns them into frozen dataclasses and answers look-ups.
Unknown names raise :class:`~deploy.errors.SpecError` naming the field, the value and the closest known names,
so a typo in a spec or a flag gets a fix instead of a ``KeyError``. No boto3 here: the catalog is on the path
of ``lmi render`` and ``lmi --help`` and must stay cheap to import.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import Any

from deploy.catalog.tables import load_table
from deploy.errors import SpecError
from deploy.records import record

DATA_DIR = Path(__file__).parent
DEFAULT_LMI_VERSION = 15
# Where a spec without `region` goes when nothing else names one (the spec's default before region became
# optional); the full order lives in deploy/aws/region.py.
DEFAULT_SPEC_REGION = "us-east-1"
ECR_REPOSITORY = "djl-inference"


@record
class GpuModel:
    """One NVIDIA GPU model; ``memory_mib`` is the total ``nvidia-smi`` reports, not the marketing figure."""

    name: str
    arch: str
    compute_capability: float
    memory_mib: int
    fp8: bool
    bf16: bool
    memory_bandwidth_gbps: int
    # Performance-model inputs (dense tensor TFLOPs, GPU-to-GPU link per direction); gpus.toml cites each row.
    bf16_tflops: float = 0.0
    fp8_tflops: float = 0.0
    interconnect: str = "pcie"
    interconnect_gbps: float = 0.0
    perf_source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@record
class InstanceType:
    """A SageMaker GPU instance type; ``price_per_hour`` is indicative (us-east-1 on-demand hosting) or None.

    ``family`` is the name without ``ml.`` and size (``g6e``).
    ``price_note`` says why a price is weak or missing.
    """

    name: str
    family: str
    gpu: GpuModel
    gpu_count: int
    vcpu: int
    host_memory_gib: int
    price_per_hour: float | None
    price_note: str

    @property
    def gpu_memory_mib(self) -> int:
        """Memory of one GPU in MiB, as the driver reports it."""
        return self.gpu.memory_mib

    @property
    def total_gpu_memory_mib(self) -> int:
        """Memory of all GPUs of the instance in MiB."""
        return self.gpu.memory_mib * self.gpu_count

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["gpu_memory_mib"] = self.gpu_memory_mib
        out["total_gpu_memory_mib"] = self.total_gpu_memory_mib
        return out


@record
class LmiVersion:
    """One LMI container release: major version -> image tag, DJL Serving version and pinned vLLM version."""

    version: int
    djl_version: str
    tag: str
    vllm_version: str
    release_date: str | None = None

    @property
    def is_default(self) -> bool:
        return self.version == DEFAULT_LMI_VERSION

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["default"] = self.is_default
        return out


@record
class RegionInfo:
    """A region that hosts the ``djl-inference`` image: ECR account, AWS partition and its DNS suffix."""

    name: str
    account: str
    partition: str
    dns_suffix: str

    @property
    def arn_prefix(self) -> str:
        """The start of every ARN in this region's partition, e.g. ``arn:aws-cn:``."""
        return f"arn:{self.partition}:"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _load(name: str) -> dict[str, Any]:
    return load_table(DATA_DIR / name)  # the TOML's generated JSON twin when it is current (catalog/tables.py)


def _unknown(field: str, value: object, known: list[str], what: str, listing: str) -> SpecError:
    """A SpecError for an unknown catalog name, listing the closest known names as the fix."""
    import difflib  # only on the error path: it is slow to import

    close = difflib.get_close_matches(str(value), known, n=3, cutoff=0.6)
    if close:
        fix = f"did you mean {', '.join(close)}? (`lmi catalog {listing}` lists all)"
    else:
        shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
        fix = f"use one of: {shown}"
    return SpecError(f"{field}={value!r}: unknown {what}", field=field, value=value, fix=fix)


@cache
def _gpus() -> dict[str, GpuModel]:
    return {name: GpuModel(name=name, **row) for name, row in _load("gpus.toml").items()}


@cache
def _instances() -> dict[str, InstanceType]:
    gpus = _gpus()
    data = _load("instances.toml")["instances"]
    return {name: _instance_from_row(name, row, gpus) for name, row in data.items()}


def _instance_from_row(name: str, row: dict[str, Any], gpus: dict[str, GpuModel]) -> InstanceType:
    price = row.get("price_per_hour")
    return InstanceType(
        name=name,
        family=name.split(".")[1],
        gpu=gpus[row["gpu"]],
        gpu_count=int(row["gpu_count"]),
        vcpu=int(row["vcpu"]),
        host_memory_gib=int(row["host_memory_gib"]),
        price_per_hour=float(price) if price is not None else None,
        price_note=str(row.get("price_note", "")),
    )


def price_info() -> dict[str, str]:
    """Where the indicative prices come from: ``price_region``, ``price_date``, ``price_source`` (a copy)."""
    return dict(_price_meta())


def price_in(instance_type: str, region: str) -> float | None:
    """The bundled hourly price of ``instance_type`` in ``region``; None when unknown (never another region's
    figure: :func:`deploy.catalog.prices.table_price` says why)."""
    try:
        name = get_instance(instance_type).name
    except SpecError:
        return None
    return region_price_rows().get(region, {}).get(name)


@cache
def region_price_rows() -> dict[str, dict[str, float]]:
    """Region -> instance type -> USD/h from ``prices.toml`` (a region marked ``from_instances_toml`` takes the
    ``price_per_hour`` figures of ``instances.toml``); :mod:`deploy.catalog.prices` adds sources and dates."""
    rows: dict[str, dict[str, float]] = {}
    for region, row in _load("prices.toml")["regions"].items():
        if row.get("from_instances_toml"):
            rows[region] = {i.name: i.price_per_hour for i in _instances().values() if i.price_per_hour is not None}
        else:
            rows[region] = {str(k): float(v) for k, v in dict(row.get("prices", {})).items()}
    return rows


@cache
def _price_meta() -> dict[str, str]:
    return {key: str(value) for key, value in _load("instances.toml")["meta"].items()}


@cache
def _versions() -> dict[int, LmiVersion]:
    data = _load("lmi_versions.toml")["versions"]
    return {int(key): LmiVersion(version=int(key), **row) for key, row in data.items()}


@cache
def _regions() -> dict[str, RegionInfo]:
    data = _load("regions.toml")["regions"]
    return {name: RegionInfo(name=name, **row) for name, row in data.items()}


def get_gpu(name: str) -> GpuModel:
    """The GPU model called ``name`` (case-insensitive, e.g. ``L40S``, ``a100-80gb``)."""
    by_upper = {key.upper(): gpu for key, gpu in _gpus().items()}
    gpu = by_upper.get(name.upper())
    if gpu is None:
        raise _unknown("gpu", name, list(_gpus()), "GPU model", "instances")
    return gpu


def gpus() -> list[GpuModel]:
    """All GPU models, in catalog order."""
    return list(_gpus().values())


def get_instance(name: str) -> InstanceType:
    """The instance type ``name``; accepts ``g6e.2xlarge`` for ``ml.g6e.2xlarge``. Unknown -> SpecError."""
    key = name if name.startswith("ml.") else f"ml.{name}"
    found = _instances().get(key)
    if found is None:
        raise _unknown("instance.type", name, list(_instances()), "GPU instance type", "instances")
    return found


def instances(family: str | None = None) -> list[InstanceType]:
    """All instance types in catalog order, or those of one family (``g6e`` or ``ml.g6e``)."""
    every = list(_instances().values())
    if family is None:
        return every
    wanted = family.removeprefix("ml.")
    chosen = [item for item in every if item.family == wanted]
    if not chosen:
        raise _unknown("family", family, families(), "instance family", "instances")
    return chosen


def families() -> list[str]:
    """Instance families in catalog order, e.g. ``['g4dn', 'g5', ...]``."""
    return list(dict.fromkeys(item.family for item in _instances().values()))


def lmi_version(v: int) -> LmiVersion:
    """The LMI release with major version ``v``. Unknown -> SpecError naming ``lmi.version``."""
    return _release(v)


def _release(version: int) -> LmiVersion:
    found = _versions().get(version)
    if found is None:
        raise _unknown("lmi.version", version, [str(key) for key in _versions()], "LMI version", "versions")
    return found


def lmi_versions() -> list[LmiVersion]:
    """All known LMI releases, oldest first."""
    return [_versions()[key] for key in sorted(_versions())]


def region_info(region: str) -> RegionInfo:
    """ECR account, partition and DNS suffix of a region that hosts the LMI image. Unknown -> SpecError."""
    found = _regions().get(region)
    if found is None:
        raise _unknown("region", region, sorted(_regions()), "region for the LMI image (djl-inference)", "regions")
    return found


def regions() -> list[RegionInfo]:
    """Every region that hosts the LMI image, sorted by name."""
    return [_regions()[key] for key in sorted(_regions())]


def image_uri(region: str, lmi_version: int = DEFAULT_LMI_VERSION, override: str | None = None) -> str:
    """The LMI image URI for a region, e.g. ``763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:…``.

    ``override`` (the spec's ``lmi.image``) wins unchanged: a private mirror or a patch image needs it.
    """
    if override:
        return override
    info = region_info(region)
    release = _release(lmi_version)
    return f"{info.account}.dkr.ecr.{region}.{info.dns_suffix}/{ECR_REPOSITORY}:{release.tag}"
