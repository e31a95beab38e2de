"""The endpoint client against moto (canned runtime answers, async S3 output) and injected runtime errors.

moto does not implement response streaming, so streaming runs against the small HTTP stub in
``deploy.bench.stub``, which speaks the real event-stream wire format through botocore.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError
from moto import mock_aws

from deploy.aws.session import make_context
from deploy.bench.stub import StubReply, StubRuntime, lmi_token_lines
from deploy.errors import InvokeError
from deploy.invoke.endpoint import Endpoint
from deploy.invoke.errors import (
    EndpointNotFoundError,
    InputRejectedError,
    InvokeTimeoutError,
    ModelOutOfMemoryError,
    OverloadedError,
    StreamError,
)

MOTO_API = "http://motoapi.amazonaws.com/moto-api/static/sagemaker"


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    with mock_aws():
        yield Endpoint("qwen", context=make_context(region="us-east-1"), max_attempts=1)


def _queue(results: list[dict[str, Any]]) -> None:
    payload = {"account_id": "123456789012", "region": "us-east-1", "results": results}
    assert requests.post(f"{MOTO_API}/endpoint-results", json=payload, timeout=5).status_code == 201


def test_generate_parses_a_canned_lmi_answer(endpoint: Endpoint) -> None:
    body = {"generated_text": "Paris.", "details": {"finish_reason": "stop", "generated_tokens": 2}}
    _queue([{"Body": json.dumps(body), "ContentType": "application/json"}])
    result = endpoint.generate("The capital of France is", max_new_tokens=4)
    assert (result.text, result.finish_reason, result.completion_tokens) == ("Paris.", "stop", 2)
    assert result.latency_s > 0


def test_chat_parses_a_canned_chat_completion(endpoint: Endpoint) -> None:
    body = {
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi!"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
    }
    _queue([{"Body": json.dumps(body), "ContentType": "application/json"}])
    result = endpoint.chat([{"role": "user", "content": "hello"}], max_tokens=8)
    assert result.message == {"role": "assistant", "content": "Hi!"}
    assert (result.prompt_tokens, result.completion_tokens) == (9, 2)


def test_submit_uploads_the_body_and_reads_the_async_output(endpoint: Endpoint) -> None:
    payload = {"results": [{"data": json.dumps({"generated_text": "later"}), "is_failure": False}],
               "account_id": "123456789012", "region": "us-east-1"}  # fmt: skip
    assert requests.post(f"{MOTO_API}/async-endpoint-results", json=payload, timeout=5).status_code == 201
    job = endpoint.submit("Tell me later", max_new_tokens=4)
    assert job.input_location.startswith("s3://sagemaker-us-east-1-123456789012/lmi-deploy/async-inputs/")
    uploaded = endpoint.gateway.get_object(job.input_location)
    assert uploaded is not None and json.loads(uploaded)["inputs"] == "Tell me later"
    result = job.wait(timeout_s=5, poll_s=0.01)
    assert result.text == "later"


def test_submit_raises_the_async_failure(endpoint: Endpoint) -> None:
    payload = {"results": [{"data": "CUDA out of memory", "is_failure": True}],
               "account_id": "123456789012", "region": "us-east-1"}  # fmt: skip
    requests.post(f"{MOTO_API}/async-endpoint-results", json=payload, timeout=5)
    job = endpoint.submit([{"role": "user", "content": "hi"}], input_s3_uri=_bucket_uri(endpoint))
    with pytest.raises(ModelOutOfMemoryError):
        job.wait(timeout_s=5, poll_s=0.01)


def _bucket_uri(endpoint: Endpoint) -> str:
    endpoint.gateway.context.client("s3").create_bucket(Bucket="inputs")
    return "s3://inputs/req.json"


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self.body


def _fail_with(endpoint: Endpoint, status: int, code: str, body: dict[str, Any]) -> None:
    def hook(request: Any, **kwargs: Any) -> AWSResponse:
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code}
        return AWSResponse(request.url, status, headers, _Raw(json.dumps(body).encode()))

    endpoint.gateway.client.meta.events.register_first("before-send.sagemaker-runtime.InvokeEndpoint", hook)


@pytest.mark.parametrize(
    ("status", "code", "body", "expected"),
    [
        (424, "ModelError", {"Message": "Received server error (507)", "OriginalStatusCode": 507,
                             "OriginalMessage": '{"code":507,"message":"CUDA out of memory"}'},
         ModelOutOfMemoryError),
        (424, "ModelError", {"Message": "x", "OriginalStatusCode": 424,
                             "OriginalMessage": '{"code":424,"error":"Input parsing failed"}'},
         InputRejectedError),
        (400, "ValidationError", {"Message": "Endpoint qwen of account 123456789012 not found."},
         EndpointNotFoundError),
        (400, "ThrottlingException", {"Message": "Rate exceeded"}, OverloadedError),
        (503, "ServiceUnavailable", {"Message": "busy"}, OverloadedError),
    ],
)  # fmt: skip
def test_runtime_errors_become_typed_errors(
    endpoint: Endpoint, status: int, code: str, body: dict[str, Any], expected: type[InvokeError]
) -> None:
    _fail_with(endpoint, status, code, body)
    with pytest.raises(expected) as info:
        endpoint.generate("hello")
    assert info.value.fix and info.value.exit_code == 1


def test_a_read_timeout_becomes_an_invoke_timeout(endpoint: Endpoint) -> None:
    def hook(request: Any, **kwargs: Any) -> None:
        raise ReadTimeoutError(endpoint_url=request.url)

    endpoint.gateway.client.meta.events.register_first("before-send.sagemaker-runtime.InvokeEndpoint", hook)
    with pytest.raises(InvokeTimeoutError) as info:
        endpoint.generate("hello")
    assert "--stream" in (info.value.fix or "")


# -- streaming through botocore's event-stream parser, against the stub ------------------------------------


def _stub_endpoint(stub: StubRuntime) -> Endpoint:
    return Endpoint("qwen", context=make_context(region="us-east-1", endpoint_url=stub.url), max_attempts=1)


def test_stream_reassembles_lines_split_across_payload_parts() -> None:
    data = b"".join(lmi_token_lines(6, word="é"))
    parts = [data[i : i + 7] for i in range(0, len(data), 7)]  # cuts inside JSON and inside "é"

    with StubRuntime(lambda path, request: StubReply(parts=parts)) as stub:
        stream = _stub_endpoint(stub).stream("hi", max_new_tokens=6)
        pieces = list(stream)
    assert "".join(pieces) == "".join(f" é{i}" for i in range(6))
    assert stream.result.completion_tokens == 6 and stream.result.finish_reason == "length"
    assert len(stream.token_times) == 6 and stream.token_times == sorted(stream.token_times)
    assert stub.requests[0][1]["stream"] is True


def test_stream_error_event_raises_stream_error_after_the_text_so_far() -> None:
    reply = StubReply(parts=lmi_token_lines(3)[:2], stream_failure=("ModelStreamError", "engine died"))
    received: list[str] = []
    with StubRuntime(lambda path, request: reply) as stub, pytest.raises(StreamError, match="engine died"):
        for text in _stub_endpoint(stub).stream("hi"):
            received.append(text)
    assert received == [" tok0", " tok1"]


def test_mid_stream_error_object_raises_stream_error() -> None:
    parts = [*lmi_token_lines(2)[:1], b'{"error": "CUDA out of memory", "code": 507}\n']
    with (
        StubRuntime(lambda path, request: StubReply(parts=parts)) as stub,
        pytest.raises(StreamError) as info,
    ):
        list(_stub_endpoint(stub).chat_stream("hi"))
    assert info.value.status == 507


def test_model_error_before_the_stream_starts_is_classified() -> None:
    body = json.dumps({"Message": "x", "OriginalStatusCode": 503, "OriginalMessage": "queue full"}).encode()
    reply = StubReply(status=424, body=body, error_type="ModelError")
    with StubRuntime(lambda path, request: reply) as stub, pytest.raises(OverloadedError):
        _stub_endpoint(stub).stream("hi")


def test_threads_starting_together_share_one_gateway_and_client() -> None:
    import threading

    endpoint = Endpoint("qwen", context=make_context(region="us-east-1", endpoint_url="http://127.0.0.1:9"))
    barrier, seen = threading.Barrier(16), []

    def grab() -> None:
        barrier.wait()
        seen.append(endpoint.gateway.client)

    threads = [threading.Thread(target=grab) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 16 and len({id(client) for client in seen}) == 1
