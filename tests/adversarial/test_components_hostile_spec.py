"""Hostile component specs through the real ``lmi validate``: names that collide once SageMaker ignores case (and
collisions hidden behind a YAML alias), and scale to zero asked for in a partition that does not offer it.

Each refusal must name the field and the value, give a fix, exit 2, print no traceback and no planted secret.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

LMI = [sys.executable, "-m", "deploy.cli"]
SECRET = "hf_PlantedSecretValue0123456789abcd"
BASE: dict[str, Any] = {
    "name": "team-llms",
    "role": "arn:aws:iam::123456789012:role/SageMakerExecutionRole",
    "instance": {"type": "ml.g6e.12xlarge", "count": 1},
    "components": [
        {"name": "qwen", "model": {"id": "Qwen/Qwen2.5-7B-Instruct"}},
        {"name": "small", "model": {"id": "Qwen/Qwen2.5-1.5B-Instruct", "hf_token": "env:HF_TOKEN"}},
    ],
}


def validate(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    env = {"HF_TOKEN": SECRET, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([*LMI, "validate", str(path)], capture_output=True, text=True, env=env, timeout=300)


def refused(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    assert "Traceback" not in out and SECRET not in out
    assert "fix:" in out
    for needle in needles:
        assert needle in out, out
    return out


def renamed(second: str) -> str:
    data = copy.deepcopy(BASE)
    data["components"][1]["name"] = second
    return yaml.safe_dump(data)


@pytest.mark.parametrize("second", ["qwen", "QWEN", "Qwen", "qWeN"])
def test_component_names_equal_but_for_case_are_refused(tmp_path: Path, second: str) -> None:
    out = refused(validate(tmp_path, renamed(second)), "components.1.name", repr(second), "components.0.name")
    assert "ignore case" in out


def test_a_component_repeated_through_a_yaml_alias_is_refused(tmp_path: Path) -> None:
    text = yaml.safe_dump({k: v for k, v in BASE.items() if k != "components"}) + (
        "components:\n  - &c {name: qwen, model: {id: Qwen/Qwen2.5-7B-Instruct}}\n  - *c\n"
    )
    refused(validate(tmp_path, text), "components.1.name", "'qwen'")


def test_names_differing_by_more_than_case_still_pass(tmp_path: Path) -> None:
    result = validate(tmp_path, renamed("qwen-2"))
    assert result.returncode == 0, result.stdout + result.stderr


def zero_in(region: str, role_partition: str, where: str) -> str:
    data = copy.deepcopy(BASE)
    data["region"] = region
    data["role"] = f"arn:{role_partition}:iam::123456789012:role/SageMakerExecutionRole"
    if where == "endpoint":
        data["scaling"] = {"min": 0, "max": 2}
    else:
        data["components"][0]["scaling"] = {"min": 0, "max": 2}
    return yaml.safe_dump(data)


@pytest.mark.parametrize(
    ("region", "partition"),
    [("cn-north-1", "aws-cn"), ("cn-northwest-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")],
)
@pytest.mark.parametrize(("where", "field"), [("endpoint", "scaling.min"), ("component", "components.0.scaling.min")])
def test_scale_to_zero_outside_the_commercial_partition_is_refused_offline(
    tmp_path: Path, region: str, partition: str, where: str, field: str
) -> None:
    """``lmi plan`` refused these already; ``lmi validate`` (offline, the spec's own region) passed them."""
    out = refused(validate(tmp_path, zero_in(region, partition, where)), f"{field}=0", region, "us-east-1")
    assert partition in out


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-southeast-2"])
def test_scale_to_zero_in_commercial_regions_still_passes(tmp_path: Path, region: str) -> None:
    result = validate(tmp_path, zero_in(region, "aws", "component"))
    assert result.returncode == 0, result.stdout + result.stderr


def with_adapters(components: list[dict[str, Any]]) -> str:
    data = {k: v for k, v in BASE.items() if k != "components"}
    data["lmi"] = {"version": 16}  # adapters need LMI 16 or later (async mode)
    data["components"] = components
    return yaml.safe_dump(data)


def qwen(*adapters: str, name: str = "qwen") -> dict[str, Any]:
    listed = [{"name": a, "source": f"s3://my-adapters/{i}/"} for i, a in enumerate(adapters)]
    return {"name": name, "model": {"id": "Qwen/Qwen2.5-7B-Instruct"}, "adapters": listed}


@pytest.mark.parametrize(("first", "second"), [("sql", "SQL"), ("chat-v2", "Chat-V2"), ("a1", "A1")])
def test_adapter_names_equal_but_for_case_are_refused(tmp_path: Path, first: str, second: str) -> None:
    out = refused(validate(tmp_path, with_adapters([qwen(first, second)])), "components.0.adapters.1.name")
    assert "ignore" in out and repr(second) in out


@pytest.mark.parametrize(
    "components",
    [
        [qwen("sql"), {"name": "qwen-sql", "model": {"id": "Qwen/Qwen2.5-1.5B-Instruct"}}],  # adapter vs component
        [qwen("sql"), {"name": "QWEN-SQL", "model": {"id": "Qwen/Qwen2.5-1.5B-Instruct"}}],  # ... but for case
        [qwen("b-c", name="a"), qwen("c", name="a-b")],  # adapter vs adapter of another component
    ],
)
def test_an_adapter_ic_named_like_another_ic_is_refused(tmp_path: Path, components: list[dict[str, Any]]) -> None:
    out = refused(validate(tmp_path, with_adapters(components)), ".adapters.0.name", "rename the adapter")
    assert "same name as components." in out


def test_distinct_adapter_and_component_names_still_pass(tmp_path: Path) -> None:
    components = [qwen("sql", "chat"), {"name": "small", "model": {"id": "Qwen/Qwen2.5-1.5B-Instruct"}}]
    result = validate(tmp_path, with_adapters(components))
    assert result.returncode == 0, result.stdout + result.stderr
