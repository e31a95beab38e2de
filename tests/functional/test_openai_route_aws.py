"""Opt-in checks of the OpenAI-compatible route on a real endpoint (``pytest -m aws``; LMI_AWS_TESTS=1 and
LMI_AWS_ENDPOINT=<an InService endpoint>). They answer what the emulator cannot: whether AWS accepts our token
and our SigV4 signature, what an LMI v15 container streams through the route, and the real error statuses.
They create nothing and send a few short requests. Not run while building this (no account).
"""

from __future__ import annotations

import os

import pytest

from deploy.invoke.endpoint import Endpoint

openai = pytest.importorskip("openai", reason="the [openai] extra is not installed")

pytestmark = [
    pytest.mark.aws,
    pytest.mark.skipif(
        os.environ.get("LMI_AWS_TESTS") != "1" or not os.environ.get("LMI_AWS_ENDPOINT"),
        reason="set LMI_AWS_TESTS=1 and LMI_AWS_ENDPOINT=<an InService endpoint> to run",
    ),
]
MESSAGES = [{"role": "user", "content": "Say hello in five words."}]


@pytest.fixture
def endpoint() -> Endpoint:
    return Endpoint(os.environ["LMI_AWS_ENDPOINT"], region=os.environ.get("LMI_AWS_REGION"))


@pytest.mark.parametrize("sigv4", [False, True], ids=["bearer", "sigv4"])
def test_the_route_accepts_our_credentials(endpoint: Endpoint, sigv4: bool) -> None:
    client = endpoint.openai_client(hours=0.25, sigv4=sigv4, max_retries=0)
    answer = client.chat.completions.create(model="", messages=MESSAGES, max_tokens=16)
    assert answer.choices[0].message.content


def test_streams_through_our_reader_and_the_openai_client(endpoint: Endpoint) -> None:
    stream = endpoint.chat_stream(MESSAGES, route="openai", max_tokens=16)
    text = "".join(stream)
    assert text and stream.result.completion_tokens
    chunks = list(
        endpoint.openai_client(max_retries=0).chat.completions.create(
            model="", messages=MESSAGES, max_tokens=16, stream=True
        )
    )
    # an empty list here means the container's stream is not SSE (see docs/invoke.md, "could not be verified")
    assert chunks, "the openai client read no SSE chunk from the route"


def test_a_forged_token_is_refused(endpoint: Endpoint) -> None:
    creds = endpoint.openai_credentials(hours=0.25)
    client = openai.OpenAI(base_url=creds.base_url, api_key=creds.api_key[:-8] + "AAAAAAA=", max_retries=0)
    with pytest.raises(openai.APIStatusError) as err:
        client.chat.completions.create(model="", messages=MESSAGES, max_tokens=4)
    assert err.value.status_code in {400, 401, 403}
