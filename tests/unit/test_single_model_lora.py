"""A single-model spec's `enable_lora` follows the version rule a component's adapters follow (LMI 16 for dense
models, 17 for mixture-of-experts), with the same message, renders as LMI reads it, and is sized by the same
formula as adapter slots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deploy.catalog import lmi_versions
from deploy.engine.resolve import resolve
from deploy.errors import SpecError
from deploy.render.properties import render
from deploy.sizing.component_fit import size_component
from deploy.spec.adapter_rules import version_problem
from deploy.spec.lora_support import ASYNC_LORA_SINCE, ASYNC_MOE_LORA_SINCE, LORA_SETTINGS
from deploy.spec.model import DeploymentSpec
from tests.unit.component_helpers import LLAMA_8B, QWEN_7B, ROLE, component, endpoint, error_of, parsed

VERSIONS = [release.version for release in lmi_versions()]
BEFORE = [v for v in VERSIONS if v < ASYNC_LORA_SINCE]
SINCE = [v for v in VERSIONS if v >= ASYNC_LORA_SINCE]
MOE_MODELS = ["Qwen/Qwen3-30B-A3B", "mistralai/Mixtral-8x7B-Instruct-v0.1", "deepseek-ai/DeepSeek-V2-Lite-Chat"]


def single(version: int, options: dict[str, Any], **overrides: Any) -> DeploymentSpec:
    data: dict[str, Any] = {
        "name": "lora",
        "role": ROLE,
        "region": "us-east-1",
        "lmi": {"version": version},
        "model": {"id": QWEN_7B},
        "engine": {"max_model_len": 8192, "options": options},
    }
    data.update(overrides)
    return DeploymentSpec(**data)


def refusal(version: int, options: dict[str, Any], **overrides: Any) -> SpecError:
    with pytest.raises(SpecError) as info:
        single(version, options, **overrides)
    return info.value


def test_the_catalog_has_versions_on_both_sides_of_the_rule() -> None:
    assert BEFORE and SINCE and ASYNC_MOE_LORA_SINCE in SINCE


@pytest.mark.parametrize("version", BEFORE)
@pytest.mark.parametrize("value", [True, "true", "True"])
def test_enable_lora_before_16_is_refused_naming_field_value_and_version(version: int, value: Any) -> None:
    err = refusal(version, {"enable_lora": value})
    assert err.field == "engine.options.enable_lora"
    assert f"engine.options.enable_lora={value!r}" in err.message and f"LMI v{version}" in err.message
    assert err.fix is not None and f"set lmi.version: {ASYNC_LORA_SINCE}" in err.fix


@pytest.mark.parametrize("version", SINCE)
def test_enable_lora_from_16_on_is_accepted(version: int) -> None:
    spec = single(version, {"enable_lora": True, "max_loras": 4, "max_lora_rank": 32})
    assert spec.engine.options["enable_lora"] is True


@pytest.mark.parametrize("version", BEFORE)
def test_the_message_is_the_adapters_message_at_another_field(version: int) -> None:
    single_message = refusal(version, {"enable_lora": True}).message
    adapters = version_problem(version, 0).removeprefix("components.0.adapters: ")
    assert adapters in single_message


@pytest.mark.parametrize("setting", LORA_SETTINGS)
@pytest.mark.parametrize("version", [15, 14])
def test_every_lora_setting_before_16_gets_the_version_rule(setting: str, version: int) -> None:
    value: Any = "auto" if setting == "lora_dtype" else True if "sharded" in setting or "bias" in setting else 4
    if setting == "long_lora_scaling_factors":
        value = "4.0"
    err = refusal(version, {setting: value})
    assert err.field == f"engine.options.{setting}" and f"LMI v{version}" in err.message
    assert err.fix is not None and "lmi.version: 16" in err.fix


@pytest.mark.parametrize(("setting", "value"), [("max_loras", 4), ("max_lora_rank", 32), ("fully_sharded_loras", True)])
@pytest.mark.parametrize("version", [16, 17, 20])
def test_a_lora_setting_without_enable_lora_is_refused(setting: str, value: Any, version: int) -> None:
    err = refusal(version, {setting: value})
    assert err.field == f"engine.options.{setting}" and "without enable_lora" in err.message
    assert err.fix is not None and "enable_lora: true" in err.fix
    single(version, {setting: value, "enable_lora": True})  # with the switch it is fine


@pytest.mark.parametrize("version", [14, 15, 16])
def test_enable_lora_false_alone_is_not_a_lora_request(version: int) -> None:
    assert single(version, {"enable_lora": False}).engine.options["enable_lora"] is False


@pytest.mark.parametrize("model_id", MOE_MODELS)
def test_enable_lora_on_a_moe_model_needs_17(model_id: str) -> None:
    spec = single(16, {"enable_lora": True}, model={"id": model_id}, instance={"type": "ml.p4d.24xlarge"})
    with pytest.raises(SpecError) as info:
        resolve(spec)
    err = info.value
    assert err.field == "engine.options.enable_lora" and "mixture-of-experts" in err.message and model_id in err.message
    assert err.fix == f"set lmi.version: {ASYNC_MOE_LORA_SINCE}"


@pytest.mark.parametrize("model_id", ["Qwen/Qwen3-30B-A3B", "mistralai/Mixtral-8x7B-Instruct-v0.1"])
@pytest.mark.parametrize("version", [17, 20])
def test_enable_lora_on_a_moe_model_from_17_sizes(model_id: str, version: int) -> None:
    spec = single(version, {"enable_lora": True}, model={"id": model_id}, instance={"type": "ml.p4d.24xlarge"})
    assert resolve(spec).estimate is not None


@pytest.mark.parametrize("version", [16, 17, 20])
def test_v16_and_later_render_enable_lora_as_lmi_reads_it(version: int) -> None:
    options = {"enable_lora": True, "max_loras": 4, "max_lora_rank": 32}
    rendered = render(resolve(single(version, options)))
    for line in ("option.enable_lora=true", "option.max_loras=4", "option.max_lora_rank=32"):
        assert line in rendered.serving_properties.splitlines()
    env = render(resolve(single(version, options, delivery="env"))).environment
    assert (env["OPTION_ENABLE_LORA"], env["OPTION_MAX_LORAS"], env["OPTION_MAX_LORA_RANK"]) == ("true", "4", "32")


@pytest.mark.parametrize(
    ("model_id", "instance", "tp", "loras", "rank"),
    [
        (QWEN_7B, "ml.g6e.12xlarge", 1, 4, 16),
        (LLAMA_8B, "ml.g6e.12xlarge", 1, 2, 64),
        (LLAMA_8B, "ml.g6e.12xlarge", 2, 8, 32),
        (QWEN_7B, "ml.g5.12xlarge", 2, 1, 8),
    ],
)
def test_single_model_lora_is_sized_like_adapter_slots(
    model_id: str, instance: str, tp: int, loras: int, rank: int
) -> None:
    engine = {"max_model_len": 8192, "tensor_parallel_degree": tp, "max_rolling_batch_size": 16}
    adapters = [{"name": "sql", "source": "s3://bucket/lora/sql/"}]
    slots = {"max_loras": loras, "max_lora_rank": rank}
    spec = parsed(
        endpoint(
            component("c", model_id, engine=engine, adapters=adapters, lora=slots),
            lmi={"version": 16},
            instance={"type": instance, "count": 1},
        )
    )
    base = size_component(spec, 0).resolved.estimate
    options = {"enable_lora": True, "max_loras": loras, "max_lora_rank": rank}
    alone = resolve(
        single(16, options, model={"id": model_id}, engine={**engine, "options": options}, instance={"type": instance})
    ).estimate
    assert base is not None and alone is not None
    assert alone.kv_cache_tokens == base.kv_cache_tokens
    plain = resolve(single(16, {}, model={"id": model_id}, engine=engine, instance={"type": instance})).estimate
    assert plain is not None and plain.kv_cache_tokens > alone.kv_cache_tokens


@pytest.mark.parametrize("key", ["enable_lora", "max_loras", "max_lora_rank", "fully_sharded_loras"])
def test_a_component_with_adapters_takes_lora_settings_from_its_lora_block(key: str) -> None:
    options = {key: True if key in {"enable_lora", "fully_sharded_loras"} else 4}
    adapters = [{"name": "sql", "source": "s3://bucket/lora/sql/"}]
    err = error_of(endpoint(component("qwen", engine={"options": options}, adapters=adapters), lmi={"version": 16}))
    assert err.field == f"components.0.engine.options.{key}" and "components.0.lora" in err.message


@pytest.mark.parametrize(("version", "accepted"), [(15, False), (16, True), (17, True)])
def test_a_component_without_adapters_follows_the_single_model_rule(version: int, accepted: bool) -> None:
    data = endpoint(component("qwen", engine={"options": {"enable_lora": True}}), lmi={"version": version})
    if accepted:
        assert parsed(data).components[0].engine.options["enable_lora"] is True
    else:
        err = error_of(data)
        assert err.field == "components.0.engine.options.enable_lora" and f"LMI v{version}" in err.message


@pytest.mark.parametrize(("version", "code"), [(15, 2), (16, 0), (18, 0)])
def test_lmi_validate_exit_codes(capsys: pytest.CaptureFixture[str], tmp_path: Path, version: int, code: int) -> None:
    from deploy.cli import main

    path = tmp_path / "spec.yaml"
    path.write_text(
        f"name: ep\nrole: {ROLE}\nlmi: {{version: {version}}}\nmodel: {{id: {QWEN_7B}}}\n"
        "engine: {max_model_len: 8192, options: {enable_lora: true, max_loras: 2}}\n"
    )
    with pytest.raises(SystemExit) as info:
        main(["validate", str(path), "--json"])
    out, err = capsys.readouterr()
    assert int(info.value.code or 0) == code and "Traceback" not in out + err
    if code:
        error = json.loads(out)
        assert error["field"] == "engine.options.enable_lora" and "lmi.version: 16" in error["fix"]
