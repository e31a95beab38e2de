"""Compile deploy/data/vllm_architectures.toml from vLLM's model registry and quantization list at each catalog version.

Why: whether a checkpoint *loads* depends on the architecture being registered in the image's vLLM, and on the
quantization method being one that vLLM version accepts. Both lists are plain Python literals in vLLM's source, so
they are read with ``ast`` (nothing is imported or run).

Input: a directory holding one sub-directory per vLLM version, each with the files of that version's wheel from PyPI
(``pip download vllm==X --no-deps``, then unzip ``vllm/model_executor/models/registry.py`` and
``vllm/model_executor/layers/quantization/__init__.py``) and a ``WHEEL.sha256`` line (``sha256sum`` of the wheel).

    python scripts/compile_vllm_tables.py /tmp/vllm-src > deploy/data/vllm_architectures.toml
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import tomllib

REGISTRY = "vllm/model_executor/models/registry.py"
QUANT = "vllm/model_executor/layers/quantization/__init__.py"
CATALOG = Path(__file__).resolve().parent.parent / "deploy" / "catalog" / "lmi_versions.toml"


def _assignments(path: Path) -> dict[str, ast.expr]:
    tree = ast.parse(path.read_text())
    out: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            out[node.target.id] = node.value
    return out


def _dict_keys(name: str, names: dict[str, ast.expr], kind: str, out: dict[str, str]) -> None:
    """Keys of a module-level dict literal, following ``**OTHER`` unpacking; ``kind`` is the innermost dict's name."""
    node = names[name]
    if not isinstance(node, ast.Dict):
        raise SystemExit(f"{name} is not a dict literal")
    for key, value in zip(node.keys, node.values, strict=True):
        if key is None and isinstance(value, ast.Name):
            _dict_keys(value.id, names, value.id, out)
        elif isinstance(key, ast.Constant) and isinstance(key.value, str):
            out.setdefault(key.value, kind.strip("_").lower().removesuffix("_models"))


def architectures(root: Path) -> dict[str, str]:
    names = _assignments(root / REGISTRY)
    out: dict[str, str] = {}
    _dict_keys("_VLLM_MODELS", names, "_VLLM_MODELS", out)
    return out


def quantization_methods(root: Path) -> list[str]:
    names = _assignments(root / QUANT)
    node = names.get("QuantizationMethods") or names["QUANTIZATION_METHODS"]
    if isinstance(node, ast.Subscript):  # Literal[...] (vLLM >= 0.9)
        node = node.slice
    elts = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node]
    return [e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]


def _ranges(present: list[bool], versions: list[str]) -> list[list[str]]:
    spans: list[list[str]] = []
    for i, here in enumerate(present):
        if here and (i == 0 or not present[i - 1]):
            spans.append([versions[i], versions[i]])
        elif here:
            spans[-1][1] = versions[i]
    return spans


def main(src: Path) -> None:
    catalog = tomllib.loads(CATALOG.read_text())["versions"]
    lmi_of = {str(v["vllm_version"]): int(k) for k, v in catalog.items()}
    versions = sorted(lmi_of, key=lambda v: tuple(int(p) for p in v.split(".")))
    folders = {v: src / v if (src / v).is_dir() else src / _nearest_published(src, v) for v in versions}
    archs = {v: architectures(folders[v]) for v in versions}
    quants = {v: quantization_methods(folders[v]) for v in versions}
    print(_header(versions, folders, lmi_of))
    print("[versions]")
    for v in versions:
        print(f'"{v}" = {{lmi = {lmi_of[v]}, wheel = "{_wheel(folders[v])}"}}')
    print("\n[quantization]  # QUANTIZATION_METHODS / QuantizationMethods of each version")
    for v in versions:
        print(f'"{v}" = [{", ".join(repr(q).replace(chr(39), chr(34)) for q in quants[v])}]')
    print("\n[architectures]  # architecture = {kind, present = [[first, last], ...]} over the versions above")
    every = sorted(set().union(*archs.values()))
    for arch in every:
        present = [arch in archs[v] for v in versions]
        kind = next(archs[v][arch] for v in reversed(versions) if arch in archs[v])
        spans = ", ".join(f'["{a}", "{b}"]' for a, b in _ranges(present, versions))
        print(f'{arch} = {{kind = "{kind}", present = [{spans}]}}')


def _nearest_published(src: Path, version: str) -> str:
    """A catalog version that PyPI never published (0.23.1): the same minor's published release."""
    minor = version.rsplit(".", 1)[0]
    found = sorted(p.name for p in src.iterdir() if p.name.startswith(minor + "."))
    if not found:
        raise SystemExit(f"no wheel files for vLLM {version} under {src}")
    return found[-1]


def _wheel(folder: Path) -> str:
    sha, name = (folder / "WHEEL.sha256").read_text().split()
    return f"{Path(name).name} sha256:{sha}"


def _header(versions: list[str], folders: dict[str, Path], lmi_of: dict[str, int]) -> str:
    stand_ins = [f"{v} (read from {folders[v].name})" for v in versions if folders[v].name != v]
    lines = [
        "# Which model architectures and quantization methods each catalog vLLM version can load.",
        "# Generated by scripts/compile_vllm_tables.py; do not edit by hand.",
        "# Sources: the vLLM wheels on PyPI named under [versions] (sha256 of each wheel), files",
        f"#   {REGISTRY} (the _VLLM_MODELS dict and the dicts it unpacks) and",
        f"#   {QUANT} (QUANTIZATION_METHODS, or the QuantizationMethods Literal from 0.9 on).",
        "# The wheel's files are the release tag's files (vX.Y.Z) as built for PyPI.",
    ]
    if stand_ins:
        lines.append(
            "# Not published on PyPI, so read from the same minor's published wheel: " + ", ".join(stand_ins) + "."
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main(Path(sys.argv[1]))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from deploy.catalog.tables import regenerate  # the JSON twin the package reads must follow the new TOML

    for twin in regenerate():
        print(f"wrote {twin}")
