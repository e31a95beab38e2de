"""One tensor-parallel rule (deploy.sizing.parallelism), used by the spec, sizing, recommendations and fixes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploy.errors import SpecError
from deploy.sizing.loader import load_shape
from deploy.sizing.parallelism import ParallelismInputs, check_tp, tp_problem, valid_tp_degrees
from deploy.spec.loader import parse_spec

ROLE = "arn:aws:iam::123456789012:role/R"
maybe = st.one_of(st.none(), st.integers(1, 256))


def _expected_ok(tp: int, p: ParallelismInputs) -> bool:
    return (
        tp >= 1
        and (p.gpus is None or (tp <= p.gpus and p.gpus % tp == 0))
        and (p.heads is None or p.heads % tp == 0)
        and (p.vocab is None or p.vocab % tp == 0)
        and (p.mla or p.kv_heads is None or p.kv_heads % tp == 0 or tp % p.kv_heads == 0)
    )


@given(tp=st.integers(-2, 16), gpus=st.one_of(st.none(), st.integers(1, 8)), heads=maybe, kv=maybe, vocab=maybe)
def test_the_rule_is_exactly_the_divisibility_conditions(
    tp: int, gpus: int | None, heads: int | None, kv: int | None, vocab: int | None
) -> None:
    inputs = ParallelismInputs(gpus=gpus, heads=heads, kv_heads=kv, vocab=vocab)
    assert (tp_problem(tp, inputs) is None) is _expected_ok(tp, inputs)


@given(gpus=st.integers(1, 8), heads=st.integers(1, 128), kv=st.integers(1, 128), vocab=st.integers(1, 300_000))
def test_the_refusal_states_every_input_and_offers_only_valid_degrees(
    gpus: int, heads: int, kv: int, vocab: int
) -> None:
    inputs = ParallelismInputs(gpus=gpus, heads=heads, kv_heads=kv, vocab=vocab)
    bad = next((tp for tp in range(1, 17) if tp_problem(tp, inputs) is not None), None)
    if bad is None:
        return
    with pytest.raises(SpecError) as info:
        check_tp(bad, inputs)
    message = info.value.message
    for part in (f"{gpus} GPU(s)", f"{heads} attention heads", f"{kv} KV heads", f"vocabulary {vocab}"):
        assert part in message
    offered = (info.value.fix or "").removeprefix("use one of: ").split(", ")
    valid = valid_tp_degrees(inputs)
    assert offered == [str(t) for t in valid] or (not valid and "larger instance" in (info.value.fix or ""))
    assert all(tp_problem(t, inputs) is None for t in valid)


@pytest.mark.parametrize(
    ("model", "tp", "gpus"), [("Qwen/Qwen2.5-7B-Instruct", 8, 8), ("Qwen/Qwen2.5-7B-Instruct", 3, 4)]
)
def test_the_model_shape_uses_the_same_rule(model: str, tp: int, gpus: int) -> None:
    shape = load_shape(model)
    assert shape.tp_problem(tp, gpus) == tp_problem(tp, shape.parallelism(gpus))
    with pytest.raises(SpecError) as info:
        shape.check_tp(tp, gpu_count=gpus)
    assert "attention heads" in info.value.message and "KV heads" in info.value.message


@pytest.mark.parametrize(("tp", "instance"), [(3, "ml.g6e.12xlarge"), (2, "ml.g6e.2xlarge"), (16, "ml.p4d.24xlarge")])
def test_the_spec_uses_the_same_rule(tp: int, instance: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(
            {
                "name": "ep",
                "role": ROLE,
                "model": {"id": "a/b"},
                "engine": {"tensor_parallel_degree": tp},
                "instance": {"type": instance},
            }
        )
    assert info.value.field == "engine.tensor_parallel_degree" and "GPU(s)" in str(info.value)
