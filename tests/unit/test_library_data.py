"""Checks on the bundled model-shape library (deploy/sizing/library/*.json).

Rule: every file is a model's published config.json plus provenance keys (``_source``, ``_notes``,
``_aliases``, ``_parameters``). The fit estimator trusts these numbers offline, so a malformed or unsourced
file must fail here, not as a wrong verdict at deploy time. The checks are structural (no number is asserted
that is not also in the file) plus the set of model ids the library promises to cover.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
LIBRARY = REPO / "deploy" / "sizing" / "library"
CALIBRATION = REPO / "benchmarks" / "data" / "kv_observations.jsonl"

REQUIRED_IDS = {
    # Models the library promises (issue 3); an id may also be satisfied by another file's _aliases.
    "meta-llama/Llama-3.1-8B-Instruct",
    "meta-llama/Llama-3.1-70B-Instruct",
    "meta-llama/Llama-3.1-405B-Instruct",
    "meta-llama/Llama-3.2-1B-Instruct",
    "meta-llama/Llama-3.2-3B-Instruct",
    "meta-llama/Llama-3.3-70B-Instruct",
    "meta-llama/Llama-4-Scout-17B-16E-Instruct",
    "mistralai/Mistral-7B-Instruct-v0.3",
    "mistralai/Mistral-Small-24B-Instruct-2501",
    "mistralai/Mixtral-8x7B-Instruct-v0.1",
    "mistralai/Mixtral-8x22B-Instruct-v0.1",
    *(f"Qwen/Qwen2.5-{size}-Instruct" for size in ("0.5B", "1.5B", "3B", "7B", "14B", "32B", "72B")),
    *(f"Qwen/Qwen3-{size}" for size in ("0.6B", "1.7B", "4B", "8B", "14B", "32B", "30B-A3B", "235B-A22B")),
    "google/gemma-2-9b-it",
    "google/gemma-2-27b-it",
    "google/gemma-3-4b-it",
    "google/gemma-3-12b-it",
    "google/gemma-3-27b-it",
    "microsoft/Phi-3-mini-4k-instruct",
    "microsoft/Phi-3-medium-4k-instruct",
    "microsoft/Phi-3.5-mini-instruct",
    "microsoft/phi-4",
    "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
    "deepseek-ai/DeepSeek-R1-Distill-Llama-70B",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B",
    "deepseek-ai/DeepSeek-V3",
    "deepseek-ai/DeepSeek-R1",
    "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
}
KNOWN_QUANT_METHODS = {"awq", "gptq", "fp8", "compressed-tensors", "bitsandbytes", "mxfp4", "modelopt"}
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*--[A-Za-z0-9][A-Za-z0-9_.-]*\.json$")


def _files() -> list[Path]:
    return sorted(LIBRARY.glob("*.json"))


@cache
def _load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: not a JSON object"
    return data


def _model_id(path: Path) -> str:
    return path.stem.replace("--", "/", 1)


def _text(config: dict[str, Any]) -> dict[str, Any]:
    """The decoder part: nested text_config for multimodal models, else the top level."""
    nested = config.get("text_config")
    return nested if isinstance(nested, dict) else config


def _kv_heads(text: dict[str, Any]) -> int:
    return int(text.get("num_key_value_heads") or text["num_attention_heads"])


FILES = _files()
IDS = [p.name for p in FILES]


def test_library_is_not_empty() -> None:
    assert len(FILES) >= len(REQUIRED_IDS)


def _known_ids() -> set[str]:
    """Lower-case ids and aliases of every library file."""
    known: set[str] = set()
    for path in FILES:
        known.add(_model_id(path).lower())
        known.update(alias.lower() for alias in _load(path).get("_aliases") or [])
    return known


def test_required_models_are_present() -> None:
    missing = sorted(m for m in REQUIRED_IDS if m.lower() not in _known_ids())
    assert not missing, f"missing library files for: {missing}"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_file_name_and_json(path: Path) -> None:
    assert FILE_NAME.match(path.name), f"{path.name}: expected <org>--<name>.json"
    _load(path)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_has_sources(path: Path) -> None:
    source = _load(path).get("_source")
    urls = [source] if isinstance(source, str) else source
    assert isinstance(urls, list) and urls, f"{path.name}: _source must name where the values were read"
    assert all(isinstance(u, str) and u.startswith("https://") for u in urls), (
        f"{path.name}: _source entries must be URLs"
    )


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_has_decoder_fields(path: Path) -> None:
    config = _load(path)
    text = _text(config)
    assert config.get("architectures") or text.get("architectures"), f"{path.name}: no architectures"
    assert config.get("model_type") or text.get("model_type"), f"{path.name}: no model_type"
    for field in ("num_hidden_layers", "num_attention_heads", "hidden_size", "vocab_size"):
        value = text.get(field)
        assert isinstance(value, int) and value > 0, f"{path.name}: {field} missing or not a positive integer"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_kv_heads_divide_attention_heads(path: Path) -> None:
    text = _text(_load(path))
    heads, kv_heads = int(text["num_attention_heads"]), _kv_heads(text)
    assert 0 < kv_heads <= heads and heads % kv_heads == 0, f"{path.name}: {heads} heads vs {kv_heads} kv heads"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_head_dim_is_consistent(path: Path) -> None:
    text = _text(_load(path))
    head_dim = text.get("head_dim")
    if head_dim is None:
        assert text["hidden_size"] % text["num_attention_heads"] == 0, f"{path.name}: head_dim not derivable"
    else:
        assert isinstance(head_dim, int) and head_dim > 0


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_moe_and_mla_fields(path: Path) -> None:
    text = _text(_load(path))
    experts = text.get("num_local_experts") or text.get("num_experts") or text.get("n_routed_experts")
    if experts:
        per_token = text.get("num_experts_per_tok")
        assert isinstance(per_token, int) and 0 < per_token <= experts, f"{path.name}: experts per token"
    if "kv_lora_rank" in text:
        assert isinstance(text["kv_lora_rank"], int) and isinstance(text.get("qk_rope_head_dim"), int)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_quantization_config(path: Path) -> None:
    config = _load(path)
    quant = config.get("quantization_config") or _text(config).get("quantization_config")
    if quant is not None:
        assert quant.get("quant_method") in KNOWN_QUANT_METHODS, f"{path.name}: unknown quant_method"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_provenance_keys(path: Path) -> None:
    config = _load(path)
    notes = config.get("_notes")
    assert notes is None or (isinstance(notes, str) and notes.strip())
    params = config.get("_parameters")
    if params is not None:
        assert isinstance(params, dict) and params
        assert all(isinstance(k, str) and isinstance(v, int) and v > 0 for k, v in params.items())
    aliases = config.get("_aliases")
    if aliases is not None:
        assert isinstance(aliases, list) and all(isinstance(a, str) and "/" in a for a in aliases)


def test_ids_and_aliases_are_unique() -> None:
    seen: dict[str, str] = {}
    for path in FILES:
        for name in [_model_id(path), *(_load(path).get("_aliases") or [])]:
            key = name.lower()
            assert key not in seen, f"{name} claimed by {path.name} and {seen[key]}"
            seen[key] = path.name


def test_readme_indexes_every_file() -> None:
    readme = (LIBRARY / "README.md").read_text(encoding="utf-8")
    unlisted = [p.name for p in FILES if p.name not in readme]
    assert not unlisted, f"README.md does not list: {unlisted}"


def test_every_calibration_model_is_bundled() -> None:
    rows = [json.loads(line) for line in CALIBRATION.read_text().splitlines() if line.strip()]
    wanted = {row["model_id"] for row in rows if not row.get("config_file")}  # a config_file row brings its own
    missing = sorted(m for m in wanted if m.lower() not in _known_ids())
    assert not missing, f"calibration models without a library file: {missing}"
