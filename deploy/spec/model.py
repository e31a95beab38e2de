"""The deployment spec: one typed document the user writes (YAML, TOML, or Python objects).

Rule: this module only reads the spec file. No network, no AWS, no environment variables. Every field is documented
(the JSON Schema for editors is generated from these models) and every rule that rejects a value says which field,
which value and how to fix it, because a wrong value found here costs seconds, the same value found by SageMaker costs
a 20-minute failed deployment.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic._internal._model_construction import ModelMetaclass  # the public BaseModel's own metaclass

from deploy.errors import SpecError
from deploy.secrets.masking import Secret, mask_input
from deploy.spec.aws_values import (
    check_alarm_count,
    check_alarm_name,
    check_bucket_name,
    check_role_arn,
    check_tag,
    check_tag_count,
    check_vpc_ids,
    split_s3_uri,
)
from deploy.spec.rules import (
    check_engine_options,
    check_env_keys,
    check_hf_token_ref,
    check_options,
    check_role_partition,
    dtype_hint,
    model_source_kind,
)

# Patterns are matched with fullmatch: `$` would also accept a trailing newline.
ENDPOINT_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")  # SageMaker EndpointName
HUB_ID = re.compile(r"[\w.-]+(/[\w.-]+)?", re.ASCII)  # Hub ids are ASCII: a look-alike letter (Cyrillic е) is no id
INT_OR_AUTO_FIX = "write a whole number of at least 1 in the digits 0-9 (e.g. 8192), or auto"

Auto = Literal["auto"]
Scalar = str | int | float | bool
# Counts, sizes and seconds: a YAML `true` is not 1 and `2.5` is not 2 (pydantic's lax mode would accept both).
Count = Annotated[int, Strict()]
# Strict floats accept integers but not booleans; non-finite values are refused by the model config.
Number = Annotated[float, Strict()]
INT32_MAX = 2**31 - 1


@contextmanager
def _as_value_error() -> Iterator[None]:
    """Inside a validator: turn a catalog SpecError into a ValueError, so pydantic reports it with the other errors
    (and the file and line) instead of letting it escape alone."""
    try:
        yield
    except SpecError as exc:
        raise ValueError(f"{exc.message}; {exc.fix}" if exc.fix else exc.message) from None


class _Model(BaseModel):
    # Default factories are lambdas, not `list` / `dict` / a model class: pydantic inspects each factory's signature
    # when it builds the schema, and for a builtin or a model that costs ~2 ms of every `lmi` start-up.
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _plain_text_and_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        from deploy.spec.text import refuse_field_input

        refuse_field_input(cls, info.field_name or "", value)
        return value

    @model_validator(mode="before")
    @classmethod
    def _empty_blocks_are_defaults(cls, data: Any) -> Any:
        # `engine:` with every line below it commented out is null in YAML: it means "the defaults", as if omitted.
        if isinstance(data, dict):
            return {
                key: value
                for key, value in data.items()
                if not (value is None and key in cls.model_fields and cls.model_fields[key].default_factory)
            }
        return data


class LmiSettings(_Model):
    """Which LMI container to run."""

    version: Count = Field(15, description="LMI major version (15 = DJL Serving 0.33.0, vLLM 0.8.4).", examples=[15])
    image: str | None = Field(
        None,
        description="Explicit image URI; overrides the regional djl-inference image for `version`.",
        examples=["763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.33.0-lmi15.0.0-cu128"],
    )

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        from deploy.catalog import lmi_version

        with _as_value_error():
            lmi_version(value)  # raises SpecError naming the known versions
        return value


class ModelSource(_Model):
    """Where the weights come from, and what is needed to read them."""

    id: str = Field(
        description=(
            "Hugging Face model id, `s3://bucket/prefix/` holding the weights, or a local directory "
            "(must start with `./`, `../`, `/` or `~`; uploaded to S3 on deploy)."
        ),
        examples=["Qwen/Qwen2.5-7B-Instruct", "s3://my-bucket/models/qwen25-7b/", "./models/qwen25-7b"],
    )
    revision: str | None = Field(None, description="Hub revision (commit or branch); recommended for Hub models.")
    config: str | None = Field(
        None,
        description="Local config.json (or model directory) used for sizing when the model is not in the bundled "
        "library and no network is wanted. Relative paths are relative to the spec file.",
        examples=["./configs/my-model-config.json"],
    )
    trust_remote_code: bool = Field(False, description="Allow custom modeling code shipped with the model.")
    hf_token: str | None = Field(
        None,
        description="Reference to a Hugging Face token for gated models, resolved at deploy time and never printed: "
        "`env:NAME` (an environment variable of the deploying machine).",
        examples=["env:HF_TOKEN"],
    )

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        kind = model_source_kind(value)
        if kind == "s3":
            split_s3_uri(value)
        if kind == "hub" and not HUB_ID.fullmatch(value):
            raise ValueError(
                f"{value!r} is neither a Hugging Face id (org/name), an s3:// URI, nor a local directory "
                "(local directories must start with ./, ../, / or ~); write the id as shown on the model's Hub "
                "page (e.g. Qwen/Qwen2.5-7B-Instruct), s3://bucket/prefix/, or ./path/to/model"
            )
        return value

    @field_validator("revision")
    @classmethod
    def _git_revision(cls, value: str | None) -> str | None:
        from deploy.spec.revisions import check_revision

        return None if value is None else check_revision(value)

    @model_validator(mode="before")
    @classmethod
    def _mask_secrets(cls, data: Any) -> Any:
        # hf_token's raw input is wrapped in a masked Secret before validation, so no error can show it.
        return mask_input(data, ("model",)) if isinstance(data, dict) else data

    @field_validator("hf_token", mode="before")
    @classmethod
    def _token_is_reference(cls, value: Any) -> str | None:
        raw = value.reveal() if isinstance(value, Secret) else value
        if raw is None:
            return None
        if not isinstance(raw, str):
            raise ValueError("must be a reference string such as env:HF_TOKEN (the value given is hidden)")
        return check_hf_token_ref(raw)

    @property
    def kind(self) -> Literal["hub", "s3", "local"]:
        return model_source_kind(self.id)


class EngineSettings(_Model):
    """vLLM engine settings, rendered as LMI v15 async-mode `option.*` keys. `auto` is resolved by the fit estimator."""

    tensor_parallel_degree: int | Auto = Field(
        "auto", description="GPUs per model copy; `auto` picks the smallest degree that fits.", examples=["auto", 4]
    )
    max_model_len: int | Auto = Field(
        "auto",
        description="Longest prompt + output in tokens; `auto` takes the model's maximum capped to what fits the KV "
        "cache with headroom.",
        examples=["auto", 32768],
    )
    max_rolling_batch_size: int | Auto = Field(
        "auto",
        description="Concurrent sequences per copy (vLLM max_num_seqs); `auto` sizes it from KV capacity instead of "
        "LMI's silent async default of 32.",
        examples=["auto", 64],
    )
    max_num_batched_tokens: Count | None = Field(
        None, description="Token budget per engine step (vLLM default when unset).", examples=[8192]
    )
    dtype: Literal["auto", "bf16", "fp16", "fp32"] = Field("auto", description="Weight dtype (LMI short names).")
    quantize: str | None = Field(
        None,
        description="Runtime quantization (e.g. `fp8`); leave unset for pre-quantized AWQ/GPTQ/FP8 checkpoints.",
        examples=["fp8"],
    )
    kv_cache_dtype: Literal["auto", "fp8", "fp8_e4m3", "fp8_e5m2"] = Field(
        "auto", description="KV-cache dtype; fp8 doubles the KV-cache tokens."
    )
    gpu_memory_utilization: Number = Field(
        0.9, gt=0.05, le=1.0, description="Fraction of each GPU's memory vLLM may use (vLLM default 0.9)."
    )
    enable_prefix_caching: bool | None = Field(
        None, description="Prefix caching (on by default in vLLM V1; `false` cannot switch it off in LMI v15)."
    )
    options: dict[str, Scalar] = Field(
        default_factory=lambda: {},
        description="Further `option.*` keys, checked against the vLLM 0.8.4 engine arguments LMI v15 passes on.",
        examples=[{"enable_chunked_prefill": True, "tool_call_parser": "hermes"}],
    )
    env: dict[str, str] = Field(
        default_factory=lambda: {},
        description="Extra container environment (e.g. VLLM_* variables).",
        examples=[{"VLLM_ATTENTION_BACKEND": "FLASHINFER"}],
    )

    @field_validator("dtype", mode="before")
    @classmethod
    def _short_dtype(cls, value: Any) -> Any:
        return dtype_hint(value)

    @field_validator("tensor_parallel_degree", "max_model_len", "max_rolling_batch_size", mode="before")
    @classmethod
    def _int_or_auto(cls, value: Any) -> Any:
        # One clear message instead of one per union member (`.int: ...`, `.literal['auto']: ...`).
        if value == "auto" or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            return int(value)  # str.isdigit alone also takes fullwidth and other scripts' digits ('３２７６８')
        raise ValueError(f"must be a positive integer or 'auto', got {value!r}; {INT_OR_AUTO_FIX}")

    @field_validator("tensor_parallel_degree", "max_model_len", "max_rolling_batch_size", "max_num_batched_tokens")
    @classmethod
    def _positive(cls, value: Any) -> Any:
        if isinstance(value, int) and value < 1:
            raise ValueError(f"must be a positive integer or 'auto', got {value}; {INT_OR_AUTO_FIX}")
        return value

    @field_validator("quantize")
    @classmethod
    def _known_quantize(cls, value: str | None) -> str | None:
        from deploy.spec.rules import check_quantize

        return None if value is None else check_quantize(value)

    @field_validator("options", mode="before")
    @classmethod
    def _scalar_options(cls, value: Any) -> Any:
        # One clear message instead of one per member of `str | int | float | bool`.
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(item, (str, int, float, bool)):
                    kind = "a mapping" if isinstance(item, dict) else "a list" if isinstance(item, list) else "null"
                    raise ValueError(
                        f"options.{key} is {kind}; option values are strings, numbers or booleans "
                        "(LMI passes each as one --flag value)"
                    )
        return value

    @field_validator("options")
    @classmethod
    def _options(cls, value: dict[str, Scalar]) -> dict[str, Scalar]:
        return check_options(value)

    @field_validator("env", mode="before")
    @classmethod
    def _env_strings(cls, value: Any) -> Any:
        # `VLLM_USE_V1: 0` in YAML is an int; the container environment is strings, so write what YAML meant.
        if isinstance(value, dict):
            return {
                key: ("true" if item else "false")
                if isinstance(item, bool)
                else str(item)
                if isinstance(item, int) or (isinstance(item, float) and math.isfinite(item))
                else item  # a non-finite float stays as is, so the text-and-number rule refuses it
                for key, item in value.items()
            }
        return value

    @field_validator("env")
    @classmethod
    def _env(cls, value: dict[str, str]) -> dict[str, str]:
        return check_env_keys(value)


class InstanceSettings(_Model):
    """The GPU instances that serve the endpoint."""

    type: str = Field("ml.g6e.2xlarge", description="SageMaker instance type.", examples=["ml.g6e.2xlarge"])
    count: Count = Field(1, ge=1, le=100, description="Initial instance count.")
    startup_health_check_timeout_s: Count = Field(
        1800, ge=60, le=3600, description="ContainerStartupHealthCheckTimeoutInSeconds (model download + load)."
    )
    model_data_download_timeout_s: Count = Field(
        1800, ge=60, le=3600, description="ModelDataDownloadTimeoutInSeconds (S3 artifacts to the instance)."
    )
    volume_size_gb: Count | None = Field(
        None, ge=1, le=512, description="ML storage volume size; not supported on types with local NVMe storage."
    )

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        from deploy.catalog import get_instance

        with _as_value_error():
            get_instance(value)  # raises SpecError with close matches
        return value


class ScalingSettings(_Model):
    """Target-tracking autoscaling of the endpoint variant."""

    # Application Auto Scaling: MinCapacity/MaxCapacity are 32-bit integers.
    min: Count = Field(1, ge=0, le=INT32_MAX, description="Minimum instances (0 only for async endpoints).")
    max: Count = Field(4, ge=1, le=INT32_MAX, description="Maximum instances.")
    metric: Literal["invocations_per_instance", "concurrent_requests", "backlog_per_instance"] = Field(
        "invocations_per_instance",
        description="invocations_per_instance (per minute), concurrent_requests (high-resolution, reacts in "
        "seconds), backlog_per_instance (async endpoints).",
    )
    target: Number = Field(10.0, gt=0, description="Target value of the metric per instance.")
    scale_in_cooldown_s: Count = Field(300, ge=0, le=86400, description="Seconds between scale-in steps.")
    scale_out_cooldown_s: Count = Field(60, ge=0, le=86400, description="Seconds between scale-out steps.")

    @field_validator("target")
    @classmethod
    def _target_in_aws_range(cls, value: float) -> float:
        if value > 2.0**360:
            raise ValueError(
                f"{value:g} is beyond 2^360, the largest TargetValue Application Auto Scaling accepts; "
                "give the target per instance, e.g. 10"
            )
        return value

    @model_validator(mode="after")
    def _min_le_max(self) -> ScalingSettings:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max}); set min <= max")
        return self


class UpdateSettings(_Model):
    """How a changed spec replaces a running endpoint."""

    strategy: Literal["blue_green", "rolling"] = Field(
        "blue_green", description="blue_green: a full new fleet, traffic shifted, old fleet kept until healthy."
    )
    rollback_alarms: list[str] = Field(
        default_factory=lambda: [], description="CloudWatch alarm names that roll the update back when they fire."
    )
    builtin_5xx_alarm: bool = Field(
        False, description="Also create and watch an alarm on Invocation5XXErrors of the new fleet."
    )
    termination_wait_s: Count = Field(
        0, ge=0, le=3600, description="Seconds the old fleet stays up after traffic moved (bake time)."
    )
    rolling_batch_percent: Count = Field(
        25, ge=5, le=50, description="Rolling strategy: share of capacity replaced per step."
    )

    @field_validator("rollback_alarms")
    @classmethod
    def _alarm_names(cls, value: list[str]) -> list[str]:
        return [check_alarm_name(name) for name in value]

    @model_validator(mode="after")
    def _alarm_count(self) -> UpdateSettings:
        check_alarm_count(len(self.rollback_alarms), builtin=self.builtin_5xx_alarm)
        return self


class VpcSettings(_Model):
    """VPC placement; both lists or neither."""

    subnets: list[str] = Field(default_factory=lambda: [], description="Subnet ids.", examples=[["subnet-0abc1234"]])
    security_groups: list[str] = Field(
        default_factory=lambda: [], description="Security group ids.", examples=[["sg-0abc1234"]]
    )

    @field_validator("subnets")
    @classmethod
    def _subnet_ids(cls, value: list[str]) -> list[str]:
        return check_vpc_ids(value, what="subnets", most=16)

    @field_validator("security_groups")
    @classmethod
    def _security_group_ids(cls, value: list[str]) -> list[str]:
        return check_vpc_ids(value, what="security groups", most=5)

    @model_validator(mode="after")
    def _both_or_neither(self) -> VpcSettings:
        if bool(self.subnets) != bool(self.security_groups):
            raise ValueError("give both subnets and security_groups, or neither")
        return self


class SecuritySettings(_Model):
    """Enterprise settings rendered into CreateModel / CreateEndpointConfig."""

    vpc: VpcSettings = Field(default_factory=lambda: VpcSettings())
    kms_key_id: str | None = Field(None, description="KMS key for the ML storage volume.")
    network_isolation: bool = Field(False, description="No outbound network from the container.")


class AsyncInferenceSettings(_Model):
    """Asynchronous endpoint: requests and responses go through S3."""

    output_path: str = Field(description="S3 prefix for responses.", examples=["s3://my-bucket/async-out/"])
    failure_path: str | None = Field(None, description="S3 prefix for failures (default: output_path).")
    max_concurrent_invocations_per_instance: Count | None = Field(
        None, ge=1, le=1000, description="Requests SageMaker sends to one instance at a time."
    )

    @field_validator("output_path", "failure_path")
    @classmethod
    def _s3(cls, value: str | None) -> str | None:
        if value is not None:
            split_s3_uri(value, max_length=512)  # SageMaker DestinationS3Uri: at most 512
        return value


class ArtifactSettings(_Model):
    """Where lmi-deploy uploads serving.properties and local weights."""

    bucket: str | None = Field(None, description="S3 bucket (default: sagemaker-<region>-<account>).")
    prefix: str | None = Field(None, description="Key prefix (default: lmi-deploy/<endpoint name>).")

    @field_validator("bucket")
    @classmethod
    def _bucket_name(cls, value: str | None) -> str | None:
        return None if value is None else check_bucket_name(value)

    @field_validator("prefix")
    @classmethod
    def _clean_prefix(cls, value: str | None) -> str | None:
        from deploy.spec.key_prefix import check_prefix

        return None if value is None else check_prefix(value)


class _RaisesSpecError(ModelMetaclass):
    """``DeploymentSpec(...)`` raises :class:`SpecError` (a ``ValueError``) naming each field and fix.

    Why the metaclass and not ``__init__``: pydantic runs a custom ``__init__`` inside ``model_validate`` too, and
    would wrap the SpecError (being a ValueError) in a second ValidationError; ``__call__`` is only the constructor.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except ValidationError as exc:
            from deploy.spec.explain import spec_error_from  # the error path only: not at start-up

            raise spec_error_from(exc, source="<spec>", lines={}, root=cast("type[BaseModel]", cls)) from None


