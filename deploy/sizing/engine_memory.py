"""Memory terms of engine features: the sampler warm-up, speculative decoding, LoRA slots, expert parallelism and
the multimodal scheduler budget.

Rule: each term repeats what vLLM allocates for the feature, from vLLM's own code at the versions the catalog lists,
so :mod:`deploy.sizing.budget` can add it where vLLM adds it (weights, KV page, profile run, or after the KV cache).
Pure functions of the shape and settings; no I/O. Sources (vllm-project/vllm):

- sampler warm-up: ``vllm/v1/worker/gpu_worker.py`` ``compile_or_warm_up_model`` (v0.8.x to v0.19): after the KV
  cache is allocated and the CUDA graphs are captured, ``_dummy_sampler_run`` of ``vllm/v1/worker/gpu_model_runner.py``
  samples ``min(max_num_seqs, max_num_batched_tokens)`` dummy requests over the full vocabulary in fp32 with top-k and
  top-p on (``vllm/v1/sample/ops/topk_topp_sampler.py`` ``forward_native``: sort values and int64 indices, softmax,
  masks, the scattered logits, the probabilities and the exponential ``q``). It fails with "CUDA out of memory
  occurred when warming up sampler with N dummy requests" when that does not fit in what the KV cache left free.
- speculative decoding: ``vllm/spec_decode/spec_decode_worker.py`` (V0, v0.8.4) ``determine_num_available_blocks``
  splits the blocks between target and draft (``split_num_cache_blocks_evenly``), so a token costs target + draft KV;
  the draft weights load on the same GPUs. ``vllm/engine/arg_utils.py`` (v0.8.4) ``_is_v1_supported_oracle`` sends
  every method but ngram to V0. V1 (>= 0.9) keeps the drafter's attention layers in the same KV-cache config.
- LoRA: ``vllm/lora/layers.py`` (v0.8.4) ``create_lora_weights`` preallocates ``lora_a_stacked`` (max_loras x rank x
  input) and ``lora_b_stacked`` (max_loras x output x rank) per wrapped linear layer at model load: column-parallel
  layers shard B's output, row-parallel layers shard A's input; ``LogitsProcessorWithLoRA`` and
  ``VocabParallelEmbeddingWithLoRA`` add the head and embedding slots with ``lora_extra_vocab_size`` (256) rows.
- expert parallelism: ``vllm/model_executor/layers/fused_moe/layer.py`` (v0.8.4) ``determine_expert_map``: with
  ``enable_expert_parallel`` each of the ep = tp ranks holds ``E // ep`` whole experts (the first ``E % ep`` ranks
  one more) instead of a 1/tp slice of every expert, and the fused-MoE workspace is no longer split by tp.
- multimodal: ``vllm/config.py`` (v0.8.4) ``SchedulerConfig``: ``_MULTIMODAL_MODEL_MAX_NUM_BATCHED_TOKENS = 5120``
  raises the default batched tokens of multimodal models (Gemma 3, Mistral 3.1, Llama 4, ...).
"""

from __future__ import annotations

import math

from deploy.records import record
from deploy.sizing.shape import ModelShape

MULTIMODAL_MIN_BATCHED_TOKENS = 5120
LORA_EXTRA_VOCAB = 256  # vLLM's lora_extra_vocab_size default (0.8.4 to 0.10.x)
SPEC_DECODE_V0_BATCHED_TOKENS = 8192
# Peak bytes per (row x vocab) element of the warm-up sampler. Up to vLLM 0.16 the profile run samples the same
# batch with the same sorted top-k/top-p path (40 bytes, versions.py), so the warm-up never needs more than the
# profile already charged. From 0.17 the profile measures ~15 bytes (fitted on 0.19 logs) while the warm-up's
# forward_native path holds more live fp32/int64 copies; 27 is fitted on the calibration split (gpt-oss-20b, H100,
# vLLM 0.19, utilization 0.95: died warming up 1024 requests, the estimate's own figures need > 26.2 to say so).
WARMUP_BYTES_PER_LOGIT_V1 = 27.0
WARMUP_STRICTER_FROM = (0, 17, 0)  # the version from which the profile's sampler is cheaper than the warm-up's
GPT_OSS_CAPTURE_SCALE = 2.0  # vllm/model_executor/models/config.py: gpt-oss raises the largest graph from 512 to 1024


@record
class SpeculativeParams:
    """``speculative_config`` as it moves memory: the method, draft tokens and the draft model's shape."""

    method: str = "draft_model"  # ngram, eagle, eagle3, mtp, medusa, draft_model
    num_speculative_tokens: int = 1
    draft: ModelShape | None = None  # None for ngram (no weights) or when the draft is unknown
    draft_tensor_parallel_size: int | None = None  # None: the target's degree

    @property
    def has_draft_weights(self) -> bool:
        return self.method != "ngram" and self.draft is not None


def falls_back_to_v0(spec: SpeculativeParams | None, version: tuple[int, int, int]) -> bool:
    """vLLM 0.8.x runs speculative decoding on V0 except ngram (``_is_v1_supported_oracle`` at v0.8.4)."""
    return spec is not None and spec.method != "ngram" and version < (0, 9, 0)


def draft_weight_bytes(spec: SpeculativeParams | None, tp: int, dtype_bytes: float) -> float:
    """Weights of the draft model on one rank (0 for ngram or an unknown draft)."""
    if spec is None or not spec.has_draft_weights or spec.draft is None:
        return 0.0
    draft_tp = spec.draft_tensor_parallel_size or tp
    return spec.draft.weight_bytes_per_rank(draft_tp, dtype_bytes=dtype_bytes)


