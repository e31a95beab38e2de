"""Golden tests: each spec under cases/ renders byte-for-byte to the files under expected/<case>/.

Regenerate after an intended change with ``LMI_UPDATE_GOLDEN=1 pytest tests/golden`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from deploy.cli.spec_cmds import write_render
from deploy.engine.resolve import resolve
from deploy.render.properties import render
from deploy.spec.loader import load_spec

HERE = Path(__file__).parent
CASES = sorted(p for p in (HERE / "cases").iterdir() if p.suffix in {".yaml", ".toml"})


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_render_matches_golden(case: Path, tmp_path: Path) -> None:
    resolved = resolve(load_spec(case))
    rendered = render(resolved)
    write_render(tmp_path, resolved, rendered)
    (tmp_path / "image_uri.txt").write_text(rendered.image_uri + "\n")
    (tmp_path / "warnings.json").write_text(json.dumps(list(rendered.warnings), indent=2) + "\n")
    expected_dir = HERE / "expected" / case.stem
    if os.environ.get("LMI_UPDATE_GOLDEN"):
        expected_dir.mkdir(parents=True, exist_ok=True)
        for produced in tmp_path.iterdir():
            (expected_dir / produced.name).write_text(produced.read_text())
    produced_names = sorted(p.name for p in tmp_path.iterdir())
    assert produced_names == sorted(p.name for p in expected_dir.iterdir() if p.is_file())  # sent/: test_golden_sent
    for name in produced_names:
        assert (tmp_path / name).read_text() == (expected_dir / name).read_text(), f"{case.stem}/{name} drifted"
