"""Token counting for ``lmi bench``: tokenizers built here, served from a fake Hub on 127.0.0.1 via HF_ENDPOINT.

The Hub tests run the loader in a subprocess so that ``HF_ENDPOINT``, ``HF_HOME`` and ``HF_HUB_OFFLINE`` are read
exactly as a user's shell sets them (huggingface_hub reads them once, at import).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("tokenizers", reason="the [tokenizers] extra is not installed")
pytest.importorskip("huggingface_hub", reason="the [tokenizers] extra is not installed")

from deploy.bench.datasets import SyntheticRequests, load_sharegpt
from deploy.bench.tokens import HubTokenizer, WordCounter, load_counter
from deploy.errors import UsageError
from tests.unit.tokenizer_hub import FakeHub, build_tokenizer, write_tokenizer

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKENIZERS = {kind: HubTokenizer(build_tokenizer(kind), f"test-{kind}") for kind in ("bpe", "wordpiece")}


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(TOKENIZERS)), st.integers(1, 600), st.integers(0, 10**6))
def test_prompts_have_exactly_the_asked_number_of_tokens(kind: str, tokens: int, seed: int) -> None:
    counter = TOKENIZERS[kind]
    prompt = counter.prompt(random.Random(seed), tokens)
    assert counter.count(prompt) == tokens


def test_the_word_approximation_would_be_wrong_for_these_tokenizers() -> None:
    """The exactness test above means something: with these tokenizers words and tokens differ a lot."""
    words = WordCounter("approx").prompt(random.Random(0), 100)
    assert all(abs(c.count(words) - 100) > 20 for c in TOKENIZERS.values())


def test_synthetic_requests_carry_exact_counts_and_differ() -> None:
    counter = TOKENIZERS["bpe"]
    requests = SyntheticRequests("s", 64, 16, counter)
    first, second = requests[0], requests[1]
    assert first.prompt != second.prompt and first == SyntheticRequests("s", 64, 16, counter)[0]
    assert (first.input_tokens, counter.count(first.prompt), first.output_tokens) == (64, 64, 16)


def test_local_tokenizer_file_and_folder(tmp_path: Path) -> None:
    path = write_tokenizer(tmp_path, "wordpiece")
    for arg in (str(path), str(tmp_path)):
        counter = load_counter(arg)
        assert counter.exact and counter.count("the model answers") == 4  # the, model, answer, ##s


@pytest.mark.parametrize("arg", ["./missing/tokenizer.json", "/nonexistent/dir", "~/no-such-tokenizer.json"])
def test_a_missing_local_tokenizer_is_an_error_not_an_approximation(arg: str) -> None:
    with pytest.raises(UsageError) as err:
        load_counter(arg)
    assert err.value.field == "--tokenizer" and err.value.exit_code == 2


def test_a_broken_tokenizer_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "tokenizer.json").write_text("{not json")
    with pytest.raises(UsageError, match="cannot read the tokenizer"):
        load_counter(str(tmp_path))


@pytest.mark.parametrize(("arg", "why"), [(None, "no tokenizer known"), ("approx", "--tokenizer approx")])
def test_the_approximation_says_so(arg: str | None, why: str) -> None:
    counter = load_counter(arg)
    assert not counter.exact and "approximate" in counter.note and why in counter.note


LOADER = """
import json, sys
from deploy.bench.tokens import load_counter
from deploy.errors import UsageError
try:
    c = load_counter(sys.argv[1])
    print(json.dumps({"exact": c.exact, "source": c.source, "count": c.count("the model answers with people")}))
except UsageError as e:
    print(json.dumps({"error": e.message, "field": e.field}))
