"""Opt-in: what `lmi render` produces, judged by LMI v15's own property parser and vLLM 0.8.4's argument parser.

Skipped unless LMI_NATIVE_PYTHON names the python of a virtual environment with ``vllm==0.8.4`` installed and
LMI_DJL_PYTHON names djl-serving's ``engines/python/setup`` folder at branch 0.33.0-dlc (see docs/sizing.md, "Judged
by LMI's own code"). Each case runs tests/native/lmi_parse.py in that environment (CPU only, nothing is loaded on a
GPU) and checks that no rendered key is dropped, that the engine arguments equal the spec's, and that every value
lmi-deploy refuses is refused by LMI/vLLM with the text lmi-deploy quotes.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from deploy.engine.resolve import resolve
from deploy.render.properties import render
from deploy.sizing import load_shape
from deploy.spec.engine_options import option_problems
from deploy.spec.loader import parse_spec
from tests.unit.spec_helpers import base

NATIVE_PYTHON = os.environ.get("LMI_NATIVE_PYTHON", "")
DJL_PYTHON = os.environ.get("LMI_DJL_PYTHON", "")
HARNESS = Path(__file__).with_name("lmi_parse.py")
LIBRARY = Path(__file__).parents[2] / "deploy" / "sizing" / "library"
# Rendered keys read outside VllmRbProperties' engine arguments: by DJL Serving's Java side (engine, entryPoint,
# model_loading_timeout: wlm ModelInfo / PyModel), by the Python engine's dispatch (async_mode), or by
# Properties.set_model_id_or_path (model_id).
READ_ELSEWHERE = {"engine", "entryPoint", "model_loading_timeout", "async_mode", "model_id"}

pytestmark = pytest.mark.skipif(
    not (NATIVE_PYTHON and DJL_PYTHON), reason="set LMI_NATIVE_PYTHON and LMI_DJL_PYTHON (docs/sizing.md)"
)


def lmi_parse_many(requests: list[dict[str, Any]]) -> list[Any]:
    """Parse several property sets in one run of the harness (importing vLLM takes ~20 s)."""
    env = {**os.environ, "PYTHONPATH": DJL_PYTHON, "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(
        [NATIVE_PYTHON, str(HARNESS)],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("LMI_PARSE_RESULT "))
    results: list[Any] = json.loads(line.removeprefix("LMI_PARSE_RESULT "))
    return results


def worker_properties(spec_doc: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    """Render a spec and hand its keys to LMI as DJL does: ``option.`` stripped, values as strings."""
    spec = parse_spec(spec_doc)
    resolved = resolve(spec, shape=load_shape(spec.model.id))
    props = render(resolved).properties
    return resolved, {k.removeprefix("option."): v for k, v in props.items()}


GOOD = [
    base(),
    base(model={"id": "meta-llama/Llama-3.2-1B-Instruct"}, instance={"type": "ml.g4dn.xlarge"}),
    base(engine={"options": {"block_size": 32, "enable_chunked_prefill": False, "max_seq_len_to_capture": 4096}}),
    base(engine={"options": {"enable_auto_tool_choice": True, "tool_call_parser": "hermes"}}),
    base(engine={"options": {"enable_reasoning": True, "reasoning_parser": "deepseek_r1"}}),
    base(
        engine={
            "options": {
                "speculative_config": '{"model": "[ngram]", "num_speculative_tokens": 4, "prompt_lookup_max": 4}'
            }
        }
    ),
    base(engine={"quantize": "fp8", "kv_cache_dtype": "fp8", "max_num_batched_tokens": 4096}),
]


BAD_OPTIONS = [
    {"block_size": 24},
    {"max_seq_len_to_capture": "4096.0"},
    {"enforce_eager": "yes"},
    {"enable_chunked_prefill": "yes"},
    {"enable_reasoning": "true", "reasoning_parser": "qwen3"},
    {"enable_auto_tool_choice": "true"},
    {"enable_auto_tool_choice": "true", "tool_call_parser": "qwen3_xml"},
    {"speculative_config": "model=foo"},
]
DROPPED = ["speculative_model", "num_speculative_tokens", "disable_log_requests", "job_queue_size"]


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every case, parsed by LMI v15 + vLLM 0.8.4 in one run of the harness."""
    cases: dict[str, dict[str, Any]] = {}
    for n, doc in enumerate(GOOD):
        _, props = worker_properties(doc)
        cases[f"good{n}"] = {"properties": props, "config_dir": None}
    _, plain = worker_properties(base())
    for bad in BAD_OPTIONS:
        cases[_bad_id(bad)] = {"properties": {**plain, **{k: str(v) for k, v in bad.items()}}}
    for key in DROPPED:
        cases[f"dropped:{key}"] = {"properties": {**plain, key: "4"}}
    cases["task"] = {"properties": {**plain, "task": "embed"}}
    config = json.loads((LIBRARY / "meta-llama--Llama-3.2-1B-Instruct.json").read_text())
    config = {k: v for k, v in config.items() if not k.startswith("_")}
    auto = {k: v for k, v in plain.items() if k != "dtype"}
    awq = {"quant_method": "awq", "bits": 4, "group_size": 128, "zero_point": True, "version": "gemm"}
    changes = {
        "fp32": ({"torch_dtype": "float32"}, {}),
        "mxfp4": ({"quantization_config": {"quant_method": "mxfp4"}}, {}),
        "awq-as-gptq": ({"quantization_config": awq, "torch_dtype": "float16"}, {"quantize": "gptq"}),
    }
    for name, (change, extra) in changes.items():
        folder = tmp_path_factory.mktemp(name)
        (folder / "config.json").write_text(json.dumps({**config, **change}))
        cases[f"config:{name}"] = {"properties": {**auto, **extra}, "config_dir": str(folder)}
    results = lmi_parse_many(list(cases.values()))
    return dict(zip(cases, results, strict=True))


