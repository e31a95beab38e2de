"""The gateway for ``sagemaker-runtime`` (and the S3 reads/writes of async inference).

Rule: every runtime call goes through :func:`deploy.aws.session.call`, and every failure leaves this module as
a typed :class:`deploy.errors.InvokeError` (see :mod:`deploy.invoke.errors`) that names
the cause and the fix.
The runtime client is our own, not the cached one of :class:`AwsContext`: a benchmark runs many streams at
once, so its connection pool must be as large as the concurrency, and its read timeout is the caller's choice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError, ResponseStreamingError
from urllib3.exceptions import ProtocolError
from urllib3.exceptions import ReadTimeoutError as RawReadTimeoutError

from deploy.aws.session import AwsContext, call
from deploy.errors import AwsError, InvokeError, NotFoundError
from deploy.invoke.errors import (
    StreamError,
    classify_container_error,
    classify_runtime_error,
    container_text,
    stream_broken,
    timeout_error,
)
from deploy.records import record

JSON = "application/json"


@record
class RuntimeResponse:
    """A non-streaming answer: the body bytes and the content type the container declared."""

    body: bytes
    content_type: str | None
    variant: str | None


@record
class AsyncInvocation:
    """Where SageMaker will write the answer of an async request."""

    inference_id: str
    output_location: str
    failure_location: str | None


@record
class EndpointCapacity:
    """Instance type and count of an endpoint's first production variant (for benchmark cost)."""

    instance_type: str | None
    instance_count: int | None


