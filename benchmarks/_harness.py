"""The timing harness every side-by-side comparison in ``benchmarks/`` uses.

Why: two things timed in separate blocks on a shared machine measure the machine's mood as much as the code
(another process starts, the CPU clock changes, a cache warms). So the contenders run interleaved: every round
runs each contender once, in an order shuffled per round from a fixed seed; the first rounds are warm-up and are
thrown away; a ratio is taken *within* a round (both sides saw the same machine) and summarised over the rounds as
min / median / max. Each sample records wall time and CPU time (the children's ``getrusage`` for a subprocess,
``time.thread_time`` for in-process work), and the header records the machine and its load average before and
after, so a reader can tell a quiet run from a noisy one. Standard library only.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Sample:
    """One measured run: wall-clock seconds and CPU seconds (user + system)."""

    wall: float
    cpu: float


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_process(argv: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path = REPO_ROOT) -> Sample:
    """Run ``argv`` to completion (output discarded); wall time and the child's CPU time.

    Raises RuntimeError with the last line of stderr when the command fails: a failing command must not be
    timed as if it had done its work.
    """
    cpu0, start = _children_cpu(), time.perf_counter()
    done = subprocess.run(list(argv), cwd=cwd, env=dict(env) if env else None, capture_output=True, check=False)
    wall, cpu = time.perf_counter() - start, _children_cpu() - cpu0
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["(no output)"]
        raise RuntimeError(f"{' '.join(argv[:4])}...: exit {done.returncode}: {lines[-1]}")
    return Sample(wall, cpu)


def time_call(fn: Callable[[], object]) -> Sample:
    """Wall time and this thread's CPU time of one in-process call."""
    cpu0, start = time.thread_time(), time.perf_counter()
    fn()
    return Sample(time.perf_counter() - start, time.thread_time() - cpu0)


def interleave(
    cases: Mapping[str, Callable[[], Sample]], *, rounds: int, warmup: int = 2, seed: int = 15
) -> dict[str, list[Sample]]:
    """Run every case once per round, in a per-round shuffled order; drop the first ``warmup`` rounds."""
    rng = random.Random(seed)
    names = list(cases)
    kept: dict[str, list[Sample]] = {name: [] for name in names}
    for index in range(warmup + rounds):
        order = names[:]
        rng.shuffle(order)
        for name in order:
            sample = cases[name]()
            if index >= warmup:
                kept[name].append(sample)
    return kept


def ratios(results: Mapping[str, list[Sample]], a: str, b: str, *, cpu: bool = False) -> list[float]:
    """Per-round ratio a / b (same round, same machine state)."""
    pick = (lambda s: s.cpu) if cpu else (lambda s: s.wall)
    return [pick(x) / pick(y) for x, y in zip(results[a], results[b], strict=True) if pick(y) > 0]


def differences(results: Mapping[str, list[Sample]], a: str, b: str, *, cpu: bool = True) -> list[float]:
    """Per-round difference a - b in seconds (CPU by default)."""
    pick = (lambda s: s.cpu) if cpu else (lambda s: s.wall)
    return [pick(x) - pick(y) for x, y in zip(results[a], results[b], strict=True)]


def spread(values: Sequence[float]) -> tuple[float, float, float]:
    """(min, median, max)."""
    return min(values), statistics.median(values), max(values)


def fmt_spread(values: Sequence[float], scale: float = 1.0, spec: str = ".3f", unit: str = "") -> str:
    """'median (min-max)' in the given scale and unit."""
    low, mid, high = spread(values)
    return f"{mid * scale:{spec}}{unit} ({low * scale:{spec}}-{high * scale:{spec}})"


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load() -> str:
    """The 1/5/15-minute load averages, or 'n/a' where the OS has none."""
    try:
        return "/".join(f"{value:.2f}" for value in os.getloadavg())
    except (AttributeError, OSError):
        return "n/a"


def machine_line() -> str:
    """Date, CPU count and model, Python version, load average: printed at the top of every benchmark."""
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"machine: {now}, nproc {os.cpu_count()}, {cpu_model()}, Python {sys.version.split()[0]}, load average {load()}"
    )


def print_table(results: Mapping[str, list[Sample]], *, scale: float = 1e3, unit: str = "ms") -> None:
    """One row per case: wall and CPU as median (min-max)."""
    width = max(len(name) for name in results) + 2
    print(f"{'case':<{width}} {'wall ' + unit + ' median (min-max)':>30} {'cpu ' + unit + ' median (min-max)':>30}")
    for name, samples in results.items():
        wall = fmt_spread([s.wall for s in samples], scale, ".1f")
        cpu = fmt_spread([s.cpu for s in samples], scale, ".1f")
        print(f"{name:<{width}} {wall:>30} {cpu:>30}")
