"""Rules the spec enforces, kept apart from the models so each rule reads as one small function.

Why these rules: each one stands for a failure LMI v15 or SageMaker would otherwise report late (a silently dropped
option, a conflict error at container start, a model that cannot be downloaded under network isolation). Messages
say what to write instead. The vLLM 0.8.4 engine-argument names come from ``deploy/data/vllm_0_8_4_engine_args.toml``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from deploy.spec.model import DeploymentSpec

from deploy.spec.engine_options import DROPPED_BY_LMI

DTYPE_ALIASES = {"float16": "fp16", "half": "fp16", "bfloat16": "bf16", "float32": "fp32", "float": "fp32"}

# Keys with a dedicated spec field, or that LMI v15 async mode sets itself.
OWNED_KEYS = {
    "tensor_parallel_degree": "engine.tensor_parallel_degree",
    "max_model_len": "engine.max_model_len",
    "max_rolling_batch_size": "engine.max_rolling_batch_size",
    "max_rolling_batch_prefill_tokens": "engine.max_num_batched_tokens",
    "max_num_batched_tokens": "engine.max_num_batched_tokens",
    "dtype": "engine.dtype",
    "quantize": "engine.quantize",
    "quantization": "engine.quantize",
    "kv_cache_dtype": "engine.kv_cache_dtype",
    "gpu_memory_utilization": "engine.gpu_memory_utilization",
    "enable_prefix_caching": "engine.enable_prefix_caching",
    "model_id": "model.id",
    "model": "model.id",
    "revision": "model.revision",
    "trust_remote_code": "model.trust_remote_code",
    "hf_token": "model.hf_token (a reference such as env:HF_TOKEN; a token in options would be rendered in clear)",
    "async_mode": "(always true: lmi-deploy renders LMI v15 async mode)",
    "rolling_batch": "(always `disable`: async mode)",
    "entryPoint": "(always djl_python.lmi_vllm.vllm_async_service)",
    "engine": "(always Python)",
    "model_loading_timeout": "instance.startup_health_check_timeout_s",
}

# LMI raises a conflict error for these vLLM names; point at the LMI names.
CONFLICTING_KEYS = {
    "max_num_seqs": "engine.max_rolling_batch_size",
    "tensor_parallel_size": "engine.tensor_parallel_degree",
    "pipeline_parallel_size": "nothing: LMI v15's vLLM backend rejects pipeline parallelism",
    "pipeline_parallel_degree": "nothing: LMI v15's vLLM backend rejects pipeline parallelism",
}

# option.* keys LMI itself reads (not vLLM engine arguments) that make sense in async mode.
LMI_KEYS = {
    "predict_timeout",
    "parallel_loading",
    "chat_template",
    "chat_template_content_format",
    "enable_auto_tool_choice",
    "tool_call_parser",
    "reasoning_parser",
    "enable_reasoning",
    "cpu_offload_gb_per_gpu",
    "env",
    "limit_mm_per_prompt",
    "max_loras",
}

# Keys that LMI v15 async mode ignores or rejects, with the reason.
REFUSED_IN_ASYNC = {
    "output_formatter": "the async handler ignores output formatters in LMI v15; remove it",
    "tgi_compat": "tgi_compat applies to rolling-batch mode only; remove it",
    "enable_streaming": 'deprecated; send "stream": true in the request instead',
}

# Matched with fullmatch (`$` would also accept a trailing newline); strings that `re` compiles on first use.
LITERAL_TOKEN = r"hf_[A-Za-z0-9]{10,}|[A-Za-z0-9]{30,}"
ENV_KEY = r"[A-Za-z_][A-Za-z0-9_]{0,1023}"  # SageMaker EnvironmentKey


def vllm_engine_args() -> frozenset[str]:
    """Names of vLLM 0.8.4 EngineArgs fields: what LMI v15 forwards as ``--name`` (data/vllm_0_8_4_engine_args.toml)."""
    from deploy.spec.engine_options import forwarded_engine_args

    return forwarded_engine_args()


def quantize_methods() -> frozenset[str]:
    """Every quantization method of the catalog's vLLM versions; each image's own list is checked with the version."""
    from deploy.sizing.compat import tables

    return frozenset(m for methods in tables()["quantization"].values() for m in methods)


def model_source_kind(model_id: str) -> Literal["hub", "s3", "local"]:
    """Classify ``model.id``: s3:// URIs, explicit paths (./ ../ / ~), else a Hugging Face id."""
    if model_id.startswith("s3://"):
        return "s3"
    if model_id.startswith(("./", "../", "/", "~")) or model_id in {".", ".."}:
        return "local"
    return "hub"


def dtype_hint(value: Any) -> Any:
    """Refuse long dtype names with the short name LMI accepts (LMI v15 fails with `Invalid data type`)."""
    if isinstance(value, str) and value.lower() in DTYPE_ALIASES:
        short = DTYPE_ALIASES[value.lower()]
        raise ValueError(f"LMI v15 does not accept dtype {value!r} (Invalid data type at startup); use {short!r}")
    return value


def check_hf_token_ref(value: str) -> str:
    """Tokens are references (``env:NAME``), never literals: a literal would end up in plans, logs and git."""
    from deploy.secrets.masking import REFERENCE

    if REFERENCE.fullmatch(value):
        return value
    if re.fullmatch(LITERAL_TOKEN, value):
        raise ValueError("looks like a literal token; never put secrets in the spec, write env:HF_TOKEN instead")
    raise ValueError("is not a token reference (the value given is hidden); write env:<VARIABLE>, e.g. env:HF_TOKEN")


