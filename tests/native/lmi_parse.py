"""Run inside a virtual environment with vllm==0.8.4 and LMI v15's djl_python on the path: parse one set of
``serving.properties`` keys exactly as LMI v15 does and print what reaches vLLM, as JSON on stdout.

Input (stdin): a JSON list of {"properties": {<key without "option.">: <string>, ...}, "config_dir": <dir> | null}.
DJL Serving strips the ``option.`` prefix (wlm ModelInfo) and hands the rest to the Python worker as strings.
Output: one line ``LMI_PARSE_RESULT <json list>`` (vLLM logs to stdout too), each item
{"ok": true, "dropped": [...], "engine_args": {...}, "model_config": {...}} or {"ok": false, "error": "..."}.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from typing import Any


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def parse(properties: dict[str, str], config_dir: str | None) -> dict[str, Any]:
    from djl_python.properties_manager.vllm_rb_properties import VllmRbProperties
    from vllm import EngineArgs

    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            props = VllmRbProperties(**properties)
            args = props.get_engine_args(async_engine=True)
    except BaseException as exc:  # argparse exits with SystemExit(2) after printing to stderr
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}", "stderr": stderr.getvalue()[-2000:]}
    extra = dict(props.__pydantic_extra__ or {})
    out: dict[str, Any] = {
        "ok": True,
        "dropped": sorted(k for k in extra if k not in EngineArgs.__annotations__),
        "engine_args": {k: _plain(v) for k, v in vars(args).items()},
        "lmi": {
            k: _plain(getattr(props, k))
            for k in ("enable_auto_tool_choice", "tool_call_parser", "enable_reasoning", "reasoning_parser", "task")
        },
    }
    if config_dir:
        out["model_config"] = _model_config(args, config_dir)
    return out


def _model_config(args: Any, config_dir: str) -> dict[str, Any]:
    """vLLM's own ModelConfig checks (architecture, dtype, quantization method) on a local config.json."""
    args.model = config_dir
    args.tokenizer = config_dir
    try:
        config = args.create_model_config()
    except BaseException as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {
        "ok": True,
        "dtype": str(config.dtype),
        "quantization": config.quantization,
        "architectures": list(config.architectures),
        "max_model_len": config.max_model_len,
    }


if __name__ == "__main__":
    requests = json.load(sys.stdin)
    results = [parse(r["properties"], r.get("config_dir")) for r in requests]
    sys.stdout.write("\nLMI_PARSE_RESULT " + json.dumps(results) + "\n")
