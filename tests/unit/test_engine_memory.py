"""Memory terms of engine features (deploy/sizing/engine_memory.py), each checked against numbers worked by hand.

GiB = 2**30. Shapes: the bundled library (Llama-3.1-8B: hidden 4096, 32 layers, 32 heads, 8 KV heads of 128,
intermediate 14336, vocab 128256) and openai/gpt-oss-20b from benchmarks/data/configs (hidden 2880, 24 layers,
64 heads, 8 KV heads of 64, 32 experts of 2880, top-4, vocab 201088).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from deploy.sizing import EngineParams, Hardware, estimate, load_shape
from deploy.sizing.budget import compute_budget
from deploy.sizing.engine_memory import (
    SpeculativeParams,
    draft_kv_bytes_per_token,
    expert_parallel_extra_bytes,
    lora_slot_bytes,
    moe_workspace_bytes,
    multimodal_batched_tokens,
    sampler_warmup_bytes,
    sampler_warmup_rows,
    warmup_bytes_per_logit,
)

GIB = 1024**3
REPO = Path(__file__).resolve().parents[2]
GPT_OSS = REPO / "benchmarks" / "data" / "configs" / "openai--gpt-oss-20b.json"
H100 = Hardware(
    gpu_memory_mib=81559,
    gpu_count=8,
    gpu_name="NVIDIA H100 80GB",
    torch_total_bytes=int(79.19 * GIB),
    compute_capability=9.0,
    nvlink=True,
)
L4 = Hardware(gpu_memory_mib=23034, gpu_count=4, gpu_name="L4", compute_capability=8.9, nvlink=False)


@pytest.fixture(scope="module")
def llama8b():  # type: ignore[no-untyped-def]
    return load_shape("meta-llama/Llama-3.1-8B-Instruct")


@pytest.fixture(scope="module")
def gpt_oss():  # type: ignore[no-untyped-def]
    return load_shape(str(GPT_OSS))


# ---- sampler warm-up ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seqs", "batched", "rows"), [(1024, 8192, 1024), (256, 2048, 256), (256, 128, 128), (1, 1, 1)]
)
def test_warmup_samples_min_of_seqs_and_batched_tokens(seqs: int, batched: int, rows: int) -> None:
    assert sampler_warmup_rows(seqs, batched) == rows


def test_warmup_bytes_by_hand() -> None:
    # 1024 rows x 201,088 logits = 205,914,112; x 27 bytes = 5,559,681,024 bytes = 5.178 GiB
    assert sampler_warmup_bytes(1024, 201088, 27.0) == 5_559_681_024
    # before 0.10 the profile run samples the same batch with the same sorted path: no extra over the profile
    assert warmup_bytes_per_logit((0, 8, 4), 40.0) == 40.0
    assert warmup_bytes_per_logit((0, 9, 2), 40.0) == 40.0
    assert warmup_bytes_per_logit((0, 16, 0), 40.0) == 40.0  # 0.15/0.16 logs: the profile's sampler is the sort path
    assert warmup_bytes_per_logit((0, 19, 0), 15.4) == 27.0
    assert warmup_bytes_per_logit((0, 26, 0), 15.4) == 27.0


@pytest.mark.parametrize("tp", [1, 2])
def test_gpt_oss_h100_default_seqs_are_lowered_and_said(gpt_oss, tp: int) -> None:  # type: ignore[no-untyped-def]
    # llm-d-planner v0.19.0 logs: utilization 0.95, max_model_len 8192, vLLM's default 1024 seqs: sized the KV
    # cache, then "CUDA out of memory occurred when warming up sampler with 1024 dummy requests".
    params = EngineParams(
        vllm_version="0.19.0", gpu_memory_utilization=0.95, max_model_len=8192, tensor_parallel_degree=tp
    )
    est = estimate(gpt_oss, H100, params)
    assert est.default_max_num_seqs_fails
    assert est.max_num_seqs < 1024 and est.max_num_seqs % 8 == 0
    assert any("warming up sampler with 1024 dummy requests" in w for w in est.warnings)
    lowered = compute_budget(gpt_oss, H100, replace(params, max_num_seqs=est.max_num_seqs))
    assert lowered.warmup_fits
    one_more = compute_budget(gpt_oss, H100, replace(params, max_num_seqs=est.max_num_seqs + 8))
    assert not one_more.warmup_fits  # the largest multiple of 8 that fits, not a guess


@pytest.mark.parametrize("tp", [1, 2])
def test_gpt_oss_h100_explicit_1024_seqs_is_refused_with_vllms_words(gpt_oss, tp: int) -> None:  # type: ignore[no-untyped-def]
    params = EngineParams(
        vllm_version="0.19.0",
        gpu_memory_utilization=0.95,
        max_model_len=8192,
        max_num_seqs=1024,
        tensor_parallel_degree=tp,
    )
    est = estimate(gpt_oss, H100, params, with_fixes=False)
    assert not est.fits
    assert est.reasons[0].startswith("CUDA out of memory occurred when warming up sampler with 1024 dummy requests")
    fixed = estimate(gpt_oss, H100, params)
    assert fixed.fixes[0].startswith("set max_rolling_batch_size <= ")
    seqs = int(fixed.fixes[0].split("<= ")[1].split()[0])
    assert estimate(gpt_oss, H100, replace(params, max_num_seqs=seqs), with_fixes=False).fits  # the fix is checked
    assert not estimate(gpt_oss, H100, replace(params, max_num_seqs=seqs + 8), with_fixes=False).fits


def test_gpt_oss_h100_at_utilization_090_keeps_1024(gpt_oss) -> None:  # type: ignore[no-untyped-def]
    # the same start at 0.90 (llm-d-planner's tp=2 run that started): 3.96 GiB more headroom, no lowering
    params = EngineParams(vllm_version="0.19.0", gpu_memory_utilization=0.9, max_model_len=8192)
    est = estimate(gpt_oss, H100, params)
    assert est.fits and est.max_num_seqs == 1024 and not est.default_max_num_seqs_fails


def test_warmup_free_memory_by_hand(gpt_oss) -> None:  # type: ignore[no-untyped-def]
    # free after the KV cache = (1 - 0.95) x total + profile peak - MoE workspace (persistent from 0.10) - graphs
    b = compute_budget(
        gpt_oss, H100, EngineParams(vllm_version="0.19.0", gpu_memory_utilization=0.95, max_num_seqs=1024)
    )
    moe = moe_workspace_bytes(gpt_oss, 1, b.profiled_tokens, 2.0, expert_parallel=False)
    expected = b.total_bytes * 0.05 + b.activation_bytes - moe - b.cuda_graph_bytes
    assert b.warmup_free_bytes == pytest.approx(expected)
    assert b.cuda_graph_bytes == pytest.approx(2 * (0.35 + 0.0165 * 1.5 * 24) * GIB)  # gpt-oss graphs up to 1024


# ---- speculative decoding -------------------------------------------------------------------------------


def test_draft_model_on_084_falls_back_to_v0_with_8192_tokens(llama8b) -> None:  # type: ignore[no-untyped-def]
    draft = load_shape("meta-llama/Llama-3.2-1B-Instruct")
    spec = SpeculativeParams(method="draft_model", num_speculative_tokens=4, draft=draft)
    base = compute_budget(llama8b, L4, EngineParams(max_model_len=4096))
    with_spec = compute_budget(llama8b, L4, EngineParams(max_model_len=4096, speculative=spec))
    assert base.behaviour.engine == "v1" and with_spec.behaviour.engine == "v0"
    assert with_spec.engine_note and "falls back to the V0 engine" in with_spec.engine_note
    assert with_spec.profiled_tokens == 8192  # V0 without chunked prefill: max(max_model_len 4096, 8192)
    # draft weights on top: Llama-3.2-1B at tp=1 in bf16
    assert with_spec.weights_bytes - base.weights_bytes == pytest.approx(
        draft.weight_bytes_per_rank(1, dtype_bytes=2.0)
    )
    # KV per token: target 2 x 32 layers x 8 heads x 128 x 2 B = 131,072 + draft 2 x 16 x 8 x 64 x 2 B = 32,768
    assert draft_kv_bytes_per_token(spec, 1, 2.0) == 32_768
    assert with_spec.kv_bytes_per_token == 131_072 + 32_768


def test_ngram_keeps_v1_and_adds_nothing(llama8b) -> None:  # type: ignore[no-untyped-def]
    spec = SpeculativeParams(method="ngram", num_speculative_tokens=3)
    base = compute_budget(llama8b, L4, EngineParams(max_model_len=4096))
    ngram = compute_budget(llama8b, L4, EngineParams(max_model_len=4096, speculative=spec))
    assert ngram.behaviour.engine == "v1" and ngram.engine_note is None
    assert ngram.weights_bytes == base.weights_bytes and ngram.kv_bytes_per_token == base.kv_bytes_per_token


def test_draft_model_on_v1_versions_keeps_v1(llama8b) -> None:  # type: ignore[no-untyped-def]
    spec = SpeculativeParams(draft=load_shape("meta-llama/Llama-3.2-1B-Instruct"))
    b = compute_budget(llama8b, H100, EngineParams(vllm_version="0.19.0", max_model_len=4096, speculative=spec))
    assert b.behaviour.engine == "v1" and b.kv_bytes_per_token == 131_072 + 32_768


# ---- multimodal ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "version", "hardware", "tokens"),
    [
        ("google/gemma-3-4b-it", "0.8.4", L4, 5120),  # multimodal: SchedulerConfig raises 2,048 to 5,120
        ("google/gemma-3-27b-it", "0.8.4", L4, 5120),
        ("mistralai/Mistral-Small-3.1-24B-Instruct-2503", "0.8.4", L4, 5120),
        ("meta-llama/Llama-3.1-8B-Instruct", "0.8.4", L4, 2048),  # text-only: the default
        ("google/gemma-3-4b-it", "0.19.0", H100, 8192),  # the larger default of >= 0.9 on H100 still wins
    ],
)
def test_multimodal_batched_tokens(model: str, version: str, hardware: Hardware, tokens: int) -> None:
    shape = load_shape(model)
    b = compute_budget(shape, hardware, EngineParams(vllm_version=version, max_model_len=4096))
    assert b.profiled_tokens == tokens


def test_explicit_batched_tokens_win_over_the_multimodal_default() -> None:
    shape = load_shape("google/gemma-3-4b-it")
    b = compute_budget(shape, L4, EngineParams(max_model_len=4096, max_num_batched_tokens=3072))
    assert b.profiled_tokens == 3072
    assert multimodal_batched_tokens(shape, 8192) == 8192


# ---- LoRA ------------------------------------------------------------------------------------------------


def test_lora_slots_by_hand(llama8b) -> None:  # type: ignore[no-untyped-def]
    # rank r = 16, hidden h = 4096, q out 4096, kv out 2 x 8 x 128 = 2048, intermediate 14336 (tp=1):
    # qkv 3rh + r(4096 + 2048) = 196,608 + 98,304 = 294,912; o_proj r*4096 + 4096r = 131,072
    # gate_up 2rh + 2*14336r = 589,824; down 14336r + 4096r = 294,912 -> 1,310,720 per layer
    # x 32 layers = 41,943,040; LoRA head r*h + (128,256 + 256) r = 65,536 + 2,056,192 = 2,121,728;
    # LoRA embedding 2,056,192 + 256 h + h r = 2,056,192 + 1,048,576 + 65,536 = 3,170,304
    # -> 47,235,072 params per slot; x 4 slots x 2 bytes = 377,880,576 bytes
    assert lora_slot_bytes(llama8b, 1, 4, 16, 2.0) == 377_880_576
    # tp=2: B of column layers and A of row layers halve: qkv 196,608 + 16 x (2048 + 1024) = 245,760,
    # o 32,768 + 65,536 = 98,304; gate_up 131,072 + 229,376 = 360,448; down 114,688 + 65,536 = 180,224
    # -> 884,736 x 32 = 28,311,552; head 65,536 + 1,028,096 = 1,093,632; embedding 3,170,304 (unsharded)
    # -> 32,575,488 x 4 x 2 = 260,603,904
    assert lora_slot_bytes(llama8b, 2, 4, 16, 2.0) == 260_603_904
    assert lora_slot_bytes(llama8b, 1, 0, 16, 2.0) == 0.0


@pytest.mark.parametrize(("loras", "rank"), [(1, 8), (4, 16), (8, 64)])
def test_lora_slots_add_to_the_weights(llama8b, loras: int, rank: int) -> None:  # type: ignore[no-untyped-def]
    base = compute_budget(llama8b, L4, EngineParams(max_model_len=4096))
    lora = compute_budget(llama8b, L4, EngineParams(max_model_len=4096, max_loras=loras, max_lora_rank=rank))
    assert lora.weights_bytes - base.weights_bytes == pytest.approx(lora_slot_bytes(llama8b, 1, loras, rank, 2.0))
    assert lora.kv_tokens < base.kv_tokens


# ---- expert parallelism -----------------------------------------------------------------------------------


def test_expert_parallel_even_split_holds_the_same_bytes() -> None:
    mixtral = load_shape("mistralai/Mixtral-8x7B-Instruct-v0.1")  # 8 experts over 2 or 4 ranks: even
    assert expert_parallel_extra_bytes(mixtral, 2, 2.0) == 0.0
    assert expert_parallel_extra_bytes(mixtral, 4, 2.0) == 0.0
    assert expert_parallel_extra_bytes(mixtral, 1, 2.0) == 0.0


def test_expert_parallel_uneven_split_by_hand() -> None:
    mixtral = load_shape("mistralai/Mixtral-8x7B-Instruct-v0.1")
    shape = replace(mixtral, moe=replace(mixtral.moe, num_experts=6))  # 6 experts over 4 ranks: 2, 2, 1, 1
    m = shape.moe
    assert m is not None
    experts = m.num_moe_layers * 6 * 3 * shape.hidden_size * m.expert_intermediate_size  # params of all experts
    # fullest rank: 2 of 6 experts instead of 1/4 of each: (2/6 - 1/4) = 1/12 of all experts more
    assert expert_parallel_extra_bytes(shape, 4, 2.0) == pytest.approx(experts * 2.0 / 12)


def test_expert_parallel_workspace_runs_whole_experts() -> None:
    qwen = load_shape("Qwen/Qwen3-30B-A3B")
    split = moe_workspace_bytes(qwen, 4, 2048, 2.0, expert_parallel=False)
    whole = moe_workspace_bytes(qwen, 4, 2048, 2.0, expert_parallel=True)
    m = qwen.moe
    assert m is not None
    # tokens x top_k x (3 x intermediate / split + hidden) x 2 bytes
    assert split == 2048 * m.top_k * (3 * m.expert_intermediate_size / 4 + qwen.hidden_size) * 2.0
    assert whole == 2048 * m.top_k * (3 * m.expert_intermediate_size + qwen.hidden_size) * 2.0
    tensor = compute_budget(qwen, H100, EngineParams(tensor_parallel_degree=4, max_model_len=8192))
    ep = compute_budget(
        qwen, H100, EngineParams(tensor_parallel_degree=4, max_model_len=8192, enable_expert_parallel=True)
    )
    assert ep.activation_bytes - tensor.activation_bytes == pytest.approx(
        moe_workspace_bytes(qwen, 4, tensor.profiled_tokens, 2.0, expert_parallel=True)
        - moe_workspace_bytes(qwen, 4, tensor.profiled_tokens, 2.0, expert_parallel=False)
    )


# ---- engine options -> EngineParams -----------------------------------------------------------------------


def test_engine_options_parse_lora_spec_and_ep() -> None:
    from deploy.sizing.engine_options import feature_params
    from deploy.sizing.params import engine_params

    features = feature_params(
        {
            "enable_lora": "true",
            "max_loras": "4",
            "max_lora_rank": 32,
            "enable_expert_parallel": True,
            "speculative_config": '{"model": "meta-llama/Llama-3.2-1B-Instruct", "num_speculative_tokens": 4}',
        }
    )
    assert features.max_loras == 4 and features.max_lora_rank == 32 and features.enable_expert_parallel
    assert features.speculative is not None and features.speculative.draft is not None
    assert features.speculative.num_speculative_tokens == 4 and features.note is None
    params = engine_params(options={"enable_lora": True})
    assert params.max_loras == 1 and params.max_lora_rank == 16  # vLLM 0.8.4's defaults once LoRA is on
    assert engine_params(options={"max_loras": "8"}).max_loras == 0  # slots only with enable_lora
    assert engine_params().speculative is None


@pytest.mark.parametrize(
    ("config", "method", "has_draft"),
    [
        ('{"method": "ngram", "num_speculative_tokens": 3, "prompt_lookup_max": 4}', "ngram", False),
        ({"model": "[ngram]", "num_speculative_tokens": 2}, "ngram", False),
        ({"model": "no-such/draft-model", "num_speculative_tokens": 2}, "draft_model", False),
        ({"method": "eagle", "model": "meta-llama/Llama-3.2-1B-Instruct"}, "eagle", True),
    ],
)
def test_speculative_config_methods(config: object, method: str, has_draft: bool) -> None:
    from deploy.sizing.engine_options import speculative_params

    spec, note = speculative_params(config)
    assert spec is not None and spec.method == method and (spec.draft is not None) is has_draft
    assert (note is not None) is (method != "ngram" and not has_draft)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"speculative_config": "{not json"}, "engine.options.speculative_config"),
        ({"speculative_config": "[1, 2]"}, "engine.options.speculative_config"),
        ({"enable_lora": True, "max_loras": "0"}, "engine.options.max_loras"),
        ({"enable_lora": True, "max_lora_rank": "-8"}, "engine.options.max_lora_rank"),
        ({"enable_lora": True, "max_lora_rank": "sixteen"}, "engine.options.max_lora_rank"),
    ],
)
def test_bad_engine_options_name_the_field(options: dict[str, object], field: str) -> None:
    from deploy.errors import SpecError
    from deploy.sizing.engine_options import feature_params

    with pytest.raises(SpecError) as info:
        feature_params(options)
    assert info.value.field == field and info.value.fix
