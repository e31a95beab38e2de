"""Token counts that are true: the model's own tokenizer, or an approximation that says it is one.

Rule: ``lmi bench`` counts prompt and output tokens with the served model's ``tokenizer.json`` (the
``tokenizers`` library, fetched through ``huggingface_hub`` so ``HF_ENDPOINT``, ``HF_TOKEN``, the Hub cache and
``HF_HUB_OFFLINE`` work as everywhere else; a cached copy is used without asking the Hub). With it, synthetic
prompts have exactly ``--input-tokens`` tokens. Without it (no extra installed, no model id, no file) we count
words and say so: every result carries :attr:`TokenCounter.note`. Both libraries are optional
(``pip install 'lmi-deploy[tokenizers]'``) and imported only here, inside the functions that need them.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Protocol

from deploy.bench.load import WORDS, make_prompt
from deploy.errors import UsageError
from deploy.records import record
from deploy.spec.paths import expand_home

INSTALL_FIX = "pip install 'lmi-deploy[tokenizers]'"
_MAX_ADJUST_STEPS = 64
_MISSING_ERRORS = ("EntryNotFoundError", "RemoteEntryNotFoundError", "RepositoryNotFoundError", "RevisionNotFoundError")


class TokenCounter(Protocol):
    """Counts tokens and builds prompts of a given length; ``exact`` says whether the counts are the model's."""

    @property
    def exact(self) -> bool: ...

    @property
    def source(self) -> str | None: ...

    @property
    def note(self) -> str: ...

    def count(self, text: str) -> int: ...

    def prompt(self, rng: random.Random, tokens: int) -> str: ...


@record
class WordCounter:
    """The approximation: one common English word ~ one token (true for Llama/Qwen-style BPE, not in general)."""

    note: str
    exact: bool = False
    source: str | None = None

    def count(self, text: str) -> int:
        return len(text.split())

    def prompt(self, rng: random.Random, tokens: int) -> str:
        return make_prompt(rng, tokens)


class HubTokenizer:
    """A ``tokenizers.Tokenizer``: counts without special tokens, as the prompt is sent (the server adds them)."""

    exact = True

    def __init__(self, tokenizer: Any, source: str) -> None:
        self._tokenizer = tokenizer
        self.source: str | None = source
        self.note = f"token counts from the tokenizer of {source}"

    def count(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def prompt(self, rng: random.Random, tokens: int) -> str:
        """Random common words cut to exactly ``tokens`` tokens (checked by re-encoding the text)."""
        text = self._cut(make_prompt(rng, tokens * 2 + 8), tokens)
        for _ in range(_MAX_ADJUST_STEPS):
            have = self.count(text)
            if have == tokens:
                return text
            if have < tokens:
                text = f"{text} {rng.choice(WORDS)}"
            else:
                shorter = self._cut(text, tokens)
                text = shorter if self.count(shorter) < have else text.rsplit(" ", 1)[0]
        raise UsageError(
            f"cannot build a prompt of exactly {tokens} tokens with the tokenizer of {self.source}",
            field="--input-tokens",
            value=tokens,
            fix="try another --input-tokens value, or --tokenizer approx for word counts",
        )

    def _cut(self, text: str, tokens: int) -> str:
        ids = self._tokenizer.encode(text, add_special_tokens=False).ids[:tokens]
        return str(self._tokenizer.decode(ids, skip_special_tokens=True))


def load_counter(tokenizer: str | None, *, revision: str | None = None) -> TokenCounter:
    """The counter for ``--tokenizer``: ``approx``, a ``tokenizer.json`` (or its folder), or a Hub model id.

    ``None`` (no id known) gives the approximation with a note saying how to get exact counts; an unknown id or
    a missing file is a :class:`UsageError` (a typo must not silently turn into approximate numbers).
    """
    if tokenizer is None:
        return WordCounter("approximate token counts (1 word = 1 token): no tokenizer known; pass --tokenizer")
    if tokenizer == "approx":
        return WordCounter("approximate token counts (1 word = 1 token), as asked with --tokenizer approx")
    try:
        from tokenizers import Tokenizer
    except ImportError:
        return WordCounter(f"approximate token counts (1 word = 1 token): tokenizers is not installed ({INSTALL_FIX})")
    path = expand_home(tokenizer)  # `~0` (no such home) stays as written and is refused as a missing file
    if path.is_dir():
        path = path / "tokenizer.json"
    if path.is_file() or tokenizer.startswith((".", "/", "~")):
        return HubTokenizer(_from_file(Tokenizer, path), str(path))
    return HubTokenizer(_from_file(Tokenizer, hub_tokenizer_file(tokenizer, revision)), tokenizer)


def _from_file(tokenizer_cls: Any, path: Path) -> Any:
    try:
        return tokenizer_cls.from_file(str(path))
    except Exception as exc:  # tokenizers raises plain Exception for unreadable files
        raise UsageError(
            f"cannot read the tokenizer at {path}: {exc}",
            field="--tokenizer",
            value=str(path),
            fix="point --tokenizer at a tokenizer.json (or its model folder), a Hub model id, or 'approx'",
        ) from exc


def hub_tokenizer_file(model_id: str, revision: str | None = None) -> Path:
    """``tokenizer.json`` of ``model_id`` from the Hub cache, downloading it when needed (and allowed)."""
    try:
        from huggingface_hub import errors, hf_hub_download
    except ImportError as exc:
        raise UsageError(
            "huggingface_hub is not installed", field="--tokenizer", value=model_id, fix=INSTALL_FIX
        ) from exc
    missing = tuple(
        getattr(errors, name)
        for name in (
            "EntryNotFoundError",
            "RemoteEntryNotFoundError",
            "RepositoryNotFoundError",
            "RevisionNotFoundError",
        )
        if hasattr(errors, name)
    )
    try:  # the cache first: a tokenizer does not change under a benchmark, and this needs no network
        return Path(hf_hub_download(model_id, "tokenizer.json", revision=revision, local_files_only=True))
    except Exception:  # not cached (or a broken cache entry): download it
        pass
    try:
        return Path(hf_hub_download(model_id, "tokenizer.json", revision=revision))
    except errors.LocalEntryNotFoundError as exc:  # offline (HF_HUB_OFFLINE=1) and not cached
        raise _not_cached(model_id, exc) from exc
    except missing as exc:
        raise UsageError(
            f"the Hub has no tokenizer.json for {model_id!r}",
            field="--tokenizer",
            value=model_id,
            fix="check the model id (and HF_TOKEN for gated models), or pass a local tokenizer.json",
        ) from exc
    except Exception as exc:  # network failure, and nothing cached (looked up above)
        raise _not_cached(model_id, exc) from exc


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _not_cached(model_id: str, cause: Exception) -> UsageError:
    return UsageError(
        f"cannot fetch the tokenizer of {model_id!r} and it is not in the Hub cache: {_first_line(cause)}",
        field="--tokenizer",
        value=model_id,
        fix="connect to the Hub once (or set HF_ENDPOINT), pass a local tokenizer.json, or --tokenizer approx",
    )


__all__ = ["HubTokenizer", "TokenCounter", "WordCounter", "hub_tokenizer_file", "load_counter"]
