"""Count every AWS API call a probe makes, by operation, and write them (plus the probe's facts) as JSON.

Why a file and not stdout: SageMaker SDK v2 prints ``sagemaker.config INFO`` lines on stdout at import, so the
probe's output channel is a file named by ``PROBE_OUT``. The count patches botocore's one call path
(``BaseClient._make_api_call``), so it sees the calls of every client the SDK makes, whatever its session.
"""

from __future__ import annotations

import atexit
import json
import os
from collections import Counter
from collections.abc import Callable
from typing import Any

import botocore.client
import botocore.session

CALLS: Counter[str] = Counter()
FACTS: dict[str, Any] = {}
_original = botocore.client.BaseClient._make_api_call


def _simulated_allow(params: Any) -> dict[str, Any]:
    """IAM's policy simulator, which neither moto nor the emulator implement: every action allowed."""
    actions = params.get("ActionNames", [])
    results = [{"EvalActionName": action, "EvalDecision": "allowed"} for action in actions]
    return {"EvaluationResults": results, "IsTruncated": False}


# Operations the emulator cannot answer, answered here instead (still counted as calls the SDK made).
ANSWERED_HERE = {"SimulatePrincipalPolicy": _simulated_allow}
EMPTY_WHERE_AWS_OMITS = {"DescribeModel": ("VpcConfig",), "DescribeEndpoint": ("DataCaptureConfig",)}


def _counting(self: Any, operation_name: str, api_params: Any) -> Any:
    CALLS[f"{self.meta.service_model.service_name}:{operation_name}"] += 1
    if os.environ.get("PROBE_ENDPOINT_URL") and operation_name in ANSWERED_HERE:
        return ANSWERED_HERE[operation_name](api_params)
    response = _original(self, operation_name, api_params)
    # moto answers an empty structure where AWS leaves an unset field out; SDK v3 refuses the empty one
    for field in EMPTY_WHERE_AWS_OMITS.get(operation_name, ()):
        if response.get(field) == {}:
            del response[field]
    return response


botocore.client.BaseClient._make_api_call = _counting  # type: ignore[method-assign]

# The SDK builds some clients with an explicit regional endpoint (STS), which AWS_ENDPOINT_URL does not override;
# PROBE_ENDPOINT_URL sends every client to the emulator so that no call can reach AWS.
_create_client = botocore.session.Session.create_client


def _to_emulator(self: Any, *args: Any, **kwargs: Any) -> Any:
    if os.environ.get("PROBE_ENDPOINT_URL"):
        kwargs["endpoint_url"] = os.environ["PROBE_ENDPOINT_URL"]
    return _create_client(self, *args, **kwargs)


botocore.session.Session.create_client = _to_emulator  # type: ignore[method-assign]


def calls_during(action: Callable[[], object]) -> dict[str, int]:
    """The AWS calls, by operation, that ``action`` made (operations it did not call are left out)."""
    before = dict(CALLS)
    action()
    return {op: n - before.get(op, 0) for op, n in CALLS.items() if n - before.get(op, 0)}


def record_twice(first: dict[str, int], second: dict[str, int], sagemaker: Any) -> None:
    """Keep the calls of a first and a second (unchanged) deploy, and what both left behind.

    Why one function: the lmi-deploy, SDK v2 and SDK v3 probes are compared side by side, so they must count the
    same resources the same way."""
    FACTS.update(
        first=first,
        second=second,
        left_behind={
            "models": len(sagemaker.list_models()["Models"]),
            "endpoint_configs": len(sagemaker.list_endpoint_configs()["EndpointConfigs"]),
            "endpoints": len(sagemaker.list_endpoints()["Endpoints"]),
        },
    )


def _write() -> None:
    path = os.environ.get("PROBE_OUT")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"calls": dict(CALLS), **FACTS}, out)


atexit.register(_write)
