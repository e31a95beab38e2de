"""Model artifacts in S3: what should be under a prefix (pure manifest) and getting it there (upload, delete).

Rule: a local model directory goes up uncompressed, file by file, so SageMaker mounts it through
``ModelDataSource`` (``S3Prefix``, ``CompressionType: None``). Each object carries its size and SHA-256 in
metadata; a file whose remote copy has the same size and hash is skipped, so a second deploy uploads nothing.
A small manifest object (written last) records the digest of the whole set: observe reads that one object to
tell whether the prefix is up to date, and a crash mid-upload leaves no manifest, so the next run uploads
again (skipping what already arrived).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import field
from pathlib import Path
from typing import Any

from deploy.engine.naming import content_hash
from deploy.records import record

MANIFEST_NAME = ".lmi-deploy-manifest.json"
SHA_KEY = "lmi-sha256"
SKIP_NAMES = frozenset({".git", ".cache", "__pycache__", ".DS_Store", MANIFEST_NAME})
UPLOAD_THREADS = 4

EventSink = Callable[[dict[str, Any]], None]


@record
class ArtifactFile:
    """One object for the prefix: from a local ``path`` or a generated ``body`` (serving.properties)."""

    key: str
    size: int
    sha256: str
    path: str | None = None
    body: bytes | None = field(default=None, repr=False)


@record
class ArtifactUpload:
    """Everything that should sit under ``s3://bucket/prefix``; ``digest`` names the whole set."""

    bucket: str
    prefix: str
    files: tuple[ArtifactFile, ...]

    @property
    def digest(self) -> str:
        return content_hash([(f.key, f.size, f.sha256) for f in self.files], length=16)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    @property
    def manifest_key(self) -> str:
        return self.prefix + MANIFEST_NAME

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


@record
class UploadReport:
    """What an upload did: files sent, files skipped as unchanged, bytes sent."""

    uploaded: int
    skipped: int
    bytes_uploaded: int


class HashCache:
    """SHA-256 of local files, computed once per (path, size, mtime): weights are gigabytes, and every plan (a
    notebook's second ``plan``, several specs on the same weights, ``destroy`` by spec) would read them again.

    A changed file changes its size or mtime and is hashed again; entries live as long as the process.
    """

    def __init__(self) -> None:
        self._known: dict[tuple[str, int, int, int], str] = {}
        self._lock = threading.Lock()
        self.hashed = 0  # files actually read (what the cache saves is visible in tests and benchmarks)

    def sha256(self, path: str | Path) -> str:
        stat = os.stat(path)
        key = (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino)
        with self._lock:
            known = self._known.get(key)
        if known is not None:
            return known
        digest = _read_sha256(path)
        with self._lock:
            self._known[key] = digest
            self.hashed += 1
        return digest

    def clear(self) -> None:
        with self._lock:
            self._known.clear()


HASHES = HashCache()


def file_sha256(path: str | Path) -> str:
    """The file's SHA-256, from :data:`HASHES` when its path, size and mtime are unchanged."""
    return HASHES.sha256(path)


def _read_sha256(path: str | Path, chunk: int = 8 * 1024 * 1024) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def scan_directory(directory: str | Path) -> list[ArtifactFile]:
    """Every regular file under ``directory`` (caches skipped), with size and SHA-256, sorted by key."""
    root = Path(directory)
    files: list[ArtifactFile] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_NAMES)
        for name in sorted(filenames):
            if name in SKIP_NAMES:
                continue
            path = Path(dirpath) / name
            key = path.relative_to(root).as_posix()
            files.append(ArtifactFile(key=key, size=path.stat().st_size, sha256=file_sha256(path), path=str(path)))
    return files


def generated_file(key: str, text: str) -> ArtifactFile:
    body = text.encode("utf-8")
    return ArtifactFile(key=key, size=len(body), sha256=hashlib.sha256(body).hexdigest(), body=body)


def build_upload(bucket: str, prefix: str, directory: str | Path | None, extra: list[ArtifactFile]) -> ArtifactUpload:
    """The desired content of a prefix: a local directory (optional) plus generated files (they win)."""
    by_key = {f.key: f for f in (scan_directory(directory) if directory else [])}
    by_key.update({f.key: f for f in extra})
    return ArtifactUpload(bucket=bucket, prefix=prefix, files=tuple(by_key[k] for k in sorted(by_key)))


def remote_digest(s3: Any, upload: ArtifactUpload) -> str | None:
    """The digest recorded by the last complete upload to this prefix, or None."""
    text = s3.get_text(upload.bucket, upload.manifest_key)
    if not text:
        return None
    try:
        return str(json.loads(text).get("digest"))
    except (ValueError, AttributeError):
        return None


def upload(s3: Any, plan: ArtifactUpload, on_event: EventSink | None = None) -> UploadReport:
    """Upload what differs (in parallel), then write the manifest. Safe to repeat after a crash."""
    emit = on_event or (lambda _event: None)
    with ThreadPoolExecutor(max_workers=UPLOAD_THREADS) as pool:
        sent = list(pool.map(lambda f: _upload_one(s3, plan, f, emit), plan.files))
    manifest = {
        "digest": plan.digest,
        "files": [{"key": f.key, "size": f.size, "sha256": f.sha256} for f in plan.files],
    }
    s3.put_bytes(plan.bucket, plan.manifest_key, json.dumps(manifest).encode(), {SHA_KEY: plan.digest})
    uploaded = [f for f, was_sent in zip(plan.files, sent, strict=True) if was_sent]
    return UploadReport(len(uploaded), len(plan.files) - len(uploaded), sum(f.size for f in uploaded))


def _upload_one(s3: Any, plan: ArtifactUpload, item: ArtifactFile, emit: EventSink) -> bool:
    key = plan.prefix + item.key
    head = s3.head_object(plan.bucket, key)
    if head and head.get("ContentLength") == item.size and head.get("Metadata", {}).get(SHA_KEY) == item.sha256:
        return False
    metadata = {SHA_KEY: item.sha256}
    if item.body is not None:
        s3.put_bytes(plan.bucket, key, item.body, metadata)
    else:
        assert item.path is not None
        s3.upload_file(item.path, plan.bucket, key, metadata)
    emit({"event": "upload", "key": key, "bytes": item.size})
    return True


def delete_prefix(s3: Any, bucket: str, prefix: str) -> int:
    """Delete every object under ``prefix``; returns how many there were."""
    keys = list(s3.list_keys(bucket, prefix))
    if keys:
        s3.delete_keys(bucket, keys)
    return len(keys)