"""


def _load_in_subprocess(model_id: str, env: dict[str, str]) -> dict[str, object]:
    full_env = {**os.environ, **env, "PYTHONPATH": str(REPO_ROOT)}
    full_env.pop("HF_TOKEN", None)
    done = subprocess.run(
        [sys.executable, "-c", LOADER, model_id], env=full_env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.fixture
def hub_files(tmp_path: Path) -> dict[str, bytes]:
    return {"test-org/tiny-bpe": write_tokenizer(tmp_path, "bpe").read_bytes()}


def test_hub_download_then_cache_then_offline(tmp_path: Path, hub_files: dict[str, bytes]) -> None:
    expected = TOKENIZERS["bpe"].count("the model answers with people")
    home = str(tmp_path / "hf-home")
    with FakeHub(hub_files) as hub:
        env = {"HF_ENDPOINT": hub.url, "HF_HOME": home, "HF_HUB_OFFLINE": "0"}
        first = _load_in_subprocess("test-org/tiny-bpe", env)
        assert first == {"exact": True, "source": "test-org/tiny-bpe", "count": expected}
        assert hub.hits >= 1
        hits = hub.hits
        assert _load_in_subprocess("test-org/tiny-bpe", env)["count"] == expected
        assert hub.hits == hits  # the cached copy is used without asking the Hub
        dead_url = hub.url
    # the Hub is gone: the cached copy still serves, with and without HF_HUB_OFFLINE=1
    for offline in ("0", "1"):
        again = _load_in_subprocess(
            "test-org/tiny-bpe", {"HF_ENDPOINT": dead_url, "HF_HOME": home, "HF_HUB_OFFLINE": offline}
        )
        assert again["count"] == expected


def test_hub_unknown_repo_and_uncached_offline_are_errors(tmp_path: Path, hub_files: dict[str, bytes]) -> None:
    home = str(tmp_path / "hf-home")
    with FakeHub(hub_files) as hub:
        missing = _load_in_subprocess("test-org/no-such-model", {"HF_ENDPOINT": hub.url, "HF_HOME": home})
        assert missing["field"] == "--tokenizer" and "no tokenizer.json" in str(missing["error"])
    offline = _load_in_subprocess("test-org/tiny-bpe", {"HF_ENDPOINT": hub.url, "HF_HOME": home, "HF_HUB_OFFLINE": "1"})
    assert "not in the Hub cache" in str(offline["error"])


SHAREGPT = [
    {"id": "a", "conversations": [{"from": "human", "value": "the model answers with a short sentence please"},
                                  {"from": "gpt", "value": "the endpoint streams tokens through the container now"}]},
    {"id": "b", "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "too short prompt"}]},
    {"id": "c", "conversations": [{"from": "human", "value": "only one turn here"}]},
    {"id": "d", "conversations": [{"from": "human", "value": "count every token of the prompt and of the answer"},
                                  {"from": "gpt", "value": "so that prompts have exactly the length asked for"},
                                  {"from": "human", "value": "later turns are not replayed"}]},
    "not an entry",
]  # fmt: skip


def test_sharegpt_replay_counts_with_the_tokenizer_and_filters_like_vllm(tmp_path: Path) -> None:
    path = tmp_path / "sharegpt.json"
    path.write_text(json.dumps(SHAREGPT))
    counter = TOKENIZERS["wordpiece"]
    requests = load_sharegpt(path, counter, seed=0)
    assert sorted(r.prompt for r in requests) == sorted([SHAREGPT[0]["conversations"][0]["value"],
                                                        SHAREGPT[3]["conversations"][0]["value"]])  # fmt: skip
    for request in requests:
        assert request.input_tokens == counter.count(request.prompt)
        answer = next(
            e["conversations"][1]["value"] for e in SHAREGPT[::3] if e["conversations"][0]["value"] == request.prompt
        )
        assert request.output_tokens == counter.count(answer)
    fixed = load_sharegpt(path, counter, output_tokens=5)
    assert {r.output_tokens for r in fixed} == {5}


@pytest.mark.parametrize(
    ("content", "match"),
    [(None, "cannot read"), ("{oops", "not JSON"), ('{"conversations": []}', "not a JSON list"), ("[]", "no usable")],
)
def test_bad_sharegpt_files(tmp_path: Path, content: str | None, match: str) -> None:
    path = tmp_path / "data.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(UsageError, match=match) as err:
        load_sharegpt(path, WordCounter("approx"))
    assert err.value.field == "--dataset"
