"""The field-level diff of a plan: old -> new for every field a reviewer cares about. Pure (no I/O).

Why: a plan that says "model content changed" makes a reviewer diff YAML by hand. This module compares the desired
request bodies with what the endpoint serves now (:class:`~deploy.engine.snapshot.ServingState`, read by observe)
and lists each changed field: instance type and count, image, every ``option.*`` the container would read
(serving.properties first, then ``OPTION_*`` variables, as LMI merges them), other environment variables,
timeouts, volume, role and network settings, scaling bounds/metric/target and the update strategy.

Secrets are compared by keyed fingerprint and always shown as ``****``; a value that looks like a credential is
masked too, whatever its name. ``resource`` is the name of the plan action the change belongs to (the new model,
the new config, the scaling target, the policy, the endpoint), so a view can print each change under its action.
The order is stable: resources in plan order, fields in the order of :data:`VARIANT_FIELDS` etc., then by name.
"""

from __future__ import annotations

from typing import Any, overload

from deploy.engine.desired import DesiredState
from deploy.engine.snapshot import RemoteSnapshot, ServingState
from deploy.records import record
from deploy.render import java_properties
from deploy.secrets.masking import MASK, looks_like_credential

VARIANT_FIELDS = (
    ("instance_type", "InstanceType"),
    ("instance_count", "InitialInstanceCount"),
    ("startup_health_check_timeout_s", "ContainerStartupHealthCheckTimeoutInSeconds"),
    ("model_data_download_timeout_s", "ModelDataDownloadTimeoutInSeconds"),
    ("volume_size_gb", "VolumeSizeInGB"),
)
MODEL_FIELDS = (
    ("execution_role", "ExecutionRoleArn"),
    ("network_isolation", "EnableNetworkIsolation"),
    ("vpc", "VpcConfig"),
)
CONFIG_FIELDS = (("kms_key", "KmsKeyId"), ("async_inference", "AsyncInferenceConfig"))


@record
class FieldChange:
    """One changed field of one resource: ``old`` is None when the field did not exist (or nothing did)."""

    resource: str
    field: str
    old: Any
    new: Any

    def to_dict(self) -> dict[str, Any]:
        return {"resource": self.resource, "field": self.field, "old": self.old, "new": self.new}


def field_changes(desired: DesiredState, snapshot: RemoteSnapshot) -> tuple[FieldChange, ...]:
    """Every changed field, in plan order; empty when the endpoint already serves exactly ``desired``."""
    serving = snapshot.serving or ServingState()
    changes = model_changes(desired, serving) + config_changes(desired, serving)
    changes += strategy_changes(desired, snapshot) + scaling_changes(desired, snapshot)
    return tuple(changes)


def _compare(resource: str, pairs: list[tuple[str, Any, Any]]) -> list[FieldChange]:
    """Changed pairs only; AWS's way of saying "not set" (``False``, ``{}``) equals an absent field."""
    out = []
    for name, old, new in pairs:
        old, new = _unset_as_none(old), _unset_as_none(new)
        if old != new:
            out.append(FieldChange(resource, name, old, new))
    return out


def _unset_as_none(value: Any) -> Any:
    return None if value is False or value == {} or value == [] else value


def model_changes(desired: DesiredState, serving: ServingState) -> list[FieldChange]:
    """Image, model data, options, environment, secrets, role and network of the model."""
    resource = desired.model_name
    container = desired.model_request.get("PrimaryContainer", {})
    new_env = {str(k): str(v) for k, v in (container.get("Environment") or {}).items()}
    pairs: list[tuple[str, Any, Any]] = [("image", serving.image, container.get("Image"))]
    new_data = _desired_model_data(container)
    if not _both_properties_prefixes(serving.model_data, new_data):
        pairs.append(("model_data", serving.model_data, new_data))
    old_options = lmi_options(serving.environment, serving.properties)
    new_options = desired_options(desired, serving)
    pairs += [(key, old_options.get(key), new_options.get(key)) for key in sorted({*old_options, *new_options})]
    pairs += _env_pairs(serving.environment, new_env)
    pairs += _secret_pairs(serving.secret_fingerprints, desired.secret_fingerprints, desired.secret_env)
    pairs += [(name, serving.model.get(key), desired.model_request.get(key)) for name, key in MODEL_FIELDS]
    return _compare(resource, pairs)


