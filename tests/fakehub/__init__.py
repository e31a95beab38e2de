"""A fake Hugging Face Hub on 127.0.0.1 for tests: the endpoints huggingface_hub calls, and nothing else.

Served (as huggingface_hub 2.x requests them, reached through ``HF_ENDPOINT``):

- ``GET /api/models/{repo}`` and ``GET /api/models/{repo}/revision/{rev}``: model info (sha, gated, private,
  library_name, pipeline_tag, siblings);
- ``HEAD`` / ``GET /{repo}/resolve/{rev}/{file}`` with ``Range: bytes=a-b`` (206 + Content-Range), the
  ``X-Repo-Commit`` and ``ETag`` headers hf_hub_download needs;
- the Hub's error answers: 404 + ``X-Error-Code: RepoNotFound`` / ``RevisionNotFound`` / ``EntryNotFound``,
  401 (no token) or 403 (token without access) + ``X-Error-Code: GatedRepo`` for gated repos, 401 + RepoNotFound
  for a private repo without a valid token.

Every request is logged (method, path, range, whether a token came and whether it was valid) so tests can assert
that weights are never downloaded and that the token was sent.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.fakehub.checkpoints import VirtualFile

Content = VirtualFile | bytes


@dataclass
class FakeRepo:
    """One model repository: commits (sha -> files), refs (branch -> sha), access rules."""

    repo_id: str
    commits: dict[str, dict[str, Content]]
    refs: dict[str, str]
    gated: bool | str = False
    private: bool = False
    tokens: frozenset[str] = frozenset()  # tokens allowed to read a gated/private repo
    library_name: str = "transformers"
    pipeline_tag: str = "text-generation"


@dataclass
class Request:
    method: str
    path: str
    range: str | None
    token: str | None


@dataclass
class FakeHub:
    """The server; ``repos`` may be changed while it runs (a new commit on main, a fault)."""

    repos: dict[str, FakeRepo] = field(default_factory=dict)
    log: list[Request] = field(default_factory=list)
    fail_status: int | None = None  # answer every request with this status (e.g. 503)
    _server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, repo: FakeRepo) -> FakeRepo:
        self.repos[repo.repo_id] = repo
        return repo

    def start(self) -> FakeHub:
        hub = self

        class Handler(_Handler):
            fake = hub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def requests(self, kind: str = "") -> list[Request]:
        return [r for r in self.log if kind in r.path]


def commit_sha(label: str) -> str:
    """A stable 40-hex commit id for a label."""
    return hashlib.sha1(label.encode()).hexdigest()


def _etag(content: Content) -> str:
    digest = hashlib.sha256(content.prefix if isinstance(content, VirtualFile) else content)
    if isinstance(content, VirtualFile):
        digest.update(str(content.size).encode())
    return f'"{digest.hexdigest()}"'


RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
INFO = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+?)(?:/revision/(?P<rev>[^/]+))?$")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeHub
    protocol_version = "HTTP/1.0"  # one connection per request: a stopped server is really gone

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    # -- dispatch ------------------------------------------------------------------------------------------
    def _serve(self, *, body: bool) -> None:
        path = urlsplit(self.path).path
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip() or None
        self.fake.log.append(Request(self.command, path, self.headers.get("Range"), token))
        if self.fake.fail_status:
            return self._error(self.fake.fail_status, "", "fault injected", body)
        info, resolve = INFO.match(path), RESOLVE.match(path)
        if info:
            return self._info(info["repo"], unquote(info["rev"] or "main"), token, body)
        if resolve:
            return self._file(resolve["repo"], unquote(resolve["rev"]), unquote(resolve["file"]), token, body)
        return self._error(404, "", "no such endpoint", body)

    def _repo(self, repo_id: str, token: str | None, body: bool, *, files: bool) -> FakeRepo | None:
        repo = self.fake.repos.get(repo_id)
        allowed = repo is not None and token in repo.tokens
        if repo is None or (repo.private and not allowed):
            self._error(401 if token is None else 404, "RepoNotFound", "Repository not found", body)
            return None
        if files and repo.gated and not allowed:
            message = f"Access to model {repo_id} is restricted. You must have access to it and be authenticated."
            self._error(401 if token is None else 403, "GatedRepo", message, body)
            return None
        return repo

    def _sha(self, repo: FakeRepo, rev: str, body: bool) -> str | None:
        sha = repo.refs.get(rev, rev if rev in repo.commits else None)
        if sha is None:
            self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}", body)
        return sha

    # -- endpoints -----------------------------------------------------------------------------------------
    def _info(self, repo_id: str, rev: str, token: str | None, body: bool) -> None:
        repo = self._repo(repo_id, token, body, files=False)
        sha = self._sha(repo, rev, body) if repo else None
        if repo is None or sha is None:
            return
        data = {
            "_id": sha[:24],
            "id": repo_id,
            "modelId": repo_id,
            "sha": sha,
            "private": repo.private,
            "gated": repo.gated,
            "disabled": False,
            "library_name": repo.library_name,
            "pipeline_tag": repo.pipeline_tag,
            "tags": [repo.library_name, "safetensors", repo.pipeline_tag],
            "siblings": [{"rfilename": name} for name in sorted(repo.commits[sha])],
            "lastModified": "2026-01-01T00:00:00.000Z",
        }
        self._send(200, json.dumps(data).encode(), {"Content-Type": "application/json"}, body)

    def _file(self, repo_id: str, rev: str, name: str, token: str | None, body: bool) -> None:
        repo = self._repo(repo_id, token, body, files=True)
        sha = self._sha(repo, rev, body) if repo else None
        if repo is None or sha is None:
            return
        content = repo.commits[sha].get(name)
        if content is None:
            return self._error(404, "EntryNotFound", f"{name} does not exist on {rev}", body)
        size = content.size if isinstance(content, VirtualFile) else len(content)
        if body and isinstance(content, VirtualFile) and not self.headers.get("Range"):
            return self._error(500, "", "the fake Hub refuses weight downloads: read the header by range", body)
        headers = {"X-Repo-Commit": sha, "ETag": _etag(content), "Accept-Ranges": "bytes"}
        wanted = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range") or "")
        start, end = (int(wanted[1]), int(wanted[2] or size - 1)) if wanted else (0, size - 1)
        end = min(end, size - 1)
        data = content.read(start, end) if isinstance(content, VirtualFile) else content[start : end + 1]
        if wanted:
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        self._send(206 if wanted else 200, data, headers, body, length=len(data) if body or wanted else size)

    # -- output --------------------------------------------------------------------------------------------
    def _error(self, status: int, code: str, message: str, body: bool) -> None:
        headers = {"X-Error-Message": message, "Content-Type": "application/json"}
        if code:
            headers["X-Error-Code"] = code
        self._send(status, json.dumps({"error": message}).encode(), headers, body)

    def _send(self, status: int, data: bytes, headers: dict[str, str], body: bool, length: int | None = None) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data) if length is None else length))
        self.end_headers()
        if body:
            self.wfile.write(data)
