"""S3 gateway for model artifacts: buckets, object heads, uploads (boto3's parallel multipart transfer),
deletes.

Rule: every call goes through ``session.call``; "missing" is ``None``/``False``, not an exception. Uploads use
boto3's transfer manager (threads, multipart above 64 MiB) so large weights go up in parallel.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig

from deploy.aws.session import AwsContext, call
from deploy.errors import AwsError, NotFoundError

MULTIPART_THRESHOLD = 64 * 1024 * 1024
TRANSFER_CONFIG = TransferConfig(
    multipart_threshold=MULTIPART_THRESHOLD, multipart_chunksize=MULTIPART_THRESHOLD, max_concurrency=8
)


class S3Gateway:
    """Typed wrapper over the ``s3`` client."""

    def __init__(self, ctx: AwsContext) -> None:
        self.ctx = ctx

    @property
    def _client(self) -> Any:
        return self.ctx.client("s3")

    def bucket_exists(self, bucket: str) -> bool:
        try:
            call(self._client, "head_bucket", "HeadBucket", bucket, Bucket=bucket)
        except AwsError as exc:
            if isinstance(exc, NotFoundError) or exc.status == 404:
                return False
            if exc.status == 403:
                exc.field, exc.value = "artifacts.bucket", bucket
                exc.fix = "the bucket belongs to another account or you lack s3:ListBucket; set artifacts.bucket"
            raise
        return True

    def create_bucket(self, bucket: str, region: str) -> None:
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        call(self._client, "create_bucket", "CreateBucket", bucket, **kwargs)

    def head_object(self, bucket: str, key: str) -> dict[str, Any] | None:
        try:
            result: dict[str, Any] = call(
                self._client, "head_object", "HeadObject", f"s3://{bucket}/{key}", Bucket=bucket, Key=key
            )
        except AwsError as exc:
            if isinstance(exc, NotFoundError) or exc.status == 404:
                return None
            raise
        return result

    def get_text(self, bucket: str, key: str) -> str | None:
        try:
            result = call(self._client, "get_object", "GetObject", f"s3://{bucket}/{key}", Bucket=bucket, Key=key)
        except AwsError as exc:
            if isinstance(exc, NotFoundError) or exc.status == 404:
                return None
            raise
        return str(result["Body"].read().decode("utf-8"))

    def put_bytes(self, bucket: str, key: str, body: bytes, metadata: dict[str, str]) -> None:
        call(
            self._client,
            "put_object",
            "PutObject",
            f"s3://{bucket}/{key}",
            Bucket=bucket,
            Key=key,
            Body=body,
            Metadata=metadata,
        )

    def upload_file(self, path: str, bucket: str, key: str, metadata: dict[str, str]) -> None:
        """Upload one file with the transfer manager (parallel multipart for large files)."""
        try:
            call(
                self._client,
                "upload_file",
                "PutObject",
                f"s3://{bucket}/{key}",
                Filename=path,
                Bucket=bucket,
                Key=key,
                ExtraArgs={"Metadata": metadata},
                Config=TRANSFER_CONFIG,
            )
        except S3UploadFailedError as exc:
            raise AwsError(f"PutObject s3://{bucket}/{key} failed: {exc}", operation="PutObject") from exc

    def list_keys(self, bucket: str, prefix: str) -> Iterator[str]:
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
            if token:
                kwargs["ContinuationToken"] = token
            page = call(self._client, "list_objects_v2", "ListObjectsV2", f"s3://{bucket}/{prefix}", **kwargs)
            for item in page.get("Contents", []):
                yield str(item["Key"])
            token = page.get("NextContinuationToken")
            if not token:
                return

    def list_prefixes(self, bucket: str, prefix: str) -> list[str]:
        """The "folders" directly under ``prefix`` (ListObjectsV2 with a ``/`` delimiter), e.g. one per endpoint."""
        found: list[str] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "Delimiter": "/"}
            if token:
                kwargs["ContinuationToken"] = token
            page = call(self._client, "list_objects_v2", "ListObjectsV2", f"s3://{bucket}/{prefix}", **kwargs)
            found += [str(item["Prefix"]) for item in page.get("CommonPrefixes", [])]
            token = page.get("NextContinuationToken")
            if not token:
                return found

    def delete_keys(self, bucket: str, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            call(
                self._client,
                "delete_objects",
                "DeleteObjects",
                f"s3://{bucket}",
                Bucket=bucket,
                Delete={"Objects": batch, "Quiet": True},
            )
