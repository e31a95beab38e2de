"""Values AWS would reject are refused offline, with the AWS rule named (issue 9, second class).

Each rule gets several valid and several invalid members; the rules themselves are cited in
``deploy/spec/aws_values.py`` (SageMaker API shapes, S3 bucket naming rules, KMS aliases, IAM quotas).
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from deploy.engine.naming import content_hash
from deploy.spec.loader import parse_spec
from tests.unit.spec_helpers import ROLE, base, error_of

ACCOUNT = "123456789012"
SIX_GROUPS = [f"sg-{i}" for i in range(6)]
ASYNC = {"output_path": "s3://b-1/o/"}
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


def refusal(data: dict[str, Any]) -> tuple[str, str]:
    err = error_of(data)
    assert err.exit_code == 2 and err.fix
    return err.field or "", err.message


@pytest.mark.parametrize(
    "tags",
    [
        {"team": "ml-platform"},
        {"cost center": "R&D"[:1] + " 42"},
        {"équipe": "données"},  # \p{L} is any letter, not only ASCII
        {"k_.:/=+-@": "v_.:/=+-@"},
        {"x" * 128: "y" * 256},
        {"empty-value": ""},
        {"AWSome": "ok"},  # only the aws: prefix is reserved
    ],
)
def test_valid_tags_pass(tags: dict[str, str]) -> None:
    assert parse_spec(base(tags=tags)).tags == tags


@pytest.mark.parametrize(
    ("tags", "needle"),
    [
        ({"aws:cost": "x"}, "aws:"),
        ({"AWS:Cost": "x"}, "aws:"),
        ({"": "x"}, "1-128"),
        ({"x" * 129: "y"}, "1-128"),
        ({"k": "y" * 257}, "256"),
        ({"team!": "x"}, "SageMaker Tag pattern"),
        ({"team": "a,b"}, "SageMaker Tag pattern"),
        ({"team": "50%"}, "SageMaker Tag pattern"),
        ({"team": "emoji 😀"}, "SageMaker Tag pattern"),
        ({"lmi-deploy:endpoint": "x"}, "lmi-deploy:"),
    ],
)
def test_tags_aws_rejects_are_refused(tags: dict[str, str], needle: str) -> None:
    field, message = refusal(base(tags=tags))
    assert field == "tags" and needle in message


VALID_BUCKETS = ["abc", "my-bucket", "my.bucket.v2", "a" * 63, "1bucket", "sagemaker-us-east-1-123456789012"]
INVALID_BUCKETS = [
    ("ab", "3-63"),
    ("a" * 64, "3-63"),
    ("My-Bucket", "lowercase"),
    ("my_bucket", "lowercase"),
    ("-bucket", "start and end"),
    ("bucket-", "start and end"),
    ("my..bucket", "adjacent periods"),
    ("192.168.5.4", "IP address"),
    ("xn--bucket", "xn--"),
    ("sthree-bucket", "sthree-"),
    ("amzn-s3-demo-bucket", "amzn-s3-demo-"),
    ("bucket-s3alias", "-s3alias"),
    ("bucket--ol-s3", "--ol-s3"),
    ("bucket.mrap", ".mrap"),
    ("bucket--x-s3", "--x-s3"),
]


@pytest.mark.parametrize("bucket", VALID_BUCKETS)
def test_valid_bucket_names_pass_everywhere_a_bucket_is_read(bucket: str) -> None:
    spec = parse_spec(
        base(
            model={"id": f"s3://{bucket}/weights/"},
            artifacts={"bucket": bucket},
            async_inference={"output_path": f"s3://{bucket}/out/"},
        )
    )
    assert spec.artifacts.bucket == bucket


@pytest.mark.parametrize(("bucket", "needle"), INVALID_BUCKETS)
@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("artifacts.bucket", lambda b: base(artifacts={"bucket": b})),
        ("model.id", lambda b: base(model={"id": f"s3://{b}/weights/"})),
        ("async_inference.output_path", lambda b: base(async_inference={"output_path": f"s3://{b}/out/"})),
        (
            "async_inference.failure_path",
            lambda b: base(async_inference={"output_path": "s3://ok-b/o/", "failure_path": f"s3://{b}/f/"}),
        ),
    ],
)
def test_bucket_names_s3_rejects_are_refused(bucket: str, needle: str, field: str, data: Any) -> None:
    got_field, message = refusal(data(bucket))
    assert got_field == field and needle in message and "S3 bucket naming rules" in message


def test_async_output_paths_respect_sagemakers_512_byte_limit() -> None:
    field, message = refusal(base(async_inference={"output_path": "s3://bucket/" + "p" * 600}))
    assert field == "async_inference.output_path" and "512" in message


@pytest.mark.parametrize(
    "key",
    [
        KEY_ID,
        "mrk-1234abcd12ab34cd56ef1234567890ab",
        "alias/team-llm",
        "alias/aws/sagemaker",
        f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}",
        f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/team/llm",
    ],
)
def test_valid_kms_keys_pass(key: str) -> None:
    assert parse_spec(base(security={"kms_key_id": key})).security.kms_key_id == key


@pytest.mark.parametrize(
    ("key", "needle"),
    [
        ("my key", "KmsKeyId"),
        ("1234abcd", "not a KMS key id"),
        ("alias/", "KMS alias name"),
        ("alias/with.dot", "KmsKeyId"),
        ("alias/" + "a" * 251, "256"),
        (f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{KEY_ID}", "endpoint's region"),
        (f"arn:aws-cn:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}", "endpoint's region"),
        (f"arn:aws:kms:us-east-1:{ACCOUNT}:key/not-a-uuid", "not a KMS key id"),
        (f"arn:aws:kms:us-east-1:12345:key/{KEY_ID}", "not a KMS ARN"),
        (f"arn:aws:s3:us-east-1:{ACCOUNT}:key/{KEY_ID}", "not a KMS ARN"),
    ],
)
def test_kms_keys_sagemaker_rejects_are_refused(key: str, needle: str) -> None:
    field, message = refusal(base(security={"kms_key_id": key}, region="us-east-1"))
    assert field == "security.kms_key_id" and needle in message


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"security": {"kms_key_id": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}"}}, "security.kms_key_id"),
        ({"lmi": {"image": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/my-lmi:v1"}}, "lmi.image"),
    ],
)
def test_a_region_from_flags_checks_the_key_and_image_again(overrides: dict[str, Any], field: str) -> None:
    from deploy.errors import SpecError

    spec = parse_spec(base(**overrides))  # no region in the spec: only the form is checked
    assert spec.in_region("us-east-1").region == "us-east-1"
    with pytest.raises(SpecError) as info:
        spec.in_region("eu-west-1")
    assert info.value.field == field and "region" in info.value.message and info.value.exit_code == 2


@pytest.mark.parametrize("name", ["my-alarm", "Team/LLM 5xx", "a", "x" * 255, "ünïcode-alarm"])
def test_valid_alarm_names_pass(name: str) -> None:
    assert parse_spec(base(update={"rollback_alarms": [name]})).update.rollback_alarms == [name]


@pytest.mark.parametrize("name", ["", "   ", "x" * 256])
def test_alarm_names_cloudwatch_rejects_are_refused(name: str) -> None:
    field, message = refusal(base(update={"rollback_alarms": ["ok", name]}))
    assert field == "update.rollback_alarms" and "1-255" in message


@pytest.mark.parametrize(("count", "ok"), [(0, True), (1, True), (47, True), (48, False), (60, False)])
def test_at_most_47_user_tags_fit_sagemakers_50(count: int, ok: bool) -> None:
    data = base(tags={f"k{i}": "v" for i in range(count)})
    if ok:
        assert len(parse_spec(data).tags) == count
    else:
        field, message = refusal(data)
        assert field == "tags" and "SageMaker allows 50" in message


@pytest.mark.parametrize(
    ("alarms", "builtin", "ok"), [(10, False, True), (11, False, False), (9, True, True), (10, True, False)]
)
def test_rollback_alarms_fit_sagemakers_10(alarms: int, builtin: bool, ok: bool) -> None:
    data = base(update={"rollback_alarms": [f"a{i}" for i in range(alarms)], "builtin_5xx_alarm": builtin})
    if ok:
        assert len(parse_spec(data).update.rollback_alarms) == alarms
    else:
        field, message = refusal(data)
        assert field.startswith("update") and "allows 10" in message


@pytest.mark.parametrize(
    ("role", "region"),
    [
        (ROLE, "us-east-1"),
        (f"arn:aws:iam::{ACCOUNT}:role/service-role/AmazonSageMaker-ExecutionRole-20240101T000000", "us-east-1"),
        (f"arn:aws:iam::{ACCOUNT}:role/a/b/c/Name+=,.@_-", "us-east-1"),
        (f"arn:aws-cn:iam::{ACCOUNT}:role/Exec", "cn-north-1"),
        (f"arn:aws-us-gov:iam::{ACCOUNT}:role/Exec", "us-gov-west-1"),
    ],
)
def test_valid_role_arns_pass(role: str, region: str) -> None:
    assert parse_spec(base(role=role, region=region)).role == role


@pytest.mark.parametrize(
    ("role", "needle"),
    [
        ("SageMakerExecutionRole", "IAM role ARN"),
        (f"arn:aws:iam::{ACCOUNT}:user/bob", "IAM role ARN"),
        ("arn:aws:iam::1234:role/Exec", "IAM role ARN"),
        (f"arn:aws:iam::{ACCOUNT}:role/", "IAM role ARN"),
        (f"arn:aws:iam::{ACCOUNT}:role/modèle", "IAM role ARN"),  # \w would let this through
        (f"arn:aws:iam::{ACCOUNT}:role/" + "n" * 65, "1-64"),
        (f"arn:aws:iam::{ACCOUNT}:role/" + "p/" * 256 + "Name", "512"),
        (f"arn:gcp:iam::{ACCOUNT}:role/Exec", "IAM role ARN"),
        (f"arn:aws-cn:iam::{ACCOUNT}:role/Exec", "partition"),  # region us-east-1 is in aws
    ],
)
def test_role_arns_sagemaker_rejects_are_refused(role: str, needle: str) -> None:
    field, message = refusal(base(role=role, region="us-east-1"))
    assert field == "role" and needle in message


@pytest.mark.parametrize(
    ("image", "region"),
    [
        (f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/my-lmi:custom", "us-east-1"),
        (f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/team/lmi:0.33.0-lmi15.0.0-cu128", "us-east-1"),
        (f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/my-lmi@sha256:{'a' * 64}", "us-east-1"),
        (f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/my-lmi", "us-east-1"),
        (f"{ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/my-lmi:v1", "cn-north-1"),
    ],
)
def test_valid_ecr_images_pass(image: str, region: str) -> None:
    role = f"arn:{'aws-cn' if region.startswith('cn-') else 'aws'}:iam::{ACCOUNT}:role/Exec"
    assert parse_spec(base(lmi={"image": image}, region=region, role=role)).lmi.image == image


@pytest.mark.parametrize(
    ("image", "needle"),
    [
        ("djl-inference:0.33.0", "not an ECR image"),
        ("docker.io/library/vllm:latest", "not an ECR image"),
        (f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/my-lmi:v1", "endpoint's region"),
        (f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com.cn/my-lmi:v1", "endpoint's region"),
        (f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/My-LMI:v1", "repository"),
        (f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/my-lmi:bad tag", "no spaces"),
        (f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/my-lmi:" + "t" * 129, "tag"),
        (f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/my-lmi@sha256:abc", "digest"),
        (f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/" + "r" * 250, "1-255"),
    ],
)
def test_images_sagemaker_cannot_pull_are_refused(image: str, needle: str) -> None:
    field, message = refusal(base(lmi={"image": image}, region="us-east-1"))
    assert field == "lmi.image" and needle in message


@pytest.mark.parametrize(
    ("vpc", "field", "needle"),
    [
        ({"subnets": ["subnet_0abc"], "security_groups": ["sg-1"]}, "security.vpc.subnets", "VpcConfig"),
        ({"subnets": ["s" * 33], "security_groups": ["sg-1"]}, "security.vpc.subnets", "32"),
        ({"subnets": [f"subnet-{i}" for i in range(17)], "security_groups": ["sg-1"]}, "security.vpc.subnets", "16"),
        (
            {"subnets": ["subnet-1"], "security_groups": SIX_GROUPS},
            "security.vpc.security_groups",
            "5",
        ),
        ({"subnets": ["subnet-1"], "security_groups": ["sg 1"]}, "security.vpc.security_groups", "VpcConfig"),
    ],
)
def test_vpc_ids_sagemaker_rejects_are_refused(vpc: dict[str, Any], field: str, needle: str) -> None:
    got, message = refusal(base(security={"vpc": vpc}))
    assert got == field and needle in message


@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("instance.count", base(instance={"count": True})),
        ("instance.count", base(instance={"count": False})),
        ("instance.volume_size_gb", base(instance={"volume_size_gb": True})),
        ("instance.startup_health_check_timeout_s", base(instance={"startup_health_check_timeout_s": True})),
        ("scaling.max", base(scaling={"max": True})),
        ("scaling.target", base(scaling={"target": True})),
        ("engine.gpu_memory_utilization", base(engine={"gpu_memory_utilization": True})),
        ("engine.max_num_batched_tokens", base(engine={"max_num_batched_tokens": True})),
        ("engine.tensor_parallel_degree", base(engine={"tensor_parallel_degree": True})),
        (
            "async_inference.max_concurrent_invocations_per_instance",
            base(async_inference={**ASYNC, "max_concurrent_invocations_per_instance": True}),
        ),
        ("update.termination_wait_s", base(update={"termination_wait_s": False})),
        ("lmi.version", base(lmi={"version": True})),
    ],
)
def test_a_boolean_is_not_a_count(field: str, data: dict[str, Any]) -> None:
    got, _ = refusal(data)
    assert got == field


@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("instance.count", base(instance={"count": 2.5})),
        ("instance.count", base(instance={"count": "2"})),
        ("scaling.min", base(scaling={"min": 1.0})),
    ],
)
def test_counts_are_whole_numbers_not_floats_or_strings(field: str, data: dict[str, Any]) -> None:
    assert refusal(data)[0] == field


@pytest.mark.parametrize(
    ("scaling", "field"),
    [
        ({"target": 2.0**361}, "scaling.target"),
        ({"max": 2**31}, "scaling.max"),
        ({"min": 2**40, "max": 2}, "scaling.min"),
    ],
)
def test_numbers_beyond_application_auto_scaling_limits_are_refused(scaling: dict[str, Any], field: str) -> None:
    assert refusal(base(scaling=scaling))[0] == field


NON_FINITE = [math.inf, -math.inf, math.nan]


@pytest.mark.parametrize("number", NON_FINITE)
@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("scaling.target", lambda n: base(scaling={"target": n})),
        ("engine.gpu_memory_utilization", lambda n: base(engine={"gpu_memory_utilization": n})),
        ("engine.options.max_loras", lambda n: base(engine={"options": {"max_loras": n}})),
        ("engine.env.VLLM_X", lambda n: base(engine={"env": {"VLLM_X": n}})),
        ("instance.count", lambda n: base(instance={"count": n})),
    ],
)
def test_non_finite_numbers_are_refused_everywhere(number: float, field: str, data: Any) -> None:
    got, message = refusal(data(number))
    assert got == field and ("finite" in message or "integer" in message)


@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "Infinity", "NaN"])
def test_non_finite_strings_are_refused_where_a_float_is_read(text: str) -> None:
    # A strict float never parses text; the message still says what a number needs to be.
    assert refusal(base(scaling={"target": text}))[0] == "scaling.target"


@pytest.mark.parametrize("literal", [".inf", "-.inf", ".nan", ".Inf", ".NaN"])
def test_yaml_infinity_is_refused_before_anything_is_rendered(literal: str) -> None:
    data = yaml.safe_load(f"name: ep\nrole: {ROLE}\nmodel: {{id: org/m}}\nscaling: {{target: {literal}}}\n")
    assert refusal(data)[0] == "scaling.target"


@settings(max_examples=200, deadline=None)
@given(target=st.floats(allow_nan=True, allow_infinity=True))
def test_every_accepted_float_gives_json_request_bodies(target: float) -> None:
    import json

    from deploy.errors import SpecError

    try:
        spec = parse_spec(base(scaling={"target": target, "min": 1, "max": 2}))
    except SpecError:
        assert not (math.isfinite(target) and 0 < target <= 2.0**360)
        return
    assert math.isfinite(spec.scaling.target) if spec.scaling else False
    json.dumps(spec.model_dump(mode="json"), allow_nan=False)  # raises on Infinity/NaN
    assert content_hash(spec.model_dump(mode="json"))


@pytest.mark.parametrize("number", NON_FINITE)
def test_error_json_never_holds_infinity_or_nan(number: float) -> None:
    import json

    from deploy.errors import SpecError

    data = SpecError("x", field="scaling.target", value=number, fix="y").to_dict()
    assert json.loads(json.dumps(data, allow_nan=False))["value"] == str(number)
