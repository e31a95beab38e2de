"""Placement of inference-component copies: per-copy requirements from the estimator, and first-fit-decreasing.

Hand-checked figures (catalog: ml.g6e.12xlarge = 4 x L40S 46,068 MiB, 48 vCPU, 384 GiB host memory;
ml.g6e.xlarge = 1 x L40S, 4 vCPU, 32 GiB; ml.g5.xlarge = 1 x A10G, 4 vCPU, 16 GiB):
- a 7B or 8B model fits one L40S at tp=1, so two Qwen-7B copies + one Llama-8B copy take 3 of the 4 GPUs: 1 instance;
- four tp=2 copies take 8 GPUs: 2 instances of 4 GPUs;
- a tp=8 copy needs 8 GPUs on one instance; a 4-GPU type can never hold it.
Host memory per copy = 2,048 + tp x 3,072 MiB (tp=1: 5,120 MiB; tp=2: 8,192 MiB); CPU cores = 2 + tp.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deploy import catalog
from deploy.errors import FitError, SpecError
from deploy.sizing.copy_resources import CopyRequirements
from deploy.sizing.placement import check_component_fit, copy_requirements, place
from deploy.spec.components import component_view
from tests.unit.component_helpers import ISSUE_SPEC, LLAMA_8B, component, endpoint, parsed


def req(accelerators: int, gpu_gib: float = 40, memory_gib: float = 5, cores: float = 3) -> CopyRequirements:
    return CopyRequirements(
        accelerators=accelerators,
        memory_mib=int(memory_gib * 1024),
        cpu_cores=cores,
        gpu_memory_mib=int(gpu_gib * 1024),
        reasoning=(),
    )


def test_two_7b_and_one_8b_tp1_fit_one_g6e_12xlarge() -> None:
    fit = check_component_fit(parsed(ISSUE_SPEC))
    reqs = {c.name: c.requirements for c in fit.components}
    assert reqs["qwen"].accelerators == reqs["llama"].accelerators == 1
    assert fit.initial.fits and fit.initial.instances_used == 1
    assert sorted(fit.initial.per_instance[0]) == ["llama", "qwen", "qwen"]
    assert fit.instances_needed == 1
    # the issue's minimum: qwen scales to 0, llama keeps its 1 copy
    assert fit.minimum.per_instance == (("llama",),)


def test_copy_requirements_numbers_and_request_body() -> None:
    spec = parsed(ISSUE_SPEC)
    qwen = copy_requirements(component_view(spec, spec.components[0]))
    assert (qwen.accelerators, qwen.memory_mib, qwen.cpu_cores) == (1, 5120, 3.0)
    # vLLM takes 0.9 of what torch sees of the L40S (46,068 - 481 MiB = 45,587 MiB) on its one GPU, plus graphs
    assert int(0.9 * 45587) <= qwen.gpu_memory_mib <= 46068
    assert qwen.to_request() == {
        "NumberOfAcceleratorDevicesRequired": 1.0,
        "NumberOfCpuCoresRequired": 3.0,
        "MinMemoryRequiredInMb": 5120,
    }
    assert len(qwen.reasoning) == 4 and all(qwen.reasoning)


def test_request_body_is_valid_for_botocore() -> None:
    """The body validates against botocore's own service model (types and minimums)."""
    botocore = pytest.importorskip("botocore.session")
    from botocore.validate import ParamValidator

    model = botocore.get_session().get_service_model("sagemaker")
    shape = model.shape_for("InferenceComponentComputeResourceRequirements")
    for tp in (1, 2, 4):
        spec = parsed(endpoint(component("qwen", engine={"tensor_parallel_degree": tp})))
        body = copy_requirements(component_view(spec, spec.components[0])).to_request()
        report = ParamValidator().validate(body, shape)
        assert not report.has_errors(), report.generate_report()


@pytest.mark.parametrize(("tp", "host_mib", "cores"), [(1, 5120, 3.0), (2, 8192, 4.0), (4, 14336, 6.0)])
def test_host_memory_and_cores_grow_per_rank(tp: int, host_mib: int, cores: float) -> None:
    spec = parsed(endpoint(component("qwen", engine={"tensor_parallel_degree": tp})))
    got = copy_requirements(component_view(spec, spec.components[0]))
    assert (got.accelerators, got.memory_mib, got.cpu_cores) == (tp, host_mib, cores)


