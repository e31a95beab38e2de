"""Response streams that break on the wire: a connection closed mid-stream, or a stream that stalls.

botocore reads event streams straight from urllib3, so these failures arrive as urllib3's own exceptions (not
botocore's ``ReadTimeoutError``); they must still leave the client as typed errors with a fix. A raw socket
server plays SageMaker: one well-formed ``PayloadPart`` event, then the fault.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator

import boto3
import pytest

from deploy.aws.session import AwsContext
from deploy.bench.stub import payload_part
from deploy.invoke.endpoint import Endpoint
from deploy.invoke.errors import InvokeTimeoutError, StreamError


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += conn.recv(65536)


def _chunk(data: bytes) -> bytes:
    return f"{len(data):X}\r\n".encode() + data + b"\r\n"


Fault = Callable[[socket.socket], None]


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at the end of a test: a server thread that stalls on it gives up."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def server() -> Iterator[Callable[[Fault], str]]:
    """``server(fault)`` -> URL of a one-shot server that sends one token event, then calls ``fault(conn)``."""
    listeners: list[socket.socket] = []

    def start(fault: Fault) -> str:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listeners.append(listener)

        def serve() -> None:
            conn, _ = listener.accept()
            with conn:
                _read_request(conn)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n"
                )
                conn.sendall(_chunk(payload_part(json.dumps({"token": {"text": " hi"}}).encode() + b"\n")))
                fault(conn)

        threading.Thread(target=serve, daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}"

    yield start
    for listener in listeners:
        listener.close()


def _endpoint(url: str, read_timeout_s: float = 10.0) -> Endpoint:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    return Endpoint("ep", context=AwsContext(session, endpoint_url=url), max_attempts=1, read_timeout_s=read_timeout_s)


def test_a_connection_closed_mid_stream_is_a_stream_error(server: Callable[[Fault], str]) -> None:
    half_event = payload_part(b'{"token": {"text": " there"}}\n')

    def close_mid_event(conn: socket.socket) -> None:
        conn.sendall(f"{len(half_event):X}\r\n".encode() + half_event[:10])

    stream = _endpoint(server(close_mid_event)).stream("Hello")
    received = []
    with pytest.raises(StreamError) as info:
        for text in stream:
            received.append(text)
    assert received == [" hi"] and "connection closed" in info.value.message and info.value.fix


def test_a_stream_that_stalls_past_the_read_timeout_is_a_timeout_error(
    server: Callable[[Fault], str], release: threading.Event
) -> None:
    def stall(conn: socket.socket) -> None:
        release.wait(30)

    with pytest.raises(InvokeTimeoutError) as info:
        list(_endpoint(server(stall), read_timeout_s=0.3).stream("Hello"))
    assert info.value.exit_code == 1 and "read_timeout_s" in (info.value.fix or "")
