"""How vLLM lays out the KV cache: pages, layer groups, and what "GPU KV cache size" counts.

Rule: LMI v15's vLLM 0.8.4 (and every version before the hybrid KV-cache manager, 0.10) charges every layer as
full attention: one page of ``block_size`` tokens spans all layers, and tokens = blocks x block_size. From 0.10
the V1 engine groups layers of the same attention type (sliding-window / chunked-local vs full) into groups of
equal size ``g`` (the smaller type's layer count, unless the two counts are within 1.5x, then the larger) and
reports tokens = blocks // groups x block_size, while a request only needs ``window - 1 + max_num_batched_tokens``
tokens in its sliding groups. This is the mechanism of vLLM's ``kv_cache_utils`` (uniform page size grouping).
"""

from __future__ import annotations

import math

from deploy.records import record
from deploy.sizing.shape import ModelShape


@record
class KvLayout:
    """Page geometry of one rank's KV cache."""

    page_bytes: int  # one block of block_size tokens over one "slot set" of group_size layers
    groups: int
    full_groups: int
    sliding_groups: int
    window: int | None
    block_size: int

    @property
    def bytes_per_token(self) -> int:
        """KV bytes per token of reported capacity (per rank)."""
        return self.page_bytes * self.groups // self.block_size

    def blocks_for_request(self, max_model_len: int, batched_tokens: int) -> int:
        full = self.full_groups * math.ceil(max_model_len / self.block_size)
        if not self.sliding_groups or self.window is None:
            return full
        needed = min(self.window - 1 + batched_tokens, max_model_len)
        return full + self.sliding_groups * (math.ceil(needed / self.block_size) + 1)


def _group_size(sliding: int, full: int) -> int:
    small, large = min(sliding, full), max(sliding, full)
    return large if large < 1.5 * small else small


def kv_layout(shape: ModelShape, tp: int, kv_dtype_bytes: float, *, hybrid: bool, block_size: int) -> KvLayout:
    """The layout vLLM uses for this shape; ``hybrid`` says whether the hybrid KV-cache manager is active."""
    per_layer_token = shape.kv_bytes_per_token(tp, kv_dtype_bytes) / shape.num_layers
    sliding = shape.num_sliding_layers if shape.sliding_window else 0
    full = shape.num_layers - sliding
    if not hybrid or sliding == 0 or shape.mla is not None:
        page = round(per_layer_token * shape.num_layers * block_size)
        return KvLayout(page, 1, 1, 0, None, block_size)
    if full == 0:
        page = round(per_layer_token * shape.num_layers * block_size)
        return KvLayout(page, 1, 0, 1, shape.sliding_window, block_size)
    group = _group_size(sliding, full)
    sliding_groups, full_groups = math.ceil(sliding / group), math.ceil(full / group)
    page = round(per_layer_token * group * block_size)
    return KvLayout(page, sliding_groups + full_groups, full_groups, sliding_groups, shape.sliding_window, block_size)
