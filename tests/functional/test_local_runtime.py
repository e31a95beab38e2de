"""The emulator's data plane: LMI v15 protocol, ModelError mapping, event streams, async inference, metrics."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from deploy.local.testing import (
    create_config,
    create_model,
    deploy,
    invoke_json,
    lmi_emulator,  # noqa: F401 - pytest fixture
)


@pytest.fixture
def ctx(lmi_emulator):
    context = lmi_emulator.context()
    assert deploy(context, "qwen", env={"OPTION_MAX_MODEL_LEN": "256"})["EndpointStatus"] == "InService"
    return context


def _model_error(ctx, body: bytes) -> dict:
    with pytest.raises(ClientError) as exc:
        ctx.client("sagemaker-runtime").invoke_endpoint(EndpointName="qwen", Body=body)
    assert exc.value.response["Error"]["Code"] == "ModelError"
    return exc.value.response


def test_lmi_schema_is_deterministic_marked_and_bounded(ctx):
    payload = {"inputs": "What is SageMaker?", "parameters": {"max_new_tokens": 5, "details": True}}
    first, second = invoke_json(ctx, "qwen", payload), invoke_json(ctx, "qwen", payload)
    assert first == second
    assert first["generated_text"].startswith("[emulated]")
    assert first["details"]["generated_tokens"] == 5 and first["details"]["finish_reason"] == "length"
    other = invoke_json(ctx, "qwen", {"inputs": "Something else entirely"})
    assert other["generated_text"] != first["generated_text"]
    raw = ctx.client("sagemaker-runtime").invoke_endpoint(EndpointName="qwen", Body=json.dumps(payload))
    assert raw["CustomAttributes"] == "x-lmi-emulated=true"
    assert raw["InvokedProductionVariant"] == "AllTraffic"


def test_stop_strings_cut_the_answer(ctx):
    full = invoke_json(ctx, "qwen", {"inputs": "stop test", "parameters": {"max_new_tokens": 40}})["generated_text"]
    word = full.split()[2]
    cut = invoke_json(ctx, "qwen", {"inputs": "stop test", "parameters": {"max_new_tokens": 40, "stop": [word]}})
    assert cut["generated_text"] == full[: full.index(word)]


def test_openai_chat_and_completion_schemas(ctx):
    chat = invoke_json(ctx, "qwen", {"messages": [{"role": "user", "content": "Hi there"}], "max_tokens": 4})
    assert chat["object"] == "chat.completion" and chat["model"] == "lmi"
    assert chat["choices"][0]["message"]["content"].startswith("[emulated]")
    usage = chat["usage"]
    assert usage["completion_tokens"] == 4 and usage["total_tokens"] == usage["prompt_tokens"] + 4
    completion = invoke_json(ctx, "qwen", {"prompt": "Once upon a time"})
    assert completion["object"] == "text_completion" and completion["usage"]["completion_tokens"] <= 16


def test_unparseable_input_is_424_input_parsing_failed(ctx):
    response = _model_error(ctx, b'{"foo": 1}')
    assert response["OriginalStatusCode"] == 424
    assert "Input parsing failed" in response["OriginalMessage"]
    assert _model_error(ctx, b"not json")["OriginalStatusCode"] == 424


def test_prompt_longer_than_max_model_len(ctx):
    long_prompt = "word " * 300
    lmi = _model_error(ctx, json.dumps({"inputs": long_prompt}).encode())
    assert lmi["OriginalStatusCode"] == 424 and "maximum context length is 256 tokens" in lmi["OriginalMessage"]
    chat = _model_error(ctx, json.dumps({"messages": [{"role": "user", "content": long_prompt}]}).encode())
    assert chat["OriginalStatusCode"] == 400
    # without max_tokens vLLM 0.8.4 counts the messages alone
    assert (
        "However, you requested 317 tokens in the messages, Please reduce the length of the messages."
        in (chat["OriginalMessage"])
    )
    bad = _model_error(ctx, json.dumps({"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}).encode())
    assert bad["OriginalStatusCode"] == 400


def test_unknown_endpoint_is_validation_error(ctx):
    with pytest.raises(ClientError) as exc:
        ctx.client("sagemaker-runtime").invoke_endpoint(EndpointName="nope", Body=b"{}")
    assert exc.value.response["Error"] == {
        "Code": "ValidationError",
        "Message": "Endpoint nope of account 123456789012 not found.",
    }


def _stream(ctx, payload: dict) -> list[bytes]:
    response = ctx.client("sagemaker-runtime").invoke_endpoint_with_response_stream(
        EndpointName="qwen", Body=json.dumps(payload)
    )
    assert response["ContentType"] == "application/jsonlines"
    return [event["PayloadPart"]["Bytes"] for event in response["Body"]]


def test_lmi_stream_lines_split_across_payload_parts(ctx):
    parts = _stream(ctx, {"inputs": "Tell me a story", "parameters": {"max_new_tokens": 12}, "stream": True})
    assert any(not part.endswith(b"\n") for part in parts), "some JSON line must straddle two parts"
    lines = [json.loads(line) for line in b"".join(parts).splitlines()]
    assert len(lines) == 12
    assert lines[-1]["generated_text"] == "".join(line["token"]["text"] for line in lines)
    assert all(line["generated_text"] is None for line in lines[:-1])


def test_chat_stream_chunks_end_with_an_empty_line(ctx):
    body = b"".join(_stream(ctx, {"messages": [{"role": "user", "content": "hi"}], "stream": True, "max_tokens": 6}))
    assert body.endswith(b"\n\n")
    chunks = [json.loads(line) for line in body.splitlines() if line]
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    text = "".join(chunk["choices"][0]["delta"].get("content", "") for chunk in chunks)
    assert text.startswith("[emulated]") and chunks[-1]["choices"][0]["finish_reason"] == "length"


def test_stream_without_stream_flag_is_one_json_object(ctx):
    body = b"".join(_stream(ctx, {"inputs": "hello", "parameters": {"max_new_tokens": 3}}))
    assert json.loads(body)["generated_text"].startswith("[emulated]")


@pytest.mark.parametrize(
    "body",
    [
        {"inputs": "timing", "parameters": {"max_new_tokens": 6}, "stream": True},
        {"messages": [{"role": "user", "content": "timing"}], "max_tokens": 6, "stream": True},
        {"prompt": "timing", "max_tokens": 6, "stream": True},
        {"inputs": "timing", "parameters": {"max_new_tokens": 6}},
    ],
    ids=["lmi", "chat", "completion", "not-streamed"],
)
def test_stream_timing_is_per_token_not_per_line(body):
    """TTFT before the first token, ITL between tokens: the chat role chunk and the end line cost nothing."""
    from deploy.local.lmi_protocol import generate, parse_request
    from deploy.local.runtime import Timing, stream_schedule

    timing = Timing(ttft_s=0.05, itl_s=0.01)
    request = parse_request(json.dumps(body).encode(), max_model_len=4096)
    generation = generate(request)
    schedule = stream_schedule(request, generation, timing, request_id="r", created=0)
    assert sum(delay for delay, _ in schedule) == pytest.approx(timing.total(len(generation.tokens)))
    if request.stream:
        first_text = next(i for i, (_, line) in enumerate(schedule) if b"[emulated]" in line)
        assert schedule[first_text][0] == 0.05 and all(delay == 0 for delay, _ in schedule[:first_text])


def test_model_stream_error_mid_stream(ctx, lmi_emulator):
    lmi_emulator.inject_fault("InvokeEndpointWithResponseStream", code="ModelStreamError")
    response = ctx.client("sagemaker-runtime").invoke_endpoint_with_response_stream(
        EndpointName="qwen", Body=json.dumps({"inputs": "x", "stream": True})
    )
    received = []
    with pytest.raises(ClientError) as exc:
        for event in response["Body"]:
            received.append(event["PayloadPart"]["Bytes"])
    assert exc.value.response["Error"]["Code"] == "ModelStreamError" and received


def test_async_inference_reads_from_and_writes_to_s3(lmi_emulator):
    ctx = lmi_emulator.context()
    s3 = ctx.client("s3")
    s3.create_bucket(Bucket="io-bucket")
    s3.put_object(Bucket="io-bucket", Key="in/req.json", Body=json.dumps({"inputs": "async hello"}).encode())
    create_model(ctx, "am")
    create_config(ctx, "ac", "am", async_output="s3://io-bucket/out")
    ctx.client("sagemaker").create_endpoint(EndpointName="async", EndpointConfigName="ac")
    response = ctx.client("sagemaker-runtime").invoke_endpoint_async(
        EndpointName="async", InputLocation="s3://io-bucket/in/req.json"
    )
    assert response["OutputLocation"] == f"s3://io-bucket/out/{response['InferenceId']}.out"
    output = json.loads(s3.get_object(Bucket="io-bucket", Key=f"out/{response['InferenceId']}.out")["Body"].read())
    assert output["generated_text"].startswith("[emulated]")


def test_invocations_emit_sagemaker_metrics(ctx):
    for index in range(3):
        invoke_json(ctx, "qwen", {"inputs": f"metric {index}"})
    _model_error(ctx, b"{}")
    cloudwatch = ctx.client("cloudwatch")
    now = datetime.now(timezone.utc)
    dims = [{"Name": "EndpointName", "Value": "qwen"}, {"Name": "VariantName", "Value": "AllTraffic"}]

    def total(metric: str) -> float:
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/SageMaker",
            MetricName=metric,
            Dimensions=dims,
            StartTime=now - timedelta(minutes=5),
            EndTime=now + timedelta(minutes=5),
            Period=60,
            Statistics=["Sum"],
        )["Datapoints"]
        return sum(point["Sum"] for point in points)

    assert total("Invocations") == 4
    assert total("Invocation4XXErrors") == 1
    assert total("Invocation5XXErrors") == 0


def test_an_outside_moto_reset_leaves_no_serving_ghosts(ctx):
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()  # e.g. a mock_aws context in the same process ended
    with pytest.raises(ClientError) as exc:
        invoke_json(ctx, "qwen", {"inputs": "hi"})
    assert exc.value.response["Error"]["Code"] == "ValidationError"
