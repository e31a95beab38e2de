"""Spec files cost bounded time and memory: alias bombs, deep nesting, huge files and many values are refused
(SpecError, exit 2, the reason) in well under a second, while ordinary anchors and merge keys keep working."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from deploy.errors import SpecError
from deploy.spec.limits import MAX_DEPTH, MAX_NODES, MAX_SPEC_BYTES
from deploy.spec.loader import load_spec, read_document

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"


def laughs(levels: int, fan_out: int) -> str:
    lines = [f"a0: &a0 [{', '.join(['x'] * fan_out)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fan_out)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\nname: ep\n"


def refused(tmp_path: Path, name: str, text: str | bytes, needle: str) -> SpecError:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    start = time.monotonic()
    with pytest.raises(SpecError) as info:
        read_document(path)
    assert time.monotonic() - start < 2.0, "a hostile file must be refused quickly"
    assert needle in info.value.message and info.value.exit_code == 2
    return info.value


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (laughs(10, 9), "expand"),  # the classic: 9^10 values from 1.2 KB
        (laughs(6, 30), "expand"),
        (laughs(25, 2), "expand"),
        ("a: &a [*a]\n", "refers to the node that contains it"),
        ("a: &a {k: *a}\n", "refers to the node that contains it"),
        ("\n".join(["c0: &c0 [1]"] + [f"c{i}: &c{i} [*c{i - 1}]" for i in range(1, 100)]), "deeper"),
        ("l: [" + ", ".join(["*x"] * 1_500) + "]\nx: &x 1\n", "alias"),
    ],
    ids=["9x10", "30x6", "2x25", "recursive-list", "recursive-map", "alias-chain", "many-aliases"],
)
def test_alias_abuse_is_refused(tmp_path: Path, text: str, needle: str) -> None:
    refused(tmp_path, "bomb.yaml", text, needle)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("flow.yaml", "name: " + "[" * 20_000 + "]" * 20_000),
        ("map.yaml", "name: " + "{a: " * 5_000 + "1" + "}" * 5_000),
        ("block.yaml", "".join(" " * i + "k:\n" for i in range(MAX_DEPTH + 5)) + " " * (MAX_DEPTH + 5) + "v: 1\n"),
        ("arrays.toml", "a = " + "[" * 20_000 + "]" * 20_000),
        ("inline.toml", "a = " + "{b = " * 3_000 + "1" + "}" * 3_000),
        ("dotted.toml", "[" + ".".join(f"k{i}" for i in range(2_000)) + "]\nv = 1\n"),
    ],
)
def test_deep_nesting_is_refused_without_a_recursion_error(tmp_path: Path, name: str, text: str) -> None:
    refused(tmp_path, name, text, "nesting deeper than")


@pytest.mark.parametrize("name", ["huge.yaml", "huge.toml", "huge.yml"])
def test_files_over_the_size_limit_are_refused_before_reading(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with path.open("wb") as handle:
        handle.truncate(MAX_SPEC_BYTES + 1)  # sparse: nothing to read, only the size counts
    with pytest.raises(SpecError, match="limited to"):
        read_document(path)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("list.yaml", "l: [" + ",".join(["1"] * (MAX_NODES + 1)) + "]\n"),
        ("map.yaml", "".join(f"k{i}: {i}\n" for i in range(MAX_NODES + 1))),
        ("list.toml", "l = [" + ",".join(["1"] * (MAX_NODES + 1)) + "]\n"),
    ],
)
def test_too_many_values_are_refused(tmp_path: Path, name: str, text: str) -> None:
    refused(tmp_path, name, text, "values")


def test_ordinary_anchors_and_merge_keys_still_load(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        f"x-tags: &tags {{team: ml, cost: gpu}}\nname: ep\nrole: {ROLE}\n"
        "model: {id: Qwen/Qwen2.5-7B-Instruct}\n"
        "tags:\n  <<: *tags\n  owner: me\n"
        "update: {rollback_alarms: &alarms [a1, a2]}\n"
    )
    data, lines = read_document(path)
    assert data["tags"] == {"team": "ml", "cost": "gpu", "owner": "me"} and lines[("tags",)] == 5


def test_a_yaml_syntax_error_shows_the_position_but_not_the_line(tmp_path: Path) -> None:
    err = refused(tmp_path, "bad.yaml", 'name: ep\nmodel:\n  hf_token: "s3cr3t-value\n', "invalid YAML at line")
    assert "s3cr3t-value" not in str(err) + str(err.to_dict())


def test_a_spec_near_the_limits_still_loads_fast(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    tags = "".join(f"  t{i}: v{i}\n" for i in range(40))
    path.write_text(f"name: ep\nrole: {ROLE}\nmodel: {{id: Qwen/Qwen2.5-7B-Instruct}}\ntags:\n{tags}" + "#\n" * 50_000)
    start = time.monotonic()
    assert len(load_spec(path).tags) == 40
    assert time.monotonic() - start < 3.0
