"""The pure pre-flight verdicts (deploy.engine.preflight.judge_*): every branch, several members per class."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploy.aws.quotas import QuotaReading, Usage, quota_codes, quota_name
from deploy.catalog import get_instance
from deploy.engine.preflight import (
    Check,
    PreflightRefused,
    judge_availability,
    judge_prefix,
    judge_quota,
    judge_role,
    role_account,
)

T = "ml.g5.12xlarge"


def reading(value: float | None, *, denied: bool = False, problem: str = "") -> QuotaReading:
    return QuotaReading(T, value, "L-65C4BD00", "applied" if value is not None else "unknown", problem, denied)


@given(
    limit=st.integers(0, 50),
    others=st.integers(0, 50),
    needed=st.integers(1, 20),
)
def test_quota_refuses_exactly_when_the_free_quota_is_short(limit: int, others: int, needed: int) -> None:
    check = judge_quota(reading(limit), Usage(others, 0, ("a",) if others else ()), needed, "eu-west-1")
    assert (check.status == "refused") is (needed > limit - others)
    if check.status == "refused":
        assert (check.field, check.value) == ("instance.count", needed)
        assert str(others + needed) in (check.fix or "")


@pytest.mark.parametrize(
    ("own", "needed", "limit", "status"), [(2, 2, 3, "warning"), (1, 1, 2, "ok"), (4, 1, 4, "warning")]
)
def test_blue_green_peak(own: int, needed: int, limit: int, status: str) -> None:
    assert judge_quota(reading(limit), Usage(0, own, ()), needed, "us-east-1").status == status


@pytest.mark.parametrize(("maximum", "limit", "status"), [(4, 2, "warning"), (2, 2, "ok"), (None, 1, "ok")])
def test_scaling_maximum(maximum: int | None, limit: int, status: str) -> None:
    assert judge_quota(reading(limit), Usage(0, 0, ()), 1, "us-east-1", maximum).status == status


@pytest.mark.parametrize(
    ("denied", "problem", "words"),
    [(True, "AccessDeniedException: no", "AWS denied the read"), (False, "no quota named", "could not be read")],
)
def test_an_unknown_quota_is_a_warning(denied: bool, problem: str, words: str) -> None:
    check = judge_quota(reading(None, denied=denied, problem=problem), Usage(0, 0, ()), 1, "us-east-1")
    assert check.status == "warning" and words in check.message and problem in check.message


@pytest.mark.parametrize(
    ("offered", "status"),
    [(None, "skipped"), (set(), "skipped"), ({"ml.g5.xlarge", T}, "ok"), ({"ml.g5.xlarge"}, "refused")],
)
def test_availability(offered: set[str] | None, status: str) -> None:
    check = judge_availability(T, "ap-south-1", offered, "no credentials")
    assert check.status == status
    if status == "refused":
        assert (check.field, check.value) == ("instance.type", T)


@pytest.mark.parametrize(
    ("role", "caller", "status"),
    [
        ("arn:aws:iam::123456789012:role/R", "123456789012", "ok"),
        ("arn:aws:iam::999999999999:role/R", "123456789012", "warning"),
        ("arn:aws-cn:iam::111111111111:role/path/R", "222222222222", "warning"),
        ("arn:aws:iam::123456789012:role/R", None, "skipped"),
    ],
)
def test_role_account(role: str, caller: str | None, status: str) -> None:
    assert judge_role(role, caller, "denied").status == status


@pytest.mark.parametrize(
    ("role", "account"),
    [
        ("arn:aws:iam::123456789012:role/R", "123456789012"),
        ("arn:aws-us-gov:iam::000000000001:role/a/b", "000000000001"),
    ],
)
def test_role_account_parsing(role: str, account: str) -> None:
    assert role_account(role) == account


@pytest.mark.parametrize(("exists", "status"), [(True, "ok"), (False, "refused"), (None, "warning")])
def test_prefix(exists: bool | None, status: str) -> None:
    check = judge_prefix("s3://b/p/", exists, "why")
    assert check.status == status
    if status == "refused":
        assert (check.field, check.value) == ("model.id", "s3://b/p/")


def test_refusal_lists_every_check_and_names_the_first_refusal() -> None:
    checks = (
        Check("endpoint-quota", "refused", "short", field="instance.count", value=3, fix="ask"),
        Check("role-account", "warning", "other account"),
        Check("model-prefix", "refused", "empty", field="model.id", value="s3://b/p"),
    )
    error = PreflightRefused(checks)
    assert error.exit_code == 2 and error.field == "instance.count" and "1 more refusal" in error.message
    assert [c["check"] for c in error.to_dict()["preflight"]] == ["endpoint-quota", "role-account", "model-prefix"]


def test_bundled_quota_codes_name_catalog_types_with_the_aws_code_shape() -> None:
    codes = quota_codes()
    assert len(codes) >= 20
    for name, code in codes.items():
        assert get_instance(name).name == name
        assert code.startswith("L-") and len(code) == 10
    assert quota_name("ml.g5.2xlarge") == "ml.g5.2xlarge for endpoint usage"


@pytest.mark.parametrize(("others", "needed", "status"), [(0, 1, "warning"), (2, 3, "warning"), (5, 2, "refused")])
def test_a_partial_count_of_other_endpoints_can_refuse_but_not_pass(others: int, needed: int, status: str) -> None:
    usage = Usage(others, 0, ("a",) * bool(others), "DescribeEndpoint other failed: AccessDeniedException")
    check = judge_quota(reading(6), usage, needed, "us-east-1")
    assert check.status == status
    if status == "warning":
        assert "could not all be counted" in check.message and "DescribeEndpoint" in (check.fix or "")
