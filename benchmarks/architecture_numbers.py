"""Architecture numbers of a checkout: top-level modules, import circles, the largest module, hops of a deploy walk.

    python benchmarks/architecture_numbers.py                 # this checkout
    python benchmarks/architecture_numbers.py --root /tmp/old # another checkout (e.g. a `git worktree add`)

Public tools only: ``ast`` for the import graph (every ``import``/``from ... import`` anywhere in a module, including
those inside functions and ``if TYPE_CHECKING:``, since each is a dependency a reader must follow; the count
without TYPE_CHECKING blocks is printed too), Tarjan's algorithm for the strongly connected components, and
``sys.setprofile``/``threading.setprofile`` for the walk: ``lmi deploy --local examples/qwen25-7b.yaml --yes
--json`` runs in-process against the embedded emulator at time scale 0, and every Python call from one ``deploy``
module into another is a hop. A hop goes back "up" when the module it enters is already on the call path (the
chain of deploy modules on the stack). The emulator (``deploy.local``) stands in for AWS and is not counted.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "deploy"
EMULATOR = "deploy.local"


# -- the import graph ---------------------------------------------------------------------------------------------
def module_files(root: Path) -> dict[str, Path]:
    """``deploy.x.y`` -> its file, for every module of the package under ``root``."""
    files = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        files[".".join(parts)] = path
    return files


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, *, skip_type_checking: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    stack = [tree]
    while stack:
        node = stack.pop()
        if skip_type_checking and isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The package modules an import statement makes ``module`` depend on."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            anchor = module.split(".") if is_package else module.split(".")[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
    found = set()
    for name in names:
        while name and name not in known:  # `import deploy.a.b.c` where c is an attribute: the deepest module
            name = name.rpartition(".")[0]
        if name and name != PACKAGE:
            found.add(name)
    return found


def import_graph(root: Path, *, skip_type_checking: bool = False) -> dict[str, set[str]]:
    files = module_files(root)
    known = set(files)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges: set[str] = set()
        for node in _imports(tree, skip_type_checking=skip_type_checking):
            edges |= _targets(node, module, path.name == "__init__.py", known)
        graph[module] = edges - {module}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


# -- the deploy walk ----------------------------------------------------------------------------------------------
def package_of(module: str) -> str:
    """``deploy.engine.plan`` -> ``deploy.engine``; a module at the top of deploy/ is its own room."""
    return ".".join(module.split(".")[:2])


class HopCounter:
    """Counts calls between deploy modules (not the emulator's) in every thread.

    ``granularity`` maps a module to the unit counted: the module itself, or its package (one room per stage).
    """

    def __init__(self, granularity: Callable[[str], str] = lambda module: module) -> None:
        self.granularity = granularity
        self.hops = 0
        self.up = 0
        self.edges: set[tuple[str, str]] = set()
        self.counts: dict[tuple[str, str], int] = {}
        self.up_edges: set[tuple[str, str]] = set()
        self.modules: set[str] = set()
        self.outcome = ""
        self._lock = threading.Lock()

    def _module(self, frame: FrameType | None) -> str | None:
        name = frame.f_globals.get("__name__", "") if frame is not None else ""
        if name == PACKAGE or (name.startswith(PACKAGE + ".") and not name.startswith(EMULATOR)):
            return self.granularity(str(name))
        return None

    def _path(self, frame: FrameType | None) -> list[str]:
        chain: list[str] = []
        while frame is not None:
            module = self._module(frame)
            if module is not None and (not chain or chain[-1] != module):
                chain.append(module)
            frame = frame.f_back
        return chain

    def profile(self, frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return
        callee = self._module(frame)
        caller = self._module(frame.f_back)
        if callee is None or caller is None or callee == caller:
            return
        above = self._path(frame.f_back)[1:]  # the deploy modules further up the stack than the caller
        with self._lock:
            self.hops += 1
            self.edges.add((caller, callee))
            self.counts[(caller, callee)] = self.counts.get((caller, callee), 0) + 1
            self.modules |= {caller, callee}
            if callee in above:
                self.up += 1
                self.up_edges.add((caller, callee))


def deploy_walk(root: Path) -> tuple[HopCounter, HopCounter]:
    """Run ``lmi deploy --local`` of the example spec in-process; count hops between modules and between packages."""
    spec = root / "examples" / "qwen25-7b.yaml"
    work = Path(tempfile.mkdtemp(prefix="lmi-walk-"))
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        HF_HUB_OFFLINE="1",
        LMI_LOCAL_TIME_SCALE="0",
        LMI_LOCAL_DIR=str(work / "state"),  # never reuse a background emulator
    )
    os.chdir(work)
    from deploy.cli import main

    counter, rooms = HopCounter(), HopCounter(package_of)

    def both(frame: FrameType, event: str, arg: Any) -> None:
        counter.profile(frame, event, arg)
        rooms.profile(frame, event, arg)

    out = io.StringIO()
    threading.setprofile(both)
    sys.setprofile(both)
    try:
        quiet = contextlib.redirect_stderr(io.StringIO())
        with contextlib.redirect_stdout(out), quiet, contextlib.suppress(SystemExit):
            main(["deploy", str(spec), "--local", "--yes", "--json"])
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    counter.outcome = ", ".join(f"{row['endpoint']} {row['status']}" for row in summary["results"])
    return counter, rooms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO, help="checkout to measure (default: this one)")
    parser.add_argument("--no-walk", action="store_true", help="skip the traced deploy")
    parser.add_argument("--top", type=int, default=0, help="also print the N most frequent module-to-module hops")
    args = parser.parse_args()
    root = args.root.resolve()
    sys.path.insert(0, str(root))
    files = module_files(root)
    top = sorted(m for m, p in files.items() if p.parent == root / PACKAGE and p.name != "__init__.py")
    packages = sorted(m for m, p in files.items() if p.name == "__init__.py" and p.parent.parent == root / PACKAGE)
    largest = max(files.items(), key=lambda item: len(item[1].read_text(encoding="utf-8").splitlines()))
    all_circles = circles(import_graph(root))
    runtime_circles = circles(import_graph(root, skip_type_checking=True))
    print(f"checkout: {root}")
    print(f"modules at the top level of deploy/: {len(top)} ({', '.join(m.split('.')[-1] for m in top)})")
    print(f"packages under deploy/: {len(packages)}")
    print(f"import circles (all imports): {len(all_circles)}")
    for component in all_circles:
        print(f"  {' <-> '.join(component)}")
    print(f"import circles without TYPE_CHECKING imports: {len(runtime_circles)}")
    lines = len(largest[1].read_text(encoding="utf-8").splitlines())
    print(f"largest module: {largest[0]} ({lines} lines)")
    if args.no_walk:
        return
    counter, rooms = deploy_walk(root)
    import deploy

    assert Path(deploy.__file__).resolve().is_relative_to(root), f"measured {deploy.__file__}, not {root}"
    print(
        f"deploy walk (lmi deploy --local examples/qwen25-7b.yaml): {counter.hops} cross-module calls, "
        f"{counter.up} back up to a module already on the path (outcome: {counter.outcome})"
    )
    print(
        f"  distinct module-to-module hops: {len(counter.edges)} through {len(counter.modules)} modules, "
        f"{len(counter.up_edges)} of them back up"
    )
    print(
        f"  between packages (a top-level module counts as one): {rooms.hops} calls, {rooms.up} back up; "
        f"{len(rooms.edges)} distinct hops through {len(rooms.modules)} packages, {len(rooms.up_edges)} back up"
    )
    for (caller, callee), count in sorted(counter.counts.items(), key=lambda item: -item[1])[: args.top]:
        print(f"  {count:5d}  {caller} -> {callee}")
    if args.top:
        print(f"  back up between modules: {sorted(counter.up_edges)}; between packages: {sorted(rooms.up_edges)}")


if __name__ == "__main__":
    main()
