"""Compile deploy/data/vllm_0_8_4_engine_args.toml: every vLLM 0.8.4 engine argument with its parser type and choices.

Why: LMI v15 turns each ``option.<name>`` into ``--<name>=<value>`` and runs vLLM's own argparse parser on it
(djl_python/properties_manager/vllm_rb_properties.py, ``construct_vllm_args_list``), so a value argparse rejects
(``block_size=24``, ``max_seq_len_to_capture=4096.0``) stops the container at start. The names come from the
``EngineArgs``/``AsyncEngineArgs`` dataclass fields and the types/choices from the ``add_argument`` calls of
``EngineArgs.add_cli_args`` in vllm/engine/arg_utils.py, read with ``ast`` (nothing is imported).

    python scripts/compile_engine_args.py /tmp/vllm-src/0.8.4 > deploy/data/vllm_0_8_4_engine_args.toml

The folder holds the vLLM 0.8.4 wheel's files (``pip download vllm==0.8.4 --no-deps``, unzipped) and WHEEL.sha256.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any

ARG_UTILS = "vllm/engine/arg_utils.py"
# Choices given as an expression in add_cli_args, resolved from the same release's source (file: names).
CHOICE_SOURCES = {
    "get_args(TaskOption)": "vllm/config.py TaskOption",
    "[f.value for f in LoadFormat]": "vllm/config.py LoadFormat",
    "[f.value for f in ConfigFormat]": "vllm/transformers_utils/config.py ConfigFormat",
    "[f.value for f in ModelImpl]": "vllm/config.py ModelImpl",
    "DEVICE_OPTIONS": "vllm/engine/arg_utils.py DEVICE_OPTIONS",
    "[*QUANTIZATION_METHODS, None]": "vllm/model_executor/layers/quantization/__init__.py QUANTIZATION_METHODS",
    "list(ReasoningParserManager.reasoning_parsers)": "vllm/reasoning/*.py @ReasoningParserManager.register_module",
}
# Arguments built with **<config>_kwargs[...] take their type from the config dataclass (vllm/config.py).
KWARGS_TYPES = {
    "download_dir": "str",
    "model_loader_extra_config": "json",
    "pipeline_parallel_size": "int",
    "tensor_parallel_size": "int",
    "data_parallel_size": "int",
    "max_parallel_loading_workers": "int",
    "distributed_executor_backend": "str",
    "load_format": "str",
}
TYPE_NAMES = {
    "int": "int",
    "human_readable_int": "int",
    "float": "float",
    "str": "str",
    "nullable_str": "str",
    "json.loads": "json",
    "PoolerConfig.from_json": "json",
    "CompilationConfig.from_cli": "json",
    "KVTransferConfig.from_cli": "json",
    "nullable_kvs": "kvs",
}


def _fields(tree: ast.Module) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for cls in tree.body:
        if isinstance(cls, ast.ClassDef) and cls.name in ("EngineArgs", "AsyncEngineArgs"):
            for node in cls.body:
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    default = ast.unparse(node.value) if node.value else "None"
                    out[node.target.id] = (cls.name, default)
    return out


def _arguments(tree: ast.Module) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument":
            flag = next(a.value for a in node.args if isinstance(a, ast.Constant))
            kwargs = {k.arg: ast.unparse(k.value) for k in node.keywords if k.arg and k.arg != "help"}
            out[flag.removeprefix("--").replace("-", "_")] = kwargs
    return out


def _kind(name: str, kwargs: dict[str, str]) -> str:
    action = kwargs.get("action", "").strip("'")
    if action == "StoreBoolean":
        return "bool"  # --x=true / --x=false both parse
    if action in ("store_true", "argparse.BooleanOptionalAction"):
        return "flag"  # LMI passes only `true` (as a bare --x); `false` is dropped
    if kwargs.get("nargs") == "'+'" or action == "'append'" or action == "append":
        return "str"
    if "type" in kwargs:
        return TYPE_NAMES[kwargs["type"]]
    return KWARGS_TYPES.get(name, "str")


def _choices(expr: str | None, resolved: dict[str, list[Any]]) -> list[Any] | None:
    if expr is None:
        return None
    if expr in resolved:
        return resolved[expr]
    value = ast.literal_eval(expr)
    return list(value)


def _default(expr: str, fields: dict[str, tuple[str, str]]) -> str:
    if expr.startswith("EngineArgs."):
        return fields[expr.removeprefix("EngineArgs.")][1]
    return expr


def main(root: Path, resolved: dict[str, list[Any]]) -> None:
    tree = ast.parse((root / ARG_UTILS).read_text())
    fields = _fields(tree)
    args = _arguments(tree)
    sha, wheel = (root / "WHEEL.sha256").read_text().split()
    print("# vLLM 0.8.4 engine arguments: the EngineArgs/AsyncEngineArgs dataclass fields and, for each, the parser")
    print("# type and choices of its add_argument call in EngineArgs.add_cli_args (vllm/engine/arg_utils.py).")
    print(f"# Source: {Path(wheel).name} (PyPI) sha256:{sha}, the files of tag v0.8.4.")
    print("# Generated by scripts/compile_engine_args.py; do not edit by hand. kind: int | float | str | json | kvs")
    print("# (k=v,k=v) | bool (StoreBoolean: true and false both reach vLLM) | flag (store_true/BooleanOptionalAction:")
    print("# LMI v15 passes `true` as a bare --flag and drops `false`). class: EngineArgs or AsyncEngineArgs.")
    print("# Choices given as expressions were resolved from the same release:")
    for expr, where in CHOICE_SOURCES.items():
        print(f"#   {expr}: {where}")
    for name, (cls, default) in fields.items():
        kwargs = args.get(name, {})
        entry: dict[str, Any] = {"class": cls, "kind": _kind(name, kwargs)}
        choices = _choices(kwargs.get("choices"), resolved)
        if choices is not None:
            entry["choices"] = [c for c in choices if c is not None]
        entry["default"] = _default(kwargs.get("default", default), fields)
        if name not in args:
            entry["cli"] = False  # a field with no add_argument: LMI's parser would refuse --name
        body = ", ".join(f"{k} = {json.dumps(v)}" for k, v in entry.items())
        print(f"{name} = {{{body}}}")


def resolve_choices(root: Path) -> dict[str, list[Any]]:
    """Evaluate the few choice expressions from the release's own literals."""
    config = ast.parse((root / "vllm/config.py").read_text())
    arg_utils = ast.parse((root / ARG_UTILS).read_text())
    hf_config = ast.parse((root / "vllm/transformers_utils/config.py").read_text())
    quant = ast.parse((root / "vllm/model_executor/layers/quantization/__init__.py").read_text())

    def literal(tree: ast.Module, name: str) -> Any:
        for node in tree.body:
            targets = [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [])
            if any(isinstance(t, ast.Name) and t.id == name for t in targets) and node.value is not None:
                value = node.value
                if isinstance(value, ast.Subscript):
                    value = value.slice
                return [e.value for e in value.elts] if isinstance(value, (ast.Tuple, ast.List)) else None
        raise SystemExit(f"{name} not found")

    def enum(tree: ast.Module, name: str) -> list[str]:
        cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name)
        return [n.value.value for n in cls.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)]

    parsers = []
    for path in sorted((root / "vllm/reasoning").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "ReasoningParserManager.register_module":
                parsers += [a.value for a in node.args if isinstance(a, ast.Constant)]
    return {
        "get_args(TaskOption)": literal(config, "TaskOption"),
        "[f.value for f in LoadFormat]": enum(config, "LoadFormat"),
        "[f.value for f in ConfigFormat]": enum(hf_config, "ConfigFormat"),
        "[f.value for f in ModelImpl]": enum(config, "ModelImpl"),
        "DEVICE_OPTIONS": literal(arg_utils, "DEVICE_OPTIONS"),
        "[*QUANTIZATION_METHODS, None]": literal(quant, "QUANTIZATION_METHODS"),
        "list(ReasoningParserManager.reasoning_parsers)": sorted(parsers),
    }


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    main(folder, resolve_choices(folder))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from deploy.catalog.tables import regenerate  # the JSON twin the package reads must follow the new TOML

    for twin in regenerate():
        print(f"wrote {twin}")