@pytest.mark.parametrize("n", range(len(GOOD)), ids=[f"case{i}" for i in range(len(GOOD))])
def test_rendered_keys_all_reach_vllm_with_the_specs_values(n: int, judged: dict[str, Any]) -> None:
    resolved, props = worker_properties(GOOD[n])
    result = judged[f"good{n}"]
    assert result["ok"], result
    assert set(result["dropped"]) <= READ_ELSEWHERE, result["dropped"]
    args = result["engine_args"]
    assert args["tensor_parallel_size"] == resolved.tensor_parallel_degree
    assert args["max_num_seqs"] == resolved.max_rolling_batch_size
    assert args["max_model_len"] == resolved.max_model_len
    assert args["gpu_memory_utilization"] == pytest.approx(resolved.spec.engine.gpu_memory_utilization)
    short = {"fp16": "float16", "bf16": "bfloat16", "fp32": "float32", "auto": "auto"}
    assert args["dtype"] == short[props.get("dtype", "auto")]
    assert args["quantization"] == resolved.spec.engine.quantize
    for key, value in resolved.spec.engine.options.items():
        target = result["lmi"] if key in result["lmi"] else args
        expected = json.loads(value) if key == "speculative_config" else value
        assert target[key] == expected, key


def _bad_id(bad: dict[str, str]) -> str:
    return "bad:" + "+".join(bad)


@pytest.mark.parametrize("bad", BAD_OPTIONS, ids=[_bad_id(b) for b in BAD_OPTIONS])
def test_values_lmi_deploy_refuses_are_refused_by_lmi_with_the_quoted_text(
    bad: dict[str, str], judged: dict[str, Any]
) -> None:
    problems = option_problems(bad)
    assert problems
    result = judged[_bad_id(bad)]
    assert not result["ok"]
    said = result["error"] + result["stderr"]
    quoted = problems[0].message.split('"')[1].split("...")[0].strip()
    assert quoted[:40] in said, (quoted, said[-500:])


@pytest.mark.parametrize("key", DROPPED)
def test_keys_lmi_deploy_refuses_as_dropped_are_dropped_by_lmi(key: str, judged: dict[str, Any]) -> None:
    result = judged[f"dropped:{key}"]
    assert result["ok"] and key in result["dropped"]


def test_task_is_declared_but_not_forwarded(judged: dict[str, Any]) -> None:
    result = judged["task"]
    assert result["ok"] and result["lmi"]["task"] == "embed" and result["engine_args"]["task"] == "auto"


def test_vllm_model_config_agrees_on_dtype_and_unknown_methods(judged: dict[str, Any]) -> None:
    fp32 = judged["config:fp32"]["model_config"]
    assert fp32["ok"] and fp32["dtype"] == "torch.float16", fp32  # dtype=auto, vLLM 0.8.4
    mxfp4 = judged["config:mxfp4"]["model_config"]
    assert not mxfp4["ok"] and "Unknown quantization method: mxfp4. Must be one of" in mxfp4["error"], mxfp4


def test_vllm_model_config_refuses_an_explicit_quantize_the_checkpoint_cannot_become(judged: dict[str, Any]) -> None:
    from deploy.sizing import shape_from_document
    from deploy.sizing.load_check import spec_problem
    from deploy.sizing.versions import EngineParams

    said = judged["config:awq-as-gptq"]["model_config"]
    assert not said["ok"]
    config = json.loads((LIBRARY / "meta-llama--Llama-3.2-1B-Instruct.json").read_text())
    config["quantization_config"] = {"quant_method": "awq", "bits": 4, "group_size": 128}
    problem = spec_problem(shape_from_document(config, "m", "test"), EngineParams(quantize="gptq"))
    assert problem is not None and problem.message in said["error"], (problem, said)
