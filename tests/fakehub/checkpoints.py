"""Safetensors checkpoints for the fake Hub: a real header (JSON with dtypes, shapes, data offsets) over zero bytes.

A checkpoint of billions of parameters is described by its header alone: :class:`VirtualFile` serves the header and
then as many zero bytes as the offsets say, computed on demand, so a 15 GB "file" costs a few kB of memory and a
test can tell a header read (a small range) from a weight download (anything past the header).
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WIDTH = {"F32": 4, "BF16": 2, "F16": 2, "F8_E4M3": 1, "I8": 1, "U8": 1, "I32": 4}


@dataclass(frozen=True)
class VirtualFile:
    """``prefix`` (8-byte length + header) followed by ``size - len(prefix)`` zero bytes."""

    prefix: bytes
    size: int

    def read(self, start: int, end: int) -> bytes:
        """Bytes ``start..end`` inclusive, like an HTTP range."""
        end = min(end, self.size - 1)
        head = self.prefix[start : end + 1] if start < len(self.prefix) else b""
        return head + b"\0" * (end + 1 - start - len(head))

    @property
    def header_length(self) -> int:
        return len(self.prefix)


def header_bytes(tensors: dict[str, tuple[str, list[int]]], metadata: dict[str, str] | None = None) -> VirtualFile:
    """A safetensors file for ``{name: (dtype, shape)}``: its header, then zero bytes for the data."""
    header: dict[str, Any] = {"__metadata__": metadata or {"format": "pt"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        size = WIDTH[dtype] * math.prod(shape)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # the format pads the header to 8 bytes
    prefix = struct.pack("<Q", len(raw)) + raw
    return VirtualFile(prefix, len(prefix) + offset)


def decoder_tensors(config: dict[str, Any], dtype: str = "BF16") -> dict[str, tuple[str, list[int]]]:
    """The tensors of a Llama/Qwen-style decoder as its config describes it (enough for exact-byte tests)."""
    h, layers, inter = config["hidden_size"], config["num_hidden_layers"], config["intermediate_size"]
    heads = config["num_attention_heads"]
    kv = config.get("num_key_value_heads", heads)
    head_dim = config.get("head_dim") or h // heads
    vocab = config["vocab_size"]
    out: dict[str, tuple[str, list[int]]] = {"model.embed_tokens.weight": (dtype, [vocab, h])}
    for i in range(layers):
        p = f"model.layers.{i}."
        out[p + "self_attn.q_proj.weight"] = (dtype, [heads * head_dim, h])
        out[p + "self_attn.k_proj.weight"] = (dtype, [kv * head_dim, h])
        out[p + "self_attn.v_proj.weight"] = (dtype, [kv * head_dim, h])
        out[p + "self_attn.o_proj.weight"] = (dtype, [h, heads * head_dim])
        out[p + "mlp.gate_proj.weight"] = (dtype, [inter, h])
        out[p + "mlp.up_proj.weight"] = (dtype, [inter, h])
        out[p + "mlp.down_proj.weight"] = (dtype, [h, inter])
        out[p + "input_layernorm.weight"] = (dtype, [h])
        out[p + "post_attention_layernorm.weight"] = (dtype, [h])
    out["model.norm.weight"] = (dtype, [h])
    if not config.get("tie_word_embeddings"):
        out["lm_head.weight"] = (dtype, [vocab, h])
    return out


def shard(tensors: dict[str, tuple[str, list[int]]], count: int) -> dict[str, VirtualFile | bytes]:
    """Split tensors over ``count`` shards named like transformers does, plus model.safetensors.index.json."""
    names = list(tensors)
    per = math.ceil(len(names) / count)
    files: dict[str, VirtualFile | bytes] = {}
    weight_map: dict[str, str] = {}
    total = 0
    for i in range(count):
        part = {n: tensors[n] for n in names[i * per : (i + 1) * per]}
        file_name = f"model-{i + 1:05d}-of-{count:05d}.safetensors"
        files[file_name] = header_bytes(part)
        weight_map.update(dict.fromkeys(part, file_name))
        total += sum(WIDTH[d] * math.prod(s) for d, s in part.values())
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    files["model.safetensors.index.json"] = json.dumps(index).encode()
    return files


def write_local(directory: Path, files: dict[str, VirtualFile | bytes]) -> Path:
    """The same checkpoint as a local model directory, with each safetensors file cut after its header."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content.prefix if isinstance(content, VirtualFile) else content
        (directory / name).write_bytes(data)
    return directory
