"""The desired state of one deployment: every request body apply may send, with content-hashed names. Pure.

Rule: built only from the resolved spec and the rendered output (no AWS calls; the account id and bucket are
passed in). Names of immutable resources hash their request content (without names and tags), so equal content
means an equal name and no work. Secrets stay references (``env:HF_TOKEN``) here; apply swaps in values at the
last moment.
"""

from __future__ import annotations

import copy
from dataclasses import field
from typing import Any

from deploy.engine.artifacts import ArtifactUpload
from deploy.engine.naming import (
    TAG_CONTENT_HASH,
    VARIANT,
    content_hash,
    managed_tags,
    resource_name,
    tags_to_list,
)
from deploy.records import record

TAG_ARTIFACTS = "lmi-deploy:artifacts"
DEFAULT_STARTUP_S = 900
DEFAULT_DOWNLOAD_S = 900
PROVISIONING_MARGIN_S = 1200


@record
class ScalingDesired:
    """Register-scalable-target and put-scaling-policy request bodies for the endpoint's variant."""

    target: dict[str, Any]
    policy: dict[str, Any]

    @property
    def resource_id(self) -> str:
        return str(self.target["ResourceId"])


@record
class DesiredState:
    """What should exist for one endpoint. Dict fields are request bodies: treat them as read-only."""

    endpoint_name: str
    spec_hash: str
    model_request: dict[str, Any]
    config_request: dict[str, Any]
    endpoint_tags: dict[str, str]
    deployment_config: dict[str, Any] = field(default_factory=dict)
    scaling: ScalingDesired | None = None
    alarm_request: dict[str, Any] | None = None
    artifacts: ArtifactUpload | None = None
    secret_env: dict[str, str] = field(default_factory=dict)
    secret_fingerprints: dict[str, str] = field(default_factory=dict)
    wait_timeout_s: float = float(DEFAULT_STARTUP_S + DEFAULT_DOWNLOAD_S + PROVISIONING_MARGIN_S)
    variant_name: str = VARIANT

    @property
    def model_name(self) -> str:
        return str(self.model_request["ModelName"])

    @property
    def config_name(self) -> str:
        return str(self.config_request["EndpointConfigName"])

    @property
    def instance_type(self) -> str | None:
        variants = self.config_request.get("ProductionVariants", [])
        return str(variants[0].get("InstanceType")) if variants else None

    @property
    def endpoint_request(self) -> dict[str, Any]:
        return create_endpoint_request(self.endpoint_name, self.config_name, self.endpoint_tags)

    @property
    def update_request(self) -> dict[str, Any]:
        request: dict[str, Any] = {"EndpointName": self.endpoint_name, "EndpointConfigName": self.config_name}
        if self.deployment_config:
            request["DeploymentConfig"] = self.deployment_config
        return request


def create_endpoint_request(endpoint_name: str, config_name: str, tags: dict[str, str]) -> dict[str, Any]:
    """The CreateEndpoint body: the same for a single-model and a component endpoint (the variant, models and
    components live in the endpoint config and the ICs, not here)."""
    return {"EndpointName": endpoint_name, "EndpointConfigName": config_name, "Tags": tags_to_list(tags)}


def name_model(endpoint_name: str, request: dict[str, Any], tags: dict[str, str], extra: str = "") -> dict[str, Any]:
    """Give a CreateModel body its content-hashed name and our tags. ``extra``: e.g. an artifact digest."""
    return _named(endpoint_name, request, "ModelName", tags, extra)


