"""explain_failure against the embedded emulator: the container log lines it writes are recognised end to end.

The emulator refuses bad LMI settings the way the LMI v15 container does and writes the same error texts to
``/aws/sagemaker/Endpoints/<name>``; a failed endpoint's FailureReason plus those lines must yield a hint that
names the spec field to change.
"""

from __future__ import annotations

from typing import Any

import pytest

from deploy.aws.logs import tail
from deploy.engine.diagnose import explain_failure
from deploy.local.testing import deploy, lmi_emulator  # noqa: F401 - lmi_emulator is a pytest fixture

CASES = [
    ("tp-too-large", {"OPTION_TENSOR_PARALLEL_DEGREE": "8"}, "engine.tensor_parallel_degree"),
    ("bad-dtype", {"OPTION_DTYPE": "float16"}, "engine.dtype"),
    ("context-too-long", {"OPTION_MAX_MODEL_LEN": "131072"}, "engine.max_model_len"),
]


@pytest.mark.parametrize(("name", "env", "field"), CASES, ids=[c[0] for c in CASES])
def test_failed_endpoint_is_explained_from_its_container_logs(
    lmi_emulator: Any,
    name: str,
    env: dict[str, str],
    field: str,
) -> None:
    ctx = lmi_emulator.context()
    description = deploy(ctx, name, env=env)
    assert description["EndpointStatus"] == "Failed"
    diagnosis = explain_failure(ctx, name, description.get("FailureReason"), lines=20)
    assert diagnosis.log_error is None
    assert diagnosis.log_tail, "the emulator writes container log lines"
    fields = [hint.field for hint in diagnosis.hints]
    assert field in fields, (fields, diagnosis.log_tail[-5:])


def test_healthy_endpoint_logs_have_no_hints(lmi_emulator: Any) -> None:
    ctx = lmi_emulator.context()
    assert deploy(ctx, "healthy")["EndpointStatus"] == "InService"
    lines = tail(ctx, "healthy", lines=100)
    assert lines
    diagnosis = explain_failure(ctx, "healthy", None)
    assert diagnosis.hints == []
