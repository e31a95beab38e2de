"""render: a resolved spec -> serving.properties text, container environment and the image URI.

Rule: pure. No file writes, no environment variables, no clocks, no AWS: the same ResolvedSpec always renders the
same bytes, so golden tests need no patching and content hashes of the output name immutable AWS resources.
Secrets are never rendered: ``secret_env`` maps a variable name to a reference that apply resolves at the last moment.
"""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING, Any

from deploy._version import __version__
from deploy.errors import SpecError
from deploy.records import record

if TYPE_CHECKING:
    from deploy.engine.resolve import ResolvedSpec

__all__ = ["Rendered", "render", "render_warnings"]

ASYNC_MODE = {
    "engine": "Python",
    "option.async_mode": "true",
    "option.rolling_batch": "disable",
    "option.entryPoint": "djl_python.lmi_vllm.vllm_async_service",
}
MODEL_DIR = "/opt/ml/model"
ENV_VALUE_LIMIT = 1024
ENV_TOTAL_LIMIT = 32 * 1024
ENV_ENTRY_LIMIT = 100
NVME_FAMILIES = {"g4dn", "g5", "g6", "g6e", "p4d", "p4de", "p5", "p5e", "p5en"}


@record
class Rendered:
    """Everything the container needs, as text and dicts; nothing secret."""

    serving_properties: str
    properties: dict[str, str]
    environment: dict[str, str]
    secret_env: dict[str, str]
    image_uri: str
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "serving_properties": self.serving_properties,
            "properties": self.properties,
            "environment": self.environment,
            "secret_env": self.secret_env,
            "image_uri": self.image_uri,
            "warnings": list(self.warnings),
        }


def render(resolved: ResolvedSpec) -> Rendered:
    """Render the LMI v15 async-mode settings for ``resolved`` (delivery ``properties`` or ``env``)."""
    from deploy.catalog import lmi_version
    from deploy.render.templates import render_template

    spec = resolved.spec
    properties, environment, secret_env, image, warnings = _container_settings(resolved)
    version = lmi_version(spec.lmi.version)
    text = render_template(
        "serving.properties.j2",
        name=spec.name,
        lmi_version=version.version,
        vllm_version=version.vllm_version,
        tool_version=__version__,
        spec_hash=resolved.spec_hash,
        properties=properties,
    )
    return Rendered(
        serving_properties=text,
        properties=properties,
        environment=environment,
        secret_env=secret_env,
        image_uri=image,
        warnings=warnings,
    )


def render_warnings(resolved: ResolvedSpec) -> tuple[str, ...]:
    """The warnings :func:`render` gives for ``resolved``, and the same errors, without rendering the template.

    Why: `lmi validate` prints only these, and skipping the template engine (jinja2's import and the template's
    compilation) is a large part of its start-up. The template itself cannot fail on a valid spec: its only
    refusal, a line break in a header comment, is refused earlier by the spec's name and version rules.
    """
    return _container_settings(resolved)[4]


def _container_settings(
    resolved: ResolvedSpec,
) -> tuple[dict[str, str], dict[str, str], dict[str, str], str, tuple[str, ...]]:
    """Properties, environment, secret environment, image URI and warnings: everything of render() but the text."""
    from deploy.catalog import image_uri, lmi_version

    spec = resolved.spec
    warnings: list[str] = []
    properties = lmi_properties(resolved, warnings)
    environment = base_environment(resolved)
    if spec.delivery == "env":
        environment.update(properties_as_env(properties))
    secret_env = {"HF_TOKEN": spec.model.hf_token} if spec.model.hf_token else {}
    # engine.env is the container environment with either delivery, so SageMaker's limits apply to both.
    check_env_limits(environment, secret_keys=tuple(secret_env))
    lmi_version(spec.lmi.version)  # an unknown version is refused here as in render(), before the image lookup
    warnings.extend(_instance_warnings(resolved))
    image = image_uri(resolved.region, spec.lmi.version, spec.lmi.image)
    return properties, environment, secret_env, image, tuple(warnings)


def render_false(key: str) -> bool:
    """LMI v15 passes ``false`` only to vLLM's StoreBoolean arguments (``--enable_chunked_prefill=false`` parses)."""
    from deploy.spec.engine_options import render_false as store_boolean

    return store_boolean(key)


def lmi_properties(resolved: ResolvedSpec, warnings: list[str]) -> dict[str, str]:
    """The ordered ``serving.properties`` keys: async mode, model location, parallelism, limits, engine options."""
    spec = resolved.spec
    engine = spec.engine
    props: dict[str, str] = dict(ASYNC_MODE)
    if spec.model.kind == "hub" or (spec.model.kind == "s3" and spec.delivery == "properties"):
        props["option.model_id"] = spec.model.id
    if spec.model.revision:
        props["option.revision"] = spec.model.revision
    if spec.model.trust_remote_code:
        props["option.trust_remote_code"] = "true"
    props["option.tensor_parallel_degree"] = str(resolved.tensor_parallel_degree)
    props["option.max_rolling_batch_size"] = str(resolved.max_rolling_batch_size)
    if resolved.max_model_len is not None:
        props["option.max_model_len"] = str(resolved.max_model_len)
    _put_engine_settings(props, engine, warnings)
    if resolved.dtype and engine.dtype == "auto":
        props["option.dtype"] = resolved.dtype  # vLLM's own auto would keep bf16 on a GPU without it
    props["option.model_loading_timeout"] = str(spec.instance.startup_health_check_timeout_s)
    for key, value in engine.options.items():
        if value is False and not render_false(key):
            warnings.append(f"options.{key}=false omitted: LMI v15 drops false flags (cannot switch a flag off)")
            continue
        props[f"option.{key}"] = _text(value)
    return props