def name_config(endpoint_name: str, request: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    """Give a CreateEndpointConfig body its content-hashed name (it names the hashed model) and tags."""
    return _named(endpoint_name, request, "EndpointConfigName", tags, "")


def _named(endpoint: str, request: dict[str, Any], key: str, tags: dict[str, str], extra: str) -> dict[str, Any]:
    body = copy.deepcopy(request)
    body.pop(key, None)
    body.pop("Tags", None)
    digest = content_hash([body, extra])
    body[key] = resource_name(endpoint, digest)
    body["Tags"] = tags_to_list({**tags, TAG_CONTENT_HASH: digest})
    return body


def wait_timeout(startup_s: int | None, download_s: int | None) -> float:
    """Longest wait for InService: provisioning margin + download + container start-up timeouts."""
    return float((startup_s or DEFAULT_STARTUP_S) + (download_s or DEFAULT_DOWNLOAD_S) + PROVISIONING_MARGIN_S)


# -- from the resolved spec and rendered output --------------------------------------------------------------
def build_desired(
    resolved: Any, rendered: Any, *, region: str, account: str, secret_fingerprints: dict[str, str] | None = None
) -> DesiredState:
    """Assemble the desired state from the lead's ``ResolvedSpec`` and ``Rendered`` (pure; no AWS call).

    ``secret_fingerprints``: keyed HMACs of the resolved secret values
    (:func:`deploy.secrets.references.secret_fingerprints`); they are part of the model's content hash, so a rotated
    token makes a new model (never the value itself).
    """
    from deploy.engine.naming import check_endpoint_name, default_bucket
    from deploy.render import bodies

    spec = resolved.spec
    endpoint = check_endpoint_name(spec.name)
    bucket = spec.artifacts.bucket or default_bucket(region, account)
    artifacts = desired_artifacts(spec, rendered, bucket, bodies.artifact_layout(spec))
    tags = managed_tags(endpoint, resolved.spec_hash, dict(spec.tags), getattr(resolved, "model_sha", None))
    if artifacts:
        tags[TAG_ARTIFACTS] = artifacts.uri
    model_data = artifacts.uri if artifacts else (spec.model.id if spec.model_source_kind == "s3" else None)
    model_req = bodies.model_request(resolved, rendered, model_name="pending", model_data_s3_uri=model_data)
    prints = secret_fingerprints or {}
    # A secret adds its keyed fingerprint (when resolved) to the model's content hash, never its value.
    secret_refs = ",".join(
        f"{k}={v}" + (f"#{prints[k]}" if k in prints else "") for k, v in sorted(rendered.secret_env.items())
    )
    model_req = name_model(endpoint, model_req, tags, extra=f"{artifacts.digest if artifacts else ''}|{secret_refs}")
    config_req = bodies.endpoint_config_request(resolved, config_name="pending", model_name=model_req["ModelName"])
    config_req = name_config(endpoint, config_req, tags)
    scaling = bodies.scaling_requests(resolved, endpoint_name=endpoint)
    alarm, deploy_cfg = bodies.update_settings(spec.update, endpoint)
    return DesiredState(
        endpoint_name=endpoint,
        spec_hash=resolved.spec_hash,
        model_request=model_req,
        config_request=config_req,
        endpoint_tags=tags,
        deployment_config=deploy_cfg,
        scaling=ScalingDesired(scaling.target, scaling.policy) if scaling else None,
        alarm_request=alarm,
        artifacts=artifacts,
        secret_env=dict(rendered.secret_env),
        secret_fingerprints=dict(prints),
        wait_timeout_s=wait_timeout(
            spec.instance.startup_health_check_timeout_s, spec.instance.model_data_download_timeout_s
        ),
    )


def desired_artifacts(spec: Any, rendered: Any, bucket: str, layout: str) -> ArtifactUpload | None:
    """Local weights (+ serving.properties) go under ``<prefix>/model/``.

    For a Hub id or a foreign S3 prefix with ``delivery: properties`` only serving.properties goes up, under a
    prefix named by its content, so the fleet still serving during an update keeps reading its own file.
    """
    from deploy.engine.artifacts import build_upload, generated_file
    from deploy.engine.naming import ARTIFACT_ROOT, content_hash

    if layout not in ("upload_weights", "upload_properties"):
        return None
    root = (spec.artifacts.prefix or f"{ARTIFACT_ROOT}/{spec.name}").strip("/") + "/"
    text = shipped_properties(spec.name, rendered.serving_properties)
    props = [generated_file("serving.properties", text)]
    if layout == "upload_weights":
        return build_upload(bucket, root + "model/", spec.model.id, props if spec.delivery == "properties" else [])
    digest = content_hash(text, length=8)
    return build_upload(bucket, f"{root}properties-{digest}/", None, props)


def shipped_properties(endpoint_name: str, rendered_text: str) -> str:
    """serving.properties as uploaded: the rendered keys under a header that depends on nothing else.

    The rendered header names the spec hash and the lmi-deploy version. Shipped as is, it would make every spec
    change the container never reads (tags, scaling bounds) and every lmi-deploy upgrade a new model, that is a
    blue/green replacement of the GPU fleet. The spec hash stays on the resources' tags.
    """
    # Split where Java's Properties.load does (\n), not where str.splitlines would (also \v \f \x1c-\x1e ...).
    lines = rendered_text.removesuffix("\n").split("\n")
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("#")):
        lines.pop(0)
    header = f"# serving.properties for {endpoint_name}, written by lmi-deploy (`lmi render SPEC` shows the source)"
    return "\n".join([header, *lines]) + "\n"
