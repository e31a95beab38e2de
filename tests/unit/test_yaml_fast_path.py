"""The YAML reader on libyaml's C parser gives exactly what the pure-Python reader gives: data, lines, errors.

Why: `lmi render` / `lmi validate` read the spec with libyaml when PyYAML has it (start-up time), and fall back to
PyYAML's own parser on a syntax error (its words) or when PyYAML was built without libyaml. Each case here runs
both ways (fast path on, and ``_FastLineLoader`` removed as on a PyYAML without libyaml) and compares.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.errors import SpecError
from deploy.spec import loader

pytestmark = pytest.mark.skipif(getattr(yaml, "CSafeLoader", None) is None, reason="PyYAML built without libyaml")

VALID = {
    "nested mappings": "name: ep\nmodel:\n  id: Qwen/Qwen2.5-7B-Instruct\n  revision: main\nengine:\n  dtype: bf16\n",
    "lists and flow": "tags:\n  - {key: team, value: ml}\n  - {key: env, value: dev}\nlist: [1, 2.5, true, null]\n",
    "anchors and merge": "base: &b\n  a: 1\n  b: 2\nother:\n  <<: *b\n  b: 3\n",
    "comments and blank lines": "# top\n\nname: ep  # trailing\n\n\nengine:\n  # inside\n  dtype: auto\n",
    "quoted and block scalars": "a: 'it''s'\nb: \"tab\\there\"\nc: |\n  line one\n  line two\nd: >\n  folded\n  text\n",
    "typed scalars": "i: 0x1f\nf: 1.5e3\nb: yes\nn: ~\nd: 2024-02-28\ns: '007'\n",
    "empty document": "",
    "unicode": "name: café\nnote: 日本語\n",
}

INVALID = {
    "unclosed flow": "a: [1, 2\nb: 3\n",
    "bad indentation": "a:\n  b: 1\n c: 2\n",
    "tab indentation": "a:\n\tb: 1\n",
    "unknown alias": "a: *nope\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "unclosed quote": "a: 'open\n",
}

DUPLICATES = {
    "top level": ("name: a\nrole: r\nname: b\n", "3: duplicate key 'name'"),
    "nested": ("engine:\n  dtype: bf16\n  options:\n    x: 1\n    x: 2\n", "5: duplicate key 'x'"),
    "in a flow mapping": ("tags: {a: 1, b: 2, a: 3}\n", "1: duplicate key 'a'"),
}


def _read(text: str, path: Path) -> tuple[Any, loader.Lines] | str:
    try:
        return loader.read_yaml_text(text, path)
    except SpecError as exc:
        return f"{exc.message} | {exc.field} | {exc.fix}"


def _both_ways(text: str, path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    fast = _read(text, path)
    with monkeypatch.context() as patch:
        patch.setattr(loader, "_FastLineLoader", None)  # as on a PyYAML without libyaml
        pure = _read(text, path)
    return fast, pure


@pytest.mark.parametrize("text", VALID.values(), ids=VALID.keys())
def test_valid_documents_read_the_same_with_and_without_libyaml(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, pure = _both_ways(text, tmp_path / "s.yaml", monkeypatch)
    assert not isinstance(fast, str), fast
    assert fast == pure


def test_the_fast_path_is_taken_when_libyaml_is_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    real = loader._compose_and_construct

    def spy(text: str, path: Path, loader_class: Any) -> Any:
        built.append(loader_class.__name__)
        return real(text, path, loader_class)

    monkeypatch.setattr(loader, "_compose_and_construct", spy)
    loader.read_yaml_text(VALID["nested mappings"], tmp_path / "s.yaml")
    assert built == ["_CLineLoader"]
    monkeypatch.setattr(loader, "_FastLineLoader", None)
    built.clear()
    loader.read_yaml_text(VALID["nested mappings"], tmp_path / "s.yaml")
    assert built == ["_LineLoader"]


def test_key_lines_come_from_the_c_parser(tmp_path: Path) -> None:
    text = "name: ep\n\nmodel:\n  id: m\n  revision: main\nlist:\n  - a\n  - b\n"
    _, lines = loader.read_yaml_text(text, tmp_path / "s.yaml")
    assert lines == {
        ("name",): 1,
        ("model",): 3,
        ("model", "id"): 4,
        ("model", "revision"): 5,
        ("list",): 6,
        ("list", 0): 7,
        ("list", 1): 8,
    }


@pytest.mark.parametrize("text", INVALID.values(), ids=INVALID.keys())
def test_syntax_errors_are_pyyamls_words_with_and_without_libyaml(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.yaml"
    fast, pure = _both_ways(text, path, monkeypatch)
    assert isinstance(fast, str) and fast.startswith(f"{path}: invalid YAML at line ")
    assert fast == pure


@pytest.mark.parametrize(("text", "expected"), DUPLICATES.values(), ids=DUPLICATES.keys())
def test_duplicate_keys_name_their_line_with_and_without_libyaml(
    text: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.yaml"
    fast, pure = _both_ways(text, path, monkeypatch)
    assert fast == pure
    assert isinstance(fast, str) and fast.startswith(f"{path}:{expected}")


@pytest.mark.parametrize("value", ["2024-02-30", "!!int abc", "!!float x"])
def test_unbuildable_scalars_are_refused_alike(value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, pure = _both_ways(f"name: ep\nengine:\n  when: {value}\n", tmp_path / "s.yaml", monkeypatch)
    assert fast == pure
    assert isinstance(fast, str) and ":3: engine.when: YAML reads this value as" in fast


def test_a_whole_spec_loads_the_same_without_libyaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "qwen25-7b.yaml"
    fast = loader.load_spec(example)
    monkeypatch.setattr(loader, "_FastLineLoader", None)
    assert loader.load_spec(example) == fast
