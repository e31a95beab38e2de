"""Direct access to moto's in-memory backends: the emulator's storage layer.

Rule: the emulator keeps AWS state in moto (one source of truth, so ordinary describe/list calls see it) and only
reaches in here for what moto cannot be asked over HTTP without re-entering the server: reading model artifacts,
writing container logs, emitting CloudWatch metrics and async results. All access is keyed by account and region.
"""

from __future__ import annotations

import io
import os
import tarfile
import time
from typing import Any

from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.logs.models import logs_backends
from moto.s3.models import s3_backends
from moto.sagemaker.models import sagemaker_backends


def account_id() -> str:
    return os.environ.get("MOTO_ACCOUNT_ID", DEFAULT_ACCOUNT_ID)


def sagemaker(region: str) -> Any:
    return sagemaker_backends[account_id()][region]


def autoscaling(region: str) -> Any:
    return applicationautoscaling_backends[account_id()][region]


def cloudwatch(region: str) -> Any:
    return cloudwatch_backends[account_id()][region]


def _s3() -> Any:
    return s3_backends[account_id()]["aws"]


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


def read_s3(uri: str) -> bytes | None:
    """The object's bytes, or None when the bucket or key does not exist."""
    bucket, key = split_s3_uri(uri)
    from moto.s3.exceptions import MissingBucket, MissingKey

    try:
        found = _s3().get_object(bucket, key)
    except (MissingBucket, MissingKey):
        return None
    return None if found is None else bytes(found.value)


def write_s3(uri: str, data: bytes) -> None:
    """Write an object, creating the bucket when missing (the async output bucket may not exist in moto)."""
    bucket, key = split_s3_uri(uri)
    backend = _s3()
    if bucket not in backend.buckets:
        backend.create_bucket(bucket, "us-east-1")
    backend.put_object(bucket, key, data)


def read_model_files(model_container: dict[str, Any], names: tuple[str, ...]) -> dict[str, bytes]:
    """Files at the root of the model artifacts: an uncompressed S3 prefix or a ``model.tar.gz``."""
    source = (model_container.get("ModelDataSource") or {}).get("S3DataSource") or {}
    uri = source.get("S3Uri") or model_container.get("ModelDataUrl")
    if not uri or not str(uri).startswith("s3://"):
        return {}
    if (source and source.get("S3DataType") == "S3Prefix") or str(uri).endswith("/"):
        prefix = str(uri) if str(uri).endswith("/") else f"{uri}/"
        found = {name: read_s3(prefix + name) for name in names}
        return {name: data for name, data in found.items() if data is not None}
    return _read_tarball(str(uri), names)


def _read_tarball(uri: str, names: tuple[str, ...]) -> dict[str, bytes]:
    data = read_s3(uri)
    if data is None:
        return {}
    out: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            for member in archive.getmembers():
                name = member.name.removeprefix("./")
                extracted = archive.extractfile(member) if name in names else None
                if extracted is not None:
                    out[name] = extracted.read()
    except tarfile.TarError:
        return {}
    return out


def write_log(region: str, group: str, stream: str, lines: list[str]) -> None:
    """Append lines to a CloudWatch Logs stream, creating the group and stream as SageMaker does."""
    backend = logs_backends[account_id()][region]
    if group not in backend.groups:
        backend.create_log_group(group, {})
    if stream not in backend.groups[group].streams:
        backend.create_log_stream(group, stream)
    now = int(time.time() * 1000)
    events = [{"timestamp": now, "message": line} for line in lines]
    if events:
        backend.put_log_events(group, stream, events)


def put_metrics(region: str, namespace: str, data: list[dict[str, Any]]) -> None:
    cloudwatch_backends[account_id()][region].put_metric_data(namespace, data)