class EndpointSpecBase(_Model):
    """What every spec that creates one SageMaker endpoint shares: its name, region and role, and secret masking.

    Why a base class: a single-model spec and a component endpoint spec must refuse the same endpoint names with
    the same message and mask secrets the same way before validation; one definition keeps the two from drifting.
    """

    name: str = Field(description="Endpoint name (SageMaker rules: letters, digits, hyphens, <= 63 chars).")
    region: str | None = Field(
        None,
        description="AWS region (default: --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's, then us-east-1).",
    )
    role: str = Field(description="SageMaker execution role ARN.")

    @model_validator(mode="before")
    @classmethod
    def _mask_secrets(cls, data: Any) -> Any:
        # Secret fields and credential-shaped strings anywhere become masked Secrets before validation.
        return mask_input(data) if isinstance(data, dict) else data

    @field_validator("name")
    @classmethod
    def _endpoint_name(cls, value: str) -> str:
        if not ENDPOINT_NAME.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a valid SageMaker endpoint name; use letters, digits and single hyphens, "
                "start and end with a letter or digit, at most 63 characters"
            )
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        from deploy.catalog import region_info

        if value is not None:
            with _as_value_error():
                region_info(value)
        return value

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        return check_role_arn(value)


def check_user_tags(value: dict[str, str]) -> dict[str, str]:
    """The spec's own tags: AWS's limits, and no key in lmi-deploy's reserved ``lmi-deploy:`` prefix."""
    check_tag_count(len(value))
    for key, val in value.items():
        if key.startswith("lmi-deploy:"):
            raise ValueError(
                f"tag key {key!r} uses the prefix lmi-deploy:, which lmi-deploy reserves for its own tags; "
                "rename the key"
            )
        check_tag(key, val)
    return value


