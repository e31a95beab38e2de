"""The JSON twins of the bundled TOML tables (deploy/catalog/tables.py): current, complete, and never trusted stale.

Why: the CLI reads the twins (json is C, tomllib pure Python), so a twin that drifted from its TOML would answer
with old facts. Two guards, both tested here: the shipped twins must equal what their TOML gives (this file fails
until ``make tables`` is run), and at run time a twin whose checksum does not match the TOML beside it is ignored.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deploy.catalog import tables

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SOURCES = tables.sources()
REGENERATE = "run `make tables` (python scripts/generate_tables.py) and commit the twins"


def _exact(data: object) -> str:
    """A type-exact comparison key (1 == 1.0 and True == 1 in Python, not in a table)."""
    return json.dumps(data, sort_keys=False)


def test_the_package_ships_every_table_the_code_reads() -> None:
    names = {p.relative_to(tables.PACKAGE_DIR).as_posix() for p in SOURCES}
    assert {"catalog/gpus.toml", "catalog/instances.toml", "data/vllm_architectures.toml"} <= names
    assert len(SOURCES) >= 9


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_each_twin_is_what_its_toml_gives_now(source: Path) -> None:
    twin = tables.twin_path(source)
    assert twin.exists(), f"{twin.name} is missing: {REGENERATE}"
    assert twin.read_text(encoding="utf-8") == tables.twin_text(source), f"{twin.name} is stale: {REGENERATE}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_load_table_answers_exactly_what_tomllib_does(source: Path) -> None:
    with source.open("rb") as handle:
        expected = tomllib.load(handle)
    assert _exact(tables.load_table(source)) == _exact(expected)


def test_no_twin_is_left_without_its_toml() -> None:
    twins = sorted(p for d in tables.TABLE_DIRS for p in d.glob(f"*{tables.TWIN_SUFFIX}"))
    orphans = [p.name for p in twins if not p.with_name(p.name.removesuffix(tables.TWIN_SUFFIX) + ".toml").exists()]
    assert orphans == []
    assert len(twins) == len(SOURCES)


def _write_pair(directory: Path, toml_text: str) -> Path:
    source = directory / "table.toml"
    source.write_text(toml_text, encoding="utf-8", newline="")
    tables.twin_path(source).write_text(tables.twin_text(source), encoding="utf-8")
    return source


def test_an_edited_toml_wins_over_its_stale_twin(tmp_path: Path) -> None:
    source = _write_pair(tmp_path, 'a = 1\n[t]\nname = "old"\n')
    source.write_text('a = 2\n[t]\nname = "new"\n', encoding="utf-8")
    assert tables.load_table(source) == {"a": 2, "t": {"name": "new"}}


@pytest.mark.parametrize(
    "twin_text",
    ["", "{", "[1, 2]", '{"source_crc32": 0, "data": {"a": 9}}', '{"data": {"a": 9}}', '{"source_crc32": "x"}'],
    ids=["empty", "broken-json", "not-an-object", "wrong-checksum", "no-checksum", "no-data"],
)
def test_an_unusable_twin_is_ignored(tmp_path: Path, twin_text: str) -> None:
    source = tmp_path / "table.toml"
    source.write_text("a = 1\n", encoding="utf-8")
    tables.twin_path(source).write_text(twin_text, encoding="utf-8")
    assert tables.load_table(source) == {"a": 1}


def test_a_missing_twin_means_parsing_the_toml(tmp_path: Path) -> None:
    source = tmp_path / "table.toml"
    source.write_text('x = [1.5, "two", true]\n', encoding="utf-8")
    assert tables.load_table(source) == {"x": [1.5, "two", True]}


def test_the_twin_is_used_when_current_even_for_a_crlf_checkout(tmp_path: Path) -> None:
    source = _write_pair(tmp_path, "a = 1\n")
    doctored = json.loads(tables.twin_path(source).read_text(encoding="utf-8"))
    doctored["data"] = {"a": "from the twin"}  # tells which file answered
    tables.twin_path(source).write_text(json.dumps(doctored), encoding="utf-8")
    assert tables.load_table(source) == {"a": "from the twin"}
    source.write_bytes(b"a = 1\r\n")
    assert tables.load_table(source) == {"a": "from the twin"}


def test_regenerate_writes_only_what_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "one.toml").write_text("a = 1\n", encoding="utf-8")
    (tmp_path / "two.toml").write_text("b = 2\n", encoding="utf-8")
    monkeypatch.setattr(tables, "TABLE_DIRS", (tmp_path,))
    assert [p.name for p in tables.regenerate()] == ["one.generated.json", "two.generated.json"]
    assert tables.regenerate() == []
    (tmp_path / "two.toml").write_text("b = 3\n", encoding="utf-8")
    assert [p.name for p in tables.regenerate()] == ["two.generated.json"]
    assert tables.load_table(tmp_path / "two.toml") == {"b": 3}


_keys = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
_scalars = (
    st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
    | st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)  # integers, and strings (JSON escapes are TOML basic-string ones)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(_keys, st.dictionaries(_keys, _scalars | st.lists(_scalars, max_size=4), max_size=6), max_size=5)
)
def test_any_table_reads_the_same_through_its_twin(data: dict[str, dict[str, object]]) -> None:
    import tempfile

    lines = []
    for section, rows in data.items():
        lines.append(f"[{section}]")
        for key, value in rows.items():
            shown = "[" + ", ".join(map(_toml_value, value)) + "]" if isinstance(value, list) else _toml_value(value)
            lines.append(f"{key} = {shown}")
    with tempfile.TemporaryDirectory() as directory:
        source = _write_pair(Path(directory), "\n".join(lines) + "\n")
        assert _exact(tables.load_table(source)) == _exact(tomllib.loads(source.read_text(encoding="utf-8")))
        assert _exact(tables.load_table(source)) == _exact(data)
