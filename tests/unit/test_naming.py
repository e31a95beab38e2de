"""Names of managed resources: content hashes, the 63-character limit, and what counts as ours."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploy.engine.naming import (
    MAX_NAME_LENGTH,
    NAME_PATTERN,
    check_endpoint_name,
    content_hash,
    default_bucket,
    is_resource_of,
    resource_name,
    tags_from_list,
    tags_to_list,
)
from deploy.errors import SpecError

endpoint_names = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", fullmatch=True)


def test_content_hash_ignores_key_order_and_sees_values() -> None:
    assert content_hash({"a": 1, "b": [1, 2]}) == content_hash({"b": [1, 2], "a": 1})
    assert content_hash({"a": 1}) != content_hash({"a": 2})
    assert len(content_hash({"a": 1})) == 10


@given(endpoint_names, st.text(alphabet="0123456789abcdef", min_size=10, max_size=10))
def test_resource_names_fit_sagemaker_rules_and_are_recognised(endpoint: str, digest: str) -> None:
    name = resource_name(endpoint, digest)
    assert len(name) <= MAX_NAME_LENGTH and NAME_PATTERN.match(name)
    assert name.endswith(digest) and is_resource_of(endpoint, name)


def test_other_endpoints_resources_are_not_ours() -> None:
    assert not is_resource_of("foo", resource_name("foo-bar", "0123456789"))
    assert not is_resource_of("foo", "foo-manual-model")
    assert is_resource_of("foo", resource_name("foo", "0123456789"))


@pytest.mark.parametrize("bad", ["-starts-with-hyphen", "has_underscore", "x" * 64, ""])
def test_invalid_endpoint_names_say_how_to_fix(bad: str) -> None:
    with pytest.raises(SpecError) as info:
        check_endpoint_name(bad)
    assert info.value.field == "name" and "letters, digits and hyphens" in (info.value.fix or "")


def test_tag_round_trip_and_default_bucket() -> None:
    tags = {"b": "2", "a": "1"}
    assert tags_to_list(tags)[0] == {"Key": "a", "Value": "1"}
    assert tags_from_list(tags_to_list(tags)) == tags
    assert default_bucket("eu-west-1", "123456789012") == "sagemaker-eu-west-1-123456789012"
