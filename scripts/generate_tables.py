"""Regenerate the JSON twins of the bundled TOML tables (deploy/catalog/tables.py explains why they exist).

    python scripts/generate_tables.py      # or: make tables

Run it after editing any deploy/catalog/*.toml or deploy/data/*.toml; tests/unit/test_data_tables.py fails until
the twins match their TOML again.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from deploy.catalog.tables import PACKAGE_DIR, regenerate


def main() -> int:
    written = regenerate()
    for path in written:
        print(f"wrote {path.relative_to(PACKAGE_DIR.parent)}")
    if not written:
        print("every twin is current")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