def _put_engine_settings(props: dict[str, str], engine: Any, warnings: list[str]) -> None:
    if engine.dtype != "auto":
        props["option.dtype"] = engine.dtype
    if engine.quantize:
        props["option.quantize"] = engine.quantize
    if engine.kv_cache_dtype != "auto":
        props["option.kv_cache_dtype"] = engine.kv_cache_dtype
    props["option.gpu_memory_utilization"] = _text(engine.gpu_memory_utilization)
    if engine.max_num_batched_tokens is not None:
        props["option.max_rolling_batch_prefill_tokens"] = str(engine.max_num_batched_tokens)
    if engine.enable_prefix_caching is True:
        props["option.enable_prefix_caching"] = "true"
    elif engine.enable_prefix_caching is False:
        warnings.append(
            "engine.enable_prefix_caching=false omitted: LMI v15 drops false flags and vLLM V1 keeps prefix "
            "caching on; set VLLM_USE_V1=0 in engine.env if you must turn it off"
        )


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def base_environment(resolved: ResolvedSpec) -> dict[str, str]:
    """Container variables common to both deliveries (fail fast on a broken model; user passthrough)."""
    env = {"SERVING_FAIL_FAST": "true"}
    env.update(resolved.spec.engine.env)
    return env


def properties_as_env(properties: dict[str, str]) -> dict[str, str]:
    """LMI's env form of each key: ``option.x`` -> ``OPTION_X``; ``option.model_id`` -> ``HF_MODEL_ID``."""
    env: dict[str, str] = {}
    for key, value in properties.items():
        if key == "option.model_id":
            env["HF_MODEL_ID"] = value
        elif key == "option.revision":
            env["HF_REVISION"] = value
        else:
            env["OPTION_" + key.removeprefix("option.").upper()] = value
    return env


def check_env_limits(env: dict[str, str], secret_keys: tuple[str, ...] = ()) -> None:
    """SageMaker: at most 100 variables, 1024 bytes per key or value and 32 KB in total.

    ``secret_keys`` are the variables apply adds just before CreateModel (their values are unknown here).
    """
    for key, value in env.items():
        for what, text in (("name", key), ("value", value)):
            size = len(text.encode())
            if size > ENV_VALUE_LIMIT:
                raise SpecError(
                    f"environment variable {key[:60]}{'...' if len(key) > 60 else ''}: its {what} is {size} bytes; "
                    f"SageMaker allows {ENV_VALUE_LIMIT}",
                    field=_field_for_env(key),
                    value=text[:60] + "...",
                    fix=_env_fix(key),
                )
    count = len(env) + len([k for k in secret_keys if k not in env])
    if count > ENV_ENTRY_LIMIT:
        raise SpecError(
            f"the container environment has {count} variables; SageMaker allows {ENV_ENTRY_LIMIT}",
            field="delivery" if any(key.startswith("OPTION_") for key in env) else "engine.env",
            value=count,
            fix="use delivery: properties and fewer engine.env variables",
        )
    total = sum(len(k.encode()) + len(v.encode()) for k, v in env.items()) + sum(len(k.encode()) for k in secret_keys)
    if total > ENV_TOTAL_LIMIT:
        raise SpecError(
            f"the container environment is {total} bytes; SageMaker allows {ENV_TOTAL_LIMIT} in total",
            field="delivery",
            value="env",
            fix="use delivery: properties and shorter engine.env values",
        )


def _env_fix(key: str) -> str:
    if key.startswith(("OPTION_", "HF_MODEL_ID", "HF_REVISION")):
        return "use delivery: properties (no size limit) or shorten the value"
    return "shorten the engine.env value (SageMaker limits every container variable)"


def _field_for_env(key: str) -> str:
    if key.startswith("OPTION_"):
        return f"engine.options.{key.removeprefix('OPTION_').lower()}"
    return f"engine.env.{key}"


def _instance_warnings(resolved: ResolvedSpec) -> list[str]:
    from deploy.catalog import get_instance

    spec = resolved.spec
    family = get_instance(spec.instance.type).family
    out = []
    if spec.instance.volume_size_gb is not None and family in NVME_FAMILIES:
        out.append(
            f"instance.volume_size_gb: {spec.instance.type} has local NVMe storage; SageMaker rejects "
            "VolumeSizeInGB for such types, remove it"
        )
    if spec.security.kms_key_id is not None and family in NVME_FAMILIES:
        out.append(
            f"security.kms_key_id: {spec.instance.type} has local NVMe storage, encrypted by the instance itself; "
            "SageMaker rejects KmsKeyId for such types, remove it"
        )
    out.extend(f"sizing: {note}" for note in resolved.notes if "unknown" in note)
    return out