def test_v0_engine_adds_swap_space_per_rank() -> None:
    spec = parsed(endpoint(component("qwen", engine={"tensor_parallel_degree": 2, "env": {"VLLM_USE_V1": "0"}})))
    got = copy_requirements(component_view(spec, spec.components[0]))
    assert got.memory_mib == 2048 + 2 * (3072 + 4096)


def test_four_tp2_copies_need_two_instances() -> None:
    data = endpoint(component("qwen", engine={"tensor_parallel_degree": 2}, copies=4), scaling={"min": 1, "max": 2})
    fit = check_component_fit(parsed(data))
    assert fit.initial.instances_used == 2 and fit.instances_needed == 2
    assert [len(names) for names in fit.initial.per_instance] == [2, 2]


def test_four_tp2_copies_refused_on_one_instance_with_numbers() -> None:
    data = endpoint(component("qwen", engine={"tensor_parallel_degree": 2}, copies=4))
    with pytest.raises(SpecError) as info:
        check_component_fit(parsed(data))
    text = str(info.value)
    assert "2 needed" in text and "8 GPU(s)" in text and "1 instance(s) have 4" in text
    assert info.value.field == "scaling.max" and info.value.exit_code == 2


@pytest.mark.parametrize("instance", ["ml.g6e.12xlarge", "ml.g5.12xlarge", "ml.g6.12xlarge", "ml.g4dn.12xlarge"])
def test_tp8_component_refused_on_four_gpu_types(instance: str) -> None:
    assert catalog.get_instance(instance).gpu_count == 4
    data = endpoint(component("big", engine={"tensor_parallel_degree": 8}), instance={"type": instance})
    with pytest.raises(SpecError) as info:
        parsed(data)
    assert info.value.field == "components.0.engine.tensor_parallel_degree"
    assert "1, 2, 4" in str(info.value)


@pytest.mark.parametrize("instance", ["ml.g6e.12xlarge", "ml.g5.12xlarge", "ml.g6.12xlarge"])
def test_place_refuses_a_copy_wider_than_the_instance(instance: str) -> None:
    placed = place(instance, 3, [("big", req(8), 1)])
    assert not placed.fits and placed.instances_used == 0
    assert placed.problem is not None and "needs 8 of GPUs" in placed.problem and "has 4" in placed.problem


def test_model_too_big_for_its_gpus_is_a_fit_error_naming_the_component() -> None:
    data = endpoint(component("huge", "meta-llama/Llama-3.1-405B-Instruct"))
    with pytest.raises(FitError) as info:
        check_component_fit(parsed(data))
    assert "component 'huge'" in str(info.value) and info.value.exit_code == 2


@pytest.mark.parametrize(
    ("limit", "copy", "per_instance"),
    [
        ("host memory", req(1, memory_gib=200), 1),  # 384 GiB host: one 200 GiB copy per instance
        ("CPU cores", req(1, cores=30), 1),  # 48 vCPU: one 30-core copy per instance
        ("GPU memory", req(1, gpu_gib=100), 1),  # 4 x 45 GiB = 180 GiB: one 100 GiB copy
        ("GPUs", req(3), 1),  # 4 GPUs: one 3-GPU copy
        ("GPUs", req(2), 2),
        ("GPUs", req(1), 4),
    ],
)
def test_each_limit_binds(limit: str, copy: CopyRequirements, per_instance: int) -> None:
    placed = place("ml.g6e.12xlarge", 10, [("c", copy, 4)])
    assert placed.fits, limit
    assert placed.instances_used == -(-4 // per_instance), limit
    if placed.instances_used > 1:
        refused = place("ml.g6e.12xlarge", placed.instances_used - 1, [("c", copy, 4)])
        assert not refused.fits and refused.problem is not None and "no room left" in refused.problem


def test_first_fit_decreasing_places_the_largest_copies_first() -> None:
    copies = [("small", req(1), 2), ("large", req(3), 2)]
    placed = place("ml.g6e.12xlarge", 2, copies)
    # decreasing: both 3-GPU copies open an instance each, then each 1-GPU copy fills a gap
    assert placed.fits and placed.per_instance == (("large", "small"), ("large", "small"))
    # in the given order (first-fit, not decreasing) the two smalls would share instance 1 and need 3 instances


def test_zero_copies_place_on_no_instance() -> None:
    placed = place("ml.g6e.12xlarge", 1, [("idle", req(1), 0)])
    assert placed.fits and placed.instances_used == 0 and placed.per_instance == ()
    assert placed.to_dict()["per_instance"] == []


def test_min_zero_component_still_needs_one_placeable_copy() -> None:
    """Scaling to zero needs no room at the floor, but a copy that fits no instance could never scale out."""
    from deploy.sizing.component_fit import fit_of, size_component

    spec = parsed(endpoint(component("huge", LLAMA_8B)))
    sized = size_component(spec, 0)
    too_big = replace(sized, requirements=replace(sized.requirements, memory_mib=500 * 1024), min_copies=0)
    fit = fit_of(spec, (too_big,), "ml.g6e.12xlarge", 2)
    assert not fit.fits and fit.instances_needed == 0
    assert "500 GiB of host memory" in fit.problems[0] and "384 GiB" in fit.problems[0]
    with pytest.raises(SpecError) as info:
        fit.raise_if_refused()
    assert info.value.field == "instance.type" and "none is enough" in str(info.value)


copy_strategy = st.builds(
    req,
    accelerators=st.integers(1, 4),
    gpu_gib=st.floats(1, 45),
    memory_gib=st.floats(1, 120),
    cores=st.floats(0.25, 16),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(copy_strategy, st.integers(0, 4)), min_size=1, max_size=5), st.integers(1, 6))
