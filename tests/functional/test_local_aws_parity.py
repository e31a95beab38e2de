"""Opt-in parity checks (``pytest -m aws`` with ``LMI_AWS_TESTS=1``): the emulator's errors against real AWS.

Only calls that create nothing and cost nothing: describing and invoking an endpoint that does not exist, and
autoscaling calls on a resource that does not exist. Each is sent to AWS and to the emulator; the error codes
must be equal and the messages equal once account ids and ARNs are normalised (where the emulator's wording is
our own, only the code is compared). The real credentials are the ones the test process was started with.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deploy.aws.session import AwsContext
from deploy.local.testing import lmi_emulator  # noqa: F401 - pytest fixture

pytestmark = pytest.mark.aws
MISSING = "lmi-parity-does-not-exist"
RESOURCE = f"endpoint/{MISSING}/variant/AllTraffic"


def _error(ctx: AwsContext, call: Callable[[AwsContext], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        call(ctx)
    message = re.sub(r"\d{12}", "<account>", exc.value.response["Error"]["Message"])
    return exc.value.response["Error"]["Code"], re.sub(
        r"arn:aws:sagemaker:[^:]+:", "arn:aws:sagemaker:<region>:", message
    )


CALLS: dict[str, tuple[Callable[[AwsContext], Any], bool]] = {  # name -> (call, compare the message too)
    "describe-missing-endpoint": (lambda c: c.client("sagemaker").describe_endpoint(EndpointName=MISSING), False),
    "invoke-missing-endpoint": (
        lambda c: c.client("sagemaker-runtime").invoke_endpoint(EndpointName=MISSING, Body=b"{}"),
        True,
    ),
    "policy-without-target": (
        lambda c: c.client("application-autoscaling").put_scaling_policy(
            PolicyName="p",
            ServiceNamespace="sagemaker",
            ResourceId=RESOURCE,
            ScalableDimension="sagemaker:variant:DesiredInstanceCount",
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 1.0,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
            },
        ),
        False,
    ),
    "target-on-missing-endpoint": (
        lambda c: c.client("application-autoscaling").register_scalable_target(
            ServiceNamespace="sagemaker",
            ResourceId=RESOURCE,
            ScalableDimension="sagemaker:variant:DesiredInstanceCount",
            MinCapacity=1,
            MaxCapacity=2,
        ),
        False,
    ),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_emulator_errors_match_aws(real_aws: AwsContext, lmi_emulator: Any, name: str) -> None:
    call, compare_message = CALLS[name]
    real = _error(real_aws, call)
    emulated = _error(lmi_emulator.context(), call)
    assert emulated[0] == real[0]
    if compare_message:
        assert emulated[1] == real[1]
