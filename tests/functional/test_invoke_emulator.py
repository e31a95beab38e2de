"""The endpoint client and the benchmark against the embedded emulator: real LMI-shaped answers, streaming,
injected faults and async inference, all through the same botocore code path that talks to AWS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from deploy.bench import BenchConfig, Slo, run_bench
from deploy.bench.pricing import capacity_and_price
from deploy.invoke.endpoint import Endpoint
from deploy.invoke.errors import (
    EndpointNotFoundError,
    InvokeError,
    PromptTooLongError,
    StreamError,
)

local = pytest.importorskip("deploy.local", reason="the embedded emulator (deploy.local) is not available")
if not hasattr(local, "Emulator"):  # pragma: no cover - only while the emulator is being built
    pytest.skip("deploy.local.Emulator is not available yet", allow_module_level=True)

ROLE = "arn:aws:iam::123456789012:role/lmi"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.33.0-lmi15.0.0-cu128"


def _deploy(ctx: Any, name: str, *, async_output: str | None = None) -> None:
    sagemaker = ctx.client("sagemaker")
    environment = {"HF_MODEL_ID": "Qwen/Qwen2.5-7B-Instruct", "OPTION_MAX_MODEL_LEN": "4096"}
    sagemaker.create_model(ModelName=f"{name}-m", ExecutionRoleArn=ROLE,
                           PrimaryContainer={"Image": IMAGE, "Environment": environment})  # fmt: skip
    variant = {"VariantName": "AllTraffic", "ModelName": f"{name}-m", "InstanceType": "ml.g6e.xlarge",
               "InitialInstanceCount": 2}  # fmt: skip
    extra: dict[str, Any] = {}
    if async_output:
        extra["AsyncInferenceConfig"] = {"OutputConfig": {"S3OutputPath": async_output}}
    sagemaker.create_endpoint_config(EndpointConfigName=f"{name}-c", ProductionVariants=[variant], **extra)
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-c")


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    with local.Emulator(time_scale=0) as emu:
        _deploy(emu.context(), "qwen")
        yield emu


@pytest.fixture
def endpoint(emulator: Any) -> Endpoint:
    return Endpoint("qwen", context=emulator.context(), max_attempts=1)


def test_generate_and_chat_return_text_and_token_counts(endpoint: Endpoint) -> None:
    generation = endpoint.generate("Hello there", max_new_tokens=5, details=True)
    assert generation.text and generation.completion_tokens == 5 and generation.finish_reason == "length"
    chat = endpoint.chat("Hello", max_tokens=4)
    assert chat.text and chat.completion_tokens == 4 and chat.prompt_tokens


def test_streams_yield_the_same_text_as_their_result(endpoint: Endpoint) -> None:
    for stream in (endpoint.stream("Hello", max_new_tokens=6), endpoint.chat_stream("Hello", max_tokens=6)):
        pieces = list(stream)
        assert "".join(pieces) == stream.result.text
        assert stream.result.completion_tokens == 6 == len(stream.token_times)


def test_unknown_endpoint_and_long_prompt_are_explained(emulator: Any, endpoint: Endpoint) -> None:
    with pytest.raises(EndpointNotFoundError):
        Endpoint("missing", context=emulator.context()).generate("x")
    with pytest.raises(PromptTooLongError) as info:
        endpoint.generate("word " * 5000, max_new_tokens=4)
    assert "max_model_len" in (info.value.fix or "")


def test_injected_faults_surface_as_typed_errors(emulator: Any, endpoint: Endpoint) -> None:
    emulator.inject_fault("InvokeEndpointWithResponseStream", code="ModelStreamError")
    with pytest.raises(StreamError):
        list(endpoint.stream("Hello", max_new_tokens=20))
    emulator.inject_fault("InvokeEndpoint", code="ModelError", message="boom")
    with pytest.raises(InvokeError, match="boom"):
        endpoint.generate("Hello")


def test_submit_waits_for_the_async_output(emulator: Any) -> None:
    ctx = emulator.context()
    ctx.client("s3").create_bucket(Bucket="async-out")
    _deploy(ctx, "qwen-async", async_output="s3://async-out/results/")
    job = Endpoint("qwen-async", context=ctx).submit("Hello later", max_new_tokens=3)
    result = job.wait(timeout_s=10, poll_s=0.02)
    assert result.text and job.output_location.startswith("s3://async-out/results/")


def test_a_failed_async_request_is_a_typed_error_with_the_containers_status(emulator: Any) -> None:
    ctx = emulator.context()
    ctx.client("s3").create_bucket(Bucket="async-fail")
    _deploy(ctx, "qwen-async-fail", async_output="s3://async-fail/results/")
    endpoint = Endpoint("qwen-async-fail", context=ctx)
    with pytest.raises(PromptTooLongError) as info:
        endpoint.submit("word " * 5000, max_new_tokens=4).wait(timeout_s=10, poll_s=0.02)
    assert info.value.status == 424 and "(HTTP 424): invoke handler failure: This model's" in info.value.message
    with pytest.raises(PromptTooLongError) as info:
        endpoint.submit([{"role": "user", "content": "word " * 5000}], max_tokens=4).wait(timeout_s=10, poll_s=0.02)
    assert info.value.status == 400 and '"object"' not in info.value.message


def test_real_time_calls_to_an_async_endpoint_say_what_to_change(emulator: Any) -> None:
    """SageMaker answers InvokeEndpoint(WithResponseStream) on an async endpoint with a ValidationError."""
    ctx = emulator.context()
    ctx.client("s3").create_bucket(Bucket="async-only")
    _deploy(ctx, "qwen-async-only", async_output="s3://async-only/results/")
    endpoint = Endpoint("qwen-async-only", context=ctx, max_attempts=1)
    for call in (lambda: endpoint.generate("Hi"), lambda: list(endpoint.chat_stream("Hi", max_tokens=2))):
        with pytest.raises(InvokeError) as info:
            call()
        assert "asynchronous" in info.value.message and "submit()" in (info.value.fix or "")
    assert endpoint.submit("Hi", max_new_tokens=2).wait(timeout_s=10, poll_s=0.02).text


def test_submit_to_a_real_time_endpoint_says_what_to_change(emulator: Any, endpoint: Endpoint) -> None:
    emulator.context().client("s3").create_bucket(Bucket="real-time-in")
    with pytest.raises(InvokeError) as info:
        endpoint.submit("Hello", max_new_tokens=3, input_s3_uri="s3://real-time-in/in.json")
    assert "async_inference" in (info.value.fix or "") and "retry" not in (info.value.fix or "")


def test_bench_reads_capacity_and_price_and_measures_every_level(endpoint: Endpoint) -> None:
    wanted = BenchConfig(concurrency=(1, 4), requests=8, output_tokens=8, input_tokens=16, slo=Slo(ttft_s=5.0))
    config = capacity_and_price(endpoint, wanted, None, None)
    assert (config.instance_type, config.instance_count) == ("ml.g6e.xlarge", 2)
    report = run_bench(endpoint, config)
    assert [level.level for level in report.levels] == [1.0, 4.0]
    for level in report.levels:
        assert level.completed == 8 and level.failed == 0
        assert level.output_tokens == 64 and level.ttft.count == 8 and level.itl.count == 8 * 7
        assert level.goodput_requests_per_s is not None and level.goodput_requests_per_s > 0
        if config.price_per_hour is not None:
            assert level.cost_per_million_output_tokens is not None
