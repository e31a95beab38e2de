"""The start-up checks vLLM performs, as predicates on a Budget, with vLLM's own error texts.

Rule: one function says whether vLLM starts (:func:`budget_fits`) and the same function's reasons are what
the user reads, so the verdict, the fixes and ``resolve_engine`` can never disagree. The safety margin keeps
borderline cases on the "does not fit" side: the estimate's error is a few hundred MiB.
"""

from __future__ import annotations

from deploy.sizing.budget import Budget

GIB = 1024**3
MARGIN_FIXED = 0.25 * GIB
MARGIN_FRACTION = 0.01


def safety_margin(budget: Budget) -> float:
    """Bytes of KV memory the verdict keeps back for the estimate's own error."""
    return MARGIN_FIXED + MARGIN_FRACTION * budget.budget_bytes


def _gib(value: float) -> str:
    return f"{value / GIB:.2f} GiB"


def failure_reasons(budget: Budget) -> list[str]:
    """Why vLLM would refuse to start, in its own terms (empty when it starts); first failing check wins."""
    for check in (_config_reasons, _load_reasons, _kv_reasons, _graph_reasons, _warmup_reasons):
        reasons = check(budget)
        if reasons:
            return reasons
    return []


def _config_reasons(budget: Budget) -> list[str]:
    if budget.quant_problem:
        return [budget.quant_problem]
    if budget.model_max_len and budget.max_model_len > budget.model_max_len:
        return [
            f"User-specified max_model_len ({budget.max_model_len}) is greater than the derived max_model_len "
            f"({budget.model_max_len}, from the model's config.json). To allow overriding this maximum, set the env "
            "var VLLM_ALLOW_LONG_MAX_MODEL_LEN=1 (vLLM refuses to start otherwise)"
        ]
    return []


def _load_reasons(budget: Budget) -> list[str]:
    if budget.weights_bytes > budget.total_bytes:
        return [
            f"weights need {_gib(budget.weights_bytes)} per GPU but the GPU has {_gib(budget.total_bytes)}: "
            "torch.OutOfMemoryError (CUDA out of memory) while loading the model"
        ]
    if budget.kv_available_bytes <= 0:
        return [
            f"weights {_gib(budget.weights_bytes)} + activation {_gib(budget.activation_bytes)} + non-torch "
            f'{_gib(budget.non_torch_bytes)} exceed the {_gib(budget.budget_bytes)} budget: "No available '
            "memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the "
            'engine."'
        ]
    return []


def _kv_reasons(budget: Budget) -> list[str]:
    if budget.kv_tokens <= 0:  # whatever the arithmetic says, an engine with no KV cache serves nothing
        return [f"no room for any KV-cache tokens ({budget.kv_tokens}); the weights leave nothing for the cache"]
    need = budget.bytes_for_one_request
    if need > budget.kv_available_bytes:
        if budget.behaviour.engine == "v1":
            return [
                f"To serve at least one request with the models's max seq len ({budget.max_model_len}), "
                f"({_gib(need)} KV cache is needed, which is larger than the available KV cache memory "
                f"({_gib(budget.kv_available_bytes)}). Try increasing `gpu_memory_utilization` or decreasing "
                "`max_model_len` when initializing the engine."
            ]
        return [
            f"The model's max seq len ({budget.max_model_len}) is larger than the maximum number of tokens that "
            f"can be stored in KV cache ({budget.kv_tokens}). Try increasing `gpu_memory_utilization` or "
            "decreasing `max_model_len` when initializing the engine."
        ]
    if need > budget.kv_available_bytes - safety_margin(budget):
        return [
            f"too tight to promise: one {budget.max_model_len}-token request needs {_gib(need)} of KV cache and "
            f"about {_gib(budget.kv_available_bytes)} is available, within this estimate's safety margin of "
            f"{_gib(safety_margin(budget))}"
        ]
    return []


def _graph_reasons(budget: Budget) -> list[str]:
    if budget.behaviour.cuda_graphs_in_budget or budget.cuda_graph_bytes <= budget.headroom_bytes:
        return []
    return [
        f"CUDA graphs (~{_gib(budget.cuda_graph_bytes)}) are captured after the KV cache is allocated in "
        f"{budget.behaviour.label} and must fit in the (1 - gpu_memory_utilization) headroom of "
        f"{_gib(budget.headroom_bytes)}: CUDA out of memory during graph capture"
    ]


def _warmup_reasons(budget: Budget) -> list[str]:
    """The V1 sampler warm-up runs after the KV cache (and, before 0.21, the graphs) took their memory."""
    if budget.warmup_fits:
        return []
    return [
        f"CUDA out of memory occurred when warming up sampler with {budget.warmup_rows} dummy requests. Please try "
        "lowering `max_num_seqs` or `gpu_memory_utilization` when initializing the engine. (The warm-up needs "
        f"~{_gib(budget.warmup_sampler_bytes)} after the KV cache is allocated; ~{_gib(budget.warmup_free_bytes)} "
        "is left.)"
    ]


def budget_fits(budget: Budget) -> bool:
    return not failure_reasons(budget)
