"""`lmi catalog instances|versions|regions`: tables for people, JSON for scripts, exit 2 on bad input."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from deploy import catalog
from deploy.cli import build_app


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    built = build_app()
    names = {group.name for group in built.registered_groups}
    if "catalog" not in names:  # until deploy.cli lists catalog_cmds in COMMAND_MODULES
        from deploy.cli import catalog_cmds

        catalog_cmds.register(built)
    return built


def _run(app: typer.Typer, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), terminal_width=200)
    return result.exit_code, result.output


def test_instances_json_lists_every_instance_with_price_source(app: typer.Typer) -> None:
    code, out = _run(app, "catalog", "instances", "--json")
    assert code == 0
    data = json.loads(out)
    assert [row["name"] for row in data["instances"]] == [item.name for item in catalog.instances()]
    assert data["prices"]["price_region"] == "us-east-1"
    first = data["instances"][0]
    assert {"gpu", "gpu_count", "gpu_memory_mib", "vcpu", "host_memory_gib", "price_per_hour"} <= set(first)


def test_instances_family_filter(app: typer.Typer) -> None:
    code, out = _run(app, "catalog", "instances", "--family", "g6e", "--json")
    assert code == 0
    names = [row["name"] for row in json.loads(out)["instances"]]
    assert names and all(name.startswith("ml.g6e.") for name in names)


def test_instances_table_shows_types_and_gpus(app: typer.Typer) -> None:
    code, out = _run(app, "catalog", "instances", "--family", "p5")
    assert code == 0
    for item in catalog.instances("p5"):
        assert item.name in out
    assert "H100" in out and "$/h" in out


def test_unknown_family_is_a_spec_error_with_a_fix(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["catalog", "instances", "--family", "g6x"])
    assert result.exit_code != 0
    assert getattr(result.exception, "field", None) == "family"
    assert "g6e" in (getattr(result.exception, "fix", "") or "")


def test_versions_json_marks_the_default(app: typer.Typer) -> None:
    code, out = _run(app, "catalog", "versions", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["default"] == catalog.DEFAULT_LMI_VERSION
    defaults = [row["version"] for row in data["versions"] if row["default"]]
    assert defaults == [catalog.DEFAULT_LMI_VERSION]


def test_versions_table_has_the_v15_tag_and_marker(app: typer.Typer) -> None:
    code, out = _run(app, "catalog", "versions")
    assert code == 0
    line = next(line for line in out.splitlines() if catalog.lmi_version(15).tag in line)
    assert "15 *" in line and "0.8.4" in line


def test_regions_json_carries_the_image_uri(app: typer.Typer) -> None:
    code, out = _run(app, "catalog", "regions", "--json")
    assert code == 0
    rows = {row["name"]: row for row in json.loads(out)["regions"]}
    assert len(rows) == len(catalog.regions())
    assert rows["cn-north-1"]["image_uri"] == catalog.image_uri("cn-north-1")


def test_regions_table_lists_partitions(app: typer.Typer) -> None:
    code, out = _run(app, "catalog", "regions")
    assert code == 0
    assert "aws-cn" in out and "amazonaws.com.cn" in out


def test_main_maps_a_bad_family_to_exit_2_and_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    import deploy.cli

    if "catalog_cmds" not in deploy.cli.COMMAND_MODULES:
        pytest.skip("deploy.cli.COMMAND_MODULES does not list catalog_cmds yet (lead to add it)")
    with pytest.raises(SystemExit) as info:
        deploy.cli.main(["catalog", "instances", "--family", "nope", "--json"])
    assert info.value.code == 2
    error = json.loads(capsys.readouterr().out)
    assert (error["field"], error["value"]) == ("family", "nope")


def test_instances_table_fits_80_columns_without_cutting_values(app: typer.Typer) -> None:
    # At 80 columns (a CI log) the price of multi-GPU types used to be cut to "13.1…" and headers to "GiB/…".
    result = CliRunner().invoke(app, ["catalog", "instances"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert "…" not in result.output and "GiB/GPU" in result.output
    for row in catalog.instances():
        line = next(text for text in result.output.splitlines() if text.startswith(f"{row.name} "))
        if row.price_per_hour is not None:
            assert line.rstrip().endswith(f"{row.price_per_hour:.3f}")
