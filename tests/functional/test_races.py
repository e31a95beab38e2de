"""Two deploys of one endpoint at once, on the emulator (lifecycle phases of a fraction of a second).

Conflicting specs: exactly one wins; the other is refused with "towards another configuration: <config>", never a
"rolled back" that did not happen, and removes the model and config it had created, so no orphan remains. The same
spec twice: both succeed (the second waits for the first).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

try:
    from tests.functional.conftest_engine import FAST_WAITER
except ImportError:  # rootdir not on sys.path: the test directory is
    from conftest_engine import FAST_WAITER  # type: ignore[no-redef]

from deploy import client
from deploy.engine.observe import observe
from deploy.engine.races import ConflictError
from deploy.errors import LmiError
from deploy.local.emulator import Emulator

REPO = Path(__file__).resolve().parents[2]
NAME = "qwen25-7b"
VARIANTS: dict[str, dict[str, Any]] = {
    "base": {},
    "bigger": {"instance": {"type": "ml.g6e.4xlarge", "count": 1}},
    "longer": {"engine": {"max_model_len": 8192}},
    "two": {"instance": {"type": "ml.g6e.xlarge", "count": 1}},
}


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with Emulator(time_scale=0.05) as emu:  # create/update take 0.3 s: long enough for the runs to overlap
        emu.context().client("s3").create_bucket(Bucket="race-bucket")
        yield emu


def spec_file(tmp_path: Path, variant: str) -> Path:
    data = yaml.safe_load((REPO / "examples" / "qwen25-7b.yaml").read_text())
    data["artifacts"] = {"bucket": "race-bucket"}
    for key, value in VARIANTS[variant].items():
        data[key] = {**data.get(key, {}), **value}
    path = tmp_path / f"{variant}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def race(ctx: Any, specs: list[Path]) -> list[Any]:
    """Plan each spec, then apply all at the same moment; returns each run's result or error."""
    plans = [client.plan(spec, context=ctx) for spec in specs]
    start = threading.Barrier(len(plans))
    outcomes: list[Any] = [None] * len(plans)

    def run(index: int) -> None:
        start.wait()
        try:
            outcomes[index] = client.apply(plans[index], waiter=FAST_WAITER)
        except LmiError as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(plans))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def assert_one_winner_and_no_orphans(ctx: Any, outcomes: list[Any], specs: list[Path]) -> None:
    losers = [o for o in outcomes if isinstance(o, Exception)]
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    loser = losers[0]
    assert isinstance(loser, ConflictError), repr(loser)
    assert "towards another configuration: " + winners[0].config_name in loser.message
    assert "rolled back" not in loser.message
    snapshot = observe(ctx, NAME)
    assert snapshot.endpoint is not None and snapshot.endpoint.config_name == winners[0].config_name
    assert snapshot.configs == (winners[0].config_name,), "no orphaned endpoint config"
    assert len(snapshot.models) == 1, "no orphaned model"
    winner_spec = specs[outcomes.index(winners[0])]
    assert client.plan(winner_spec, context=ctx).is_empty


@pytest.mark.parametrize(("one", "other"), [("bigger", "longer"), ("longer", "two"), ("two", "bigger")])
def test_conflicting_updates_one_wins_the_other_gives_way(
    emulator: Emulator, tmp_path: Path, one: str, other: str
) -> None:
    ctx = emulator.context()
    client.apply(spec_file(tmp_path, "base"), context=ctx, waiter=FAST_WAITER)
    specs = [spec_file(tmp_path, one), spec_file(tmp_path, other)]
    assert_one_winner_and_no_orphans(ctx, race(ctx, specs), specs)


@pytest.mark.parametrize(("one", "other"), [("base", "bigger"), ("longer", "two")])
def test_conflicting_first_deploys_one_wins_the_other_gives_way(
    emulator: Emulator, tmp_path: Path, one: str, other: str
) -> None:
    ctx = emulator.context()
    specs = [spec_file(tmp_path, one), spec_file(tmp_path, other)]
    assert_one_winner_and_no_orphans(ctx, race(ctx, specs), specs)


@pytest.mark.parametrize("existing", [False, True], ids=["create", "update"])
def test_the_same_spec_twice_both_succeed(emulator: Emulator, tmp_path: Path, existing: bool) -> None:
    ctx = emulator.context()
    if existing:
        client.apply(spec_file(tmp_path, "base"), context=ctx, waiter=FAST_WAITER)
    spec = spec_file(tmp_path, "bigger")
    outcomes = race(ctx, [spec, spec])
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    assert {o.status for o in outcomes} == {"InService"}
    snapshot = observe(ctx, NAME)
    assert len(snapshot.configs) == 1 and client.plan(spec, context=ctx).is_empty


def test_a_plan_made_before_another_deploy_finished_is_refused(emulator: Emulator, tmp_path: Path) -> None:
    ctx = emulator.context()
    client.apply(spec_file(tmp_path, "base"), context=ctx, waiter=FAST_WAITER)
    stale = client.plan(spec_file(tmp_path, "longer"), context=ctx)
    done = client.apply(spec_file(tmp_path, "bigger"), context=ctx, waiter=FAST_WAITER)
    with pytest.raises(ConflictError) as info:
        client.apply(stale, waiter=FAST_WAITER)
    assert f"was changed towards another configuration: {done.config_name}" in info.value.message
    assert observe(ctx, NAME).configs == (done.config_name,)
