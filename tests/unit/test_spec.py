"""The spec: every rule rejects with field, value and fix; valid specs round-trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from spec_helpers import ROLE, base, error_of

from deploy.errors import SpecError
from deploy.spec.loader import load_spec, parse_spec
from deploy.spec.model import DeploymentSpec


def test_defaults_are_filled() -> None:
    spec = parse_spec(base())
    assert spec.region is None  # chosen per run: deploy.aws.region.choose_region (default us-east-1)
    assert spec.engine.tensor_parallel_degree == "auto"
    assert spec.instance.type == "ml.g6e.2xlarge"
    assert spec.delivery == "properties"
    assert spec.model_source_kind == "hub"


def test_example_spec_loads(repo: Path) -> None:
    spec = load_spec(repo / "examples" / "qwen25-7b.yaml")
    assert spec.name == "qwen25-7b"
    assert spec.scaling is not None and spec.scaling.max == 4


@pytest.mark.parametrize(
    ("overrides", "field", "needle"),
    [
        ({"name": "bad_name!"}, "name", "not a valid SageMaker endpoint name"),
        ({"name": "x" * 64}, "name", "at most 63"),
        ({"role": "arn:aws:iam::1234:role/x"}, "role", "not an IAM role ARN"),
        ({"region": "us-east-9"}, "region", "us-east-9"),
        ({"engine": {"dtype": "float16"}}, "engine.dtype", "use 'fp16'"),
        ({"engine": {"dtype": "bfloat16"}}, "engine.dtype", "use 'bf16'"),
        ({"engine": {"options": {"max_num_seqs": 8}}}, "engine.options", "engine.max_rolling_batch_size"),
        ({"engine": {"options": {"tensor_parallel_size": 2}}}, "engine.options", "engine.tensor_parallel_degree"),
        ({"engine": {"options": {"pipeline_parallel_size": 2}}}, "engine.options", "pipeline parallelism"),
        ({"engine": {"options": {"enable_chunked_prefil": True}}}, "engine.options", "enable_chunked_prefill"),
        ({"engine": {"options": {"enable_lora": True}}}, "engine.options", "rolling-batch"),
        ({"engine": {"options": {"dtype": "fp16"}}}, "engine.options", "engine.dtype"),
        ({"engine": {"env": {"HF_TOKEN": "x"}}}, "engine.env", "model.hf_token"),
        ({"engine": {"tensor_parallel_degree": 0}}, "engine.tensor_parallel_degree", "positive"),
        ({"engine": {"quantize": "fp9"}}, "engine.quantize", "fp8"),
        ({"model": {"id": "Qwen/x", "hf_token": "hf_abcdefghijklmnopqrstuvwxyz"}}, "model.hf_token", "env:HF_TOKEN"),
        ({"model": {"id": "s3://Bad_Bucket/x"}}, "model.id", "S3 URI"),
        ({"instance": {"type": "ml.g5.3xlarge"}}, "instance.type", "ml.g5"),
        ({"instance": {"startup_health_check_timeout_s": 4000}}, "instance.startup_health_check_timeout_s", "3600"),
        ({"scaling": {"min": 3, "max": 2}}, "scaling", "min <= max"),
        ({"tags": {"aws:x": "y"}}, "tags", "reserved"),
        ({"surprise": 1}, "surprise", "unknown key"),
    ],
)
def test_rules_name_field_and_fix(overrides: dict[str, Any], field: str, needle: str) -> None:
    err = error_of(base(**overrides))
    assert err.field is not None and err.field.startswith(field)
    assert needle in str(err)
    assert err.exit_code == 2


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"engine": {"tensor_parallel_degree": 3}, "instance": {"type": "ml.g6e.12xlarge"}}, "use one of 1, 2, 4"),
        ({"engine": {"tensor_parallel_degree": 2}}, "has 1 GPU"),
        ({"security": {"network_isolation": True}}, "point model.id at s3://"),
        ({"security": {"network_isolation": True}, "model": {"id": "s3://bucket-a/w/"}}, "delivery: env"),
        ({"scaling": {"min": 0, "max": 2}}, "only possible for async"),
        ({"role": "arn:aws-cn:iam::123456789012:role/R", "region": "us-east-1"}, "partition"),
        ({"region": "cn-north-1"}, "partition"),
        ({"instance": {"count": 9}, "scaling": {"min": 1, "max": 4}}, "outside scaling"),
    ],
)
def test_cross_field_rules(overrides: dict[str, Any], needle: str) -> None:
    assert needle in str(error_of(base(**overrides)))


@pytest.mark.parametrize(
    ("region", "partition"), [("us-gov-west-1", "aws-us-gov"), ("cn-northwest-1", "aws-cn"), ("eu-west-1", "aws")]
)
def test_role_partitions_accepted(region: str, partition: str) -> None:
    spec = parse_spec(base(region=region, role=f"arn:{partition}:iam::123456789012:role/R"))
    assert spec.region == region


@pytest.mark.parametrize(
    ("role_partition", "good", "bad"),
    [
        ("aws-cn", "cn-north-1", "us-east-1"),
        ("aws", "eu-west-1", "cn-northwest-1"),
        ("aws-us-gov", "us-gov-west-1", "ap-south-1"),
    ],
)
def test_a_spec_without_region_checks_the_role_partition_when_the_region_is_chosen(
    role_partition: str, good: str, bad: str
) -> None:
    spec = parse_spec(base(role=f"arn:{role_partition}:iam::123456789012:role/R"))
    assert spec.region is None
    assert spec.in_region(good).region == good
    with pytest.raises(SpecError) as info:
        spec.in_region(bad)
    assert "partition" in str(info.value) and info.value.exit_code == 2


def test_duplicate_yaml_key_names_line(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(f"name: ep\nrole: {ROLE}\nmodel: {{id: a/b}}\nengine:\n  dtype: bf16\n  dtype: fp16\n")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert f"{path}:6" in str(info.value) and "duplicate key 'dtype'" in str(info.value)


def test_unknown_key_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(f"name: ep\nrole: {ROLE}\nmodel: {{id: a/b}}\ninstance:\n  typ: ml.g5.xlarge\n")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert f"{path}:5 instance.typ: unknown key" in str(info.value)


def test_toml_and_yaml_agree(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(f"name: ep\nrole: {ROLE}\nmodel:\n  id: a/b\nengine:\n  max_model_len: 4096\n")
    (tmp_path / "a.toml").write_text(
        f'name = "ep"\nrole = "{ROLE}"\n[model]\nid = "a/b"\n[engine]\nmax_model_len = 4096\n'
    )
    assert load_spec(tmp_path / "a.yaml") == load_spec(tmp_path / "a.toml")


def test_local_paths_are_relative_to_spec_file(tmp_path: Path) -> None:
    (tmp_path / "weights").mkdir()
    path = tmp_path / "s.yaml"
    path.write_text(f"name: ep\nrole: {ROLE}\nmodel: {{id: ./weights, config: cfg.json}}\n")
    spec = load_spec(path)
    assert spec.model.id == str(tmp_path / "weights")
    assert spec.model.config == str(tmp_path / "cfg.json")
    assert spec.model_source_kind == "local"


def test_spec_is_frozen() -> None:
    spec = parse_spec(base())
    with pytest.raises(Exception, match="frozen"):
        spec.name = "other"  # type: ignore[misc]


NAME = st.from_regex(r"[a-zA-Z0-9](-?[a-zA-Z0-9]){0,30}", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(name=NAME, mml=st.integers(1, 10**6), util=st.floats(0.06, 1.0))
def test_valid_values_round_trip(name: str, mml: int, util: float) -> None:
    spec = parse_spec(base(name=name, engine={"max_model_len": mml, "gpu_memory_utilization": util}))
    again = DeploymentSpec.model_validate(spec.model_dump(mode="json"))
    assert again == spec


@settings(max_examples=60, deadline=None)
@given(key=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=3, max_size=20))
def test_unknown_option_keys_refused_or_known(key: str) -> None:
    from deploy.spec.engine_options import DROPPED_BY_LMI
    from deploy.spec.rules import CONFLICTING_KEYS, LMI_KEYS, OWNED_KEYS, REFUSED_IN_ASYNC, vllm_engine_args

    known = vllm_engine_args() | LMI_KEYS | set(OWNED_KEYS) | set(CONFLICTING_KEYS) | set(REFUSED_IN_ASYNC)
    known |= set(DROPPED_BY_LMI)  # refused with their own reason (tests/unit/test_load_compat_options.py)
    assume(key not in known)
    data = base(engine={"options": {key: 1}})
    assert "not a vLLM 0.8.4 engine argument" in str(error_of(data))


def test_tp_must_divide_the_models_attention_heads() -> None:
    from deploy.engine.resolve import resolve

    spec = parse_spec(
        base(engine={"tensor_parallel_degree": 8}, instance={"type": "ml.g6e.48xlarge"})  # Qwen2.5-7B: 28 heads
    )
    with pytest.raises(SpecError) as info:
        resolve(spec)
    assert info.value.field == "engine.tensor_parallel_degree"
    assert "attention heads (28)" in str(info.value) and "1, 2, 4" in str(info.value)