def config_changes(desired: DesiredState, serving: ServingState) -> list[FieldChange]:
    """Instance type and count, timeouts and volume of the variant; KMS key and async settings of the config."""
    variants = desired.config_request.get("ProductionVariants") or [{}]
    pairs = [(name, serving.variant.get(key), variants[0].get(key)) for name, key in VARIANT_FIELDS]
    pairs += [(name, serving.config.get(key), desired.config_request.get(key)) for name, key in CONFIG_FIELDS]
    return _compare(desired.config_name, pairs)


def strategy_changes(desired: DesiredState, snapshot: RemoteSnapshot) -> list[FieldChange]:
    """The update strategy, when AWS says which one the last update used (DescribeEndpoint's LastDeploymentConfig)."""
    old_config = snapshot.serving.deployment_config if snapshot.serving else None
    if not old_config or not desired.deployment_config:
        return []
    pairs = [("update_strategy", update_strategy(old_config), update_strategy(desired.deployment_config))]
    return _compare(desired.endpoint_name, pairs)


def update_strategy(config: dict[str, Any]) -> str:
    """``rolling`` or ``blue/green`` (all at once) for an UpdateEndpoint DeploymentConfig."""
    return "rolling" if "RollingUpdatePolicy" in config else "blue/green"


def scaling_changes(desired: DesiredState, snapshot: RemoteSnapshot) -> list[FieldChange]:
    """Min and max capacity (on the scalable target), metric and target value (on the policy)."""
    want, target = desired.scaling, snapshot.scaling_target or {}
    old_policy = _policy_settings(snapshot.scaling_policies[0]) if snapshot.scaling_policies else {}
    if want is None:
        resource = str(target.get("ResourceId", desired.endpoint_name))
        return _compare(resource, [("scaling.min", target.get("MinCapacity"), None)]) + _compare(
            resource, [("scaling.max", target.get("MaxCapacity"), None)]
        )
    bounds = [
        ("scaling.min", target.get("MinCapacity"), want.target.get("MinCapacity")),
        ("scaling.max", target.get("MaxCapacity"), want.target.get("MaxCapacity")),
    ]
    new_policy = _policy_settings(want.policy)
    policy = [(f"scaling.{key}", old_policy.get(key), new_policy.get(key)) for key in ("metric", "target")]
    return _compare(want.resource_id, bounds) + _compare(str(want.policy["PolicyName"]), policy)


def _policy_settings(policy: dict[str, Any]) -> dict[str, Any]:
    tracking = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
    predefined = tracking.get("PredefinedMetricSpecification") or {}
    custom = tracking.get("CustomizedMetricSpecification") or {}
    value = tracking.get("TargetValue")
    return {
        "metric": predefined.get("PredefinedMetricType") or custom.get("MetricName"),
        "target": float(value) if isinstance(value, (int, float)) else value,
    }


def lmi_options(environment: dict[str, str], properties: str | None) -> dict[str, str]:
    """The ``option.*`` (and ``engine``) settings LMI reads: serving.properties wins, ``OPTION_*`` fills in."""
    try:
        merged = {k: v for k, v in java_properties.load(properties or "").items() if _is_setting(k)}
    except java_properties.PropertiesSyntaxError:
        merged = {}
    for name, value in environment.items():
        key = option_key(name)
        if key and value != "":
            merged.setdefault(key, value)
    for name, key in ALIASES.items():
        if environment.get(name):
            merged.setdefault(key, environment[name])
    return {key: _masked(key, value) for key, value in merged.items()}


def _is_setting(key: str) -> bool:
    return key.startswith("option.") or key == "engine"


