"""Will it load: architecture x vLLM version, dtype x GPU, quantization x dtype x GPU.

Each refusal quotes the vLLM 0.8.4 error it prevents (worker: vllm/worker/worker.py and vllm/v1/worker/gpu_worker.py;
engine build: vllm/config.py _verify_quantization / _get_quantization_config; registry: _raise_for_unsupported).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from deploy.catalog import lmi_versions
from deploy.engine.resolve import resolve
from deploy.errors import SpecError
from deploy.render.properties import render
from deploy.sizing import EngineParams, Hardware, estimate, load_shape, shape_from_document
from deploy.sizing.compat import architecture_present, tables
from deploy.sizing.quant import parse_quantization
from deploy.sizing.shape import ModelShape
from deploy.spec.loader import parse_spec
from tests.unit.spec_helpers import base

LIBRARY = Path(__file__).parents[2] / "deploy" / "sizing" / "library"
T4 = Hardware.from_instance("ml.g4dn.xlarge")
V100 = Hardware.from_instance("ml.p3.2xlarge")
A10G = Hardware.from_instance("ml.g5.2xlarge")
A100 = Hardware.from_instance("ml.p4d.24xlarge")
H100 = Hardware.from_instance("ml.p5.48xlarge")
BF16_REFUSAL = "Bfloat16 is only supported on GPUs with compute capability of at least 8.0."


def library(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((LIBRARY / f"{name}.json").read_text())
    return data


def shape_of(name: str, **changes: Any) -> ModelShape:
    data = library(name)
    data.update(changes)
    return shape_from_document(data, name, "test")


LLAMA_1B = load_shape("meta-llama/Llama-3.2-1B-Instruct")


def test_table_has_every_catalog_vllm_version_and_its_wheel() -> None:
    columns = tables()["versions"]
    assert set(columns) == {v.vllm_version for v in lmi_versions()}
    assert all(columns[v.vllm_version]["lmi"] == v.version for v in lmi_versions())
    assert all("sha256:" in entry["wheel"] for entry in columns.values())


@pytest.mark.parametrize(
    ("architecture", "missing_in", "first"),
    [
        ("GptOssForCausalLM", "0.8.4", "0.10.2"),
        ("Llama4ForCausalLM", "0.8.4", "0.10.2"),
        ("Qwen3ForCausalLM", "0.7.3", "0.8.4"),
        ("Qwen3MoeForCausalLM", "0.7.3", "0.8.4"),
        ("Gemma3ForConditionalGeneration", "0.7.3", "0.8.4"),
    ],
)
def test_registry_table(architecture: str, missing_in: str, first: str) -> None:
    assert not architecture_present(architecture, missing_in)
    assert architecture_present(architecture, first)
    assert all(architecture_present("LlamaForCausalLM", v) for v in tables()["versions"])


@pytest.mark.parametrize(
    ("architecture", "vllm", "lmi"),
    [("GptOssForCausalLM", "0.8.4", 16), ("Llama4ForCausalLM", "0.8.4", 16), ("Qwen3ForCausalLM", "0.7.3", 15)],
)
def test_architecture_the_image_cannot_load_is_refused_with_the_first_lmi_that_can(
    architecture: str, vllm: str, lmi: int
) -> None:
    shape = shape_of("meta-llama--Llama-3.2-1B-Instruct", architectures=[architecture])
    with pytest.raises(SpecError) as info:
        estimate(shape, H100, EngineParams(vllm_version=vllm, max_model_len=4096))
    err = info.value
    assert err.field == "lmi.version"
    assert f"Model architectures ['{architecture}'] are not supported for now." in err.message
    assert f"First loadable in LMI v{lmi}" in err.message and f"lmi.version: {lmi}" in str(err.fix)


def test_gpt_oss_on_lmi_v15_is_refused_at_validate_and_plan() -> None:
    shape = shape_of("meta-llama--Llama-3.2-1B-Instruct", architectures=["GptOssForCausalLM"])
    spec = parse_spec(base(model={"id": "openai/gpt-oss-20b"}, instance={"type": "ml.p5.48xlarge"}))
    with pytest.raises(SpecError) as info:
        resolve(spec, shape=shape)
    assert info.value.field == "lmi.version" and "LMI v16 (vLLM 0.10.2)" in info.value.message
    later = parse_spec(
        base(lmi={"version": 16}, model={"id": "openai/gpt-oss-20b"}, instance={"type": "ml.p5.48xlarge"})
    )
    assert resolve(later, shape=shape).tensor_parallel_degree >= 1


def test_custom_code_models_are_flagged_and_need_trust_remote_code() -> None:
    custom = shape_of(
        "meta-llama--Llama-3.2-1B-Instruct",
        architectures=["MyLabForCausalLM"],
        auto_map={"AutoConfig": "configuration_my.MyConfig", "AutoModelForCausalLM": "modeling_my.MyModel"},
    )
    assert custom.auto_map
    with pytest.raises(SpecError) as info:
        estimate(custom, H100, EngineParams(max_model_len=4096, trust_remote_code=False))
    assert info.value.field == "model.trust_remote_code"
    assert "set the option `trust_remote_code=True` to remove this error" in info.value.message
    est = estimate(custom, H100, EngineParams(max_model_len=4096, trust_remote_code=True))
    assert any("ships its own code (auto_map" in w for w in est.warnings)
    assert any("in no vLLM model registry" in w for w in est.warnings)
    native = shape_of("meta-llama--Llama-3.2-1B-Instruct", auto_map={"AutoConfig": "x.Y"})
    assert any(
        "registered implementation" in w for w in estimate(native, H100, EngineParams(max_model_len=4096)).warnings
    )


@pytest.mark.parametrize("gpu", [T4, V100], ids=["g4dn-T4", "p3-V100"])
def test_explicit_bf16_below_compute_capability_8_is_refused(gpu: Hardware) -> None:
    est = estimate(LLAMA_1B, gpu, EngineParams(max_model_len=4096, dtype="bf16"), with_fixes=False)
    assert not est.fits and BF16_REFUSAL in est.reasons[0]
    spec = parse_spec(
        base(model={"id": "meta-llama/Llama-3.2-1B-Instruct"}, engine={"dtype": "bf16"}, instance={"type": gpu.name})
    )
    with pytest.raises(SpecError) as info:
        resolve(spec, shape=LLAMA_1B)
    assert info.value.field == "engine.dtype" and BF16_REFUSAL in info.value.message
    assert "engine.dtype: fp16" in str(info.value.fix)


@pytest.mark.parametrize("gpu", [T4, V100], ids=["g4dn-T4", "p3-V100"])
def test_auto_dtype_of_a_bf16_checkpoint_is_rendered_fp16_where_bf16_is_missing(gpu: Hardware) -> None:
    assert LLAMA_1B.torch_dtype == "bfloat16"
    spec = parse_spec(base(model={"id": "meta-llama/Llama-3.2-1B-Instruct"}, instance={"type": gpu.name}))
    resolved = resolve(spec, shape=LLAMA_1B)
    assert resolved.dtype == "fp16" and resolved.estimate is not None
    assert resolved.estimate.dtype == "float16"  # sized with the dtype actually used
    assert render(resolved).properties["option.dtype"] == "fp16"
    assert any("rendered as fp16" in note for note in resolved.notes)


def test_auto_dtype_stays_unrendered_on_bf16_gpus() -> None:
    spec = parse_spec(base(model={"id": "meta-llama/Llama-3.2-1B-Instruct"}, instance={"type": "ml.g5.2xlarge"}))
    resolved = resolve(spec, shape=LLAMA_1B)
    assert resolved.dtype is None and "option.dtype" not in render(resolved).properties


AWQ = "Qwen--Qwen2.5-7B-Instruct-AWQ"
GPTQ = "hugging-quants--Meta-Llama-3.1-8B-Instruct-GPTQ-INT4"


def test_explicit_awq_with_bf16_is_refused_as_vllm_does() -> None:
    shape = shape_of(AWQ)
    params = EngineParams(max_model_len=4096, quantize="awq", dtype="bf16")
    est = estimate(shape, A10G, params, with_fixes=False)
    quoted = "torch.bfloat16 is not supported for quantization method awq. Supported dtypes: [torch.float16]"
    assert not est.fits and quoted in est.reasons[0]
    spec = parse_spec(
        base(
            model={"id": "Qwen/Qwen2.5-7B-Instruct-AWQ"},
            engine={"quantize": "awq", "dtype": "bf16"},
            instance={"type": "ml.g5.2xlarge"},
        )
    )
    with pytest.raises(SpecError) as info:
        resolve(spec, shape=shape)
    assert info.value.field == "engine.dtype" and quoted in info.value.message
    # without quantize vLLM picks awq_marlin, which takes bf16
    assert estimate(shape, A10G, replace(params, quantize=None), with_fixes=False).fits


@pytest.mark.parametrize("name", [AWQ, GPTQ])
def test_explicit_plain_method_warns_that_marlin_is_off(name: str) -> None:
    shape = shape_of(name)
    method = shape.quantization.method if shape.quantization else ""
    est = estimate(shape, A10G, EngineParams(max_model_len=4096, quantize=method, dtype="fp16"), with_fixes=False)
    assert any(
        f"however you specified quantization={method} explicitly, so forcing {method}" in w for w in est.warnings
    )
    plain = estimate(shape, A10G, EngineParams(max_model_len=4096), with_fixes=False)
    assert not any("disables Marlin" in w for w in plain.warnings)


def test_fp8_below_8_9_runs_weight_only_through_marlin_and_below_8_0_is_refused() -> None:
    dense = EngineParams(max_model_len=4096, quantize="fp8")
    on_a10g = estimate(LLAMA_1B, A10G, dense, with_fixes=False)
    assert on_a10g.fits and any("weight-only FP8 through Marlin" in w for w in on_a10g.warnings)
    assert not any("Marlin" in w for w in estimate(LLAMA_1B, H100, dense, with_fixes=False).warnings)
    on_t4 = estimate(LLAMA_1B, T4, replace(dense, dtype="fp16"), with_fixes=False)
    assert not on_t4.fits
    assert (
        "The quantization method fp8 is not supported for the current GPU. Minimum capability: 80. "
        "Current capability: 75." in on_t4.reasons[0]
    )


@pytest.mark.parametrize("gpu", [A10G, A100], ids=["A10G", "A100"])
def test_fp8_moe_and_block_fp8_have_no_marlin_path_below_8_9(gpu: Hardware) -> None:
    moe = load_shape("Qwen/Qwen3-30B-A3B")
    est = estimate(
        moe,
        gpu,
        EngineParams(max_model_len=4096, quantize="fp8", tensor_parallel_degree=gpu.gpu_count),
        with_fixes=False,
    )
    assert not est.fits and "type fp8e4nv not supported in this architecture" in est.reasons[0]
    block = shape_of(
        "meta-llama--Llama-3.2-1B-Instruct",
        quantization_config={"quant_method": "fp8", "weight_block_size": [128, 128], "activation_scheme": "dynamic"},
    )
    est = estimate(block, gpu, EngineParams(max_model_len=4096), with_fixes=False)
    assert not est.fits and "block-wise FP8 weights" in est.reasons[0]
    assert estimate(block, H100, EngineParams(max_model_len=4096), with_fixes=False).fits


@pytest.mark.parametrize(
    ("config", "method", "bits_per_weight"),
    [
        ({"quant_method": "mxfp4"}, "mxfp4", 4.25),
        ({"quant_method": "modelopt", "quant_algo": "NVFP4"}, "nvfp4", 4.5),
        ({"quant_method": "aqlm", "num_codebooks": 1, "nbits_per_codebook": 16, "in_group_size": 8}, "aqlm", 2.0),
        ({"quant_method": "hqq", "nbits": 4, "group_size": 64}, "hqq", 4.0 + (2 + 0.5) * 8 / 64),
        ({"quant_method": "qqq", "wbits": 4, "group_size": 128}, "qqq", 4.0 + 16 / 128),
        (
            {"quant_method": "gptq", "bits": 4, "group_size": 128, "checkpoint_format": "marlin_24"},
            "gptq_marlin_24",
            3.0 + 16 / 128,
        ),
        ({"quant_method": "torchao", "quant_type": {"default": {"_type": "Int4WeightOnlyConfig"}}}, "torchao", 4.25),
    ],
)
def test_newer_formats_have_their_real_size(config: dict[str, Any], method: str, bits_per_weight: float) -> None:
    quant = parse_quantization(config)
    assert quant is not None and quant.method == method
    assert quant.bytes_per_weight() * 8 == pytest.approx(bits_per_weight)


def test_mxfp4_checkpoint_on_v15_is_refused_and_nvfp4_needs_blackwell() -> None:
    gpt_oss_like = shape_of("meta-llama--Llama-3.2-1B-Instruct", quantization_config={"quant_method": "mxfp4"})
    with pytest.raises(SpecError) as info:
        estimate(gpt_oss_like, H100, EngineParams(max_model_len=4096))
    assert "Unknown quantization method: mxfp4. Must be one of" in info.value.message
    assert info.value.field == "model.id" and "LMI v16" in info.value.message
    nvfp4 = shape_of(
        "meta-llama--Llama-3.2-1B-Instruct", quantization_config={"quant_method": "modelopt", "quant_algo": "NVFP4"}
    )
    est = estimate(nvfp4, H100, EngineParams(max_model_len=4096), with_fixes=False)
    assert (
        not est.fits
        and "nvfp4 is not supported for the current GPU. Minimum capability: 100. Current capability: 90."
        in est.reasons[0]
    )


@pytest.mark.parametrize("method", ["tpu_int8", "neuron_quant", "ipex"])
def test_methods_for_other_accelerators_are_refused_on_nvidia(method: str) -> None:
    est = estimate(LLAMA_1B, H100, EngineParams(max_model_len=4096, quantize=method), with_fixes=False)
    assert not est.fits and "not NVIDIA GPUs" in est.reasons[0]


def test_recommend_skips_instances_where_it_would_not_load() -> None:
    from deploy.sizing import recommend

    old_gpus = ("ml.g4dn", "ml.p3")
    assert any(r.instance_type.startswith(old_gpus) for r in recommend(LLAMA_1B, max_model_len=4096))  # auto: fp16
    recs = recommend(LLAMA_1B, max_model_len=4096, dtype="bf16")
    assert recs and not any(r.instance_type.startswith(old_gpus) for r in recs)


@pytest.mark.parametrize(
    ("architecture", "image", "last_lmi"),
    [
        ("QWenLMHeadModel", "0.26.0", 27),
        ("BaichuanForCausalLM", "0.26.0", 27),
        ("MllamaForConditionalGeneration", "0.26.0", 16),
    ],
)
def test_architecture_removed_in_a_later_image_names_the_last_lmi_that_loads_it(
    architecture: str, image: str, last_lmi: int
) -> None:
    shape = shape_of("meta-llama--Llama-3.2-1B-Instruct", architectures=[architecture])
    assert estimate(shape, H100, EngineParams(max_model_len=4096), with_fixes=False).fits  # vLLM 0.8.4 loads it
    with pytest.raises(SpecError) as info:
        estimate(shape, H100, EngineParams(vllm_version=image, max_model_len=4096))
    assert f"last loadable in LMI v{last_lmi}" in info.value.message
    assert f"lmi.version: {last_lmi} or earlier" in str(info.value.fix)


def test_aqlm_checkpoint_loads_on_v15_only() -> None:
    aqlm = shape_of(
        "meta-llama--Llama-3.2-1B-Instruct",
        quantization_config={"quant_method": "aqlm", "num_codebooks": 1, "nbits_per_codebook": 16, "in_group_size": 8},
    )
    assert estimate(aqlm, A10G, EngineParams(max_model_len=4096, dtype="fp16"), with_fixes=False).fits
    with pytest.raises(SpecError) as info:
        estimate(aqlm, A10G, EngineParams(vllm_version="0.10.2", max_model_len=4096))
    assert (
        "Unknown quantization method: aqlm" in info.value.message and "last loadable in LMI v15" in info.value.message
    )


def test_nvfp4_checkpoint_keeps_its_method_under_the_later_name() -> None:
    from deploy.sizing.load_check import spec_problem

    nvfp4 = shape_of(
        "meta-llama--Llama-3.2-1B-Instruct", quantization_config={"quant_method": "modelopt", "quant_algo": "NVFP4"}
    )
    for version in ("0.8.4", "0.10.2", "0.26.0"):  # nvfp4 in 0.8.4, modelopt_fp4 from 0.10
        assert spec_problem(nvfp4, EngineParams(vllm_version=version)) is None
    problem = spec_problem(nvfp4, EngineParams(vllm_version="0.7.3"))
    assert problem is not None and "Unknown quantization method: nvfp4" in problem.message
    assert "First loadable in LMI v15" in problem.message


@pytest.mark.parametrize(
    ("name", "quantize", "ok"),
    [
        (AWQ, "gptq", False),
        (AWQ, "fp8", False),
        (AWQ, "awq_marlin", True),
        (GPTQ, "awq", False),
        (GPTQ, "gptq_marlin", True),
        ("neuralmagic--Qwen2.5-7B-FP8-dynamic", "fp8", False),  # a compressed-tensors checkpoint
        ("neuralmagic--Qwen2.5-7B-FP8-dynamic", "compressed-tensors", True),
    ],
)
def test_explicit_quantize_must_match_the_checkpoint(name: str, quantize: str, ok: bool) -> None:
    from deploy.sizing.load_check import spec_problem

    shape = shape_of(name)
    problem = spec_problem(shape, EngineParams(quantize=quantize))
    if ok:
        assert problem is None
    else:
        assert problem is not None and problem.field == "engine.quantize"
        assert "does not match the quantization method specified in the `quantization` argument" in problem.message
        assert f"({quantize})." in problem.message


def test_auto_dtype_follows_what_config_json_states() -> None:
    """vLLM 0.8.4 reads the checkpoint's torch_dtype (float32 when absent, then float16 under auto)."""
    bf16_awq = shape_of("casperhansen--deepseek-r1-distill-llama-8b-awq")
    assert bf16_awq.torch_dtype == "bfloat16" and bf16_awq.dtype_in_config
    explicit_awq = estimate(bf16_awq, A10G, EngineParams(max_model_len=4096, quantize="awq"), with_fixes=False)
    assert (
        not explicit_awq.fits
        and "torch.bfloat16 is not supported for quantization method awq" in explicit_awq.reasons[0]
    )
    assert estimate(bf16_awq, A10G, EngineParams(max_model_len=4096), with_fixes=False).fits  # awq_marlin takes bf16
    no_dtype = shape_of("Qwen--Qwen2.5-7B-Instruct-AWQ")  # the bundled config states no torch_dtype
    assert not no_dtype.dtype_in_config
    est = estimate(no_dtype, A10G, EngineParams(max_model_len=4096, quantize="awq"), with_fixes=False)
    assert est.fits and est.dtype == "float16"
    later = estimate(
        shape_of("meta-llama--Llama-3.2-1B-Instruct", torch_dtype="float32"),
        A10G,
        EngineParams(vllm_version="0.10.2", max_model_len=4096),
        with_fixes=False,
    )
    assert later.dtype == "bfloat16"  # from 0.10 vLLM picks the platform's preferred dtype for fp32 checkpoints