def check_quantize(value: str) -> str:
    known = sorted(quantize_methods())
    if value not in known:
        import difflib  # only on the error path: it is slow to import

        close = difflib.get_close_matches(value, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(known)}"
        raise ValueError(f"unknown quantization method {value!r}{hint}")
    return value


def check_options(options: dict[str, Any]) -> dict[str, Any]:
    """Every extra ``option.*`` key must be one LMI v15 passes on; otherwise LMI drops it without a word."""
    for key, value in options.items():
        _check_option(key, value)
    return options


def _check_option(key: str, value: Any) -> None:
    bare = key.removeprefix("option.")
    if bare != key:
        raise ValueError(f"write option keys without the prefix: {bare!r} instead of {key!r}")
    if bare in CONFLICTING_KEYS:
        raise ValueError(
            f"options.{bare} conflicts with LMI's own setting (LMI raises a conflict error); "
            f"use {CONFLICTING_KEYS[bare]}"
        )
    if bare in OWNED_KEYS:
        raise ValueError(f"options.{bare} is set by lmi-deploy; use {OWNED_KEYS[bare]}")
    if bare in DROPPED_BY_LMI:
        return  # refused with the reason by check_engine_options (the spec-level rule names engine.options.<key>)
    if bare in REFUSED_IN_ASYNC:
        raise ValueError(f"options.{bare}: {REFUSED_IN_ASYNC[bare]}")
    if bare not in vllm_engine_args() and bare not in LMI_KEYS:
        known = sorted(vllm_engine_args() | LMI_KEYS)
        import difflib  # only on the error path: it is slow to import

        close = difflib.get_close_matches(bare, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(
            f"options.{bare} is not a vLLM 0.8.4 engine argument that LMI v15 passes on "
            f"(LMI would silently drop it){hint}"
        )
    # Line breaks and control characters in values are refused for every field (deploy.spec.text).


def check_engine_options(options: dict[str, Any], quantize: str | None, lmi_version: int) -> None:
    """Option values vLLM 0.8.4 or LMI v15 would reject, keys LMI drops, and a quantize method the image lacks."""
    from deploy.catalog import lmi_version as lmi_release
    from deploy.sizing.quant_compat import method_list_problem
    from deploy.spec.engine_options import option_problems
    from deploy.spec.lora_support import lora_options_problem

    problems = option_problems(options)
    if problems:
        raise ValueError(problems[0].text())
    lora = lora_options_problem(options, lmi_version)  # the version rule adapters follow too
    if lora is not None:
        raise ValueError(lora)
    if quantize:
        problem = method_list_problem(quantize.lower(), lmi_release(lmi_version).vllm_version, quantize)
        if problem is not None:
            raise ValueError(f"engine.quantize={quantize}: {problem.message}; {problem.fix}")


def check_env_keys(env: dict[str, str]) -> dict[str, str]:
    for key in env:
        if not re.fullmatch(ENV_KEY, key):
            raise ValueError(
                f"env key {key[:40]!r} is not a valid environment variable name; use letters, digits and "
                "underscores, not starting with a digit, at most 1024 characters (SageMaker EnvironmentKey)"
            )
        if key == "HF_TOKEN":
            raise ValueError("do not put HF_TOKEN in engine.env; set model.hf_token: env:HF_TOKEN")
        if key.startswith("OPTION_") or key in {"HF_MODEL_ID", "TENSOR_PARALLEL_DEGREE"}:
            raise ValueError(f"engine.env.{key} would override lmi-deploy's rendering; use engine.options instead")
    return env


def check_role_partition(role: str, region: str) -> None:
    """A role ARN must belong to the region's partition (aws, aws-cn, aws-us-gov, ...)."""
    from deploy.catalog import region_info

    partition = region_info(region).partition
    role_partition = role.split(":")[1]
    if role_partition != partition:
        raise ValueError(
            f"role is in partition {role_partition!r} but region {region!r} is in {partition!r}; "
            f"use an arn:{partition}:iam::... role"
        )


def check_region_bound_values(spec: DeploymentSpec, region: str | None) -> None:
    """Identifiers that must live in the endpoint's region and partition: the KMS key and an explicit image.

    Without a region yet (it may come from flags or the environment), only their form is checked; the region is
    checked again by :meth:`DeploymentSpec.in_region`.
    """
    from deploy.catalog import region_info
    from deploy.spec.aws_values import check_image_uri, check_kms_key

    info = region_info(region) if region is not None else None
    field = ""
    try:
        if spec.security.kms_key_id is not None:
            field = "security.kms_key_id"
            check_kms_key(spec.security.kms_key_id, region=region, partition=info.partition if info else None)
        if spec.lmi.image is not None:
            field = "lmi.image"
            check_image_uri(spec.lmi.image, region=region, dns_suffix=info.dns_suffix if info else None)
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None


def check_region_bound_values_in(spec: DeploymentSpec, region: str) -> None:
    """:func:`check_region_bound_values` for a region chosen outside the spec (flags, environment), as a SpecError."""
    from deploy.errors import SpecError

    try:
        check_region_bound_values(spec, region)
    except ValueError as exc:
        field, _, message = str(exc).partition(": ")
        value = spec.security.kms_key_id if field == "security.kms_key_id" else spec.lmi.image
        raise SpecError(
            message, field=field, value=value, fix=f"use one in {region}, or deploy to its region"
        ) from None
