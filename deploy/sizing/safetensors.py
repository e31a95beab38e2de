"""Exact weight bytes from safetensors headers: read the 8-byte length and the JSON header, never the tensors.

The same two functions (``tensor_bytes``, ``dtype_counts``) count a local file's header and a header read from
the Hub by range requests (``deploy.sizing.hub``), so both give the same bytes for the same checkpoint.

Rule: a checkpoint's size on the GPU is the sum of its tensors' byte sizes (dtype width x element count) as
the header states them; reading a few KB per shard is enough and stays fast for 100 GB checkpoints.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from deploy.errors import SpecError
from deploy.secrets.masking import scrub

SAFETENSORS_DTYPE_BYTES = {
    "F64": 8,
    "I64": 8,
    "U64": 8,
    "F32": 4,
    "I32": 4,
    "U32": 4,
    "F16": 2,
    "BF16": 2,
    "I16": 2,
    "U16": 2,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "F8_E8M0": 1,
    "I8": 1,
    "U8": 1,
    "BOOL": 1,
    "F4": 0.5,
    "F6_E2M3": 0.75,
    "F6_E3M2": 0.75,
}
MAX_HEADER_BYTES = 100 * 1024 * 1024


def _broken(path: Path, problem: str, fix: str = "re-download the checkpoint") -> SpecError:
    return SpecError(f"{path}: {problem}", field="model.id", value=str(path), fix=fix)


def read_header(path: Path) -> dict[str, Any]:
    """The JSON header of one .safetensors file."""
    with path.open("rb") as handle:
        raw_len = handle.read(8)
        if len(raw_len) != 8:
            raise _broken(
                path,
                "not a safetensors file (shorter than 8 bytes)",
                "remove the broken file or re-download the checkpoint",
            )
        (length,) = struct.unpack("<Q", raw_len)
        if length > MAX_HEADER_BYTES:
            raise _broken(path, f"safetensors header length {length} is implausible")
        raw = handle.read(length)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _broken(path, f"safetensors header is not valid JSON ({exc})") from None
    except RecursionError:
        raise _broken(path, "safetensors header nests too deeply to be a tensor table") from None
    if not isinstance(header, dict):
        raise _broken(path, "safetensors header is not a JSON object")
    return header


def tensor_bytes(header: Mapping[str, Any]) -> int:
    """Sum of dtype width x element count over the tensors of one header (``__metadata__`` skipped)."""
    total = 0.0
    for name, info in header.items():
        if name == "__metadata__" or not isinstance(info, Mapping):
            continue
        width = SAFETENSORS_DTYPE_BYTES.get(str(info.get("dtype")), 2)
        total += width * math.prod(_dimension(name, d) for d in _shape(name, info.get("shape", [])))
    if not total <= MAX_TENSOR_BYTES:
        raise ValueError(f"tensors add up to an implausible {total:.3g} bytes")
    return int(total)


MAX_TENSOR_BYTES = 2**50  # 1 PiB: far above any checkpoint; keeps the sum finite


def _shape(name: str, shape: Any) -> list[Any]:
    if not isinstance(shape, list):
        raise ValueError(f"tensor {scrub(name)[:80]!r}: shape is not a list")
    return shape


def _dimension(name: str, value: Any) -> int:
    """A tensor dimension: a non-negative integer (bools, floats, strings and negatives are malformed)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2**40:
        raise ValueError(
            f"tensor {scrub(name)[:80]!r}: dimension {scrub(str(value))[:40]} is not a non-negative integer"
        )
    return value


def dtype_counts(header: Mapping[str, Any]) -> dict[str, int]:
    """Elements per safetensors dtype over the tensors of one header (``{"BF16": 7615616512, ...}``)."""
    counts: dict[str, int] = {}
    for name, info in header.items():
        if name == "__metadata__" or not isinstance(info, Mapping):
            continue
        dtype = str(info.get("dtype"))
        elements = math.prod(_dimension(name, d) for d in _shape(name, info.get("shape", [])))
        counts[dtype] = counts.get(dtype, 0) + elements
    return counts


def directory_weight_bytes(directory: Path) -> int | None:
    """Exact weight bytes of every *.safetensors file in a model directory, or None when there are none."""
    files = sorted(directory.glob("*.safetensors"))
    if not files:
        return None
    total = 0
    for file in files:
        try:
            total += tensor_bytes(read_header(file))
        except (TypeError, ValueError, OverflowError) as exc:  # a shape that is not a list of integers
            raise _broken(file, f"safetensors header has a malformed tensor entry ({exc})") from None
    return total


def parameter_count_bytes(counts: Mapping[str, Any]) -> int:
    """Bytes from a ``{dtype: count}`` table (Hub safetensors.parameters, the library's ``_parameters``)."""
    total = 0.0
    for dtype, count in counts.items():
        key = str(dtype).upper().replace("BFLOAT16", "BF16").replace("FLOAT16", "F16").replace("FLOAT32", "F32")
        total += SAFETENSORS_DTYPE_BYTES.get(key, 2) * float(count)
    return int(total)