def draft_kv_bytes_per_token(spec: SpeculativeParams | None, tp: int, kv_dtype_bytes: float) -> int:
    """Draft-model KV bytes per token on one rank: every block holds target and draft KV side by side."""
    if spec is None or not spec.has_draft_weights or spec.draft is None:
        return 0
    return spec.draft.kv_bytes_per_token(spec.draft_tensor_parallel_size or tp, kv_dtype_bytes)


def multimodal_batched_tokens(shape: ModelShape, default: int) -> int:
    """vLLM's default batched tokens for this model: at least 5,120 for multimodal models."""
    return max(default, MULTIMODAL_MIN_BATCHED_TOKENS) if shape.vision_params else default


def lora_slot_bytes(shape: ModelShape, tp: int, max_loras: int, max_lora_rank: int, dtype_bytes: float) -> float:
    """Bytes one rank preallocates for ``max_loras`` adapter slots of rank ``max_lora_rank``.

    The one LoRA formula: a single-model spec's ``enable_lora`` and a component's adapters are both sized by it.
    Per decoder layer (attention always; the dense MLP when the model has one, vLLM 0.8.4 does not wrap fused-MoE
    experts): qkv is column-parallel with three A slices of the full hidden input and B split by tp; o_proj is
    row-parallel (A split by tp, B full hidden output); gate_up has two A slices and B split by tp; down_proj is
    row-parallel. Each slot holds A (rank x in) and B (out x rank) in the model dtype. Plus, once per model, the
    LoRA logits head (``LogitsProcessorWithLoRA``: A of rank x hidden, B of (vocab + 256 extra) x rank split by tp)
    and the LoRA embedding (``VocabParallelEmbeddingWithLoRA``: (vocab + 256) x rank, 256 extra rows of hidden,
    hidden x rank; counted unsharded).
    """
    if max_loras <= 0 or max_lora_rank <= 0:
        return 0.0
    h, r = shape.hidden_size, max_lora_rank
    q_out = shape.num_attention_heads * shape.head_dim
    kv_out = 2 * shape.kv_heads_per_rank(tp) * shape.head_dim
    qkv = 3 * r * h + r * (q_out / tp + kv_out)
    o_proj = r * q_out / tp + h * r
    per_layer = qkv + o_proj
    dense_layers = shape.num_layers - (shape.moe.num_moe_layers if shape.moe else 0)
    inter = shape.intermediate_size / tp
    mlp = (2 * r * h + 2 * inter * r) + (r * inter + h * r)
    vocab = shape.vocab_size + LORA_EXTRA_VOCAB
    head = r * h + vocab * r / tp
    embedding = vocab * r + LORA_EXTRA_VOCAB * h + h * r
    total = shape.num_layers * per_layer + dense_layers * mlp + head + embedding
    return total * max_loras * dtype_bytes


def expert_parallel_extra_bytes(shape: ModelShape, tp: int, linear_bytes_per_param: float) -> float:
    """Weight bytes the fullest rank holds beyond the tensor-split layout when experts are split across GPUs.

    Tensor-split: every rank holds 1/tp of each expert. Expert-parallel: the first ``E % tp`` ranks hold
    ``E // tp + 1`` whole experts, so the fullest rank holds ``ceil(E / tp) / E`` of them (equal when tp divides E).
    """
    if shape.moe is None or tp <= 1:
        return 0.0
    m = shape.moe
    experts_total = m.num_moe_layers * m.num_experts * 3 * shape.hidden_size * m.expert_intermediate_size
    share = math.ceil(m.num_experts / tp) / m.num_experts - 1 / tp
    return experts_total * share * linear_bytes_per_param


def moe_workspace_bytes(shape: ModelShape, tp: int, tokens: int, dtype_bytes: float, *, expert_parallel: bool) -> float:
    """Fused-MoE workspace of the profile run: top_k copies of each token through one expert's MLP.

    Tensor-split experts see ``intermediate / tp`` columns; expert-parallel ranks run whole experts (no split).
    """
    if shape.moe is None:
        return 0.0
    m = shape.moe
    split = 1 if expert_parallel else tp
    return tokens * m.top_k * (3 * m.expert_intermediate_size / split + shape.hidden_size) * dtype_bytes


def sampler_warmup_rows(max_num_seqs: int, max_num_batched_tokens: int) -> int:
    """``compile_or_warm_up_model``: the warm-up samples min(max_num_seqs, max_num_batched_tokens) requests."""
    return min(max_num_seqs, max_num_batched_tokens)


def warmup_bytes_per_logit(version: tuple[int, int, int], profile_bytes_per_logit: float) -> float:
    """Peak bytes per (row x vocab) element of the warm-up sampler (see ``WARMUP_BYTES_PER_LOGIT_V1``)."""
    if version < WARMUP_STRICTER_FROM:
        return profile_bytes_per_logit
    return max(profile_bytes_per_logit, WARMUP_BYTES_PER_LOGIT_V1)


def sampler_warmup_bytes(rows: int, padded_vocab: int, bytes_per_logit: float) -> float:
    """Bytes the warm-up sampler needs at its peak: every rank gathers the full-vocabulary logits."""
    return rows * padded_vocab * bytes_per_logit


def cuda_graph_capture_scale(shape: ModelShape, version: tuple[int, int, int]) -> float:
    """How much larger than the default the graph pool is: gpt-oss captures batches up to 1024 (>= 0.10)."""
    if version >= (0, 10, 0) and "gptoss" in shape.architecture.lower():
        return GPT_OSS_CAPTURE_SCALE
    return 1.0
