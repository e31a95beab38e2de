"""Cross-check the region/account table and image tags against the SageMaker SDK's packaged ``djl-lmi.json``.

The SDK is never imported (it takes seconds and pulls in many packages): the JSON file is read either from an
installed distribution's file list (``sagemaker-core`` for SDK v3, ``sagemaker`` for v2) or from a wheel in
``.cache/sdk-wheel`` that ``tests/tools/fetch_sdk_wheel.sh`` downloads (CI runs it first). The test skips only
when neither source exists.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from deploy import catalog

REPO_ROOT = Path(__file__).resolve().parents[2]
WHEEL_DIR = Path(os.environ.get("LMI_SDK_WHEEL_DIR", REPO_ROOT / ".cache" / "sdk-wheel"))
JSON_SUFFIX = "image_uri_config/djl-lmi.json"
# The SDK v2 table ("sagemaker" 2.x) lacks these four regions; SDK v3 ("sagemaker-core" >= 2.15.1) has all 44.
MISSING_FROM_SDK_V2 = {"ap-east-2", "ap-southeast-6", "eu-isoe-west-1", "eusc-de-east-1"}


def _from_installed(dist_name: str) -> tuple[str, dict[str, Any]] | None:
    try:
        files = metadata.distribution(dist_name).files or []
    except metadata.PackageNotFoundError:
        return None
    for file in files:
        if str(file).endswith(JSON_SUFFIX):
            path = Path(str(file.locate()))
            return f"installed {dist_name}", json.loads(path.read_text())
    return None


def _from_wheels() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for wheel in sorted(WHEEL_DIR.glob("sagemaker*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            for name in archive.namelist():
                if name.endswith(JSON_SUFFIX):
                    found.append((wheel.name, json.loads(archive.read(name))))
    return found


def _sources() -> list[tuple[str, dict[str, Any]]]:
    installed = [_from_installed(name) for name in ("sagemaker-core", "sagemaker")]
    return [item for item in installed if item is not None] + _from_wheels()


SOURCES = _sources()
needs_sdk = pytest.mark.skipif(
    not SOURCES,
    reason=f"no sagemaker SDK djl-lmi.json: install the `sdk` extra or run tests/tools/fetch_sdk_wheel.sh "
    f"(looked in installed distributions and {WHEEL_DIR})",
)


def _is_v2(label: str) -> bool:
    return "sagemaker-core" not in label and "sagemaker_core" not in label


@needs_sdk
@pytest.mark.parametrize(("label", "table"), SOURCES, ids=[label for label, _ in SOURCES])
def test_v15_regions_and_accounts_match_the_sdk(label: str, table: dict[str, Any]) -> None:
    entry = table["versions"]["0.33.0"]
    theirs: dict[str, str] = entry["registries"]
    ours = {info.name: info.account for info in catalog.regions()}
    expected_extra = MISSING_FROM_SDK_V2 if _is_v2(label) else set()
    assert set(ours) - set(theirs) <= expected_extra
    assert set(theirs) - set(ours) == set()
    assert {region: ours[region] for region in theirs} == theirs
    assert entry["repository"] == catalog.ECR_REPOSITORY


@needs_sdk
@pytest.mark.parametrize(("label", "table"), SOURCES, ids=[label for label, _ in SOURCES])
def test_tags_agree_with_the_sdk_where_both_know_the_release(label: str, table: dict[str, Any]) -> None:
    ours = {release.version: release for release in catalog.lmi_versions()}
    compared = 0
    for djl_version, entry in table["versions"].items():
        match = re.match(r"^(?P<djl>[\d.]+)-lmi(?P<lmi>\d+)\.", entry.get("tag_prefix", ""))
        if match is None or int(match["lmi"]) not in ours:
            continue
        release = ours[int(match["lmi"])]
        assert (release.djl_version, release.tag) == (djl_version, entry["tag_prefix"])
        compared += 1
    assert compared >= 2, f"{label}: expected the SDK to know at least v14 and v15"


@pytest.mark.skipif(not os.environ.get("CI"), reason="only CI (CI set) must have the SDK table")
def test_ci_has_the_sdk_table() -> None:
    assert SOURCES, f"CI must run tests/tools/fetch_sdk_wheel.sh before pytest (nothing in {WHEEL_DIR})"
