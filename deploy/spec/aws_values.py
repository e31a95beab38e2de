"""AWS's own rules for the names and identifiers a spec carries, checked offline with the rule named.

Why: a value AWS rejects costs a round trip at best and a half-created deployment at worst (the model exists, the
endpoint config is refused). Each function raises ``ValueError`` (pydantic reports it against the field) with the
rule and where AWS documents it. Sources:

- SageMaker API Reference (also the botocore service model, ``sagemaker/2017-07-24``): ``Tag`` (Key 1-128, Value
  0-256, pattern ``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*``), ``RoleArn`` (20-2048, ``arn:aws[a-z\\-]*:iam::\\d{12}:role/?
  [a-zA-Z_0-9+=,.@\\-_/]+``), ``ContainerImage`` (<= 255, no whitespace; ``registry/repository[:tag]`` or
  ``[@digest]``; an ECR image "must be in the same region as the model or endpoint"), ``KmsKeyId`` (<= 2048,
  ``[a-zA-Z0-9:/_-]*``; key id, key ARN, ``alias/Name`` or alias ARN), ``AlarmName`` (1-255, not blank),
  ``SubnetId``/``SecurityGroupId`` (``[-0-9a-zA-Z]+``, <= 32; 1-16 subnets, 1-5 security groups).
- AWS tagging guide: the ``aws:`` prefix is reserved in any letter case.
- Amazon S3 User Guide, "General purpose bucket naming rules".
- KMS ``CreateAlias``: alias names are ``alias/`` + ``[a-zA-Z0-9/_-]``, 1-256 characters.
- IAM API ``roleNameType`` (1-64 characters) and ``pathType`` (at most 512); ECR ``RepositoryName`` pattern and the
  Docker tag grammar (``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``) for image references.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

TAG_KEY_MAX, TAG_VALUE_MAX = 128, 256
_TAG_PUNCTUATION = set("_.:/=+-@")
_ROLE_ARN = re.compile(r"arn:(aws[a-z-]*):iam::(\d{12}):role/((?:[A-Za-z0-9+=,.@_/-]*/)?)([A-Za-z0-9+=,.@_-]{1,64})")
# Patterns of optional fields are plain strings: `re` compiles each on its first use (and caches it), not on every
# `lmi` start-up.
_BUCKET_CHARS = r"[a-z0-9][a-z0-9.-]*[a-z0-9]"
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_KEY_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}"
_ALIAS = r"alias/[A-Za-z0-9/_-]+"
_KMS_ARN = r"arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):(key/.+|alias/.+)"
_ECR_HOST = r"(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.(amazonaws\.com(?:\.cn)?|[a-z0-9.-]+)"
_REPOSITORY = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"sha256:[0-9a-f]{64}"
_VPC_ID = r"[-0-9a-zA-Z]{1,32}"


def _is_tag_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LZN" or char in _TAG_PUNCTUATION


def check_tag(key: str, value: str) -> None:
    """SageMaker ``Tag``: key 1-128 and value 0-256 characters of letters, spaces, digits and ``_.:/=+-@``."""
    if not 1 <= len(key) <= TAG_KEY_MAX:
        raise ValueError(f"tag key {key[:40]!r} is {len(key)} characters; AWS allows 1-{TAG_KEY_MAX} (SageMaker Tag)")
    if len(value) > TAG_VALUE_MAX:
        raise ValueError(f"tag {key!r}: the value is {len(value)} characters; AWS allows at most {TAG_VALUE_MAX}")
    if key.lower().startswith("aws:"):
        raise ValueError(f"tag key {key!r} starts with aws:, a prefix AWS reserved for its own tags; rename the key")
    for what, text in (("key", key), ("value", value)):
        bad = next((c for c in text if not _is_tag_char(c)), None)
        if bad is not None:
            raise ValueError(
                f"tag {key!r}: the {what} contains {bad!r}; AWS tags allow only letters, digits, spaces and "
                "_ . : / = + - @ (SageMaker Tag pattern [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*); remove or replace it"
            )


# lmi-deploy adds lmi-deploy:managed, :endpoint and :spec-hash to every resource (deploy.render.bodies).
OWN_TAGS = 3
TAG_LIST_MAX = 50  # SageMaker TagList
ALARM_LIST_MAX = 10  # SageMaker AutoRollbackConfig AlarmList


def check_tag_count(count: int) -> None:
    """SageMaker ``TagList``: at most 50 tags per resource, three of which are lmi-deploy's own."""
    room = TAG_LIST_MAX - OWN_TAGS
    if count > room:
        raise ValueError(
            f"{count} tags; SageMaker allows {TAG_LIST_MAX} per resource and lmi-deploy adds {OWN_TAGS} of its own, "
            f"so at most {room}; remove {count - room}"
        )


