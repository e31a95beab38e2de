"""A tiny stand-in for the SageMaker runtime API that serves LMI-shaped answers over real HTTP.

Why it exists: to measure the load generator itself (``benchmarks/bench_overhead.py``) and to test the
streaming path end to end through botocore, we need a server that speaks the runtime's wire format, including
the binary ``application/vnd.amazon.eventstream`` framing of ``InvokeEndpointWithResponseStream``. moto does
not implement streaming. The embedded emulator (``deploy.local``) is the full fake; this stub is 150 lines
with no dependency beyond the standard library, and answers with zero model latency unless asked otherwise.
"""

from __future__ import annotations

import binascii
import json
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return struct.pack("!B", len(raw_name)) + raw_name + b"\x07" + struct.pack("!H", len(raw_value)) + raw_value


def encode_event(payload: bytes, headers: dict[str, str]) -> bytes:
    """One AWS event-stream message: prelude, prelude CRC, string headers, payload, message CRC."""
    header_bytes = b"".join(_header(k, v) for k, v in headers.items())
    total = 12 + len(header_bytes) + len(payload) + 4
    prelude = struct.pack("!II", total, len(header_bytes))
    prelude += struct.pack("!I", binascii.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + header_bytes + payload
    return message + struct.pack("!I", binascii.crc32(message) & 0xFFFFFFFF)


def payload_part(data: bytes) -> bytes:
    """A ``PayloadPart`` event carrying ``data``."""
    headers = {
        ":event-type": "PayloadPart",
        ":content-type": "application/octet-stream",
        ":message-type": "event",
    }
    return encode_event(data, headers)


def stream_error(code: str, message: str) -> bytes:
    """A ``ModelStreamError`` / ``InternalStreamFailure`` exception event."""
    headers = {":exception-type": code, ":content-type": "application/json", ":message-type": "exception"}
    return encode_event(json.dumps({"Message": message, "ErrorCode": code}).encode(), headers)


@dataclass
class StubReply:
    """What the stub sends: a status, JSON/bytes body, or a list of stream parts (raw line bytes)."""

    status: int = 200
    body: bytes = b""
    parts: list[bytes] = field(default_factory=list)
    error_type: str | None = None
    stream_failure: tuple[str, str] | None = None


def lmi_token_lines(n_tokens: int, *, word: str = "tok") -> list[bytes]:
    """``n_tokens`` LMI token-stream lines; the last one carries ``generated_text`` and the finish reason."""
    lines = []
    for index in range(n_tokens):
        last = index == n_tokens - 1
        line = {
            "index": index,
            "token": {"id": index, "text": f" {word}{index}", "logprob": -0.1},
            "generated_text": "".join(f" {word}{i}" for i in range(n_tokens)) if last else None,
            "details": {"finish_reason": "length", "generated_tokens": n_tokens} if last else None,
        }
        lines.append(json.dumps(line).encode() + b"\n")
    return lines


def default_responder(path: str, request: dict[str, Any]) -> StubReply:
    """Answer like LMI v15: token lines for streams, ``generated_text`` or a chat completion otherwise."""
    params = request.get("parameters") or {}
    n_tokens = int(params.get("max_new_tokens") or request.get("max_tokens") or 30)
    if path.endswith("invocations-response-stream"):
        return StubReply(parts=lmi_token_lines(n_tokens))
    text = "".join(f" tok{i}" for i in range(n_tokens))
    if "messages" in request:
        usage = {"prompt_tokens": 3, "completion_tokens": n_tokens, "total_tokens": 3 + n_tokens}
        choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "length"}
        return StubReply(body=json.dumps({"object": "chat.completion", "choices": [choice], "usage": usage}).encode())
    return StubReply(body=json.dumps({"generated_text": text}).encode())


class StubRuntime:
    """``with StubRuntime() as stub: AwsContext(session, endpoint_url=stub.url)``; ``itl_s`` delays tokens."""

    def __init__(
        self,
        responder: Callable[[str, dict[str, Any]], StubReply] = default_responder,
        *,
        ttft_s: float = 0.0,
        itl_s: float = 0.0,
    ) -> None:
        self.responder = responder
        self.ttft_s = ttft_s
        self.itl_s = itl_s
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._server = _QuietServer(("127.0.0.1", 0), _Handler)
        self._server.stub = self
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> StubRuntime:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up early (a failed test, an aborted stream) are normal here: no traceback.

    The listen backlog is raised from http.server's 5 so that 64+ clients connecting at once are not refused.
    """

    request_queue_size = 256
    stub: StubRuntime

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _QuietServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        stub = self.server.stub
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        stub.requests.append((self.path, request))
        reply = stub.responder(self.path, request)
        if reply.status != 200:
            headers = {"Content-Type": "application/json", "x-amzn-ErrorType": reply.error_type or "ModelError"}
            self._send(reply.status, reply.body, headers)
        elif reply.parts or reply.stream_failure:
            self._send_stream(reply, stub.ttft_s, stub.itl_s)
        else:
            self._send(200, reply.body, {"Content-Type": "application/json"})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_stream(self, reply: StubReply, ttft_s: float, itl_s: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.amazon.eventstream")
        self.send_header("X-Amzn-SageMaker-Content-Type", "application/jsonlines")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for index, event in enumerate(_events(reply)):
            delay = ttft_s if index == 0 else itl_s
            if delay:
                time.sleep(delay)
            self.wfile.write(f"{len(event):X}\r\n".encode() + event + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")


def _events(reply: StubReply) -> Iterator[bytes]:
    for part in reply.parts:
        yield payload_part(part)
    if reply.stream_failure:
        yield stream_error(*reply.stream_failure)
