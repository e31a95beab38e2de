"""Guard rails: no import circles in deploy/ at run time (imports inside functions count), and only the stable
modules stay at the top of the package. Uses benchmarks/architecture_numbers.py, which prints them."""

from __future__ import annotations

from pathlib import Path

from tests.unit.script_loading import load_benchmark_script

REPO = Path(__file__).resolve().parents[2]


def _numbers() -> object:
    return load_benchmark_script("architecture_numbers.py")


# None known: deploy/secrets/masking.py is a leaf that errors.py imports, so no circle is excused.
KNOWN_CIRCLES: list[list[str]] = []


def test_no_import_circles_at_run_time() -> None:
    """Imports that run (module level or inside functions) form no circle but the known one. Annotation-only imports
    under ``if TYPE_CHECKING:`` are reported by the script, not failed here: they cannot break an import order."""
    numbers = _numbers()
    found = numbers.circles(numbers.import_graph(REPO, skip_type_checking=True))  # type: ignore[attr-defined]
    assert [c for c in found if c not in KNOWN_CIRCLES] == []


def test_the_circle_finder_finds_a_circle() -> None:
    numbers = _numbers()
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert numbers.circles(graph) == [["a", "b", "c"]]  # type: ignore[attr-defined]


def test_only_the_stable_modules_sit_at_the_top() -> None:
    top = sorted(p.stem for p in (REPO / "deploy").glob("*.py"))
    # records: the @record decorator every layer's value types use; like errors, a leaf importing nothing of ours
    assert top == ["__init__", "_version", "client", "errors", "records"]
