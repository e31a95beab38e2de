"""Catalog data and look-ups: the TOML files are complete, consistent with botocore, and errors name a fix."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from deploy import catalog
from deploy.catalog import tables
from deploy.errors import SpecError

FAMILIES = ("g4dn", "g5", "g6", "g6e", "p4d", "p4de", "p5", "p5e", "p5en")


def _botocore_data_dir() -> Path:
    import botocore  # allowed here: the test reads botocore's packaged data, the catalog never does

    return Path(botocore.__file__).parent / "data"


def _production_variant_types() -> set[str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return set(model.shape_for("ProductionVariantInstanceType").enum)


def test_every_instance_type_is_a_valid_production_variant_type() -> None:
    valid = _production_variant_types()
    missing = [item.name for item in catalog.instances() if item.name not in valid]
    assert missing == []


@pytest.mark.parametrize("family", FAMILIES)
def test_every_gpu_size_of_each_required_family_is_in_the_catalog(family: str) -> None:
    pattern = re.compile(rf"^ml\.{re.escape(family)}\.\d*x?large$")
    in_botocore = {name for name in _production_variant_types() if pattern.match(name)}
    in_catalog = {item.name for item in catalog.instances(family)}
    assert in_botocore, f"botocore lists no ml.{family} sizes"
    assert in_catalog == in_botocore


def test_ml_p5_4xlarge_is_a_single_h100() -> None:
    item = catalog.get_instance("ml.p5.4xlarge")
    assert (item.gpu.name, item.gpu_count) == ("H100", 1)


@pytest.mark.parametrize(
    ("gpu", "mib"),
    [
        ("A10G", 23028),
        ("L4", 23034),
        ("L40S", 46068),
        ("A100-40GB", 40960),
        ("A100-80GB", 81920),
        ("H100", 81559),
        ("H200", 143771),
        ("T4", 15360),
        ("V100", 16384),
    ],
)
def test_gpu_memory_is_the_driver_reported_total(gpu: str, mib: int) -> None:
    assert catalog.get_gpu(gpu).memory_mib == mib


def test_fp8_is_native_exactly_from_compute_capability_8_9() -> None:
    for gpu in catalog.gpus():
        assert gpu.fp8 == (gpu.compute_capability >= 8.9), gpu.name


def test_instance_rows_are_consistent() -> None:
    for item in catalog.instances():
        assert item.gpu_count in (1, 4, 8), item.name
        assert item.vcpu > 0 and item.host_memory_gib > 0, item.name
        assert item.family == item.name.split(".")[1]
        assert item.gpu_memory_mib == item.gpu.memory_mib
        assert item.total_gpu_memory_mib == item.gpu.memory_mib * item.gpu_count
        if item.price_per_hour is None:
            assert item.price_note, f"{item.name}: a missing price must say why"
        else:
            assert item.price_per_hour > 0


def test_price_source_and_date_are_recorded() -> None:
    info = catalog.price_info()
    assert info["price_region"] == "us-east-1"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", info["price_date"])
    assert info["price_source"]


def test_instance_lookup_accepts_the_short_name() -> None:
    assert catalog.get_instance("g6e.2xlarge") is catalog.get_instance("ml.g6e.2xlarge")


def test_unknown_instance_names_the_field_and_suggests_close_matches() -> None:
    with pytest.raises(SpecError) as info:
        catalog.get_instance("ml.g6e.2xlarg")
    err = info.value
    assert err.field == "instance.type"
    assert err.value == "ml.g6e.2xlarg"
    assert err.fix is not None and "ml.g6e.2xlarge" in err.fix
    assert err.exit_code == 2


def test_unknown_family_and_gpu_raise_spec_errors() -> None:
    with pytest.raises(SpecError, match="family"):
        catalog.instances("g9")
    with pytest.raises(SpecError) as info:
        catalog.get_gpu("L40")
    assert info.value.fix is not None and "L40S" in info.value.fix


def test_gpu_lookup_is_case_insensitive() -> None:
    assert catalog.get_gpu("a100-80gb").name == "A100-80GB"


def test_versions_cover_14_to_28_and_default_is_15() -> None:
    numbers = [release.version for release in catalog.lmi_versions()]
    assert numbers == list(range(14, 29))
    assert catalog.DEFAULT_LMI_VERSION == 15
    default = [release for release in catalog.lmi_versions() if release.is_default]
    assert [release.version for release in default] == [15]


def test_v15_identity() -> None:
    release = catalog.lmi_version(15)
    assert (release.tag, release.djl_version, release.vllm_version) == (
        "0.33.0-lmi15.0.0-cu128",
        "0.33.0",
        "0.8.4",
    )


def test_every_tag_carries_its_djl_and_lmi_versions() -> None:
    for release in catalog.lmi_versions():
        assert release.tag.startswith(f"{release.djl_version}-lmi{release.version}.0.0-cu"), release.tag


def test_unknown_lmi_version_names_the_field() -> None:
    with pytest.raises(SpecError) as info:
        catalog.lmi_version(99)
    assert info.value.field == "lmi.version"
    assert info.value.value == 99


def test_44_regions() -> None:
    assert len(catalog.regions()) == 44


def _botocore_partitions() -> list[dict[str, object]]:
    data = json.loads((_botocore_data_dir() / "partitions.json").read_text())
    return list(data["partitions"])


def test_partition_and_dns_suffix_agree_with_botocore() -> None:
    by_region = {}
    for partition in _botocore_partitions():
        for region in partition["regions"]:  # type: ignore[attr-defined]
            by_region[region] = (partition["id"], partition["outputs"]["dnsSuffix"])  # type: ignore[index]
    for info in catalog.regions():
        assert (info.partition, info.dns_suffix) == by_region[info.name], info.name


V15_IMAGE = "djl-inference:0.33.0-lmi15.0.0-cu128"


@pytest.mark.parametrize(
    ("region", "registry"),
    [
        ("us-east-1", "763104351884.dkr.ecr.us-east-1.amazonaws.com"),
        ("cn-north-1", "727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn"),
        ("us-gov-west-1", "442386744353.dkr.ecr.us-gov-west-1.amazonaws.com"),
        ("eusc-de-east-1", "204133271717.dkr.ecr.eusc-de-east-1.amazonaws.eu"),
        ("us-iso-east-1", "886529160074.dkr.ecr.us-iso-east-1.c2s.ic.gov"),
    ],
)
def test_image_uri_for_v15(region: str, registry: str) -> None:
    assert catalog.image_uri(region) == f"{registry}/{V15_IMAGE}"


def test_image_uri_uses_the_requested_version() -> None:
    assert catalog.image_uri("eu-west-1", lmi_version=16).endswith("/djl-inference:0.34.0-lmi16.0.0-cu128")


def test_image_uri_override_wins_even_for_a_region_without_the_image() -> None:
    mirror = "111122223333.dkr.ecr.us-east-1.amazonaws.com/mirror:lmi15"
    assert catalog.image_uri("xx-nowhere-1", override=mirror) == mirror


def test_unknown_region_names_the_field_and_close_matches() -> None:
    with pytest.raises(SpecError) as info:
        catalog.image_uri("us-est-1")
    err = info.value
    assert (err.field, err.value) == ("region", "us-est-1")
    assert err.fix is not None and "us-east-1" in err.fix


@pytest.mark.parametrize(
    ("region", "prefix"),
    [("us-east-1", "arn:aws:"), ("cn-northwest-1", "arn:aws-cn:"), ("us-gov-east-1", "arn:aws-us-gov:")],
)
def test_region_partition_gives_the_arn_prefix(region: str, prefix: str) -> None:
    assert catalog.region_info(region).arn_prefix == prefix


def test_to_dict_is_json_ready() -> None:
    payload = {
        "instance": catalog.get_instance("ml.g5.12xlarge").to_dict(),
        "version": catalog.lmi_version(15).to_dict(),
        "region": catalog.region_info("us-east-1").to_dict(),
    }
    decoded = json.loads(json.dumps(payload))
    assert decoded["instance"]["gpu"]["name"] == "A10G"
    assert decoded["instance"]["total_gpu_memory_mib"] == 4 * 23028
    assert decoded["version"]["default"] is True


def test_release_dates_are_iso_and_never_go_backwards() -> None:
    dates = [release.release_date for release in catalog.lmi_versions()]
    assert all(date is not None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) for date in dates)
    assert dates == sorted(dates)  # type: ignore[type-var]


def test_the_data_file_default_matches_the_constant() -> None:
    raw = (catalog.DATA_DIR / "lmi_versions.toml").read_bytes()
    assert tables.parse_toml(raw)["default"] == catalog.DEFAULT_LMI_VERSION  # the TOML itself, not its twin
