"""The request bodies lmi-deploy sends to SageMaker and Application Auto Scaling, built from a resolved spec.

Rule: pure (no AWS calls). Names and S3 locations are arguments, chosen by the planner, so the same function serves
``lmi render --out`` (to show the bodies) and apply (to send them). Secrets are not in these bodies: apply adds the
resolved ``Rendered.secret_env`` values to the container environment just before CreateModel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from deploy.engine.naming import VARIANT, alarm_name, managed_tags, scalable_resource, scalable_target_request
from deploy.records import record

if TYPE_CHECKING:
    from deploy.engine.resolve import ResolvedSpec
    from deploy.render.properties import Rendered
    from deploy.spec.model import DeploymentSpec

METRICS = {
    "invocations_per_instance": "SageMakerVariantInvocationsPerInstance",
    "concurrent_requests": "SageMakerVariantConcurrentRequestsPerModelHighResolution",
}


@record
class ScalingRequests:
    """RegisterScalableTarget and PutScalingPolicy keyword arguments for one endpoint variant."""

    target: dict[str, Any]
    policy: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"register_scalable_target": self.target, "put_scaling_policy": self.policy}


ArtifactLayout = Literal["none", "mount_user_prefix", "upload_properties", "upload_weights"]


def artifact_layout(spec: DeploymentSpec) -> ArtifactLayout:
    """What goes to S3 and what is mounted at /opt/ml/model, by model source and delivery.

    - hub + env: nothing; the container downloads ``HF_MODEL_ID``.
    - s3 + env: the user's prefix is mounted as is (SageMaker copies it; works under network isolation).
    - hub or s3 + properties: serving.properties alone goes to a small prefix of ours; ``option.model_id`` points
      at the weights.
    - local (either delivery): the directory is uploaded (plus serving.properties for ``properties``) and mounted.
    """
    if spec.model.kind == "local":
        return "upload_weights"
    if spec.delivery == "env":
        return "none" if spec.model.kind == "hub" else "mount_user_prefix"
    return "upload_properties"


def standard_tags(resolved: ResolvedSpec) -> list[dict[str, str]]:
    """User tags plus lmi-deploy's own (managed marker, endpoint, spec hash) so CI can tell what is deployed."""
    spec = resolved.spec
    tags = managed_tags(spec.name, resolved.spec_hash, dict(spec.tags), getattr(resolved, "model_sha", None))
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def model_request(
    resolved: ResolvedSpec, rendered: Rendered, *, model_name: str, model_data_s3_uri: str | None
) -> dict[str, Any]:
    """CreateModel kwargs; ``model_data_s3_uri`` (an S3 prefix ending in /) is mounted uncompressed."""
    spec = resolved.spec
    container: dict[str, Any] = {"Image": rendered.image_uri, "Environment": dict(rendered.environment)}
    if model_data_s3_uri:
        container["ModelDataSource"] = {
            "S3DataSource": {"S3Uri": model_data_s3_uri, "S3DataType": "S3Prefix", "CompressionType": "None"}
        }
    request: dict[str, Any] = {
        "ModelName": model_name,
        "ExecutionRoleArn": spec.role,
        "PrimaryContainer": container,
    }
    if spec.security.network_isolation:
        request["EnableNetworkIsolation"] = True
    if spec.security.vpc.subnets:
        request["VpcConfig"] = {
            "Subnets": list(spec.security.vpc.subnets),
            "SecurityGroupIds": list(spec.security.vpc.security_groups),
        }
    request["Tags"] = standard_tags(resolved)
    return request


def production_variant(resolved: ResolvedSpec, model_name: str) -> dict[str, Any]:
    instance = resolved.spec.instance
    variant: dict[str, Any] = {
        "VariantName": VARIANT,
        "ModelName": model_name,
        "InstanceType": instance.type,
        "InitialInstanceCount": instance.count,
        "ContainerStartupHealthCheckTimeoutInSeconds": instance.startup_health_check_timeout_s,
        "ModelDataDownloadTimeoutInSeconds": instance.model_data_download_timeout_s,
    }
    if instance.volume_size_gb is not None:
        variant["VolumeSizeInGB"] = instance.volume_size_gb
    return variant


