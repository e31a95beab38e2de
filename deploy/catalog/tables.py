"""The bundled data tables: each TOML file is the edited source; a generated JSON twin next to it is what is read.

Why: the TOML files carry their sources and reasoning in comments, so people edit them; but ``tomllib`` is pure
Python and parsing the tables one ``lmi validate`` needs cost ~12 ms of its start-up, while ``json.loads`` is C.
Rule: ``<name>.toml`` has a twin ``<name>.generated.json`` holding the same data and the CRC-32 of the TOML it was
made from. :func:`load_table` reads the twin only when that checksum matches the TOML beside it, and parses the
TOML otherwise, so an edited TOML is never answered with stale data; ``tests/unit/test_data_tables.py`` fails
until the twins are regenerated with ``make tables`` (``python scripts/generate_tables.py``).
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# Every TOML table that ships in the package (the generator and the freshness test walk this list).
TABLE_DIRS = (PACKAGE_DIR / "catalog", PACKAGE_DIR / "data")
TWIN_SUFFIX = ".generated.json"


def twin_path(source: Path) -> Path:
    """``gpus.toml`` -> ``gpus.generated.json`` in the same directory."""
    return source.with_name(source.stem + TWIN_SUFFIX)


def checksum(toml_bytes: bytes) -> int:
    """CRC-32 of the TOML text with line endings normalised (a CRLF checkout is the same table)."""
    return zlib.crc32(toml_bytes.replace(b"\r\n", b"\n"))


def load_table(source: Path) -> dict[str, Any]:
    """The data of the TOML file ``source``: from its JSON twin when the twin was made from this very text."""
    raw = source.read_bytes()
    try:
        twin = json.loads(twin_path(source).read_bytes())
    except (OSError, ValueError):  # no twin (or an unreadable one): the TOML is the truth
        twin = None
    if isinstance(twin, dict) and twin.get("source_crc32") == checksum(raw) and isinstance(twin.get("data"), dict):
        data: dict[str, Any] = twin["data"]
        return data
    return parse_toml(raw)


def parse_toml(raw: bytes) -> dict[str, Any]:
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib.loads(raw.decode("utf-8"))


def twin_text(source: Path) -> str:
    """The JSON twin of ``source`` as the generator writes it (key order kept: some tables are ordered lists)."""
    raw = source.read_bytes()
    document = {
        "generated_from": source.name,
        "note": f"generated from {source.name} by scripts/generate_tables.py (make tables); edit the TOML instead",
        "source_crc32": checksum(raw),
        "data": parse_toml(raw),
    }
    return json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def sources() -> list[Path]:
    return sorted(path for directory in TABLE_DIRS for path in directory.glob("*.toml"))


def regenerate() -> list[Path]:
    """Write every twin whose text differs from what its TOML gives; return the paths written."""
    written = []
    for source in sources():
        twin, text = twin_path(source), twin_text(source)
        if not twin.exists() or twin.read_text(encoding="utf-8") != text:
            twin.write_text(text, encoding="utf-8")
            written.append(twin)
    return written
