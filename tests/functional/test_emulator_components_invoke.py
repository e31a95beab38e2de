"""Invoking inference components on the emulator: routing by InferenceComponentName to that component's own
container (model, settings, accelerators), AWS's errors for a missing name or component, the no-capacity failure
and its CloudWatch metric, and each component's CloudWatch Logs."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deploy.local.component_helpers import create_component, create_component_endpoint, create_lmi_model
from deploy.local.helpers import create_config, create_model
from deploy.local.testing import lmi_emulator

__all__ = ["lmi_emulator"]
NO_CAPACITY = "Inference Component has no capacity to process this request."


@pytest.fixture
def ctx(lmi_emulator: Any) -> Any:
    context = lmi_emulator.context()
    create_component_endpoint(context, "team")
    create_lmi_model(context, "short-model", OPTION_MAX_MODEL_LEN="2048", OPTION_SERVED_MODEL_NAME="qwen")
    create_lmi_model(
        context,
        "long-model",
        "meta-llama/Llama-3.1-8B-Instruct",
        OPTION_MAX_MODEL_LEN="16384",
        OPTION_SERVED_MODEL_NAME="llama",
    )
    create_component(context, "team-qwen", "team", "short-model")
    create_component(context, "team-llama", "team", "long-model")
    context.client("sagemaker").list_inference_components()  # finishes Creating (time_scale=0)
    return context


def _chat(max_tokens: int) -> bytes:
    return json.dumps({"messages": [{"role": "user", "content": "hi"}], "max_tokens": max_tokens}).encode()


def _invoke(ctx: Any, component: str | None, body: bytes, endpoint: str = "team") -> dict[str, Any]:
    kwargs: dict[str, Any] = {"EndpointName": endpoint, "Body": body, "ContentType": "application/json"}
    if component is not None:
        kwargs["InferenceComponentName"] = component
    response = ctx.client("sagemaker-runtime").invoke_endpoint(**kwargs)
    answer: dict[str, Any] = json.loads(response["Body"].read())
    return answer


def test_each_component_answers_with_its_own_model(ctx: Any) -> None:
    assert _invoke(ctx, "team-qwen", _chat(8))["model"] == "qwen"
    assert _invoke(ctx, "team-llama", _chat(8))["model"] == "llama"
    assert _invoke(ctx, "team-llama", _chat(4000))["choices"]  # 16k context
    with pytest.raises(ClientError) as info:
        _invoke(ctx, "team-qwen", _chat(4000))  # 2k context: vLLM refuses, SageMaker says ModelError
    assert info.value.response["Error"]["Code"] == "ModelError"


def test_streaming_by_component(ctx: Any) -> None:
    response = ctx.client("sagemaker-runtime").invoke_endpoint_with_response_stream(
        EndpointName="team",
        InferenceComponentName="team-llama",
        Body=json.dumps({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5, "stream": True}),
        ContentType="application/json",
    )
    text = b"".join(event["PayloadPart"]["Bytes"] for event in response["Body"] if "PayloadPart" in event)
    assert b'"model": "llama"' in text or b'"model":"llama"' in text


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_a_component_endpoint_needs_a_component_name(ctx: Any, stream: bool) -> None:
    runtime = ctx.client("sagemaker-runtime")
    call = runtime.invoke_endpoint_with_response_stream if stream else runtime.invoke_endpoint
    with pytest.raises(ClientError) as info:
        call(EndpointName="team", Body=_chat(4), ContentType="application/json")
    assert info.value.response["Error"] == {
        "Code": "ValidationError",
        "Message": "Inference Component Name header is required for endpoints to which you plan to deploy "
        "inference components. Please include Inference Component Name header or consider using SageMaker models.",
    }


def test_unknown_or_misplaced_component_names(ctx: Any) -> None:
    create_component_endpoint(ctx, "other")
    create_model(ctx, "single-model")
    create_config(ctx, "single-config", "single-model")
    ctx.client("sagemaker").create_endpoint(EndpointName="single", EndpointConfigName="single-config")
    for endpoint, component in (("team", "ghost"), ("other", "team-qwen"), ("single", "team-qwen")):
        with pytest.raises(ClientError) as info:
            _invoke(ctx, component, _chat(4), endpoint=endpoint)
        error = info.value.response["Error"]
        assert error["Code"] == "ValidationError"
        assert error["Message"] == f"Inference Component {component} of account 123456789012 not found."


def _no_capacity_sum(ctx: Any, component: str) -> float:
    now = dt.datetime.now(dt.timezone.utc)
    stats = ctx.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/SageMaker",
        MetricName="NoCapacityInvocationFailures",
        Dimensions=[{"Name": "InferenceComponentName", "Value": component}],
        StartTime=now - dt.timedelta(minutes=5),
        EndTime=now + dt.timedelta(minutes=1),
        Period=60,
        Statistics=["Sum"],
    )
    return float(sum(point["Sum"] for point in stats["Datapoints"]))


def test_zero_copies_fail_with_no_capacity_and_count_the_metric(ctx: Any) -> None:
    ctx.client("sagemaker").update_inference_component_runtime_config(
        InferenceComponentName="team-qwen", DesiredRuntimeConfig={"CopyCount": 0}
    )
    for _ in range(3):
        with pytest.raises(ClientError) as info:
            _invoke(ctx, "team-qwen", _chat(4))
        assert info.value.response["Error"]["Code"] == "ValidationError"
        assert info.value.response["Error"]["Message"].startswith(NO_CAPACITY)
    assert _no_capacity_sum(ctx, "team-qwen") == 3.0
    assert _no_capacity_sum(ctx, "team-llama") == 0.0
    assert _invoke(ctx, "team-llama", _chat(4))["model"] == "llama"  # the other component keeps serving
    now = dt.datetime.now(dt.timezone.utc)
    data = ctx.client("cloudwatch").get_metric_data(
        MetricDataQueries=[
            {
                "Id": "nocap",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/SageMaker",
                        "MetricName": "NoCapacityInvocationFailures",
                        "Dimensions": [{"Name": "InferenceComponentName", "Value": "team-qwen"}],
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=now - dt.timedelta(minutes=5),
        EndTime=now + dt.timedelta(minutes=1),
    )
    assert sum(data["MetricDataResults"][0]["Values"]) == 3.0


def test_a_component_still_creating_has_no_capacity(ctx: Any, lmi_emulator: Any) -> None:
    with lmi_emulator.paused():
        create_component(ctx, "team-new", "team", "short-model")
        with pytest.raises(ClientError) as info:
            _invoke(ctx, "team-new", _chat(4))
    assert info.value.response["Error"]["Message"].startswith(NO_CAPACITY)
    assert _invoke(ctx, "team-new", _chat(4))["model"] == "qwen"


def _component_log(ctx: Any, component: str) -> list[str]:
    logs, group = ctx.client("logs"), f"/aws/sagemaker/InferenceComponents/{component}"
    lines: list[str] = []
    for stream in logs.describe_log_streams(logGroupName=group)["logStreams"]:
        events = logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])["events"]
        lines += [event["message"] for event in events]
    return lines


def test_each_component_logs_to_its_own_group(ctx: Any) -> None:
    qwen, llama = _component_log(ctx, "team-qwen"), _component_log(ctx, "team-llama")
    assert any("model='Qwen/Qwen2.5-7B-Instruct'" in line for line in qwen)
    assert any("model='meta-llama/Llama-3.1-8B-Instruct'" in line for line in llama)
    assert not any("Llama" in line for line in qwen)
    assert any("tensor_parallel_degree: 1" in line for line in qwen)  # its 1 accelerator, not the instance's 4
    with pytest.raises(ClientError):
        ctx.client("logs").describe_log_streams(logGroupName="/aws/sagemaker/Endpoints/team")["logStreams"][0]


def test_a_container_that_cannot_start_fails_the_component(ctx: Any) -> None:
    create_component(ctx, "team-tp3", "team", "short-model", gpus=3)  # Qwen2.5-7B: 28 heads, not divisible by 3
    described = ctx.client("sagemaker").describe_inference_component(InferenceComponentName="team-tp3")
    assert described["InferenceComponentStatus"] == "Failed"
    assert described["FailureReason"] == (
        "The container for inference component team-tp3 did not pass the ping health check. "
        "Please check CloudWatch logs for this inference component."
    )
    assert any(line.startswith("ERROR PyProcess") for line in _component_log(ctx, "team-tp3"))
    with pytest.raises(ClientError) as info:
        _invoke(ctx, "team-tp3", _chat(4))
    assert info.value.response["Error"]["Message"].startswith(NO_CAPACITY)
