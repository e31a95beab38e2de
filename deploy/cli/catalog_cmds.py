"""``lmi catalog``: print the bundled catalogs (instance types, LMI versions, regions) as tables or JSON.

Rule: print only, no logic: every figure comes from :mod:`deploy.catalog`. Only typer and the standard library
are imported at module level so ``lmi --help`` stays fast; rich and the catalog load inside each command.
"""

from __future__ import annotations

from typing import Any

import typer

from deploy.cli._common import JSON_OPTION

FAMILY_OPTION = typer.Option(None, "--family", help="Only this instance family, e.g. g6e or ml.p5.")


def register(app: typer.Typer) -> None:
    """Add the ``catalog`` command group to the app."""
    group = typer.Typer(help="Show the bundled catalogs: GPU instance types, LMI versions, regions.")
    group.command("instances")(instances_cmd)
    group.command("versions")(versions_cmd)
    group.command("regions")(regions_cmd)
    app.add_typer(group, name="catalog")


REGION_OPTION = typer.Option("us-east-1", "--region", help="Region whose prices are shown (unknown where none).")


def instances_cmd(family: str | None = FAMILY_OPTION, region: str = REGION_OPTION, as_json: bool = JSON_OPTION) -> None:
    """GPU instance types: GPU, memory as the driver reports it, FP8, vCPU, host memory, $/h in --region."""
    from dataclasses import replace

    from deploy import catalog
    from deploy.client import price_lookup

    lookup = price_lookup(region)  # a cached Price List answer, else the bundled table; no AWS call
    quotes = {row.name: lookup(row.name) for row in catalog.instances(family)}
    rows = [replace(row, price_per_hour=quotes[row.name].usd_per_hour) for row in catalog.instances(family)]
    prices = {**catalog.price_info(), "region": region}
    if as_json:
        from deploy.cli._common import print_json

        listed = [{**row.to_dict(), "price": quotes[row.name].to_dict()} for row in rows]
        print_json({"instances": listed, "prices": prices})
        return
    _print_instances(rows, prices)


def _gib(mib: int) -> str:
    return f"{mib / 1024:.1f}"


def _print_instances(rows: list[Any], prices: dict[str, str]) -> None:
    from rich import box
    from rich.table import Table

    from deploy.cli._common import console

    # A light box so every column fits an 80-column terminal or CI log: numbers are never cut to "13.1…".
    table = Table(
        title="SageMaker GPU instance types",
        caption=_price_caption(prices),
        box=box.SIMPLE_HEAD,
        show_edge=False,
        padding=(0, 0),
    )
    table.add_column("type", no_wrap=True, min_width=len("ml.p5en.48xlarge"))
    table.add_column("GPU", no_wrap=True)
    for header in ("GPUs", "GiB/GPU", "GiB all", "FP8", "vCPU", "host GiB", "$/h"):
        table.add_column(header, justify="right", no_wrap=True)
    for row in rows:
        price = f"{row.price_per_hour:.3f}" if row.price_per_hour is not None else "unknown"
        table.add_row(
            row.name,
            row.gpu.name,
            str(row.gpu_count),
            _gib(row.gpu_memory_mib),
            _gib(row.total_gpu_memory_mib),
            "yes" if row.gpu.fp8 else "no",
            str(row.vcpu),
            str(row.host_memory_gib),
            price,
        )
    console().print(table)


def _price_caption(prices: dict[str, str]) -> str:
    region = prices.get("region", prices.get("price_region", "?"))
    return (
        f"GPU GiB as nvidia-smi reports them. $/h: on-demand hosting price in {region} (a cached AWS Price List "
        "answer, else the bundled table); unknown = no figure for this region. Source and date per row: --json."
    )


def versions_cmd(as_json: bool = JSON_OPTION) -> None:
    """LMI container versions: image tag, DJL Serving and vLLM versions, release date; * marks the default."""
    from deploy import catalog

    rows = catalog.lmi_versions()
    if as_json:
        from deploy.cli._common import print_json

        print_json({"default": catalog.DEFAULT_LMI_VERSION, "versions": [row.to_dict() for row in rows]})
        return
    from rich.table import Table

    from deploy.cli._common import console

    table = Table(title="LMI versions (vLLM backend)", caption="* default")
    for header in ("LMI", "image tag", "DJL", "vLLM", "released"):
        table.add_column(header)
    for row in rows:
        marker = f"{row.version} *" if row.is_default else str(row.version)
        table.add_row(marker, row.tag, row.djl_version, row.vllm_version, row.release_date or "-")
    console().print(table)


def regions_cmd(as_json: bool = JSON_OPTION) -> None:
    """Regions that host the LMI image: ECR account, partition, DNS suffix and the v15 image URI."""
    from deploy import catalog

    rows = catalog.regions()
    if as_json:
        from deploy.cli._common import print_json

        items = [dict(row.to_dict(), image_uri=catalog.image_uri(row.name)) for row in rows]
        print_json({"regions": items})
        return
    from rich.table import Table

    from deploy.cli._common import console

    table = Table(title=f"Regions with the LMI image ({catalog.ECR_REPOSITORY})")
    for header in ("region", "account", "partition", "DNS suffix"):
        table.add_column(header)
    for row in rows:
        table.add_row(row.name, row.account, row.partition, row.dns_suffix)
    console().print(table)
