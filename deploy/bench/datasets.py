"""What a benchmark sends: synthetic prompts of an exact length, or conversations replayed from ShareGPT.

Rule: every request knows its prompt, how many tokens that prompt has (counted by the benchmark's
:class:`~deploy.bench.tokens.TokenCounter`) and how many output tokens to ask for, before it is sent, so counting
costs nothing inside the timed part. ShareGPT replay follows vLLM's serving benchmark: entries with at least two
turns, shuffled with the seed, the first turn as the prompt and the second's token count as the output length,
dropping pairs with a prompt or answer under 4 tokens, a prompt over 1,024 or a total over 2,048 tokens.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any, overload

from deploy.bench.load import BenchRequest
from deploy.bench.tokens import TokenCounter
from deploy.errors import UsageError

MIN_LEN, MAX_PROMPT, MAX_TOTAL = 4, 1024, 2048
DATASETS = ("sharegpt",)


class SyntheticRequests(Sequence[BenchRequest]):
    """A fresh prompt of ``input_tokens`` tokens for every index, made on demand (no prefix-cache hits).

    Request ``i`` depends only on ``seed`` and ``i``, so two runs send the same prompts.
    """

    def __init__(self, seed: str, input_tokens: int, output_tokens: int, counter: TokenCounter) -> None:
        self.seed, self.input_tokens, self.output_tokens, self.counter = seed, input_tokens, output_tokens, counter
        self.size = 2**62

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, index: int) -> BenchRequest: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[BenchRequest]: ...

    def __getitem__(self, index: int | slice) -> BenchRequest | Sequence[BenchRequest]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(min(self.size, 10**6)))]
        prompt = self.counter.prompt(random.Random(f"{self.seed}:{index % self.size}"), self.input_tokens)
        tokens = self.input_tokens if self.counter.exact else self.counter.count(prompt)
        return BenchRequest(prompt, tokens, self.output_tokens)


def load_dataset(
    kind: str, path: str, counter: TokenCounter, *, seed: int = 0, output_tokens: int | None = None
) -> list[BenchRequest]:
    """The requests of a dataset file; ``output_tokens`` fixes every answer's length (else the dataset's)."""
    if kind not in DATASETS:
        raise UsageError(
            f"--dataset {kind!r} is not known", field="--dataset", value=kind, fix="--dataset sharegpt FILE.json"
        )
    return load_sharegpt(Path(path), counter, seed=seed, output_tokens=output_tokens)


def load_sharegpt(
    path: Path, counter: TokenCounter, *, seed: int = 0, output_tokens: int | None = None
) -> list[BenchRequest]:
    """ShareGPT JSON (``[{"conversations": [{"from": "human", "value": ...}, {"from": "gpt", ...}]}]``)."""
    entries = [e for e in _read(path) if len(_turns(e)) >= 2]
    random.Random(seed).shuffle(entries)
    requests = []
    for entry in entries:
        prompt, answer = (str(turn.get("value") or "") for turn in _turns(entry)[:2])
        prompt_len = counter.count(prompt)
        output_len = output_tokens if output_tokens is not None else counter.count(answer)
        too_short = prompt_len < MIN_LEN or (output_tokens is None and output_len < MIN_LEN)
        if too_short or prompt_len > MAX_PROMPT or prompt_len + output_len > MAX_TOTAL:
            continue
        requests.append(BenchRequest(prompt, prompt_len, output_len))
    if not requests:
        raise UsageError(
            f"{path} has no usable conversation",
            field="--dataset",
            value=str(path),
            fix=f"entries need two turns, each of at least {MIN_LEN} tokens, and at most {MAX_TOTAL} tokens together",
        )
    return requests


def _read(path: Path) -> list[Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}", field="--dataset", value=str(path),
                         fix="pass an existing ShareGPT JSON file") from exc  # fmt: skip
    except ValueError as exc:
        raise UsageError(f"{path} is not JSON: {exc}", field="--dataset", value=str(path),
                         fix="ShareGPT files are one JSON list") from exc  # fmt: skip
    if not isinstance(data, list):
        raise UsageError(f"{path} is not a JSON list of conversations", field="--dataset", value=str(path),
                         fix='[{"conversations": [{"from": "human", "value": "..."}, ...]}, ...]')  # fmt: skip
    return data


def _turns(entry: Any) -> list[dict[str, Any]]:
    turns = entry.get("conversations") if isinstance(entry, dict) else None
    return [t for t in turns if isinstance(t, dict)] if isinstance(turns, list) else []


__all__ = ["DATASETS", "BenchRequest", "SyntheticRequests", "load_dataset", "load_sharegpt"]
