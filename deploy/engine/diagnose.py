"""Explain a failed endpoint: FailureReason + the container's last log lines + hints for errors we recognise.

Rule: :func:`recognise` is pure (text in, hints out) so it is tested against the exact wordings LMI, vLLM
and SageMaker print; :func:`explain_failure` only adds one read of CloudWatch Logs and never raises because
of it (a missing log group or a denied read still yields a diagnosis: the FailureReason alone is worth
showing). Every hint names the spec field to change, because "what do I edit" is the question a failed
deploy leaves behind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import field
from typing import TYPE_CHECKING, Any

from deploy.errors import AwsError
from deploy.records import record

if TYPE_CHECKING:
    from deploy.aws.session import AwsContext

RECOGNITION_LINES = 300
MAX_GPUS_PER_INSTANCE = 8
HEALTH_CHECK_FIELD = "instance.startup_health_check_timeout_s"


@record
class Hint:
    """A recognised error: what happened (title, detail) and what to change (fix, naming ``field``)."""

    title: str
    detail: str
    fix: str
    field: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"title": self.title, "detail": self.detail, "fix": self.fix, "field": self.field}


@record
class Diagnosis:
    """Why an endpoint failed, as far as SageMaker and the container logs tell."""

    failure_reason: str | None
    log_tail: list[str] = field(default_factory=list)
    hints: list[Hint] = field(default_factory=list)
    log_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "failure_reason": self.failure_reason,
            "log_tail": list(self.log_tail),
            "hints": [hint.to_dict() for hint in self.hints],
            "log_error": self.log_error,
        }

    def __str__(self) -> str:
        return self.render()

    def render(self) -> str:
        """Plain text for a terminal: reason, hints (what the user acts on), then the log tail."""
        out = [f"FailureReason: {self.failure_reason or '(none reported)'}"]
        for hint in self.hints:
            out += [f"hint: {hint.title}", f"  {hint.detail}", f"  fix: {hint.fix}"]
        if self.log_error:
            out.append(f"(container logs unavailable: {self.log_error})")
        elif self.log_tail:
            out.append(f"last {len(self.log_tail)} container log lines:")
            out += [f"  {line}" for line in self.log_tail]
        return "\n".join(out)


HintBuilder = Callable[["re.Match[str]"], Hint]
_RULES: list[tuple[tuple[re.Pattern[str], ...], HintBuilder]] = []


def _rule(*patterns: str) -> Callable[[HintBuilder], HintBuilder]:
    """Register a builder for texts matching any of ``patterns``.

    The first pattern that matches is used, so the one that captures the most detail comes first.
    """

    def register(builder: HintBuilder) -> HintBuilder:
        _RULES.append((tuple(re.compile(p, re.IGNORECASE) for p in patterns), builder))
        return builder

    return register


_KV_FIX_TAIL = "or raise engine.gpu_memory_utilization (<= 0.95), or use more GPUs (instance.type / tensor parallel)"


@_rule(
    r"max seq len \((\d+)\) is larger than the maximum number of tokens that can be stored in KV cache "
    r"\((\d+)\)"
)
def _kv_cache_v0(m: re.Match[str]) -> Hint:
    wanted, room = int(m.group(1)), int(m.group(2))
    return Hint(
        "KV cache too small for the model's context length",
        f"vLLM needs room for {wanted} tokens of one request; the KV cache holds {room} tokens on this GPU.",
        f"set engine.max_model_len: <= {room} ({_KV_FIX_TAIL})",
        "engine.max_model_len",
    )


@_rule(
    r"max seq len \((\d+)\),?\s*\(?([\d.]+) GiB KV cache is needed, which is larger than the "
    r"available KV cache memory \(([\d.]+) GiB\)(?:[\s\S]{0,200}?estimated maximum model length is (\d+))?",
)
def _kv_cache_v1(m: re.Match[str]) -> Hint:
    wanted, need, have, estimate = m.group(1), m.group(2), m.group(3), m.group(4)
    limit = f"<= {estimate}" if estimate else f"below {wanted} (about {_scaled(int(wanted), have, need)})"
    return Hint(
        "KV cache too small for the model's context length",
        f"One request at max_model_len={wanted} needs {need} GiB of KV cache; only {have} GiB is available.",
        f"set engine.max_model_len: {limit} ({_KV_FIX_TAIL})",
        "engine.max_model_len",
    )


def _scaled(tokens: int, have: str, need: str) -> int:
    """The context length that fits if the KV cache grows linearly with it, rounded down to 16 tokens."""
    fitting = int(tokens * float(have) / float(need)) if float(need) > 0 else 0
    return max(fitting // 16 * 16, 16)


@_rule(r"No available memory for the cache blocks")
def _no_cache_memory(m: re.Match[str]) -> Hint:
    return Hint(
        "No GPU memory left for the KV cache",
        "Weights plus the activation peak use all memory vLLM may use; nothing is left for the KV cache.",
        "raise engine.gpu_memory_utilization, set engine.quantize, or use more/larger GPUs (instance.type)",
        "instance.type",
    )


@_rule(r"Total number of attention heads \((\d+)\) must be divisible by tensor parallel size \((\d+)\)")
def _heads_not_divisible(m: re.Match[str]) -> Hint:
    heads, tp = int(m.group(1)), int(m.group(2))
    divisors = [d for d in range(1, MAX_GPUS_PER_INSTANCE + 1) if heads % d == 0]
    return Hint(
        "Attention heads not divisible by the tensor-parallel degree",
        f"The model has {heads} attention heads; tensor_parallel_degree={tp} does not divide them.",
        f"set engine.tensor_parallel_degree to one of {', '.join(map(str, divisors))} (a divisor of {heads})",
        "engine.tensor_parallel_degree",
    )


@_rule(r"GPU devices are not enough to run (\d+) partitions")
def _not_enough_gpus(m: re.Match[str]) -> Hint:
    partitions = m.group(1)
    return Hint(
        "More partitions than GPUs",
        f"The container was asked for {partitions} partitions (tensor x pipeline) but has fewer GPUs.",
        f"set engine.tensor_parallel_degree to at most the GPU count, "
        f"or pick an instance.type with >= {partitions} GPUs",
        "engine.tensor_parallel_degree",
    )


@_rule(r"CUDA out of memory|torch\.(?:cuda\.)?OutOfMemoryError|CUDA error: out of memory")
def _cuda_oom(m: re.Match[str]) -> Hint:
    return Hint(
        "CUDA out of memory",
        "A GPU ran out of memory while loading or warming up the model.",
        "lower engine.max_rolling_batch_size or engine.max_num_batched_tokens, lower "
        "engine.gpu_memory_utilization (e.g. 0.85) for headroom, or use more/larger GPUs (instance.type)",
        "engine.max_rolling_batch_size",
    )


@_rule(r"Access to model (\S+) is restricted", r"GatedRepoError|(?:401|403) Client Error")
def _gated_model(m: re.Match[str]) -> Hint:
    model = m.group(1) if m.groups() else "the model"
    return Hint(
        "Gated model without a Hugging Face token",
        f"Access to {model} requires an accepted licence and an authenticated download.",
        "accept the licence on huggingface.co and set model.hf_token (e.g. env:HF_TOKEN)",
        "model.hf_token",
    )


@_rule(
    r"Invalid huggingface model id|Repository Not Found|is not a valid model identifier|model_id not found"
    r"|Unable to fetch HF config"
)
def _model_not_found(m: re.Match[str]) -> Hint:
    return Hint(
        "Model id not found",
        f"The container could not resolve the model ({m.group(0)}): a typo, a private or gated "
        "repository without a token, or a directory without config.json.",
        "check model.id (and model.revision); for gated or private models set model.hf_token",
        "model.id",
    )


@_rule(r"Pipeline parallelism is not supported in vLLM")
def _pipeline_parallel(m: re.Match[str]) -> Hint:
    return Hint(
        "Pipeline parallelism is not supported",
        "LMI v15's vLLM engine rejects pipeline_parallel_degree other than 1.",
        "remove pipeline_parallel_degree from engine.options; use engine.tensor_parallel_degree instead",
        "engine.options",
    )


@_rule(r"Both the DJL (.+?),? and vLLM (\S+?)(?:=\S+)? configs? have been set with conflicting values")
def _conflicting_options(m: re.Match[str]) -> Hint:
    vllm_name = m.group(2)
    return Hint(
        "Conflicting LMI and vLLM option names",
        f"Both an LMI option and vLLM's {vllm_name} were set, with different values.",
        f"remove {vllm_name} from engine.options; use engine.max_rolling_batch_size / engine.tensor_parallel_degree",
        "engine.options",
    )


@_rule(r"Invalid data type:?\s*'?(float16|bfloat16|float32|half|float)'?")
def _invalid_dtype(m: re.Match[str]) -> Hint:
    return Hint(
        "Invalid dtype name",
        f"LMI expects fp16/bf16/fp32/auto, not {m.group(1)!r}.",
        "set engine.dtype to fp16, bf16, fp32 or auto (and remove dtype from engine.options)",
        "engine.dtype",
    )


@_rule(r"did not pass the ping health check|health check.{0,40}(?:timed out|timeout)")
def _health_check_timeout(m: re.Match[str]) -> Hint:
    return Hint(
        "Container did not pass the health check in time",
        "The model server did not answer /ping before the startup timeout: it was still downloading "
        "or loading, or it crashed (see the log lines).",
        "raise instance.startup_health_check_timeout_s (up to 3600); prefer S3 artifacts over Hub downloads; "
        "if the logs show an error, fix that first",
        HEALTH_CHECK_FIELD,
    )


@_rule(r"Model failed to download from s3|Failed to download model data|s5cmd.{0,80}(?:error|fail)")
def _s3_download(m: re.Match[str]) -> Hint:
    return Hint(
        "Model download from S3 failed",
        "The weights could not be read from S3: a wrong prefix, or the role lacks s3:GetObject/ListBucket.",
        "check model.id (the s3:// prefix exists, same region) and the role "
        "(`lmi iam-policy SPEC --role execution`); raise instance.model_data_download_timeout_s "
        "for large artifacts",
        "model.id",
    )


@_rule(r"account-level service limit '([^']+)' is (\d+) Instances", r"ResourceLimitExceeded")
def _quota(m: re.Match[str]) -> Hint:
    limit = f" ({m.group(1)}: {m.group(2)} instances)" if m.groups() else ""
    return Hint(
        "Service quota exceeded",
        f"The account's SageMaker endpoint-instance quota is used up{limit}.",
        "request an increase in Service Quotas, or change instance.type / lower instance.count",
        "instance.type",
    )


def recognise(text: str) -> list[Hint]:
    """Hints for each known error in ``text`` (log lines or a FailureReason), one per kind, in rule order.

    A failed ping is a symptom: when the text also shows why the container died, only that cause is hinted.
    """
    hints: list[Hint] = []
    titles: set[str] = set()
    for patterns, builder in _RULES:
        match = next((m for m in (p.search(text) for p in patterns) if m is not None), None)
        if match is None:
            continue
        hint = builder(match)
        if hint.title not in titles:
            titles.add(hint.title)
            hints.append(hint)
    causes = [hint for hint in hints if hint.field != HEALTH_CHECK_FIELD]
    return causes or hints


def explain_failure(
    ctx: AwsContext,
    endpoint_name: str,
    failure_reason: str | None,
    *,
    lines: int = 50,
    start_ms: int | None = None,
    component: str | None = None,
) -> Diagnosis:
    """FailureReason + the last ``lines`` container log lines + hints; missing logs never raise.

    ``component``: a failed inference component (full IC name): its own log group is read.

    ``start_ms``: when the failed create or update began. The log group keeps the lines of every earlier fleet
    (the one still serving after a rollback, too), so only newer lines are read; when there are none (e.g. the
    deploying machine's clock is ahead), the whole group's tail is used.
    """
    from deploy.aws.logs import tail

    log_error: str | None = None
    recent: list[str] = []
    wanted = max(lines, RECOGNITION_LINES)
    try:
        if start_ms is not None:
            found = tail(ctx, endpoint_name, lines=wanted, start_ms=start_ms, component=component)
            recent = [line.message for line in found]
        if not recent:
            recent = [line.message for line in tail(ctx, endpoint_name, lines=wanted, component=component)]
    except AwsError as exc:
        log_error = exc.message
    text = "\n".join([failure_reason or "", *recent])
    shown = recent[-lines:] if lines > 0 else []
    return Diagnosis(failure_reason, shown, recognise(text), log_error)