class DeploymentSpec(EndpointSpecBase, metaclass=_RaisesSpecError):
    """One LLM endpoint on SageMaker served by the LMI container (vLLM backend, async mode)."""

    lmi: LmiSettings = Field(default_factory=lambda: LmiSettings())
    model: ModelSource
    engine: EngineSettings = Field(default_factory=lambda: EngineSettings())
    instance: InstanceSettings = Field(default_factory=lambda: InstanceSettings())
    scaling: ScalingSettings | None = Field(None, description="Autoscaling; omit for a fixed instance count.")
    update: UpdateSettings = Field(default_factory=lambda: UpdateSettings())
    security: SecuritySettings = Field(default_factory=lambda: SecuritySettings())
    async_inference: AsyncInferenceSettings | None = None
    delivery: Literal["properties", "env"] = Field(
        "properties",
        description="properties: engine settings in serving.properties next to the model; env: OPTION_* variables.",
    )
    artifacts: ArtifactSettings = Field(default_factory=lambda: ArtifactSettings())
    tags: dict[str, str] = Field(default_factory=lambda: {}, description="Tags on every resource lmi-deploy creates.")

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        return check_user_tags(value)

    @model_validator(mode="after")
    def _cross_field_rules(self) -> DeploymentSpec:
        from deploy.spec.rules import check_region_bound_values

        check_cross_fields(self)
        check_engine_options(dict(self.engine.options), self.engine.quantize, self.lmi.version)
        check_region_bound_values(self, self.region)
        if self.region is not None:
            check_role_partition(self.role, self.region)
        return self

    def in_region(self, region: str) -> DeploymentSpec:
        """This spec deployed to ``region`` (chosen by :func:`deploy.aws.region.choose_region`), checked again."""
        if self.region == region:
            return self
        from deploy.catalog import region_info
        from deploy.spec.rules import check_region_bound_values_in

        region_info(region)  # SpecError naming the unknown region and the known ones
        try:
            check_role_partition(self.role, region)
        except ValueError as exc:
            raise SpecError(
                str(exc), field="role", value=self.role, fix=f"use a role of {region}'s partition"
            ) from None
        check_region_bound_values_in(self, region)
        return self.model_copy(update={"region": region})

    @property
    def model_source_kind(self) -> Literal["hub", "s3", "local"]:
        return self.model.kind


