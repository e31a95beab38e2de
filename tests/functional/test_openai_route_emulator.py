"""The OpenAI-compatible route of the emulator, driven by the real ``openai`` package.

Nothing of ours sits between the client and the route in the tests of the first block: the clients are built
here from ``openai.OpenAI(base_url=..., api_key=...)`` with a token from :func:`deploy.aws.bearer.build_token`,
so a mistake in our own client code cannot hide a mistake in the route. Then the same through our wrappers
(``Endpoint.openai_client()``, SigV4 signing, ``Endpoint.chat(route="openai")``).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.credentials import Credentials

from deploy.aws.bearer import build_token
from deploy.errors import UsageError
from deploy.invoke.endpoint import Endpoint
from deploy.invoke.errors import EndpointNotFoundError, PromptTooLongError
from deploy.local import Emulator
from deploy.local.testing import deploy

openai = pytest.importorskip("openai", reason="the [openai] extra is not installed")

EMULATOR_CREDS = Credentials("testing", "testing")
MESSAGES = [{"role": "user", "content": "Say hello."}]


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(time_scale=0) as emu:
        ctx = emu.context()
        deploy(ctx, "chat-ep")
        yield emu


def base_url(emu: Emulator, name: str = "chat-ep") -> str:
    return f"{emu.endpoint_url}/endpoints/{name}/openai/v1"


def token(region: str = "us-east-1", **kwargs: Any) -> str:
    return build_token(EMULATOR_CREDS, region, **kwargs).token


def client(emu: Emulator, api_key: str | None = None, name: str = "chat-ep") -> Any:
    return openai.OpenAI(base_url=base_url(emu, name), api_key=api_key or token(), max_retries=0)


def test_non_streamed_chat_completion(emulator: Emulator) -> None:
    answer = client(emulator).chat.completions.create(model="", messages=MESSAGES, max_tokens=6)
    assert answer.object == "chat.completion"
    assert answer.choices[0].message.role == "assistant"
    assert answer.choices[0].message.content.startswith("[emulated]")
    assert answer.choices[0].finish_reason == "length"
    assert answer.usage.completion_tokens == 6 and answer.usage.prompt_tokens > 0
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + 6


def test_streamed_chat_completion_with_usage_in_the_last_chunk(emulator: Emulator) -> None:
    stream = client(emulator).chat.completions.create(
        model="", messages=MESSAGES, max_tokens=7, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("[emulated]")
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 7
    assert all(c.usage is None for c in chunks[:-1])
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
    non_streamed = client(emulator).chat.completions.create(model="", messages=MESSAGES, max_tokens=7)
    assert text == non_streamed.choices[0].message.content  # the same deterministic answer either way


def test_streamed_chat_without_usage_sends_none(emulator: Emulator) -> None:
    chunks = list(client(emulator).chat.completions.create(model="", messages=MESSAGES, max_tokens=3, stream=True))
    assert chunks and all(c.usage is None for c in chunks) and all(c.choices for c in chunks)


def test_the_wire_format_is_sse_ending_with_done(emulator: Emulator) -> None:
    body = json.dumps({"messages": MESSAGES, "max_tokens": 3, "stream": True}).encode()
    request = urllib.request.Request(
        base_url(emulator) + "/chat/completions",
        data=body,
        headers={"Authorization": f"Bearer {token()}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        raw = response.read().decode()
    events = raw.split("\n\n")
    assert events[-1] == "" and events[-2] == "data: [DONE]"
    payloads = [json.loads(e.removeprefix("data: ")) for e in events[:-2]]
    assert all(e.startswith("data: ") for e in events[:-1])
    assert {p["object"] for p in payloads} == {"chat.completion.chunk"}


def _expired_token() -> str:
    return token(expires_s=60, now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5))


def _wrong_secret_token() -> str:
    return build_token(Credentials("testing", "not-the-secret"), "us-east-1").token


def _unknown_key_token() -> str:
    return build_token(Credentials("AKIAOTHER", "testing"), "us-east-1").token


@pytest.mark.parametrize(
    "api_key",
    [
        "sk-not-a-sagemaker-key",
        "sagemaker-api-key-" + base64.b64encode(b"garbage").decode(),
        "sagemaker-api-key-%%%",
        _expired_token(),
        _wrong_secret_token(),
        _unknown_key_token(),
    ],
    ids=["openai-style", "garbage", "not-base64", "expired", "wrong-secret", "unknown-key"],
)
def test_bad_tokens_are_refused_with_401(emulator: Emulator, api_key: str) -> None:
    with pytest.raises(openai.AuthenticationError) as err:
        client(emulator, api_key=api_key).chat.completions.create(model="", messages=MESSAGES, max_tokens=2)
    assert err.value.status_code == 401
    assert api_key not in str(err.value)  # the credential is never echoed back


def test_unknown_endpoint_is_404(emulator: Emulator) -> None:
    with pytest.raises(openai.NotFoundError) as err:
        client(emulator, name="no-such-endpoint").chat.completions.create(model="", messages=MESSAGES)
    assert "no-such-endpoint" in str(err.value)


def test_a_token_for_another_region_finds_no_endpoint(emulator: Emulator) -> None:
    with pytest.raises(openai.NotFoundError):
        client(emulator, api_key=token("eu-west-1")).chat.completions.create(model="", messages=MESSAGES)


@pytest.mark.parametrize(
    "extra",
    [
        {"messages": []},
        {"messages": [{"content": "no role"}]},
        {"max_tokens": 0},
        {"max_tokens": 10**7},
        {"stop": 5},
        {"stream_options": {"include_usage": True}},  # only allowed with stream=true
    ],
)
def test_bad_requests_are_400(emulator: Emulator, extra: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {"model": "", "messages": MESSAGES, **extra}
    with pytest.raises(openai.BadRequestError) as err:
        client(emulator).chat.completions.create(**kwargs)
    assert err.value.status_code == 400


def test_a_body_without_messages_is_400(emulator: Emulator) -> None:
    body = json.dumps({"inputs": "LMI schema is not chat"}).encode()
    request = urllib.request.Request(
        base_url(emulator) + "/chat/completions", data=body, headers={"Authorization": f"Bearer {token()}"}
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=10)
    assert err.value.code == 400 and "messages" in json.loads(err.value.read())["message"]


def test_the_async_client_streams_too(emulator: Emulator) -> None:
    async def run() -> str:
        aclient = openai.AsyncOpenAI(base_url=base_url(emulator), api_key=token(), max_retries=0)
        stream = await aclient.chat.completions.create(model="", messages=MESSAGES, max_tokens=4, stream=True)
        return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    assert asyncio.run(run()).startswith("[emulated]")


# -- through lmi-deploy's own helpers ------------------------------------------------------------------


@pytest.fixture
def endpoint(emulator: Emulator) -> Endpoint:
    return Endpoint("chat-ep", context=emulator.context(), max_attempts=1)


def test_endpoint_openai_client_with_a_bearer_token(endpoint: Endpoint) -> None:
    answer = endpoint.openai_client(hours=1).chat.completions.create(model="", messages=MESSAGES, max_tokens=3)
    assert answer.usage.completion_tokens == 3


def test_endpoint_openai_client_signed_with_sigv4(endpoint: Endpoint) -> None:
    answer = endpoint.openai_client(sigv4=True).chat.completions.create(model="", messages=MESSAGES, max_tokens=3)
    assert answer.choices[0].message.content.startswith("[emulated]")


def test_a_wrongly_signed_sigv4_request_is_refused(emulator: Emulator) -> None:
    from deploy.local.background import fake_session

    session = fake_session("us-east-1")
    session._session.set_credentials("testing", "wrong-secret")
    ep = Endpoint("chat-ep", context=emulator.context(), session=None)
    ep.gateway.context.session = session
    with pytest.raises(openai.PermissionDeniedError):
        ep.openai_client(sigv4=True, max_retries=0).chat.completions.create(model="", messages=MESSAGES)


def test_async_client_from_the_endpoint(endpoint: Endpoint) -> None:
    async def run() -> int:
        answer = await endpoint.openai_async_client(sigv4=True).chat.completions.create(
            model="", messages=MESSAGES, max_tokens=2
        )
        return int(answer.usage.completion_tokens)

    assert asyncio.run(run()) == 2


def test_endpoint_chat_over_the_route_matches_invoke_endpoint(endpoint: Endpoint) -> None:
    routed = endpoint.chat(MESSAGES, route="openai", max_tokens=5)
    invoked = endpoint.chat(MESSAGES, max_tokens=5)
    assert routed.text == invoked.text and routed.completion_tokens == 5


def test_endpoint_chat_stream_over_the_route(endpoint: Endpoint) -> None:
    stream = endpoint.chat_stream(MESSAGES, route="openai", max_tokens=6)
    text = "".join(stream)
    assert text == stream.result.text and stream.result.completion_tokens == 6
    assert len(stream.token_times) == 6 and stream.result.prompt_tokens


def test_route_errors_are_typed(endpoint: Endpoint, emulator: Emulator) -> None:
    with pytest.raises(EndpointNotFoundError):
        Endpoint("missing", context=emulator.context()).chat(MESSAGES, route="openai")
    with pytest.raises(PromptTooLongError):
        endpoint.chat(MESSAGES, route="openai", max_tokens=10**7)
    with pytest.raises(UsageError):
        endpoint.chat(MESSAGES, route="bedrock")  # type: ignore[arg-type]


def test_credentials_point_at_the_emulator(endpoint: Endpoint, emulator: Emulator) -> None:
    creds = endpoint.openai_credentials(hours=2)
    assert creds.base_url == base_url(emulator)
    assert creds.api_key.startswith("sagemaker-api-key-") and creds.api_key not in repr(creds)
    remaining = creds.expires_at - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(hours=2) - dt.timedelta(seconds=5) < remaining <= dt.timedelta(hours=2)


def test_openai_client_without_the_extra_says_how_to_install(
    endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)  # what a missing package looks like to import
    for make in (endpoint.openai_client, endpoint.openai_async_client):
        with pytest.raises(UsageError) as err:
            make()
        assert err.value.fix == "pip install 'lmi-deploy[openai]'" and err.value.exit_code == 2
