"""SageMaker control-plane gateway: one typed method per call lmi-deploy makes, all through ``session.call``.

Rule: methods return plain dicts (the AWS response shapes) or ``None`` for "does not exist", so observe and
apply never see botocore exceptions. "Already exists" on a create is reported as ``False`` instead of an
error: names are content hashes, so an existing resource with our name already has the content we want (this
is what makes a retried or re-run create safe).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from deploy.aws.session import AwsContext, call
from deploy.errors import AwsError, NotFoundError

ALREADY_EXISTS = "Cannot create already existing"


class SageMakerGateway:
    """Typed wrapper over the ``sagemaker`` client of an :class:`AwsContext`."""

    def __init__(self, ctx: AwsContext) -> None:
        self.ctx = ctx

    @property
    def _client(self) -> Any:
        return self.ctx.client("sagemaker")

    # -- reads -----------------------------------------------------------------------------------------------
    def describe_endpoint(self, name: str) -> dict[str, Any] | None:
        return self._optional("describe_endpoint", "DescribeEndpoint", name, EndpointName=name)

    def describe_endpoint_config(self, name: str) -> dict[str, Any] | None:
        return self._optional("describe_endpoint_config", "DescribeEndpointConfig", name, EndpointConfigName=name)

    def describe_model(self, name: str) -> dict[str, Any] | None:
        return self._optional("describe_model", "DescribeModel", name, ModelName=name)

    def list_tags(self, arn: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for page in self._pages("list_tags", "ListTags", "Tags", ResourceArn=arn):
            out[page["Key"]] = page["Value"]
        return out

    def list_endpoints(self, name_contains: str | None = None) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"NameContains": name_contains} if name_contains else {}
        return list(self._pages("list_endpoints", "ListEndpoints", "Endpoints", **kwargs))

    def list_models(self, name_contains: str | None) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"NameContains": name_contains} if name_contains else {}
        return list(self._pages("list_models", "ListModels", "Models", **kwargs))

    def list_endpoint_configs(self, name_contains: str | None) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"NameContains": name_contains} if name_contains else {}
        return list(self._pages("list_endpoint_configs", "ListEndpointConfigs", "EndpointConfigs", **kwargs))

    def describe_inference_component(self, name: str) -> dict[str, Any] | None:
        return self._optional(
            "describe_inference_component", "DescribeInferenceComponent", name, InferenceComponentName=name
        )

    def list_inference_components(self, endpoint_name: str) -> list[dict[str, Any]]:
        """The inference components on ``endpoint_name`` (any status)."""
        return list(
            self._pages(
                "list_inference_components",
                "ListInferenceComponents",
                "InferenceComponents",
                EndpointNameEquals=endpoint_name,
            )
        )

    # -- writes ----------------------------------------------------------------------------------------------
    def create_model(self, request: dict[str, Any]) -> bool:
        return self._create("create_model", "CreateModel", request["ModelName"], request)

    def create_endpoint_config(self, request: dict[str, Any]) -> bool:
        return self._create("create_endpoint_config", "CreateEndpointConfig", request["EndpointConfigName"], request)

    def create_endpoint(self, request: dict[str, Any]) -> bool:
        return self._create("create_endpoint", "CreateEndpoint", request["EndpointName"], request)

    def update_endpoint(self, request: dict[str, Any]) -> None:
        call(self._client, "update_endpoint", "UpdateEndpoint", request["EndpointName"], **request)

    def delete_endpoint(self, name: str) -> bool:
        return self._delete("delete_endpoint", "DeleteEndpoint", name, EndpointName=name)

    def delete_endpoint_config(self, name: str) -> bool:
        return self._delete("delete_endpoint_config", "DeleteEndpointConfig", name, EndpointConfigName=name)

    def delete_model(self, name: str) -> bool:
        return self._delete("delete_model", "DeleteModel", name, ModelName=name)

    def create_inference_component(self, request: dict[str, Any]) -> bool:
        name = request["InferenceComponentName"]
        return self._create("create_inference_component", "CreateInferenceComponent", name, request)

    def update_inference_component(self, request: dict[str, Any]) -> None:
        name = request["InferenceComponentName"]
        call(self._client, "update_inference_component", "UpdateInferenceComponent", name, **request)

    def update_inference_component_runtime_config(self, request: dict[str, Any]) -> None:
        name = request["InferenceComponentName"]
        call(
            self._client,
            "update_inference_component_runtime_config",
            "UpdateInferenceComponentRuntimeConfig",
            name,
            **request,
        )

    def delete_inference_component(self, name: str) -> bool:
        return self._delete("delete_inference_component", "DeleteInferenceComponent", name, InferenceComponentName=name)

    def add_tags(self, arn: str, tags: list[dict[str, str]]) -> None:
        call(self._client, "add_tags", "AddTags", arn, ResourceArn=arn, Tags=tags)

    def delete_tags(self, arn: str, keys: list[str]) -> None:
        call(self._client, "delete_tags", "DeleteTags", arn, ResourceArn=arn, TagKeys=keys)

    # -- helpers ---------------------------------------------------------------------------------------------
    def _optional(self, method: str, operation: str, resource: str, **kwargs: Any) -> dict[str, Any] | None:
        try:
            result: dict[str, Any] = call(self._client, method, operation, resource, **kwargs)
        except NotFoundError:
            return None
        return result

    def _create(self, method: str, operation: str, resource: str, request: dict[str, Any]) -> bool:
        """Create; ``False`` when a resource of that name already exists (same name == same content)."""
        try:
            call(self._client, method, operation, resource, **request)
        except AwsError as exc:
            if ALREADY_EXISTS in exc.message:
                return False
            raise
        return True

    def _delete(self, method: str, operation: str, resource: str, **kwargs: Any) -> bool:
        """Delete; ``False`` when it was already gone (deletes are safe to repeat)."""
        try:
            call(self._client, method, operation, resource, **kwargs)
        except NotFoundError:
            return False
        return True

    def _pages(self, method: str, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list. A NextToken seen before ends it: moto (and so a plain moto_server)
        hands back the same token forever for a resource with duplicate tag keys."""
        token: str | None = None
        seen: set[str] = set()
        while True:
            page_kwargs = dict(kwargs, NextToken=token) if token else kwargs
            page = call(self._client, method, operation, None, **page_kwargs)
            yield from page.get(key, [])
            token = page.get("NextToken")
            if not token or token in seen:
                return
            seen.add(token)
