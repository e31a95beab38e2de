"""A tokenizer built here with the ``tokenizers`` library, and a minimal fake Hugging Face Hub on 127.0.0.1 that
serves its ``tokenizer.json``, for the benchmark's token-counting tests (no network, no real Hub).

The fake answers what ``huggingface_hub.hf_hub_download`` asks: ``HEAD``/``GET /<org>/<name>/resolve/<rev>/<file>``
with the commit and ETag headers the client needs, and 404 with the Hub's ``X-Error-Code`` for unknown repos and files.
"""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

CORPUS = (
    "the model answers with a short sentence while the endpoint streams tokens through the container "
    "and the benchmark counts every token of the prompt and of the answer with the model's own tokenizer "
    "so that prompts have exactly the length asked for and the throughput is true"
)
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def build_tokenizer(kind: str = "bpe") -> Any:
    """A small tokenizer trained here: byte-level BPE (GPT-2/Llama-3 style) or a whitespace word-piece."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    if kind == "bpe":
        tokenizer = Tokenizer(models.BPE())
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tokenizer.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=300, special_tokens=["<s>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
        )
    else:
        tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
        tokenizer.decoder = decoders.WordPiece()
        trainer = trainers.WordPieceTrainer(vocab_size=200, special_tokens=["[UNK]"])
    from deploy.bench.load import WORDS

    tokenizer.train_from_iterator([CORPUS, " ".join(WORDS)] * 4, trainer=trainer)
    return tokenizer


def write_tokenizer(directory: Path, kind: str = "bpe") -> Path:
    path = directory / "tokenizer.json"
    build_tokenizer(kind).save(str(path))
    return path


class FakeHub:
    """Serves ``{repo_id: tokenizer.json bytes}``; counts the file requests it got (``hits``)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.hits = 0
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_HEAD(self) -> None:
                self._answer(body=False)

            def do_GET(self) -> None:
                self._answer(body=True)

            def _answer(self, *, body: bool) -> None:
                parts = self.path.split("?")[0].strip("/").split("/")
                if "resolve" not in parts:  # huggingface_hub's own side requests (e.g. /api/agent-harnesses)
                    return self._missing("EntryNotFound")
                hub.hits += 1
                repo = "/".join(parts[:2])
                if len(parts) < 5 or parts[2] != "resolve" or repo not in hub.files:
                    return self._missing("RepoNotFound")
                if parts[4] != "tokenizer.json":
                    return self._missing("EntryNotFound")
                data = hub.files[repo]
                self.send_response(200)
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("ETag", '"' + hashlib.sha256(data).hexdigest() + '"')
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                if body:
                    self.wfile.write(data)

            def _missing(self, code: str) -> None:
                self.send_response(404)
                self.send_header("X-Error-Code", code)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