class RuntimeGateway:
    """One typed method per runtime call. Building it makes no client and no call."""

    def __init__(
        self,
        context: AwsContext,
        *,
        max_pool_connections: int = 10,
        read_timeout_s: float = 70.0,
        max_attempts: int = 3,
    ) -> None:
        self.context = context
        self.max_pool_connections = max_pool_connections
        self.read_timeout_s = read_timeout_s
        self.max_attempts = max_attempts
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The sagemaker-runtime client, made on first use with a pool sized for the caller's concurrency."""
        if self._client is None:
            with self._lock:  # many benchmark threads may ask for the first client at once: make one
                if self._client is None:
                    self._client = self._make_client()
        return self._client

    def _make_client(self) -> Any:
        config = Config(
            retries={"mode": "standard", "total_max_attempts": self.max_attempts},
            max_pool_connections=self.max_pool_connections,
            read_timeout=self.read_timeout_s,
            connect_timeout=10,
            user_agent_extra="lmi-deploy",
            tcp_keepalive=True,
        )
        kwargs: dict[str, Any] = {"config": config}
        if self.context.endpoint_url:
            kwargs["endpoint_url"] = self.context.endpoint_url
        if self.context.region_name:
            kwargs["region_name"] = self.context.region_name
        return self.context.session.client("sagemaker-runtime", **kwargs)

    def invoke(self, endpoint: str, body: bytes, *, accept: str = JSON, **extra: Any) -> RuntimeResponse:
        """``InvokeEndpoint``: one request, one JSON answer."""
        response = self._call(
            "invoke_endpoint",
            "InvokeEndpoint",
            endpoint,
            EndpointName=endpoint,
            Body=body,
            ContentType=JSON,
            Accept=accept,
            **extra,
        )
        with_body = response["Body"]
        try:
            data = with_body.read()
        except ReadTimeoutError as exc:
            raise timeout_error(endpoint, self.read_timeout_s) from exc
        return RuntimeResponse(data, response.get("ContentType"), response.get("InvokedProductionVariant"))

    def invoke_stream(self, endpoint: str, body: bytes, **extra: Any) -> Iterator[bytes]:
        """``InvokeEndpointWithResponseStream``: yield the raw bytes of each ``PayloadPart`` as it arrives."""
        response = self._call(
            "invoke_endpoint_with_response_stream",
            "InvokeEndpointWithResponseStream",
            endpoint,
            EndpointName=endpoint,
            Body=body,
            ContentType=JSON,
            Accept="application/jsonlines",
            **extra,
        )
        return self._payload_parts(endpoint, response["Body"])

    def _payload_parts(self, endpoint: str, events: Any) -> Iterator[bytes]:
        try:
            for event in events:
                part = event.get("PayloadPart")
                if part is not None:
                    yield part.get("Bytes", b"")
                    continue
                for name in ("ModelStreamError", "InternalStreamFailure"):
                    if name in event:
                        message = str(event[name].get("Message", ""))
                        raise classify_runtime_error(name, message, endpoint=endpoint)
        except ClientError as exc:
            err = exc.response.get("Error", {})
            raise classify_runtime_error(
                str(err.get("Code", "StreamError")), str(err.get("Message", exc)), endpoint=endpoint
            ) from exc
        except RawReadTimeoutError as exc:  # mid-stream reads raise urllib3's error (botocore's is a subclass)
            raise timeout_error(endpoint, self.read_timeout_s, stream=True) from exc
        except (ProtocolError, ResponseStreamingError) as exc:
            raise stream_broken(endpoint, exc) from exc
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()

    def invoke_async(self, endpoint: str, input_location: str, **extra: Any) -> AsyncInvocation:
        """``InvokeEndpointAsync``: queue a request whose body already sits at ``input_location`` in S3."""
        response = self._call(
            "invoke_endpoint_async",
            "InvokeEndpointAsync",
            endpoint,
            EndpointName=endpoint,
            InputLocation=input_location,
            ContentType=JSON,
            Accept=JSON,
            **extra,
        )
        return AsyncInvocation(
            inference_id=str(response.get("InferenceId", "")),
            output_location=str(response["OutputLocation"]),
            failure_location=response.get("FailureLocation"),
        )

    def _call(self, method: str, operation: str, endpoint: str, **kwargs: Any) -> Any:
        try:
            return call(self.client, method, operation, endpoint, **kwargs)
        except AwsError as exc:
            raise _invoke_error(exc, endpoint, self.read_timeout_s, kwargs.get("InferenceComponentName")) from exc

    # -- S3, for async inputs and outputs -----------------------------------------------------------------

    def put_object(self, uri: str, body: bytes) -> None:
        """Write ``body`` to ``s3://bucket/key``."""
        bucket, key = split_s3_uri(uri)
        call(self.context.client("s3"), "put_object", "PutObject", uri, Bucket=bucket, Key=key, Body=body)

    def get_object(self, uri: str) -> bytes | None:
        """The bytes at ``s3://bucket/key``, or None while the object does not exist yet."""
        bucket, key = split_s3_uri(uri)
        try:
            response = call(self.context.client("s3"), "get_object", "GetObject", uri, Bucket=bucket, Key=key)
        except NotFoundError:
            return None
        data: bytes = response["Body"].read()
        return data

    def default_bucket(self) -> str:
        """The name ``sagemaker-<region>-<account>`` (the SageMaker SDK's default bucket); reads only."""
        from deploy.engine.naming import default_bucket

        identity = call(self.context.client("sts"), "get_caller_identity", "GetCallerIdentity")
        return default_bucket(self.context.region, str(identity["Account"]))

    def create_bucket_if_missing(self, bucket: str) -> None:
        """Create ``bucket`` in the context's region unless it exists: an explicit write, never hidden in a getter."""
        s3 = self.context.client("s3")
        try:
            call(s3, "head_bucket", "HeadBucket", bucket, Bucket=bucket)
        except AwsError:
            kwargs: dict[str, Any] = {"Bucket": bucket}
            if self.context.region != "us-east-1":
                kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.context.region}
            call(s3, "create_bucket", "CreateBucket", bucket, **kwargs)

    def endpoint_capacity(self, endpoint: str) -> EndpointCapacity:
        """Instance type and current count of the endpoint's first variant (read-only control-plane calls)."""
        sagemaker = self.context.client("sagemaker")
        described = call(sagemaker, "describe_endpoint", "DescribeEndpoint", endpoint, EndpointName=endpoint)
        config_name = described.get("EndpointConfigName")
        if not config_name:
            return EndpointCapacity(None, None)
        config = call(
            sagemaker,
            "describe_endpoint_config",
            "DescribeEndpointConfig",
            config_name,
            EndpointConfigName=config_name,
        )
        variants = config.get("ProductionVariants") or [{}]
        live = (described.get("ProductionVariants") or [{}])[0]
        count = live.get("CurrentInstanceCount", variants[0].get("InitialInstanceCount"))
        return EndpointCapacity(variants[0].get("InstanceType"), count)

    def model_id(self, endpoint: str, component: str | None = None) -> str | None:
        """The Hub id the endpoint's model (or inference component's) serves (``HF_MODEL_ID``/``OPTION_MODEL_ID``),
        None when not in its env.

        With ``delivery: properties`` the id sits in serving.properties on S3, which we do not read here.
        """
        sagemaker = self.context.client("sagemaker")
        model_name = self._component_model(component) if component else self._variant_model(endpoint)
        if not model_name:
            return None
        model = call(sagemaker, "describe_model", "DescribeModel", model_name, ModelName=model_name)
        env = (model.get("PrimaryContainer") or {}).get("Environment") or {}
        value = env.get("HF_MODEL_ID") or env.get("OPTION_MODEL_ID")
        return str(value) if value and not str(value).startswith(("s3://", "/")) else None

    def _variant_model(self, endpoint: str) -> str | None:
        sagemaker = self.context.client("sagemaker")
        described = call(sagemaker, "describe_endpoint", "DescribeEndpoint", endpoint, EndpointName=endpoint)
        config_name = described.get("EndpointConfigName")
        config = call(
            sagemaker, "describe_endpoint_config", "DescribeEndpointConfig", config_name, EndpointConfigName=config_name
        )
        name = (config.get("ProductionVariants") or [{}])[0].get("ModelName")
        return str(name) if name else None

    def component_gpus(self, component: str) -> float | None:
        """Accelerators the component's copies hold now (per copy x current copies), from
        DescribeInferenceComponent; None when it does not say."""
        described = self._describe_component(component)
        needs = (described.get("Specification") or {}).get("ComputeResourceRequirements") or {}
        per_copy = needs.get("NumberOfAcceleratorDevicesRequired")
        copies = (described.get("RuntimeConfig") or {}).get("CurrentCopyCount")
        return float(per_copy) * int(copies) if per_copy is not None and copies is not None else None

    def _component_model(self, component: str) -> str | None:
        described = self._describe_component(component)
        name = (described.get("Specification") or {}).get("ModelName")
        return str(name) if name else None

    def _describe_component(self, component: str) -> dict[str, Any]:
        """DescribeInferenceComponent, the one call behind both the component's GPUs and its model name (an
        unknown component is reported the same way by either)."""
        sagemaker = self.context.client("sagemaker")
        described: dict[str, Any] = call(
            sagemaker,
            "describe_inference_component",
            "DescribeInferenceComponent",
            component,
            InferenceComponentName=component,
        )
        return described


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> ("bucket", "a/b"); a clear error for anything else."""
    from deploy.errors import UsageError

    if not uri.startswith("s3://") or "/" not in uri[5:] or uri[5:].startswith("/"):
        raise UsageError(f"not an S3 object URI: {uri!r}", field="input_s3_uri", value=uri, fix="use s3://bucket/key")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key


def _invoke_error(exc: AwsError, endpoint: str, read_timeout_s: float, component: str | None = None) -> InvokeError:
    """Map a translated AWS failure to the typed invoke error, using the botocore exception kept as cause."""
    cause = exc.__cause__
    if isinstance(cause, (ReadTimeoutError, ConnectTimeoutError)):
        return timeout_error(endpoint, read_timeout_s)
    if isinstance(cause, ClientError) and exc.code == "ModelError":
        status = cause.response.get("OriginalStatusCode")
        fallback = cause.response.get("Error", {}).get("Message", exc.message)
        message = str(cause.response.get("OriginalMessage") or fallback)
        return classify_container_error(
            int(str(status)) if status else None, container_text(message), endpoint=endpoint
        )
    if isinstance(cause, ClientError) and exc.code:
        message = str(cause.response.get("Error", {}).get("Message", exc.message))
        return classify_runtime_error(exc.code, message, endpoint=endpoint, status=exc.status, component=component)
    return InvokeError(str(exc.message), field="endpoint", value=endpoint, fix=exc.fix or "retry")


__all__ = [
    "AsyncInvocation",
    "EndpointCapacity",
    "RuntimeGateway",
    "RuntimeResponse",
    "StreamError",
    "split_s3_uri",
]
