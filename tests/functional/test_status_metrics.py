"""`lmi status` shows the last hour of invocation metrics that the (emulated) endpoint emitted."""

from __future__ import annotations

import json

from deploy import client
from deploy.local import Emulator
from deploy.local.testing import deploy


def test_status_counts_invocations_and_latency() -> None:
    with Emulator(time_scale=0) as emu:
        ctx = emu.context()
        deploy(ctx, "metrics-ep")
        body = json.dumps({"inputs": "hello", "parameters": {"max_new_tokens": 5}})
        runtime = ctx.client("sagemaker-runtime")
        for _ in range(3):
            runtime.invoke_endpoint(EndpointName="metrics-ep", Body=body)["Body"].read()
        metrics = client.status("metrics-ep", context=ctx).metrics
    assert metrics is not None
    assert metrics["Invocations"] == 3.0
    assert metrics["Invocation5XXErrors"] == 0.0
    assert metrics["ModelLatency"] is not None and metrics["ModelLatency"] >= 0.0


def test_status_without_traffic_has_no_datapoints() -> None:
    with Emulator(time_scale=0) as emu:
        ctx = emu.context()
        deploy(ctx, "quiet-ep")
        metrics = client.status("quiet-ep", context=ctx).metrics
    assert metrics == {
        name: None for name in ("Invocations", "Invocation4XXErrors", "Invocation5XXErrors", "ModelLatency")
    }
