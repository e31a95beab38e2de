"""Spec error messages: every problem reported at once, with file, line, field, value and a usable fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from spec_helpers import ROLE, base, error_of

from deploy.errors import SpecError
from deploy.spec.loader import load_spec, parse_spec


def load_error(path: Path) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_spec(path)
    return info.value


def test_non_utf8_file_is_a_spec_error_with_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: ep\nrole: caf\xe9\n")
    err = load_error(path)
    assert f"{path}:2: not UTF-8" in err.message and err.fix == "save the spec as UTF-8"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"region": "us-east-9"}, "region"),
        ({"instance": {"type": "ml.g6e.2xlargee"}}, "instance.type"),
        ({"lmi": {"version": 99}}, "lmi.version"),
    ],
)
def test_catalog_lookups_are_reported_with_the_other_errors(overrides: dict[str, Any], field: str) -> None:
    # A SpecError raised inside a validator used to escape pydantic alone: no line, and every other error hidden.
    err = error_of(base(**overrides, tags=["not", "a", "mapping"]))
    assert err.message.startswith("invalid spec:")
    assert f" {field}: " in err.message and " tags: " in err.message


def test_catalog_lookup_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(f"name: ep\nrole: {ROLE}\nmodel: {{id: a/b}}\nregion: us-east-9\n")
    err = load_error(path)
    assert f"{path}:4 region:" in err.message and err.field == "region" and "us-east-1" in str(err.fix)


@pytest.mark.parametrize("field", ["tensor_parallel_degree", "max_model_len", "max_rolling_batch_size"])
def test_int_or_auto_fields_give_one_clear_error(field: str) -> None:
    err = error_of(base(engine={field: "two"}))
    assert err.message.count("\n") == 1  # one problem, not one per union member
    assert f"engine.{field}: must be a positive integer or 'auto', got 'two'" in err.message
    assert "literal" not in err.message and err.field == f"engine.{field}"


def test_int_or_auto_fields_accept_digit_strings() -> None:
    assert parse_spec(base(engine={"max_model_len": "4096"})).engine.max_model_len == 4096


def test_option_value_of_wrong_shape_gives_one_clear_error() -> None:
    err = error_of(base(engine={"options": {"enable_chunked_prefill": [True]}}))
    assert err.message.count("\n") == 1
    assert "options.enable_chunked_prefill is a list" in err.message and err.field == "engine.options"


def test_env_numbers_and_booleans_become_strings() -> None:
    spec = parse_spec(base(engine={"env": {"VLLM_USE_V1": 0, "VLLM_X": True, "VLLM_Y": 1.5}}))
    assert spec.engine.env == {"VLLM_USE_V1": "0", "VLLM_X": "true", "VLLM_Y": "1.5"}


def test_unknown_key_suggests_the_close_field() -> None:
    err = error_of(base(engine={"tensor_paralel_degree": 2}))
    assert "did you mean 'tensor_parallel_degree'?" in err.message
    assert err.fix == "rename 'tensor_paralel_degree' to 'tensor_parallel_degree'"


def test_unknown_key_in_optional_block_suggests_too() -> None:
    err = error_of(base(scaling={"mn": 1}))
    assert "did you mean 'min'?" in err.message


def test_type_error_fix_is_not_the_message_again() -> None:
    err = error_of(base(model=["a", "b"]))
    assert err.fix is not None and err.fix.startswith("write model as a valid dictionary")


def test_cross_field_error_names_field_and_line(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(f"name: ep\nrole: {ROLE}\nmodel: {{id: a/b}}\nengine:\n  tensor_parallel_degree: 3\n")
    err = load_error(path)
    assert f"{path}:5 engine.tensor_parallel_degree: " in err.message
    assert err.field == "engine.tensor_parallel_degree"


def test_toml_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        f'name = "ep"\nrole = "{ROLE}"\nnote = """\nx = 1\n"""\n[model]\nid = "a/b"\n'
        '[engine]\nmax_model_len = "auto"\ntensor_paralel_degree = 2\n[instance.extra]\nx = 1\n'
    )
    err = load_error(path)
    assert f"{path}:10 engine.tensor_paralel_degree: unknown key" in err.message
    assert f"{path}:11 instance.extra: unknown key" in err.message
    assert f"{path}:3 note: unknown key" in err.message


def test_missing_model_config_is_reported_at_model_config(tmp_path: Path) -> None:
    from deploy.engine.resolve import resolve

    path = tmp_path / "s.yaml"
    path.write_text(f"name: ep\nrole: {ROLE}\nmodel: {{id: 's3://bucket-a/w/', config: ./missing.json}}\n")
    with pytest.raises(SpecError) as info:
        resolve(load_spec(path))
    assert info.value.field == "model.config" and "does not exist" in info.value.message


def test_yaml_merge_keys_work_and_own_keys_override(tmp_path: Path) -> None:
    # `<<: *anchor` used to fail as "invalid YAML: could not determine a constructor for the tag ...merge".
    path = tmp_path / "s.yaml"
    path.write_text(
        f"name: ep\nrole: {ROLE}\nmodel: {{id: a/b}}\ntags: &shared {{team: ml, cost: c1}}\n"
        "engine:\n  env:\n    <<: *shared\n    team: serving\n"
    )
    assert load_spec(path).engine.env == {"team": "serving", "cost": "c1"}
    path.write_text(path.read_text() + "    team: twice\n")
    assert f"{path}:9: duplicate key 'team'" in load_error(path).message


def test_empty_blocks_mean_the_defaults(tmp_path: Path) -> None:
    # `engine:` with every child commented out is null in YAML; it used to be "Input should be a valid dictionary".
    path = tmp_path / "s.yaml"
    path.write_text(
        f"name: ep\nrole: {ROLE}\nmodel: {{id: a/b}}\nengine:\n  # max_model_len: 8192\ninstance:\n"
        "security:\n  vpc:\ntags:\nscaling:\n"
    )
    spec = load_spec(path)
    assert spec.engine.max_model_len == "auto" and spec.instance.type == "ml.g6e.2xlarge"
    assert spec.tags == {} and spec.security.vpc.subnets == [] and spec.scaling is None


def test_fix_for_a_non_type_message_reads_as_a_sentence() -> None:
    err = error_of({**base(), 1: "x"})
    assert err.fix == "change 1: keys should be strings (see `lmi schema`)"


def test_a_directory_is_not_a_spec_file(tmp_path: Path) -> None:
    err = load_error(tmp_path)
    assert "is a directory" in err.message and "does not exist" not in err.message
