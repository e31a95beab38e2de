"""`lmi scale --max N` above Application Auto Scaling's 32-bit capacity (the spec's own scaling.max limit) is exit 2
before any call; the emulator accepted 99999999999, AWS would refuse it."""

from __future__ import annotations

import json

import pytest

from deploy.cli import main


@pytest.mark.parametrize(("low", "high"), [(1, 2**31), (1, 99999999999), (0, 10**30), (2**31, 2**31 + 1)])
def test_bounds_beyond_32_bits_are_refused(low: int, high: int, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["scale", "any-endpoint", "--local", "--min", str(low), "--max", str(high), "--json"])
    assert exited.value.code == 2
    error = json.loads(capsys.readouterr().out)
    assert error["value"] == f"{low}..{high}"
    assert "2,147,483,647" in error["fix"]
