"""Application Auto Scaling gateway for SageMaker endpoint variants. One method per call, all through
``call``.

Rule: reads return ``None``/``[]`` for "not registered"; deregistering something already gone is not an error
(a re-run after a crash must be able to repeat any step).
"""

from __future__ import annotations

from typing import Any

from deploy.aws.session import AwsContext, call
from deploy.engine.naming import SCALABLE_DIMENSION, SCALING_NAMESPACE
from deploy.errors import AwsError

NAMESPACE = SCALING_NAMESPACE
VARIANT_DIMENSION = SCALABLE_DIMENSION
COPY_DIMENSION = "sagemaker:inference-component:DesiredCopyCount"


def dimension_of(resource_id: str) -> str:
    """The scalable dimension of a SageMaker resource id: an inference component's copies or a variant's instances."""
    return COPY_DIMENSION if resource_id.startswith("inference-component/") else VARIANT_DIMENSION


class AutoScalingGateway:
    """Typed wrapper over the ``application-autoscaling`` client."""

    def __init__(self, ctx: AwsContext) -> None:
        self.ctx = ctx

    @property
    def _client(self) -> Any:
        return self.ctx.client("application-autoscaling")

    def describe_target(self, resource_id: str) -> dict[str, Any] | None:
        page = call(
            self._client,
            "describe_scalable_targets",
            "DescribeScalableTargets",
            resource_id,
            ServiceNamespace=NAMESPACE,
            ResourceIds=[resource_id],
        )
        targets: list[dict[str, Any]] = page.get("ScalableTargets", [])
        return targets[0] if targets else None

    def describe_policies(self, resource_id: str) -> list[dict[str, Any]]:
        page = call(
            self._client,
            "describe_scaling_policies",
            "DescribeScalingPolicies",
            resource_id,
            ServiceNamespace=NAMESPACE,
            ResourceId=resource_id,
        )
        policies: list[dict[str, Any]] = page.get("ScalingPolicies", [])
        return policies

    def register_target(self, request: dict[str, Any]) -> None:
        call(
            self._client,
            "register_scalable_target",
            "RegisterScalableTarget",
            request["ResourceId"],
            **request,
        )

    def put_policy(self, request: dict[str, Any]) -> None:
        call(self._client, "put_scaling_policy", "PutScalingPolicy", request["PolicyName"], **request)

    def delete_policy(self, resource_id: str, policy_name: str, dimension: str | None = None) -> bool:
        return self._ignore_missing(
            "delete_scaling_policy",
            "DeleteScalingPolicy",
            policy_name,
            PolicyName=policy_name,
            ServiceNamespace=NAMESPACE,
            ResourceId=resource_id,
            ScalableDimension=dimension or dimension_of(resource_id),
        )

    def deregister_target(self, resource_id: str, dimension: str | None = None) -> bool:
        return self._ignore_missing(
            "deregister_scalable_target",
            "DeregisterScalableTarget",
            resource_id,
            ServiceNamespace=NAMESPACE,
            ResourceId=resource_id,
            ScalableDimension=dimension or dimension_of(resource_id),
        )

    def _ignore_missing(self, method: str, operation: str, resource: str, **kwargs: Any) -> bool:
        try:
            call(self._client, method, operation, resource, **kwargs)
        except AwsError as exc:
            missing = ("No scalable target", "No scaling policy found")  # moto's wording of ObjectNotFound
            if exc.code == "ObjectNotFoundException" or any(text in exc.message for text in missing):
                return False
            raise
        return True
