"""Region precedence, decided in one place (deploy.aws.region.choose_region) and tested pair by pair.

Order: spec > asked (--region / Client(region=)) > a passed session's region > AWS_REGION > AWS_DEFAULT_REGION >
the profile's region > the default (us-east-1 for a spec, none for a name). A spec region and a different asked
region are refused.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from deploy.aws.region import choose_region, profile_region
from deploy.catalog import DEFAULT_SPEC_REGION, price_in
from deploy.errors import UsageError

# (source name, how to give it a region); highest precedence first.
SOURCES = ["spec", "asked", "session", "AWS_REGION", "AWS_DEFAULT_REGION", "profile", "default"]
REGIONS = dict(
    zip(
        SOURCES,
        ["eu-west-1", "eu-central-1", "ap-south-1", "us-west-2", "ca-central-1", "sa-east-1", "us-east-1"],
        strict=True,
    )
)


def _choose(given: set[str]) -> Any:
    env = {name: REGIONS[name] for name in ("AWS_REGION", "AWS_DEFAULT_REGION") if name in given}
    profile = REGIONS["profile"] if "profile" in given else None
    return choose_region(
        spec_region=REGIONS["spec"] if "spec" in given else None,
        asked=REGIONS["asked"] if "asked" in given else None,
        session_region=REGIONS["session"] if "session" in given else None,
        environ=env,
        read_profile=lambda _profile, _env: profile,
        fallback=REGIONS["default"] if "default" in given else None,
    )


@pytest.mark.parametrize(
    ("higher", "lower"),
    [pair for pair in itertools.combinations(SOURCES, 2) if pair != ("spec", "asked")],
    ids=lambda s: s,
)
def test_the_higher_source_wins_over_every_lower_one(higher: str, lower: str) -> None:
    choice = _choose({higher, lower})
    assert (choice.region, choice.source) == (REGIONS[higher], higher)


@pytest.mark.parametrize("only", SOURCES)
def test_each_source_alone_is_used(only: str) -> None:
    assert _choose({only}).region == REGIONS[only]


def test_nothing_set_gives_no_region_for_a_name() -> None:
    assert _choose(set()).region is None


@pytest.mark.parametrize(
    ("spec", "asked"), [("us-east-1", "eu-west-1"), ("cn-north-1", "us-east-1"), ("eu-west-1", "eu-west-2")]
)
def test_a_spec_region_and_a_different_asked_region_are_refused(spec: str, asked: str) -> None:
    with pytest.raises(UsageError) as info:
        choose_region(spec_region=spec, asked=asked)
    err = info.value
    assert err.exit_code == 2 and err.field == "region" and spec in err.message and asked in err.message
    assert "--" not in err.message + (err.fix or "")  # library errors never name CLI flags


def test_the_same_region_from_spec_and_asked_is_fine() -> None:
    assert choose_region(spec_region="eu-west-1", asked="eu-west-1").region == "eu-west-1"


def test_the_default_for_a_spec_is_the_old_spec_default() -> None:
    assert DEFAULT_SPEC_REGION == "us-east-1"


def _config(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "config"
    path.write_text(text)
    return {"AWS_CONFIG_FILE": str(path)}


@pytest.mark.parametrize(
    ("profile", "env_profile", "expected"),
    [
        (None, None, "eu-north-1"),  # [default]
        ("work", None, "ap-northeast-1"),  # [profile work]
        (None, "work", "ap-northeast-1"),  # AWS_PROFILE
        ("nope", None, None),  # unknown profile
        ("noregion", None, None),  # profile without region
    ],
)
def test_profile_region_reads_the_config_file(
    tmp_path: Path, profile: str | None, env_profile: str | None, expected: str | None
) -> None:
    env = _config(
        tmp_path,
        "[default]\nregion = eu-north-1\n[profile work]\nregion = ap-northeast-1\n[profile noregion]\noutput = json\n",
    )
    if env_profile:
        env["AWS_PROFILE"] = env_profile
    assert profile_region(profile, env) == expected


@pytest.mark.parametrize("text", ["not an ini file [", "[default\nregion=x", "\x00\x01"])
def test_an_unreadable_config_file_has_no_region(tmp_path: Path, text: str) -> None:
    assert profile_region(None, _config(tmp_path, text)) is None


def test_a_missing_config_file_has_no_region(tmp_path: Path) -> None:
    assert profile_region(None, {"AWS_CONFIG_FILE": str(tmp_path / "absent")}) is None


def test_the_profile_is_read_only_when_nothing_above_it_is_set(tmp_path: Path) -> None:
    calls: list[object] = []

    def read(profile: str | None, env: object) -> str:
        calls.append(profile)
        return "sa-east-1"

    assert choose_region(asked="eu-west-1", read_profile=read).region == "eu-west-1" and calls == []
    assert choose_region(profile="p", read_profile=read).source == "profile" and calls == ["p"]


@pytest.mark.parametrize(("region", "priced"), [("us-east-1", True), ("eu-west-1", False), ("cn-north-1", False)])
def test_prices_are_given_only_for_the_region_the_catalog_prices(region: str, priced: bool) -> None:
    assert (price_in("ml.g6e.2xlarge", region) is not None) is priced


def test_an_unknown_instance_has_no_price() -> None:
    assert price_in("ml.nope.xlarge", "us-east-1") is None
