"""Rules of a component-endpoint spec: each class of error names the field (components.<i>.<field>), the value and
the fix, and is tried with several members."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deploy.errors import SpecError
from deploy.spec.components import (
    ComponentEndpointSpec,
    adapter_component_name,
    component_view,
    inference_component_name,
)
from deploy.spec.loader import load_any_spec, parse_any_spec
from deploy.spec.model import DeploymentSpec
from tests.unit.component_helpers import ISSUE_SPEC, LLAMA_8B, QWEN_7B, ROLE, component, endpoint, error_of, parsed

S3_ADAPTER = {"name": "sql", "source": "s3://bucket/lora/sql/"}


def test_the_issue_spec_parses_into_a_component_endpoint() -> None:
    spec = parsed(ISSUE_SPEC)
    assert [c.name for c in spec.components] == ["qwen", "llama"]
    assert [inference_component_name(spec, c) for c in spec.components] == ["team-llms-qwen", "team-llms-llama"]
    assert spec.scaling is not None and spec.scaling.min == 0
    view = component_view(spec, spec.components[0])
    assert isinstance(view, DeploymentSpec) and view.name == "team-llms-qwen" and view.engine.max_model_len == 8192
    assert view.scaling is None  # components scale by copies, not the view's variant


def test_a_single_model_document_still_parses_as_before() -> None:
    spec = parse_any_spec({"name": "ep", "role": ROLE, "model": {"id": QWEN_7B}})
    assert isinstance(spec, DeploymentSpec)


def test_model_and_components_together_are_refused() -> None:
    err = error_of({**ISSUE_SPEC, "model": {"id": QWEN_7B}})
    assert err.field == "components" and "both" in err.message and err.fix


@pytest.mark.parametrize(
    ("endpoint_name", "component_name"),
    [("e" * 40, "c" * 23), ("team-" + "x" * 50, "qwen-large"), ("e" * 62, "q"), ("e" * 63, "q")],
)
def test_inference_component_name_longer_than_63_is_refused(endpoint_name: str, component_name: str) -> None:
    err = error_of(endpoint(component(component_name), name=endpoint_name))
    assert err.field == "components.0.name"
    assert f"{len(endpoint_name) + 1 + len(component_name)} characters" in err.message and "63" in err.message
    assert err.fix and "shorten" in err.fix


def test_inference_component_name_of_exactly_63_is_accepted() -> None:
    spec = parsed(endpoint(component("c" * 20), name="e" * 42))
    assert len(inference_component_name(spec, spec.components[0])) == 63


@pytest.mark.parametrize(
    ("copies", "scaling"),
    [(5, {"min": 0, "max": 4}), (1, {"min": 2, "max": 4}), (3, {"min": 4, "max": 6}), (9, {"min": 1, "max": 8})],
)
def test_copies_outside_component_scaling_are_refused(copies: int, scaling: dict[str, int]) -> None:
    err = error_of(endpoint(component("qwen"), component("llama", LLAMA_8B, copies=copies, scaling=scaling)))
    assert err.field == "components.1.copies"
    assert f"copies={copies}" in err.message and f"{scaling['min']}..{scaling['max']}" in err.message
    assert err.fix and "within" in err.fix


@pytest.mark.parametrize("scaling", [{"min": 5, "max": 4}, {"min": 3, "max": 1}])
def test_component_scaling_min_above_max_is_refused(scaling: dict[str, int]) -> None:
    err = error_of(endpoint(component("qwen", scaling=scaling)))
    assert err.field is not None and err.field.startswith("components.0.scaling")
    assert "min <= max" in str(err)


@pytest.mark.parametrize("copies", [0, -1])
def test_zero_or_negative_initial_copies_are_refused(copies: int) -> None:
    err = error_of(endpoint(component("qwen", copies=copies, scaling={"min": 0, "max": 2})))
    assert err.field == "components.0.copies"


@pytest.mark.parametrize(
    ("count", "scaling"),
    [(3, {"min": 0, "max": 2}), (1, {"min": 2, "max": 3}), (2, {"min": 0, "max": 1}), (5, {"min": 1, "max": 4})],
)
def test_instance_count_outside_endpoint_scaling_is_refused(count: int, scaling: dict[str, int]) -> None:
    err = error_of(endpoint(instance={"type": "ml.g6e.12xlarge", "count": count}, scaling=scaling))
    assert err.field == "instance.count" and f"instance.count={count}" in err.message
    assert err.fix and "within" in err.fix


@pytest.mark.parametrize("maximum", [1, 2, 10])
def test_endpoint_scaling_to_zero_is_allowed_with_components(maximum: int) -> None:
    spec = parsed(endpoint(scaling={"min": 0, "max": maximum}))
    assert spec.scaling is not None and spec.scaling.min == 0


@pytest.mark.parametrize("maximum", [1, 2, 10])
def test_endpoint_scaling_to_zero_stays_refused_for_a_single_model_real_time_endpoint(maximum: int) -> None:
    with pytest.raises(SpecError) as info:
        parse_any_spec({"name": "ep", "role": ROLE, "model": {"id": QWEN_7B}, "scaling": {"min": 0, "max": maximum}})
    assert "scaling.min=0" in str(info.value)


def test_duplicate_component_names_are_refused() -> None:
    err = error_of(endpoint(component("qwen"), component("qwen", LLAMA_8B)))
    assert "used twice" in str(err)


def test_the_same_model_in_two_components_is_allowed() -> None:
    """Two components may serve one model with different engine blocks (a long-context and a high-batch copy)."""
    spec = parsed(
        endpoint(
            component("qwen-long", engine={"max_model_len": 32768}),
            component("qwen-fast", engine={"max_model_len": 4096, "max_rolling_batch_size": 64}),
        )
    )
    views = [component_view(spec, c) for c in spec.components]
    assert {v.model.id for v in views} == {QWEN_7B} and len({v.name for v in views}) == 2


@pytest.mark.parametrize("name", ["-qwen", "qwen-", "qwen_7b", "qwen.7b", "", "q" * 64])
def test_invalid_component_names_are_refused(name: str) -> None:
    err = error_of(endpoint(component(name)))
    assert err.field == "components.0.name"


@pytest.mark.parametrize(
    ("engine", "instance", "field"),
    [
        ({"tensor_parallel_degree": 8}, "ml.g6e.12xlarge", "components.0.engine.tensor_parallel_degree"),
        ({"tensor_parallel_degree": 3}, "ml.g6e.12xlarge", "components.0.engine.tensor_parallel_degree"),
        ({"tensor_parallel_degree": 2}, "ml.g6e.2xlarge", "components.0.engine.tensor_parallel_degree"),
        ({"options": {"tensor_parallel_size": 2}}, "ml.g6e.12xlarge", "components.0.engine.options"),
        ({"env": {"HF_TOKEN": "x"}}, "ml.g6e.12xlarge", "components.0.engine.env"),
    ],
)
def test_single_model_rules_apply_to_each_component_at_its_path(
    engine: dict[str, Any], instance: str, field: str
) -> None:
    err = error_of(endpoint(component("ok"), component("bad", engine=engine), instance={"type": instance}))
    assert err.field is not None and err.field.replace("components.1", "components.0").startswith(field)
    assert "components.1" in err.field


def test_errors_in_a_file_carry_the_component_line(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(
        f"name: team\nrole: {ROLE}\ninstance: {{type: ml.g6e.12xlarge}}\ncomponents:\n"
        f"  - name: qwen\n    model: {{id: {QWEN_7B}}}\n    copies: 7\n    scaling: {{min: 0, max: 4}}\n"
    )
    with pytest.raises(SpecError) as info:
        load_any_spec(path)
    assert f"{path}:7 components.0.copies" in str(info.value)


def test_unknown_component_keys_get_a_did_you_mean() -> None:
    err = error_of(endpoint(component("qwen", copys=2)))
    assert "copys" in str(err) and "copies" in str(err)


@pytest.mark.parametrize("version", [14, 15])
def test_adapters_are_refused_where_async_mode_cannot_serve_them(version: int) -> None:
    err = error_of(endpoint(component("qwen", adapters=[S3_ADAPTER]), lmi={"version": version}))
    assert err.field == "components.0.adapters"
    assert f"LMI v{version}" in err.message and "async mode" in err.message
    assert "rolling_batch=vllm" in err.message and "DJL Serving 0.34.0" in err.message
    assert err.fix and "16" in err.fix


@pytest.mark.parametrize("version", [16, 17, 20])
def test_adapters_are_accepted_from_lmi_16(version: int) -> None:
    spec = parsed(endpoint(component("qwen", adapters=[S3_ADAPTER]), lmi={"version": version}))
    assert spec.components[0].adapters[0].name == "sql"


@pytest.mark.parametrize(
    "source", ["https://bucket.s3.amazonaws.com/lora/", "/opt/ml/lora", "s3:/bucket/x", "", "s3://", "S3://Bucket/x"]
)
def test_adapter_sources_must_be_s3(source: str) -> None:
    data = endpoint(component("qwen", adapters=[{"name": "sql", "source": source}]), lmi={"version": 16})
    err = error_of(data)
    assert err.field == "components.0.adapters.0.source" and "s3://" in str(err)


@pytest.mark.parametrize("name", ["sql_lora", "-sql", "sql-", "a" * 64, "sql lora"])
def test_adapter_names_must_be_sagemaker_names(name: str) -> None:
    data = endpoint(component("qwen", adapters=[{"name": name, "source": "s3://b/x/"}]), lmi={"version": 16})
    err = error_of(data)
    assert err.field == "components.0.adapters.0.name"


def test_adapter_names_must_be_unique_per_component() -> None:
    adapters = [S3_ADAPTER, {"name": "chat", "source": "s3://bucket/lora/chat/"}, {**S3_ADAPTER, "source": "s3://b/y/"}]
    err = error_of(endpoint(component("qwen", adapters=adapters), lmi={"version": 16}))
    assert err.field == "components.0.adapters.2.name" and "used twice" in err.message


def test_the_same_adapter_name_on_two_components_is_allowed() -> None:
    data = endpoint(
        component("qwen", adapters=[S3_ADAPTER]),
        component("llama", LLAMA_8B, adapters=[S3_ADAPTER]),
        lmi={"version": 16},
    )
    assert len(parsed(data).components) == 2


@pytest.mark.parametrize("rank", [0, 4, 12, 100, 1024])
def test_lora_rank_must_be_one_vllm_accepts(rank: int) -> None:
    err = error_of(endpoint(component("qwen", lora={"max_lora_rank": rank}), lmi={"version": 16}))
    assert err.field == "components.0.lora.max_lora_rank"


def test_construction_from_python_raises_spec_errors_too() -> None:
    with pytest.raises(SpecError):
        ComponentEndpointSpec(**endpoint(component("qwen", copies=9, scaling={"min": 0, "max": 2})))


@pytest.mark.parametrize(
    ("component_name", "adapter_name"), [("qwen", "a" * 50), ("c" * 45, "sql-adapter"), ("c" * 52, "xy")]
)
def test_adapter_inference_component_name_longer_than_63_is_refused(component_name: str, adapter_name: str) -> None:
    adapters = [{"name": adapter_name, "source": "s3://bucket/lora/"}]
    err = error_of(endpoint(component(component_name, adapters=adapters), name="team-llms", lmi={"version": 16}))
    assert err.field == "components.0.adapters.0.name" and "adapter inference component name" in err.message
    assert err.fix and "shorten" in err.fix


def test_adapter_inference_component_name_joins_endpoint_component_and_adapter() -> None:
    spec = parsed(endpoint(component("qwen", adapters=[S3_ADAPTER]), lmi={"version": 16}))
    assert adapter_component_name(spec, spec.components[0], "sql") == "team-llms-qwen-sql"


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12), st.integers(0, 12), st.integers(1, 12), st.integers(1, 6), st.integers(0, 6))
def test_bounds_are_accepted_exactly_when_they_agree(
    copies: int, low: int, high: int, count: int, endpoint_low: int
) -> None:
    """Copies within the component's scaling and instance.count within the endpoint's: accepted iff both hold."""
    data = endpoint(
        component("qwen", copies=copies, scaling={"min": low, "max": high}),
        instance={"type": "ml.g6e.12xlarge", "count": count},
        scaling={"min": endpoint_low, "max": 6},
    )
    agree = low <= high and low <= copies <= high and max(1, endpoint_low) <= count <= 6
    try:
        parse_any_spec(data)
    except SpecError as exc:
        assert not agree, exc
        assert exc.field is not None and exc.field.startswith(("components.0", "instance.count"))
    else:
        assert agree


@pytest.mark.parametrize(
    "engine", [{}, {"max_model_len": 8192}, {"tensor_parallel_degree": 2, "kv_cache_dtype": "fp8"}, {"dtype": "fp16"}]
)
def test_a_component_renders_exactly_like_the_single_model_spec_of_its_model(engine: dict[str, Any]) -> None:
    """The component path shares sizing and rendering with the single-model path: same properties, same numbers."""
    from deploy.engine.resolve import resolve
    from deploy.render.components import render_component
    from deploy.render.properties import render
    from deploy.sizing.component_fit import size_component

    spec = parsed(endpoint(component("qwen", engine=engine)))
    single = parse_any_spec(
        {
            "name": "team-llms-qwen",
            "role": ROLE,
            "model": {"id": QWEN_7B},
            "engine": engine,
            "instance": {"type": "ml.g6e.12xlarge"},
        }
    )
    assert isinstance(single, DeploymentSpec)
    sized = size_component(spec, 0)
    assert render_component(sized.resolved, spec.components[0]).properties == render(resolve(single)).properties
