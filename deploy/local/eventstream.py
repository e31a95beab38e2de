"""Encode the AWS event-stream binary framing that SageMaker uses for ``InvokeEndpointWithResponseStream``.

Rule: produce exactly the bytes botocore's ``EventStreamBuffer`` parses (prelude with CRC, typed headers, payload,
message CRC), so client code that reads the stream is tested against the real parser rather than a fake object.
How the real service cuts the container's output into ``PayloadPart`` events: it passes each write of the container
on as it arrives, so a part usually holds one whole JSON line (LMI writes one line per token), but a line is not
guaranteed to stay whole and may straddle two parts (AWS's streaming guide, and every client's line iterator, say
so). :func:`service_parts` reproduces that: every line whole, except one in :data:`SPLIT_EVERY`, which is cut in
two, so a client that assumes whole lines fails against the emulator too. :func:`split_payload` cuts at random
sizes, for tests of the framing itself.
"""

from __future__ import annotations

import json
import random
import struct
from binascii import crc32

_STRING_HEADER_TYPE = 7
SPLIT_EVERY = 8  # one container line in this many reaches the client in two PayloadParts


def _encode_headers(headers: dict[str, str]) -> bytes:
    out = bytearray()
    for name, value in headers.items():
        name_bytes = name.encode("utf-8")
        value_bytes = value.encode("utf-8")
        out += struct.pack("!B", len(name_bytes)) + name_bytes
        out += struct.pack("!BH", _STRING_HEADER_TYPE, len(value_bytes)) + value_bytes
    return bytes(out)


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message: total length, headers length, prelude CRC, headers, payload, message CRC."""
    header_bytes = _encode_headers(headers)
    total_length = 12 + len(header_bytes) + len(payload) + 4
    prelude = struct.pack("!II", total_length, len(header_bytes))
    prelude += struct.pack("!I", crc32(prelude) & 0xFFFFFFFF)
    body = prelude + header_bytes + payload
    return body + struct.pack("!I", crc32(body) & 0xFFFFFFFF)


def payload_part(data: bytes) -> bytes:
    """A ``PayloadPart`` event carrying raw container bytes (botocore exposes them as ``PayloadPart.Bytes``)."""
    headers = {
        ":event-type": "PayloadPart",
        ":content-type": "application/octet-stream",
        ":message-type": "event",
    }
    return encode_message(headers, data)


def stream_error(error_type: str, message: str, error_code: str | None = None) -> bytes:
    """An exception event such as ``ModelStreamError`` (botocore raises it while iterating the stream)."""
    body: dict[str, str] = {"Message": message}
    if error_code:
        body["ErrorCode"] = error_code
    headers = {
        ":exception-type": error_type,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return encode_message(headers, json.dumps(body).encode("utf-8"))


def split_payload(data: bytes, rng: random.Random, max_part: int = 48) -> list[bytes]:
    """Cut ``data`` into 1..max_part byte pieces at random offsets (deterministic for a seeded ``rng``)."""
    parts: list[bytes] = []
    pos = 0
    while pos < len(data):
        size = rng.randint(1, max_part)
        parts.append(data[pos : pos + size])
        pos += size
    return parts


def service_parts(line: bytes, index: int, rng: random.Random) -> list[bytes]:
    """The PayloadPart payloads for the ``index``-th write of a stream: whole, or every SPLIT_EVERY-th cut in two
    at a random offset (deterministic for a seeded ``rng``)."""
    if index % SPLIT_EVERY != SPLIT_EVERY - 1 or len(line) < 2:
        return [line]
    cut = rng.randint(1, len(line) - 1)
    return [line[:cut], line[cut:]]