def test_placement_never_overfills_an_instance(copies: list[tuple[CopyRequirements, int]], instances: int) -> None:
    named = [(f"c{i}", r, n) for i, (r, n) in enumerate(copies)]
    placed = place("ml.g6e.12xlarge", instances, named)
    by_name = {name: r for name, r, _ in named}
    assert placed.instances_used <= instances
    for names in placed.per_instance:
        reqs: list[Any] = [by_name[n] for n in names]
        assert sum(r.accelerators for r in reqs) <= 4
        assert sum(r.memory_mib for r in reqs) <= 384 * 1024
        assert sum(r.cpu_cores for r in reqs) <= 48 + 1e-6
        assert sum(r.gpu_memory_mib for r in reqs) <= 4 * 46068
    if placed.fits:
        assert sum(len(n) for n in placed.per_instance) == sum(n for _, _, n in named)
    else:
        assert placed.problem


def test_scale_out_beyond_the_maximum_instances_is_a_note_not_a_refusal() -> None:
    """qwen may scale to 8 tp=1 copies (8 GPUs) but the endpoint has at most one 4-GPU instance."""
    data = endpoint(component("qwen", copies=1, scaling={"min": 1, "max": 8}))
    fit = check_component_fit(parsed(data))
    assert fit.fits and len(fit.notes) == 1 and "8 copies" in fit.notes[0]
    roomy = check_component_fit(parsed(endpoint(component("qwen", copies=1, scaling={"min": 1, "max": 4}))))
    assert roomy.notes == ()


def test_plain_first_fit_in_creation_order_can_need_more_room_than_decreasing() -> None:
    copies = [("small", req(1), 2), ("large", req(3), 2)]
    assert place("ml.g6e.12xlarge", 2, copies).fits
    in_order = place("ml.g6e.12xlarge", 2, copies, decreasing=False)
    # small, small share instance 1 (2 GPUs left), large takes instance 2, the second large finds no room
    assert not in_order.fits and in_order.per_instance == (("small", "small"), ("large",))


def test_a_spec_whose_creation_order_fragments_gets_a_note() -> None:
    """Largest-first fits; SageMaker creating the components in spec order might not: said, not refused."""
    from deploy.sizing.component_fit import fit_of, size_component

    spec = parsed(endpoint(component("small", copies=2), component("large", copies=2), scaling={"min": 1, "max": 2}))
    small, large = (size_component(spec, i) for i in range(2))
    large = replace(large, requirements=replace(large.requirements, accelerators=3), min_copies=2, copies=2)
    small = replace(small, min_copies=2)
    fit = fit_of(spec, (small, large), "ml.g6e.12xlarge", 2)
    assert fit.fits and fit.initial.instances_used == 2
    assert any("spec order" in note for note in fit.notes)
    reordered = fit_of(spec, (large, small), "ml.g6e.12xlarge", 2)
    assert not any("spec order" in note for note in reordered.notes)
