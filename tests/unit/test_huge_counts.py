"""Counts far beyond anything real are refused at once (exit 2, the field, the fix) instead of driving work
proportional to them: ``--gpus 99999999999`` tried every tensor-parallel degree up to it (minutes),
``--concurrency 100000`` started a thread per stream until "can't start new thread" (a traceback after 25 s), and
``--input-tokens 999999999`` built a gigabyte prompt in memory."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deploy.bench.runner import MAX_CONCURRENCY, MAX_TOKENS, BenchConfig
from deploy.cli import main
from deploy.errors import UsageError
from deploy.sizing.hardware import MAX_GPU_MEMORY_MIB, MAX_GPUS, Hardware

HUGE = st.integers(min_value=1, max_value=10**30)


@given(gpus=st.integers(min_value=MAX_GPUS + 1, max_value=10**30))
def test_more_gpus_than_a_host_holds_is_refused(gpus: int) -> None:
    with pytest.raises(UsageError) as refused:
        Hardware(gpu_memory_mib=81559, gpu_count=gpus)
    assert refused.value.field == "gpus"
    assert refused.value.value == gpus
    assert "--gpus" in (refused.value.fix or "")


@given(mib=st.integers(min_value=MAX_GPU_MEMORY_MIB + 1, max_value=10**30))
def test_more_memory_than_a_gpu_has_is_refused(mib: int) -> None:
    with pytest.raises(UsageError) as refused:
        Hardware(gpu_memory_mib=mib, gpu_count=1)
    assert refused.value.field == "gpu_memory_mib"


@given(gpus=st.integers(min_value=1, max_value=MAX_GPUS), mib=st.integers(min_value=1, max_value=MAX_GPU_MEMORY_MIB))
def test_every_count_up_to_the_bounds_is_accepted(gpus: int, mib: int) -> None:
    assert Hardware(gpu_memory_mib=mib, gpu_count=gpus).gpu_count == gpus


@settings(max_examples=60)
@given(levels=st.lists(HUGE, min_size=1, max_size=4))
def test_closed_loop_levels_are_bounded(levels: list[int]) -> None:
    if max(levels) <= MAX_CONCURRENCY:
        assert BenchConfig(concurrency=tuple(levels)).concurrency == tuple(levels)
        return
    with pytest.raises(UsageError) as refused:
        BenchConfig(concurrency=tuple(levels))
    assert refused.value.field == "--concurrency"
    assert f"{MAX_CONCURRENCY:,}" in (refused.value.fix or "")


@settings(max_examples=60)
@given(field=st.sampled_from(["input_tokens", "output_tokens"]), tokens=HUGE)
def test_prompt_and_output_lengths_are_bounded(field: str, tokens: int) -> None:
    if tokens <= MAX_TOKENS:
        assert getattr(BenchConfig(**{field: tokens}), field) == tokens
        return
    with pytest.raises(UsageError) as refused:
        BenchConfig(**{field: tokens})
    assert refused.value.field == "--" + field.replace("_", "-")


@pytest.mark.parametrize(
    "flags",
    [
        ["--gpu-memory-mib", "80000", "--gpus", "99999999999"],
        ["--gpu-memory-mib", "80000", "--gpus", str(MAX_GPUS + 1)],
        ["--gpu-memory-mib", "99999999999999999999", "--gpus", "1"],
    ],
)
def test_lmi_size_refuses_huge_hardware_in_a_moment(flags: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    with pytest.raises(SystemExit) as exited:
        main(["size", "Qwen/Qwen2.5-7B-Instruct", *flags, "--json"])
    out = capsys.readouterr().out
    assert exited.value.code == 2
    assert time.monotonic() - started < 20  # it used to run for minutes
    error = json.loads(out)
    assert error["field"] in {"gpus", "gpu_memory_mib"}
    assert error["fix"]