def check_alarm_count(count: int, *, builtin: bool) -> None:
    """SageMaker ``AutoRollbackConfig``: at most 10 alarms, the built-in 5xx alarm included."""
    room = ALARM_LIST_MAX - int(builtin)
    if count > room:
        extra = " plus the built-in 5xx alarm" if builtin else ""
        raise ValueError(
            f"rollback_alarms has {count} alarms{extra}; SageMaker AutoRollbackConfig allows {ALARM_LIST_MAX}; "
            f"keep at most {room}"
        )


def check_bucket_name(bucket: str) -> str:
    """Amazon S3 general purpose bucket naming rules; returns ``bucket``."""
    rule = _bucket_rule_broken(bucket)
    if rule:
        raise ValueError(f"S3 bucket {bucket!r} {rule} (S3 bucket naming rules); choose another bucket name")
    return bucket


def _bucket_rule_broken(bucket: str) -> str | None:
    if not 3 <= len(bucket) <= 63:
        return f"is {len(bucket)} characters; bucket names are 3-63"
    if not re.fullmatch(_BUCKET_CHARS, bucket):
        return (
            "has characters S3 refuses; bucket names use only lowercase letters, digits, dots and hyphens, "
            "and start and end with a letter or digit"
        )
    if ".." in bucket:
        return "has two adjacent periods, which bucket names must not have"
    if _looks_like_ip(bucket):
        return "is formatted as an IP address, which bucket names must not be"
    prefix = next((p for p in _BUCKET_RESERVED_PREFIXES if bucket.startswith(p)), None)
    if prefix:
        return f"starts with {prefix}, a prefix S3 reserves"
    suffix = next((s for s in _BUCKET_RESERVED_SUFFIXES if bucket.endswith(s)), None)
    if suffix:
        return f"ends with {suffix}, a suffix S3 reserves"
    return None


