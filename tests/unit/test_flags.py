"""The shared flag validators (deploy.cli.flags): properties over the whole input space, not a few examples."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploy.cli import flags
from deploy.errors import UsageError

BOUNDED = [
    (flags.check_port, "--port", 0, 65535),
    (flags.check_time_scale, "--time-scale", 0.0, 100.0),
    (flags.check_seconds, "--ttft", 0.0, 600.0),
]


@pytest.mark.parametrize(("check", "flag", "low", "high"), BOUNDED)
@given(value=st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**12), 10**12))
def test_bounded_numbers_accept_exactly_the_finite_values_in_range(
    check: object, flag: str, low: float, high: float, value: float
) -> None:
    whole = isinstance(value, int) or (math.isfinite(value) and value == int(value))
    valid = math.isfinite(value) and low <= value <= high and (flag != "--port" or whole)
    if valid:
        assert check(value, flag=flag) == value  # type: ignore[operator]
    else:
        with pytest.raises(UsageError) as info:
            check(value, flag=flag)  # type: ignore[operator]
        assert info.value.field == flag and info.value.exit_code == 2 and flag in info.value.message


@given(text=st.text(max_size=12))
def test_text_that_is_not_a_number_is_refused_never_raised_raw(text: str) -> None:
    for check, flag, _, _ in BOUNDED:
        try:
            check(text, flag=flag)  # type: ignore[operator]
        except UsageError as exc:
            assert exc.field == flag
        # accepted: it parsed as an in-range number, e.g. "7" or " 1e1 "


@given(value=st.integers(-(10**6), 10**6))
def test_positive_counts(value: int) -> None:
    if value >= 1:
        assert flags.check_positive_int(value, "--tp") == value
    else:
        with pytest.raises(UsageError, match="must be at least 1"):
            flags.check_positive_int(value, "--tp")


@given(value=st.floats(allow_nan=True, allow_infinity=True))
def test_gpu_memory_utilization_follows_the_spec_rule(value: float) -> None:
    if math.isfinite(value) and 0.05 < value <= 1.0:
        assert flags.check_gpu_memory_utilization(value) == value
    else:
        with pytest.raises(UsageError):
            flags.check_gpu_memory_utilization(value)


@pytest.mark.parametrize("value", [True, False])
def test_a_bool_is_not_a_number(value: bool) -> None:
    for check, flag, _, _ in BOUNDED:
        with pytest.raises(UsageError, match="not a number"):
            check(value, flag=flag)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("path", "ok"),
    [("b.png", True), ("dir/b.SVG", True), ("b.pdf", True), ("b.txt", False), ("b", False), ("b.png.zip", False)],
)
def test_plot_path_types(path: str, ok: bool) -> None:
    if ok:
        assert flags.check_plot_path(path) == path
    else:
        with pytest.raises(UsageError):
            flags.check_plot_path(path)
