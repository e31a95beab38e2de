"""Read-only gateway for the inference components (ICs) of an endpoint: list, describe, their scaling and alarms.

Rule: reads only, all through :func:`deploy.aws.session.call`; "does not exist" is ``None``/``[]``, never an
exception, so the operations commands (invoke, status, logs, bench) can ask "which components does this endpoint
have?" of any endpoint, including one that has none. Writes belong to the engine's own gateway.

AWS names used here: ``ListInferenceComponents`` (filtered with ``EndpointNameEquals``),
``DescribeInferenceComponent``, the Application Auto Scaling resource ``inference-component/<ic-name>`` with
dimension ``sagemaker:inference-component:DesiredCopyCount``, and the CloudWatch metric
``NoCapacityInvocationFailures`` (dimension ``InferenceComponentName``) whose alarm scales a component out of zero.
"""

from __future__ import annotations

from typing import Any

from deploy.aws.session import AwsContext, call
from deploy.errors import NotFoundError

IC_SCALING_NAMESPACE = "sagemaker"
IC_SCALABLE_DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
NO_CAPACITY_METRIC = "NoCapacityInvocationFailures"

__all__ = [
    "IC_SCALABLE_DIMENSION",
    "NO_CAPACITY_METRIC",
    "InferenceComponentReader",
    "scaling_resource_id",
]


def scaling_resource_id(component_name: str) -> str:
    """The Application Auto Scaling ResourceId of an IC's copy count."""
    return f"inference-component/{component_name}"


class InferenceComponentReader:
    """Typed read-only wrapper over the ``sagemaker``, ``application-autoscaling`` and ``cloudwatch`` clients."""

    def __init__(self, ctx: AwsContext) -> None:
        self.ctx = ctx

    def names(self, endpoint: str) -> list[str]:
        """Names of the endpoint's inference components, oldest first ([] for an endpoint without any)."""
        return [str(item["InferenceComponentName"]) for item in self.list_for_endpoint(endpoint)]

    def list_for_endpoint(self, endpoint: str) -> list[dict[str, Any]]:
        """``InferenceComponentSummary`` items of one endpoint (every page), oldest first."""
        client = self.ctx.client("sagemaker")
        kwargs: dict[str, Any] = {"EndpointNameEquals": endpoint, "SortBy": "CreationTime", "SortOrder": "Ascending"}
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        while True:
            try:
                page = call(client, "list_inference_components", "ListInferenceComponents", endpoint, **kwargs)
            except NotImplementedError:  # in-process moto (mock_aws) without inference components: it has none
                return items
            items.extend(page.get("InferenceComponents", []))
            token = page.get("NextToken")
            if not token or token in seen:  # a token seen before ends it (see SageMakerGateway._pages)
                return items
            seen.add(token)
            kwargs["NextToken"] = token

    def describe(self, name: str) -> dict[str, Any] | None:
        """``DescribeInferenceComponent``; None when it does not exist (any more)."""
        try:
            described: dict[str, Any] = call(
                self.ctx.client("sagemaker"),
                "describe_inference_component",
                "DescribeInferenceComponent",
                name,
                InferenceComponentName=name,
            )
        except NotFoundError:
            return None
        return described

    def tags(self, arn: str) -> dict[str, str]:
        """The IC's tags (model id and sha, spec hash), through the same ListTags as every SageMaker resource."""
        from deploy.aws.sagemaker import SageMakerGateway

        return SageMakerGateway(self.ctx).list_tags(arn)

    def scalable_target(self, name: str) -> dict[str, Any] | None:
        """The registered copy-count target (Min/MaxCapacity) of the IC, None when it does not autoscale."""
        page = call(
            self.ctx.client("application-autoscaling"),
            "describe_scalable_targets",
            "DescribeScalableTargets",
            scaling_resource_id(name),
            ServiceNamespace=IC_SCALING_NAMESPACE,
            ResourceIds=[scaling_resource_id(name)],
            ScalableDimension=IC_SCALABLE_DIMENSION,
        )
        targets: list[dict[str, Any]] = page.get("ScalableTargets", [])
        return targets[0] if targets else None

    def scaling_policies(self, name: str) -> list[dict[str, Any]]:
        """The IC's scaling policies (target tracking, and the step policy that scales out of zero)."""
        page = call(
            self.ctx.client("application-autoscaling"),
            "describe_scaling_policies",
            "DescribeScalingPolicies",
            scaling_resource_id(name),
            ServiceNamespace=IC_SCALING_NAMESPACE,
            ResourceId=scaling_resource_id(name),
            ScalableDimension=IC_SCALABLE_DIMENSION,
        )
        policies: list[dict[str, Any]] = page.get("ScalingPolicies", [])
        return policies

    def no_capacity_alarms(self, name: str) -> list[dict[str, Any]]:
        """Alarms on the IC's ``NoCapacityInvocationFailures`` metric: what wakes a component scaled to zero."""
        page = call(
            self.ctx.client("cloudwatch"),
            "describe_alarms_for_metric",
            "DescribeAlarmsForMetric",
            name,
            MetricName=NO_CAPACITY_METRIC,
            Namespace="AWS/SageMaker",
            Dimensions=[{"Name": "InferenceComponentName", "Value": name}],
        )
        alarms: list[dict[str, Any]] = page.get("MetricAlarms", [])
        return alarms