# The container's other names for options (DJL Serving 0.33 / LMI v15), used only when the option itself is absent.
ALIASES = {
    "HF_MODEL_ID": "option.model_id",
    "HF_REVISION": "option.revision",
    "TENSOR_PARALLEL_DEGREE": "option.tensor_parallel_degree",
    "SM_NUM_GPUS": "option.tensor_parallel_degree",
    "HF_MODEL_QUANTIZE": "option.quantize",
    "HF_MODEL_TRUST_REMOTE_CODE": "option.trust_remote_code",
    "MAX_BATCH_SIZE": "option.max_rolling_batch_size",
    "MAX_BATCH_PREFILL_TOKENS": "option.max_rolling_batch_prefill_tokens",
}


def option_key(variable: str) -> str | None:
    """``OPTION_MAX_MODEL_LEN`` -> ``option.max_model_len``; ``OPTION_ENGINE`` -> ``engine``; else None."""
    if variable == "OPTION_ENGINE":
        return "engine"
    if variable == "OPTION_ENTRYPOINT":
        return "option.entryPoint"
    if variable.startswith("OPTION_") and len(variable) > len("OPTION_"):
        return "option." + variable[len("OPTION_") :].lower()
    return None


def desired_options(desired: DesiredState, serving: ServingState) -> dict[str, str]:
    """The options the new container would read: the uploaded serving.properties (or, when the same S3 prefix is
    mounted again, the file already there), then its ``OPTION_*`` variables."""
    container = desired.model_request.get("PrimaryContainer", {})
    environment = {str(k): str(v) for k, v in (container.get("Environment") or {}).items()}
    properties = desired_properties(desired)
    data = _desired_model_data(container)
    if properties is None and data is not None and data == serving.model_data:
        properties = serving.properties
    return lmi_options(environment, properties)


def desired_properties(desired: DesiredState) -> str | None:
    """The serving.properties apply uploads (None when the options travel as environment variables)."""
    upload = desired.artifacts
    if upload is None:
        return None
    for item in upload.files:
        if item.key.endswith("serving.properties") and item.body is not None:
            return item.body.decode("iso-8859-1")
    return None


def _desired_model_data(container: dict[str, Any]) -> str | None:
    source = (container.get("ModelDataSource") or {}).get("S3DataSource") or {}
    uri = source.get("S3Uri") or container.get("ModelDataUrl")
    return str(uri) if uri else None


def _both_properties_prefixes(old: str | None, new: str | None) -> bool:
    """Two of lmi-deploy's serving.properties prefixes (named by the file's content) side by side: the options
    that changed are listed one by one, so the new prefix name would only repeat that."""
    if not old or not new:
        return False
    old_root, _, old_leaf = old.rstrip("/").rpartition("/")
    new_root, _, new_leaf = new.rstrip("/").rpartition("/")
    return old_root == new_root and old_leaf.startswith("properties-") and new_leaf.startswith("properties-")


def _env_pairs(old: dict[str, str], new: dict[str, str]) -> list[tuple[str, Any, Any]]:
    """Environment variables other than ``OPTION_*`` and the aliases (those are shown as the options they set)."""
    names = sorted(n for n in {*old, *new} if option_key(n) is None and n not in ALIASES)
    return [(f"env.{n}", _masked(n, old.get(n)), _masked(n, new.get(n))) for n in names]


def _secret_pairs(old: dict[str, str], new: dict[str, str], refs: dict[str, str]) -> list[tuple[str, Any, Any]]:
    """Secret variables by fingerprint: shown as ``****``, ``**** (changed)`` when the fingerprints differ."""
    pairs: list[tuple[str, Any, Any]] = []
    for name in sorted({*old, *refs}):
        before = MASK if name in old else None
        if name not in refs:
            pairs.append((f"env.{name}", before, None))
        elif name not in old:
            pairs.append((f"env.{name}", None, f"{MASK} ({refs[name]})"))
        elif name in new and new[name] != old[name]:
            pairs.append((f"env.{name}", MASK, f"{MASK} (changed, {refs[name]})"))
    return pairs


@overload
def _masked(name: str, value: str) -> str: ...
@overload
def _masked(name: str, value: None) -> None: ...
def _masked(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    return MASK if looks_like_credential(value) or "token" in name.lower() else value
