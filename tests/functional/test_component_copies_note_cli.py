"""`lmi plan` of an autoscaled component whose `copies` changed, on the embedded emulator: no action, and the
note that says why, in the text, `--json` and `--format markdown` views (and in `lmi deploy`'s plan)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

try:
    from tests.functional.conftest_engine import FAST_WAITER
    from tests.unit.component_plan_helpers import document, with_component
except ImportError:  # rootdir not on sys.path: the test directory is
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
    from component_plan_helpers import document, with_component  # type: ignore[no-redef]
    from conftest_engine import FAST_WAITER  # type: ignore[no-redef]

from deploy import client
from deploy.cli import main
from deploy.local.testing import lmi_emulator

__all__ = ["lmi_emulator"]


@pytest.fixture
def emulated(lmi_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", lmi_emulator.endpoint_url)
    yield


def lmi(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.mark.usefixtures("emulated")
@pytest.mark.parametrize("copies", [1, 3, 4])
def test_a_changed_copies_under_component_scaling_is_a_note_in_every_view(
    lmi_emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], copies: int
) -> None:
    data = document()  # qwen: copies 2, scaling 0..4
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(data))
    assert client.apply(path, context=lmi_emulator.context(), create_bucket=True, waiter=FAST_WAITER).status
    path.write_text(yaml.safe_dump(with_component(data, 0, copies=copies)))
    expected = f"team-llms-qwen: copies 2 -> {copies} not applied: component scaling owns the count (0..4)"

    code, out, _ = lmi(capsys, "plan", str(path), "--json")
    plan = json.loads(out)
    assert code == 0 and [a["type"] for a in plan["actions"]] == ["TagEndpoint"]  # only the spec-hash tag moves
    assert len(plan["notes"]) == 1 and plan["notes"][0].startswith(expected)
    code, out, _ = lmi(capsys, "plan", str(path))
    assert code == 0 and "TagEndpoint" in out and f"note: {expected}" in " ".join(out.split())
    code, out, _ = lmi(capsys, "plan", str(path), "--format", "markdown")
    assert code == 0 and f"> note: {expected}" in out
    code, out, _ = lmi(capsys, "deploy", str(path), "--yes", "--json")
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert code == 0 and events[0]["notes"] == plan["notes"]
    described = (
        lmi_emulator.context().client("sagemaker").describe_inference_component(InferenceComponentName="team-llms-qwen")
    )
    assert described["RuntimeConfig"]["DesiredCopyCount"] == 2  # autoscaling's count, not reset
    code, out, _ = lmi(capsys, "plan", str(path))  # nothing left to do, and still said
    assert code == 0 and "no changes" in out and f"note: {expected}" in " ".join(out.split())