def endpoint_config_request(resolved: ResolvedSpec, *, config_name: str, model_name: str) -> dict[str, Any]:
    """CreateEndpointConfig kwargs: one variant, timeouts, KMS, async output."""
    spec = resolved.spec
    request: dict[str, Any] = {
        "EndpointConfigName": config_name,
        "ProductionVariants": [production_variant(resolved, model_name)],
    }
    if spec.security.kms_key_id:
        request["KmsKeyId"] = spec.security.kms_key_id
    if spec.async_inference is not None:
        request["AsyncInferenceConfig"] = _async_config(resolved)
    request["Tags"] = standard_tags(resolved)
    return request


def _async_config(resolved: ResolvedSpec) -> dict[str, Any]:
    settings = resolved.spec.async_inference
    assert settings is not None
    output: dict[str, Any] = {"S3OutputPath": settings.output_path}
    output["S3FailurePath"] = settings.failure_path or settings.output_path.rstrip("/") + "/failures/"
    config: dict[str, Any] = {"OutputConfig": output}
    if settings.max_concurrent_invocations_per_instance:
        config["ClientConfig"] = {
            "MaxConcurrentInvocationsPerInstance": settings.max_concurrent_invocations_per_instance
        }
    return config


def scaling_requests(
    resolved: ResolvedSpec, *, endpoint_name: str, variant_name: str = VARIANT
) -> ScalingRequests | None:
    """Target tracking on the variant's instance count, or None when the spec has no scaling block."""
    scaling = resolved.spec.scaling
    if scaling is None:
        return None
    resource = scalable_resource(endpoint_name, variant_name)
    target = scalable_target_request(endpoint_name, scaling.min, scaling.max, variant_name)
    tracking: dict[str, Any] = {
        "TargetValue": float(scaling.target),
        "ScaleInCooldown": scaling.scale_in_cooldown_s,
        "ScaleOutCooldown": scaling.scale_out_cooldown_s,
    }
    if scaling.metric == "backlog_per_instance":
        tracking["CustomizedMetricSpecification"] = {
            "MetricName": "ApproximateBacklogSizePerInstance",
            "Namespace": "AWS/SageMaker",
            "Dimensions": [{"Name": "EndpointName", "Value": endpoint_name}],
            "Statistic": "Average",
        }
    else:
        tracking["PredefinedMetricSpecification"] = {"PredefinedMetricType": METRICS[scaling.metric]}
    policy = {
        **resource,
        "PolicyName": f"{endpoint_name}-{scaling.metric.replace('_', '-')}",
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": tracking,
    }
    return ScalingRequests(target=target, policy=policy)


def builtin_alarm_request(endpoint_name: str, variant_name: str = VARIANT) -> dict[str, Any]:
    """A CloudWatch alarm on the endpoint's invocation 5xx errors, used as an auto-rollback trigger."""
    return {
        "AlarmName": alarm_name(endpoint_name),
        "AlarmDescription": f"lmi-deploy: 5xx errors on {endpoint_name}; rolls back a blue/green update",
        "Namespace": "AWS/SageMaker",
        "MetricName": "Invocation5XXErrors",
        "Dimensions": [
            {"Name": "EndpointName", "Value": endpoint_name},
            {"Name": "VariantName", "Value": variant_name},
        ],
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 2,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
    }


def deployment_config(
    strategy: str, alarm_names: list[str], bake_s: int = 0, rolling_percent: int = 25
) -> dict[str, Any]:
    """UpdateEndpoint's DeploymentConfig: blue/green all-at-once (default) or rolling, + rollback alarms."""
    if strategy == "rolling":
        config: dict[str, Any] = {
            "RollingUpdatePolicy": {
                "MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": rolling_percent},
                "WaitIntervalInSeconds": max(bake_s, 0),
            }
        }
    else:
        config = {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {
                    "Type": "ALL_AT_ONCE",
                    "WaitIntervalInSeconds": max(bake_s, 0),
                },
                "TerminationWaitInSeconds": 0,
            }
        }
    if alarm_names:
        config["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": n} for n in sorted(set(alarm_names))]}
    return config


def update_settings(update: Any, endpoint: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The built-in alarm (if asked for) and UpdateEndpoint's DeploymentConfig from the update block."""
    alarms = list(update.rollback_alarms)
    alarm = builtin_alarm_request(endpoint) if update.builtin_5xx_alarm else None
    if alarm:
        alarms.append(alarm["AlarmName"])
    config = deployment_config(update.strategy, alarms, update.termination_wait_s, update.rolling_batch_percent)
    return alarm, config
