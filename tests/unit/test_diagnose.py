"""recognise(): known LMI / vLLM / SageMaker error texts -> hints that name the spec field to change.

The texts are the wordings the container and SageMaker print (vLLM V0 and V1 KV-cache errors, DJL's partition
check, Hugging Face download errors, SageMaker FailureReasons), embedded in LMI-style log lines.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploy.engine.diagnose import Diagnosis, Hint, recognise

LMI_PREFIX = "INFO  PyProcess W-214-model-stdout: [1,0]<stderr>:"

KV_V0 = (
    f"{LMI_PREFIX}ValueError: The model's max seq len (32768) is larger than the maximum number of tokens "
    "that can "
    "be stored in KV cache (21152). Try increasing `gpu_memory_utilization` or decreasing `max_model_len` "
    "when "
    "initializing the engine."
)
KV_V1_WITH_ESTIMATE = (
    "(EngineCore_DP0 pid=18799) ERROR 10-08 20:33:48 [core.py:708] ValueError: To serve at least one "
    "request with "
    "the models's max seq len (40960), (5.62 GiB KV cache is needed, which is larger than the available KV "
    "cache "
    "memory (4.50 GiB). Based on the available memory, the estimated maximum model length is 32768. Try "
    "increasing "
    "`gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine."
)
KV_V1_NO_ESTIMATE = (
    f"{LMI_PREFIX}ValueError: To serve at least one request with the models's max seq len (131072), (16.00 "
    "GiB KV "
    "cache is needed, which is larger than the available KV cache memory (9.34 GiB). Try increasing "
    "`gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine."
)
NO_CACHE_BLOCKS = (
    f"{LMI_PREFIX}ValueError: No available memory for the cache blocks. Try increasing "
    "`gpu_memory_utilization` "
    "when initializing the engine."
)
HEADS = f"{LMI_PREFIX}ValueError: Total number of attention heads (28) must be divisible by tensor parallel size (8)."
CUDA_OOM = (
    f"{LMI_PREFIX}torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.02 GiB. GPU 0 has a total "
    "capacity of 44.52 GiB of which 512.00 MiB is free."
)
PARTITIONS = "ai.djl.engine.EngineException: GPU devices are not enough to run 8 partitions."
INVALID_MODEL_ID = f"{LMI_PREFIX}ValueError: Invalid huggingface model id Qwen/Qwen2.5-7B-Instrct"
HF_NOT_A_MODEL = (
    f"{LMI_PREFIX}OSError: Qwen/Qwen2.5-7B-Instrct is not a local folder and is not a valid model identifier "
    "listed on 'https://huggingface.co/models'"
)
GATED = (
    f"{LMI_PREFIX}huggingface_hub.errors.GatedRepoError: 401 Client Error. (Request ID: "
    "Root=1-6745a1b2-0c1d)\n"
    f"{LMI_PREFIX}Cannot access gated repo for url "
    "https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct/resolve/main/config.json.\n"
    f"{LMI_PREFIX}Access to model meta-llama/Llama-3.1-8B-Instruct is restricted. You must have access to "
    "it and "
    "be authenticated to access it. Please log in."
)
PIPELINE = f"{LMI_PREFIX}ValueError: Pipeline parallelism is not supported in vLLM's LLMEngine."
CONFLICT = (
    f"{LMI_PREFIX}ValueError: Both the DJL 64=64 and vLLM max_num_seqs=256 configs have been set with "
    "conflicting "
    "values.We currently only accept the DJL config 64, please remove the vllm max_num_seqs configuration."
)
INVALID_DTYPE = f"{LMI_PREFIX}ValueError: Invalid data type: float16"
HEALTH_CHECK = (
    "The primary container for production variant AllTraffic did not pass the ping health check. Please "
    "check "
    "CloudWatch logs for this endpoint."
)
S3_LMI = f"{LMI_PREFIX}Model failed to download from s3"
S3_FAILURE_REASON = (
    'Failed to download model data for container "container_1" from URL: "s3://my-bucket/models/qwen/". '
    "Please "
    "ensure that there is an object located at the URL and that the role passed to CreateModel has "
    "permissions to "
    "download the model."
)
QUOTA = (
    "ResourceLimitExceeded: The account-level service limit 'ml.g5.12xlarge for endpoint usage' is 2 "
    "Instances, "
    "with current utilization of 2 Instances and a request delta of 1 Instances. Please use AWS Service "
    "Quotas to "
    "request an increase for this quota."
)
HEALTHY_STARTUP = "\n".join(
    [
        "INFO  ModelServer: Starting djl-serving: 0.33.0 ...",
        f"{LMI_PREFIX}INFO 11-27 20:01:12 [config.py:689] This model supports multiple tasks: generate.",
        f"{LMI_PREFIX}INFO 11-27 20:01:40 [gpu_model_runner.py:1276] Model loading took 14.25 GiB",
        f"{LMI_PREFIX}INFO 11-27 20:01:52 [kv_cache_utils.py:578] GPU KV cache size: 398,064 tokens",
        f"{LMI_PREFIX}INFO 11-27 20:01:52 [kv_cache_utils.py:581] Maximum concurrency for 32,768 tokens per "
        "request: 12.15x",
        "INFO  ModelServer: Initialize BOTH server with: EpollServerSocketChannel.",
    ]
)

CASES = [
    (KV_V0, "engine.max_model_len", "KV cache too small"),
    (KV_V1_WITH_ESTIMATE, "engine.max_model_len", "KV cache too small"),
    (KV_V1_NO_ESTIMATE, "engine.max_model_len", "KV cache too small"),
    (NO_CACHE_BLOCKS, "instance.type", "No GPU memory left"),
    (HEADS, "engine.tensor_parallel_degree", "not divisible"),
    (CUDA_OOM, "engine.max_rolling_batch_size", "CUDA out of memory"),
    (PARTITIONS, "engine.tensor_parallel_degree", "More partitions than GPUs"),
    (INVALID_MODEL_ID, "model.id", "Model id not found"),
    (HF_NOT_A_MODEL, "model.id", "Model id not found"),
    (GATED, "model.hf_token", "Gated model"),
    (PIPELINE, "engine.options", "Pipeline parallelism"),
    (CONFLICT, "engine.options", "Conflicting"),
    (INVALID_DTYPE, "engine.dtype", "Invalid dtype"),
    (HEALTH_CHECK, "instance.startup_health_check_timeout_s", "health check"),
    (S3_LMI, "model.id", "S3"),
    (S3_FAILURE_REASON, "model.id", "S3"),
    (QUOTA, "instance.type", "quota"),
]


@pytest.mark.parametrize(("text", "field", "title_part"), CASES, ids=[c[2] + "-" + str(i) for i, c in enumerate(CASES)])
def test_each_known_error_gives_one_hint_naming_its_spec_field(text: str, field: str, title_part: str) -> None:
    hints = recognise(text)
    assert len(hints) == 1, [h.title for h in hints]
    hint = hints[0]
    assert title_part.lower() in hint.title.lower()
    assert hint.field == field
    assert field in hint.fix, "the fix must name the spec field to change"
    assert hint.detail


def _suggested_max_model_len(hint: Hint) -> int:
    match = re.search(r"engine\.max_model_len: (?:<= |below \d+ \(about )(\d+)", hint.fix)
    assert match, hint.fix
    return int(match.group(1))


def test_v0_kv_error_suggests_the_kv_cache_token_count_as_the_limit() -> None:
    (hint,) = recognise(KV_V0)
    assert _suggested_max_model_len(hint) == 21152  # the "(Y)" vLLM printed
    assert "32768" in hint.detail and "gpu_memory_utilization" in hint.fix


def test_v1_kv_error_prefers_vllms_own_estimate_when_printed() -> None:
    (hint,) = recognise(KV_V1_WITH_ESTIMATE)
    assert _suggested_max_model_len(hint) == 32768  # "the estimated maximum model length is 32768"
    assert "5.62 GiB" in hint.detail and "4.50 GiB" in hint.detail


def test_v1_kv_error_without_estimate_scales_the_length_to_the_memory_that_is_there() -> None:
    (hint,) = recognise(KV_V1_NO_ESTIMATE)
    suggested = _suggested_max_model_len(hint)
    assert suggested < 131072
    assert suggested % 16 == 0
    assert suggested * 16.00 / 131072 <= 9.34, "the suggested length must fit the available KV cache"
    assert (suggested + 16) * 16.00 / 131072 > 9.34 - 0.01, "and not be needlessly small"


def test_heads_hint_lists_only_divisors_of_the_head_count() -> None:
    (hint,) = recognise(HEADS)
    listed = [int(n) for n in re.findall(r"\d+", hint.fix.split("one of", 1)[1].split("(")[0])]
    assert listed and all(28 % n == 0 for n in listed)
    assert 8 not in listed


def test_gated_hint_names_the_model_and_is_not_mistaken_for_a_missing_model() -> None:
    hints = recognise(GATED)
    assert [h.field for h in hints] == ["model.hf_token"]
    assert "meta-llama/Llama-3.1-8B-Instruct" in hints[0].detail


def test_quota_hint_reports_the_instance_type_and_limit() -> None:
    (hint,) = recognise(QUOTA)
    assert "ml.g5.12xlarge" in hint.detail and "2 instances" in hint.detail


def test_conflict_hint_names_the_vllm_option_to_remove() -> None:
    (hint,) = recognise(CONFLICT)
    assert "remove max_num_seqs from engine.options" in hint.fix


def test_a_healthy_startup_log_gives_no_hints() -> None:
    assert recognise(HEALTHY_STARTUP) == []
    assert recognise("") == []


def test_several_errors_in_one_log_give_one_hint_each_without_duplicates() -> None:
    text = "\n".join([HEALTHY_STARTUP, HEADS, HEADS, CUDA_OOM, KV_V0, KV_V1_NO_ESTIMATE])
    titles = [h.title for h in recognise(text)]
    assert len(titles) == len(set(titles)) == 3


def test_a_failed_ping_is_a_symptom_when_the_cause_is_in_the_log() -> None:
    assert [h.field for h in recognise(HEALTH_CHECK)] == ["instance.startup_health_check_timeout_s"]
    assert [h.field for h in recognise(HEALTH_CHECK + "\n" + HEADS)] == ["engine.tensor_parallel_degree"]


def test_diagnosis_renders_reason_hints_and_log_tail() -> None:
    diagnosis = Diagnosis(HEALTH_CHECK, ["line one", "line two"], recognise(HEALTH_CHECK))
    text = diagnosis.render()
    assert str(diagnosis) == text  # the deploy engine prints str(diagnosis)
    assert text.startswith("FailureReason: The primary container")
    assert "fix: raise instance.startup_health_check_timeout_s" in text
    assert text.rstrip().endswith("line two")
    as_dict = diagnosis.to_dict()
    assert as_dict["hints"][0]["field"] == "instance.startup_health_check_timeout_s"
    assert as_dict["log_tail"] == ["line one", "line two"]


@given(st.text(max_size=400))
def test_recognise_never_raises_on_arbitrary_text(text: str) -> None:
    for hint in recognise(text):
        assert hint.fix and hint.field