def check_cross_fields(spec: DeploymentSpec) -> None:
    """Rules that involve more than one field."""
    from deploy.catalog import get_instance
    from deploy.sizing.parallelism import ParallelismInputs, tp_problem, valid_tp_degrees

    gpus = get_instance(spec.instance.type).gpu_count
    tp = spec.engine.tensor_parallel_degree
    inputs = ParallelismInputs(gpus=gpus)  # the model's heads are checked when sizing reads its shape
    problem = tp_problem(tp, inputs) if isinstance(tp, int) else None
    if problem is not None:
        valid = ", ".join(map(str, valid_tp_degrees(inputs)))
        raise ValueError(
            f"engine.tensor_parallel_degree={tp} cannot run: {problem} ({inputs.describe()}; {spec.instance.type} "
            f"has {gpus} GPU(s)); use one of {valid} (or auto)"
        )
    if spec.security.network_isolation and spec.model.kind == "hub":
        raise ValueError(
            "security.network_isolation is on but model.id is a Hugging Face id: the container could not "
            "download the weights; point model.id at s3:// or a local directory"
        )
    if spec.security.network_isolation and spec.model.kind == "s3" and spec.delivery == "properties":
        raise ValueError(
            "security.network_isolation with an s3:// model needs delivery: env (the container cannot download "
            "from S3 itself, so SageMaker mounts the weights prefix and the settings travel as OPTION_* variables)"
        )
    if spec.scaling is not None:
        _check_scaling(spec)


def _check_scaling(spec: DeploymentSpec) -> None:
    assert spec.scaling is not None
    if spec.scaling.min == 0 and spec.async_inference is None:
        raise ValueError("scaling.min=0 is only possible for async endpoints; set scaling.min to 1 or more")
    if spec.scaling.metric == "backlog_per_instance" and spec.async_inference is None:
        raise ValueError("scaling.metric=backlog_per_instance needs async_inference; use invocations_per_instance")
    if spec.instance.count < spec.scaling.min or spec.instance.count > spec.scaling.max:
        raise ValueError(
            f"instance.count={spec.instance.count} is outside scaling min..max "
            f"({spec.scaling.min}..{spec.scaling.max}); make them agree"
        )
