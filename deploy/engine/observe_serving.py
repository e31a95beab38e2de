"""Observe, continued: what the endpoint serves now (model, config, serving.properties), for the field-level diff.

Rule: part of the observe stage, so read-only describe/get calls only (DescribeModel, and one GetObject of the
serving.properties the container reads). Why S3 for the old options: with ``delivery: properties`` the options
live only in that file (a tag holds at most 256 characters, and the environment does not carry them), and the file
under the serving model's prefix is exactly what the running container read: its prefix is named by the file's
content, or, for uploaded weights, rewritten only by apply, after this read. ``OPTION_*`` variables come from the
model's environment (``delivery: env``). Secret values never leave this module: they become keyed fingerprints.
"""

from __future__ import annotations

from typing import Any

from deploy.aws.s3 import S3Gateway
from deploy.aws.sagemaker import SageMakerGateway
from deploy.aws.session import AwsContext
from deploy.engine.snapshot import EndpointState, ServingState
from deploy.errors import AwsError, LmiError
from deploy.secrets.masking import looks_like_credential

SECRET_NAMES = frozenset({"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_API_TOKEN"})
MODEL_KEYS = ("ExecutionRoleArn", "EnableNetworkIsolation", "VpcConfig")
CONFIG_KEYS = ("KmsKeyId", "AsyncInferenceConfig")


def read_serving(
    sm: SageMakerGateway,
    s3: S3Gateway,
    endpoint: EndpointState,
    config: dict[str, Any],
    secret_names: frozenset[str] = frozenset(),
) -> ServingState:
    """The serving model and variant of ``endpoint`` (``config``: its DescribeEndpointConfig)."""
    variants = config.get("ProductionVariants") or [{}]
    variant = dict(variants[0])
    model = (sm.describe_model(str(variant["ModelName"])) if variant.get("ModelName") else None) or {}
    container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
    environment = {str(k): str(v) for k, v in (container.get("Environment") or {}).items()}
    plain, prints = split_secrets(environment, secret_names | SECRET_NAMES, endpoint.name)
    data = _model_data(container)
    return ServingState(
        image=container.get("Image"),
        environment=plain,
        secret_fingerprints=prints,
        model_data=data,
        properties=_properties(s3, data),
        variant=variant,
        model={k: model[k] for k in MODEL_KEYS if k in model},
        config={k: config[k] for k in CONFIG_KEYS if k in config},
        deployment_config=endpoint.last_deployment_config,
    )


def read_prices(ctx: AwsContext, instance_types: set[str | None]) -> dict[str, float | None]:
    """The region's on-demand $/h of each type (:func:`deploy.aws.pricing.hourly_price`: the Price List API, its
    cache, or the bundled table; None when the region does not price it), read here so plan's bill stays pure."""
    from deploy.aws.pricing import price_lookup

    named = sorted(t for t in instance_types if t)
    if not named:
        return {}
    lookup = price_lookup(ctx.region, ctx)
    prices: dict[str, float | None] = {}
    for name in named:
        try:
            prices[name] = lookup(name).usd_per_hour
        except LmiError:  # a type outside the catalogue: unknown, like a type the region does not price
            prices[name] = None
    return prices


def split_secrets(
    environment: dict[str, str], secret_names: frozenset[str], endpoint: str
) -> tuple[dict[str, str], dict[str, str]]:
    """(the environment without secrets, ``{name: keyed fingerprint}`` of each secret variable).

    A variable is secret by name (the token variables) or by value (anything shaped like a credential).
    """
    from deploy.secrets.references import fingerprint

    plain: dict[str, str] = {}
    prints: dict[str, str] = {}
    for name, value in environment.items():
        if name in secret_names or looks_like_credential(value):
            prints[name] = fingerprint(value, endpoint=endpoint, name=name)
        else:
            plain[name] = value
    return plain, prints


def _model_data(container: dict[str, Any]) -> str | None:
    source = (container.get("ModelDataSource") or {}).get("S3DataSource") or {}
    uri = source.get("S3Uri") or container.get("ModelDataUrl")
    return str(uri) if uri else None


def _properties(s3: S3Gateway, model_data: str | None) -> str | None:
    """serving.properties under an S3 prefix (a tarball's is not read: it would mean downloading the weights)."""
    if not model_data or not model_data.startswith("s3://") or not model_data.endswith("/"):
        return None
    bucket, _, prefix = model_data.removeprefix("s3://").partition("/")
    try:
        return s3.get_text(bucket, prefix + "serving.properties")
    except AwsError:
        return None  # e.g. no s3:GetObject on a user's prefix: the options are shown as unknown, not guessed
