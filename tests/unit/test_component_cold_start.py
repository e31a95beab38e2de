"""The cold start from zero the plan announces: model size / download rate + load + warm-up (+ alarm, + a new
instance when the endpoint scaled to zero instances), and where scale to zero is offered."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploy.engine.components.requirements import (
    ALARM_DELAY_S,
    DOWNLOAD_MIB_S,
    ENGINE_WARMUP_S,
    INSTANCE_PROVISION_S,
    LOAD_GIB_S,
    check_scale_to_zero_region,
    cold_start_s,
    cold_start_text,
)
from deploy.errors import SpecError

GIB = 1024**3


@pytest.mark.parametrize("gib", [1, 15, 140])
def test_the_figure_is_size_over_rates_plus_fixed_phases(gib: int) -> None:
    weights = gib * GIB
    expected = ALARM_DELAY_S + weights / (DOWNLOAD_MIB_S * 2**20) + weights / (LOAD_GIB_S * GIB) + ENGINE_WARMUP_S
    assert cold_start_s(weights, instances_to_zero=False) == pytest.approx(expected)
    assert cold_start_s(weights, instances_to_zero=True) == pytest.approx(expected + INSTANCE_PROVISION_S)
    text = cold_start_text(weights, instances_to_zero=True)
    assert f"{gib:.1f} GiB" in text and "new instance 300s" in text and "download 150 MiB/s" in text


@given(st.integers(min_value=1, max_value=2**40), st.integers(min_value=1, max_value=2**30))
def test_a_bigger_model_never_starts_faster(weights: int, extra: int) -> None:
    small = cold_start_s(weights, instances_to_zero=False)
    big = cold_start_s(weights + extra, instances_to_zero=False)
    assert small is not None and big is not None and big >= small


def test_an_unknown_size_says_so() -> None:
    assert cold_start_s(None, instances_to_zero=True) is None
    assert "unknown" in cold_start_text(None, instances_to_zero=True)


@pytest.mark.parametrize("partition", ["aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-eusc"])
def test_scale_to_zero_is_refused_outside_the_commercial_partition(partition: str) -> None:
    with pytest.raises(SpecError) as info:
        check_scale_to_zero_region("some-region-1", partition, "components[1].scaling.min")
    assert info.value.field == "components[1].scaling.min" and info.value.exit_code == 2
    assert partition in info.value.message and "1 or more" in str(info.value.fix)


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-northeast-1"])
def test_scale_to_zero_is_allowed_in_commercial_regions(region: str) -> None:
    check_scale_to_zero_region(region, "aws", "scaling.min")
