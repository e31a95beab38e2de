"""What ``lmi bench`` counts with and sends: the token counter and the optional dataset, from the flags.

Rule: ``--tokenizer`` wins; without it the endpoint's own model id is asked for (``HF_MODEL_ID`` in its
container environment) so the counts are the served model's; when neither is known the word approximation is
used and its note says so. Reading the model id is best effort: a failure there never stops a benchmark.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploy.bench.datasets import load_dataset
from deploy.bench.load import BenchRequest
from deploy.bench.tokens import TokenCounter, WordCounter, load_counter
from deploy.errors import LmiError, UsageError

if TYPE_CHECKING:
    from deploy.invoke.endpoint import Endpoint


def bench_inputs(
    endpoint: Endpoint, tokenizer: str | None, dataset: tuple[str, str] | None, *, seed: int
) -> tuple[TokenCounter, list[BenchRequest] | None]:
    """The counter and, with ``--dataset KIND FILE``, the requests to replay."""
    explicit = tokenizer is not None
    if tokenizer is None:
        try:
            tokenizer = endpoint.gateway.model_id(endpoint.name, endpoint.inference_component)
        except LmiError:
            tokenizer = None
    try:
        counter = load_counter(tokenizer)
    except UsageError as exc:
        if explicit:
            raise
        # the endpoint's model id, but its tokenizer cannot be had: say so and go on
        counter = WordCounter(f"approximate token counts (1 word = 1 token): {exc.message}")
    requests = load_dataset(dataset[0], dataset[1], counter, seed=seed) if dataset else None
    return counter, requests


__all__ = ["bench_inputs"]
