"""Opt-in checks against a real LMI v15 endpoint (``pytest -m aws``; needs LMI_AWS_TESTS=1 and LMI_AWS_ENDPOINT).

These are the paths no fake can prove: the real response-stream framing, real container errors, real timing.
They create nothing (the endpoint must already be InService) and send a handful of short requests.
"""

from __future__ import annotations

import os

import pytest

from deploy.bench import BenchConfig, run_bench
from deploy.invoke.endpoint import Endpoint
from deploy.invoke.errors import EndpointNotFoundError, PromptTooLongError

pytestmark = [
    pytest.mark.aws,
    pytest.mark.skipif(
        os.environ.get("LMI_AWS_TESTS") != "1" or not os.environ.get("LMI_AWS_ENDPOINT"),
        reason="set LMI_AWS_TESTS=1 and LMI_AWS_ENDPOINT=<an InService LMI v15 endpoint> to run",
    ),
]


@pytest.fixture
def endpoint() -> Endpoint:
    # aws-marked tests keep the caller's AWS settings (tests/conftest.py fakes credentials for all other tests)
    return Endpoint(os.environ["LMI_AWS_ENDPOINT"], region=os.environ.get("LMI_AWS_REGION"))


def test_generate_chat_and_streams(endpoint: Endpoint) -> None:
    assert endpoint.generate("The capital of France is", max_new_tokens=8).text
    assert endpoint.chat("Say hello", max_tokens=8).text
    stream = endpoint.chat_stream("Count to five", max_tokens=16)
    assert "".join(stream) == stream.result.text and stream.ttft_s is not None


def test_real_errors_are_typed(endpoint: Endpoint) -> None:
    with pytest.raises(EndpointNotFoundError):
        Endpoint("lmi-deploy-no-such-endpoint", region=os.environ.get("LMI_AWS_REGION")).generate("x")
    with pytest.raises(PromptTooLongError):
        endpoint.generate("word " * 300_000, max_new_tokens=4)


def test_a_small_benchmark_completes(endpoint: Endpoint) -> None:
    report = run_bench(endpoint, BenchConfig(concurrency=(1, 2), requests=4, output_tokens=16, input_tokens=32))
    assert all(level.completed == 4 for level in report.levels)