def _looks_like_ip(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return bool(re.fullmatch(r"\d+\.\d+\.\d+\.\d+", text))
    return True


def split_s3_uri(uri: str, *, max_length: int = 1024) -> tuple[str, str]:
    """``s3://bucket/key`` -> ``(bucket, key)``, the bucket checked against S3's naming rules.

    ``max_length`` is SageMaker's limit for the field (S3Uri 1024, async DestinationS3Uri 512).
    """
    if not uri.startswith("s3://"):
        raise ValueError(f"{uri!r} is not an S3 URI; write s3://<bucket>/<prefix>/")
    bucket, _, key = uri[len("s3://") :].partition("/")
    rule = _bucket_rule_broken(bucket)
    if rule:
        raise ValueError(
            f"S3 URI {uri!r}: bucket {bucket!r} {rule} (S3 bucket naming rules); use s3://<bucket>/<prefix>/"
        )
    if len(uri.encode()) > max_length:
        raise ValueError(f"S3 URI is {len(uri.encode())} bytes; SageMaker allows {max_length}; use a shorter prefix")
    return bucket, key


def check_role_arn(role: str) -> str:
    """SageMaker ``RoleArn`` pattern, length 20-2048, and IAM's limits: role name 1-64, path at most 512."""
    match = _ROLE_ARN.fullmatch(role)
    if not 20 <= len(role) <= 2048 or match is None or len(match.group(3)) + 1 > 512:
        raise ValueError(
            f"{role!r} is not an IAM role ARN (SageMaker expects arn:<partition>:iam::<12-digit account>:role/"
            "[<path>/]<name>, the name 1-64 of letters, digits and +=,.@_-, the path at most 512 characters); "
            "write the role's full ARN, e.g. arn:aws:iam::123456789012:role/SageMakerExecutionRole"
        )
    return role


def check_kms_key(key: str, *, region: str | None, partition: str | None) -> str:
    """SageMaker ``KmsKeyId``: a key id, a key ARN, ``alias/<name>`` or an alias ARN, in the endpoint's region."""
    if len(key) > 2048 or not re.fullmatch(r"[a-zA-Z0-9:/_-]+", key):
        raise ValueError(
            f"{key!r} is not a KMS key identifier (SageMaker KmsKeyId: letters, digits and :/_-); write a key id "
            "(1234abcd-...), a key ARN, alias/<name> or an alias ARN"
        )
    if key.startswith("arn:"):
        return _check_kms_arn(key, region=region, partition=partition)
    if key.startswith("alias/"):
        return _check_alias(key)
    if not re.fullmatch(_KEY_ID, key):
        raise ValueError(
            f"{key!r} is not a KMS key id (a UUID like 1234abcd-12ab-34cd-56ef-1234567890ab, or mrk-<32 hex> for a "
            "multi-Region key); or write alias/<name>"
        )
    return key


def _check_alias(alias: str) -> str:
    if len(alias) > 256 or not re.fullmatch(_ALIAS, alias):
        raise ValueError(
            f"{alias!r} is not a KMS alias name (KMS: alias/ followed by letters, digits, /, _ or -, "
            "at most 256 characters)"
        )
    return alias


def _check_kms_arn(arn: str, *, region: str | None, partition: str | None) -> str:
    match = re.fullmatch(_KMS_ARN, arn)
    if match is None:
        raise ValueError(
            f"{arn!r} is not a KMS ARN; write arn:{partition or 'aws'}:kms:{region or '<region>'}:<account>:key/<id>"
        )
    arn_partition, arn_region, _, resource = match.groups()
    if region is not None and (arn_partition != partition or arn_region != region):
        raise ValueError(
            f"KMS key {arn!r} is in {arn_partition}/{arn_region} but the endpoint is in {partition}/{region}; "
            "SageMaker needs a key in the endpoint's region"
        )
    if resource.startswith("alias/"):
        _check_alias(resource)
    elif not re.fullmatch(_KEY_ID, resource.removeprefix("key/")):
        raise ValueError(f"{arn!r}: {resource.removeprefix('key/')!r} is not a KMS key id")
    return arn


def check_alarm_name(name: str) -> str:
    """SageMaker ``AutoRollbackConfig`` alarm: ``AlarmName`` is 1-255 characters and not blank."""
    if not 1 <= len(name) <= 255 or not name.strip():
        raise ValueError(
            f"alarm name {name[:40]!r} is {len(name)} characters; CloudWatch alarm names are 1-255 characters, "
            "not only spaces"
        )
    return name


def check_image_uri(image: str, *, region: str | None, dns_suffix: str | None) -> str:
    """An ECR image in the endpoint's region: ``<account>.dkr.ecr.<region>.<suffix>/<repository>[:tag|@digest]``.

    lmi-deploy never sends ``ImageConfig``, so SageMaker pulls from ECR (``RepositoryAccessMode: Platform``).
    """
    if not image or len(image) > 255 or any(c.isspace() for c in image):
        raise ValueError(f"lmi.image is {len(image)} characters or has spaces; SageMaker Image is 1-255, no spaces")
    host, _, rest = image.partition("/")
    ecr = re.fullmatch(_ECR_HOST, host)
    if ecr is None:
        raise ValueError(
            f"{image!r} is not an ECR image; SageMaker pulls images from Amazon ECR "
            "(<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>); push the image to ECR first"
        )
    if region is not None and (ecr.group(2) != region or ecr.group(3) != dns_suffix):
        raise ValueError(
            f"lmi.image is in ECR of {ecr.group(2)} ({ecr.group(3)}) but the endpoint is in {region}; SageMaker "
            f"needs the image in the endpoint's region: use {ecr.group(1)}.dkr.ecr.{region}.{dns_suffix}/..."
        )
    _check_repository_reference(image, rest)
    return image


def _check_repository_reference(image: str, reference: str) -> None:
    repository, tag, digest = reference, None, None
    if "@" in reference:
        repository, _, digest = reference.partition("@")
    elif ":" in reference:
        repository, _, tag = reference.rpartition(":")
    problems = [
        (not re.fullmatch(_REPOSITORY, repository) or not 2 <= len(repository) <= 256, "repository"),
        (tag is not None and not re.fullmatch(_TAG, tag), "tag"),
        (digest is not None and not re.fullmatch(_DIGEST, digest), "digest"),
    ]
    for broken, what in problems:
        if broken:
            raise ValueError(
                f"{image!r}: the {what} is not valid (ECR repository: lowercase letters, digits and ._-/ ; tag: "
                "up to 128 of letters, digits and ._- ; digest: sha256:<64 hex>)"
            )


def check_vpc_ids(ids: list[str], *, what: str, most: int) -> list[str]:
    """SageMaker ``VpcConfig``: 1-``most`` ids, each ``[-0-9a-zA-Z]+`` of at most 32 characters."""
    if len(ids) > most:
        raise ValueError(f"{len(ids)} {what}; SageMaker VpcConfig allows at most {most}")
    for item in ids:
        if not re.fullmatch(_VPC_ID, item):
            raise ValueError(
                f"{item!r} is not a valid {what[:-1]} id (SageMaker VpcConfig: letters, digits and -, at most 32)"
            )
    return ids
