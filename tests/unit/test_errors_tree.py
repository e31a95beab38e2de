"""The error tree: drawn in deploy.errors' docstring, exported in full, one endpoint-not-found error, SpecError is a
ValueError, and DeploymentSpec(...) raises SpecError rather than pydantic's ValidationError."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pydantic
import pytest

from deploy import errors
from deploy.invoke import errors as invoke_errors
from deploy.spec.model import DeploymentSpec

ROLE = "arn:aws:iam::123456789012:role/R"


def _error_classes() -> dict[str, type]:
    return {n: c for n, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, errors.LmiError)}


def test_every_error_class_is_exported_and_drawn() -> None:
    classes = _error_classes()
    assert sorted(errors.__all__) == sorted(classes) == errors.__all__
    drawn = set(re.findall(r"[─└├│ ]+(\w+(?:Error)?|Interrupted|LmiError)\b", errors.__doc__ or ""))
    assert set(classes) <= drawn | {"LmiError"}


def test_the_drawing_matches_the_hierarchy() -> None:
    for name, cls in _error_classes().items():
        line = next(line for line in (errors.__doc__ or "").splitlines() if re.search(rf"\b{name}\b", line))
        assert f"exit {cls.exit_code}" in line, (name, line)


def test_one_endpoint_not_found_error_for_every_command() -> None:
    err = errors.EndpointNotFoundError("endpoint x does not exist", field="name", value="x")
    assert isinstance(err, errors.NotFoundError) and isinstance(err, errors.InvokeError)
    assert invoke_errors.EndpointNotFoundError is errors.EndpointNotFoundError
    assert err.to_dict()["error"] == "endpoint_not_found" and err.exit_code == 1


def test_spec_error_is_a_value_error() -> None:
    assert issubclass(errors.SpecError, ValueError) and errors.SpecError("x").exit_code == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "bad_name!", "role": ROLE, "model": {"id": "a/b"}}, "name"),
        ({"name": "ok", "role": "not-an-arn", "model": {"id": "a/b"}}, "role"),
        ({"name": "ok", "role": ROLE, "model": {"id": "a/b"}, "region": "mars-1"}, "region"),
        ({"name": "ok", "role": ROLE}, "model"),
        ({"name": "ok", "role": ROLE, "model": {"id": "a/b"}, "engine": {"tensor_paralel_degree": 1}}, "engine"),
    ],
)
def test_constructing_a_bad_spec_raises_spec_error_naming_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(errors.SpecError) as info:
        DeploymentSpec(**data)
    assert not isinstance(info.value, pydantic.ValidationError)
    assert info.value.field is not None and info.value.field.startswith(field)
    assert info.value.fix


def test_an_unknown_key_gets_did_you_mean_from_the_constructor_too() -> None:
    with pytest.raises(errors.SpecError) as info:
        DeploymentSpec(name="ok", role=ROLE, model={"id": "a/b"}, engine={"tensor_paralel_degree": 1})
    assert "tensor_parallel_degree" in str(info.value)


def test_a_good_spec_constructs() -> None:
    assert DeploymentSpec(name="ok", role=ROLE, model={"id": "a/b"}).name == "ok"
