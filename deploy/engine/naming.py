"""Names and tags of the resources lmi-deploy manages. Pure: no I/O.

Rule: immutable resources (models, endpoint configs) are named ``<endpoint>-<10 hex of their request
content>``. Equal content gives an equal name, so re-applying an unchanged spec creates nothing, a crashed run
finds what it already made, and a changed spec gets fresh names that never collide with what is serving. The
endpoint keeps the user's name. Every name respects SageMaker's 63-character limit: the endpoint part is
truncated, never the hash, and the ``lmi-deploy:endpoint`` tag tells apart two long names that truncate alike.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from deploy.errors import SpecError

MAX_NAME_LENGTH = 63
HASH_LENGTH = 10
NAME_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")  # SageMaker EndpointName; use fullmatch

TAG_MANAGED = "lmi-deploy:managed"
TAG_SPEC_HASH = "lmi-deploy:spec-hash"
TAG_ENDPOINT = "lmi-deploy:endpoint"
TAG_CONTENT_HASH = "lmi-deploy:content-hash"
TAG_MODEL_SHA = "lmi-deploy:model-sha"  # the Hugging Face Hub commit the deployment was sized for
ARTIFACT_ROOT = "lmi-deploy"
VARIANT = "AllTraffic"  # the one production variant of every endpoint lmi-deploy makes
SCALING_NAMESPACE = "sagemaker"
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def content_hash(payload: Any, length: int = HASH_LENGTH) -> str:
    """A short, stable hash of a JSON-able payload (keys sorted, so dict order does not matter)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def check_endpoint_name(name: str) -> str:
    """Return ``name`` if SageMaker accepts it as an endpoint name, else raise a SpecError that says why."""
    if not NAME_PATTERN.fullmatch(name):
        raise SpecError(
            f"endpoint name {name!r} is not a valid SageMaker name",
            field="name",
            value=name,
            fix="use 1-63 letters, digits and hyphens, starting and ending with a letter or digit",
        )
    return name


def resource_prefix(endpoint_name: str) -> str:
    """The part every managed model/config name of this endpoint starts with (endpoint truncated to fit)."""
    room = MAX_NAME_LENGTH - HASH_LENGTH - 1
    return endpoint_name[:room].rstrip("-") + "-"


def resource_name(endpoint_name: str, digest: str) -> str:
    """``<endpoint>-<digest>``, at most 63 characters."""
    return resource_prefix(endpoint_name) + digest[:HASH_LENGTH]


def is_resource_of(endpoint_name: str, name: str) -> bool:
    """True when ``name`` has the shape of a model/config name lmi-deploy made for this endpoint."""
    prefix = resource_prefix(endpoint_name)
    tail = name[len(prefix) :]
    return name.startswith(prefix) and re.fullmatch(f"[0-9a-f]{{{HASH_LENGTH}}}", tail) is not None


def alarm_name(endpoint_name: str) -> str:
    """Name of the built-in CloudWatch alarm on invocation 5xx errors that guards updates."""
    return f"{endpoint_name}-lmi-5xx"


def scaling_resource_id(endpoint_name: str, variant_name: str = VARIANT) -> str:
    """Application Auto Scaling resource id of an endpoint variant."""
    return f"endpoint/{endpoint_name}/variant/{variant_name}"


def scalable_resource(endpoint_name: str, variant_name: str = VARIANT) -> dict[str, str]:
    """The three keys that identify a variant's instance count to Application Auto Scaling."""
    return {
        "ServiceNamespace": SCALING_NAMESPACE,
        "ResourceId": scaling_resource_id(endpoint_name, variant_name),
        "ScalableDimension": SCALABLE_DIMENSION,
    }


def scalable_target_request(
    endpoint_name: str, minimum: int, maximum: int, variant_name: str = VARIANT
) -> dict[str, Any]:
    """RegisterScalableTarget kwargs: the variant's instance count between ``minimum`` and ``maximum``."""
    return {**scalable_resource(endpoint_name, variant_name), "MinCapacity": minimum, "MaxCapacity": maximum}


def managed_tags(
    endpoint_name: str, spec_hash: str, user_tags: dict[str, str], model_sha: str | None = None
) -> dict[str, str]:
    """User tags plus the tags that let a stateless runner find and identify what lmi-deploy made.

    ``model_sha``: the Hub commit that was sized, so a later plan shows when the Hub's branch has moved on.
    """
    tags = dict(user_tags)
    tags.update({TAG_MANAGED: "true", TAG_ENDPOINT: endpoint_name, TAG_SPEC_HASH: spec_hash})
    if model_sha:
        tags[TAG_MODEL_SHA] = model_sha
    return tags


def artifact_prefix(endpoint_name: str, kind: str) -> str:
    """S3 key prefix (ending in ``/``) for this endpoint's uploads: ``lmi-deploy/<endpoint>/<kind>/``."""
    return f"{ARTIFACT_ROOT}/{endpoint_name}/{kind}/"


def default_bucket(region: str, account: str) -> str:
    """The bucket the SageMaker SDK also uses by default: ``sagemaker-<region>-<account>``."""
    return f"sagemaker-{region}-{account}"


def tags_to_list(tags: dict[str, str]) -> list[dict[str, str]]:
    """``{"k": "v"}`` -> ``[{"Key": "k", "Value": "v"}]`` sorted by key (stable request bodies)."""
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def tags_from_list(tags: list[dict[str, str]] | None) -> dict[str, str]:
    """The inverse of :func:`tags_to_list`."""
    return {t["Key"]: t["Value"] for t in tags or []}
