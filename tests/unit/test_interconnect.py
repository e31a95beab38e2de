"""Interconnect (deploy/sizing/interconnect.py): NVLink vs PCIe communication buffers per GPU at tp > 1, taken from
the catalog's ``interconnect`` field per instance, or from ``--interconnect`` for ``--gpu-memory-mib`` hardware."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from deploy import catalog
from deploy.cli import build_app
from deploy.errors import UsageError
from deploy.sizing import EngineParams, Hardware, load_shape
from deploy.sizing.budget import compute_budget
from deploy.sizing.interconnect import NVLINK_COMM_BYTES, PCIE_COMM_BYTES, comm_buffer_bytes, parse_interconnect

GIB = 1024**3
runner = CliRunner()


@pytest.mark.parametrize("nvlink", [True, False, None])
def test_no_buffers_at_tp1(nvlink: bool | None) -> None:
    assert comm_buffer_bytes(1, nvlink) == 0.0


@pytest.mark.parametrize("tp", [2, 4, 8])
def test_buffers_by_interconnect(tp: int) -> None:
    assert comm_buffer_bytes(tp, False) == 0.6 * GIB == PCIE_COMM_BYTES
    assert comm_buffer_bytes(tp, True) == 1.85 * GIB == NVLINK_COMM_BYTES
    assert comm_buffer_bytes(tp, None) == NVLINK_COMM_BYTES  # unknown: the larger figure


@pytest.mark.parametrize("instance", [i.name for i in catalog.instances()])
def test_every_catalog_instance_takes_its_interconnect_from_the_catalog(instance: str) -> None:
    inst = catalog.get_instance(instance)
    assert Hardware.from_instance(instance).nvlink is (inst.gpu.interconnect == "nvlink")


@pytest.mark.parametrize(("instance", "nvlink"), [("ml.g6.12xlarge", False), ("ml.g5.12xlarge", False),
                                                   ("ml.p4d.24xlarge", True), ("ml.p5.48xlarge", True)])  # fmt: skip
def test_known_instances(instance: str, nvlink: bool) -> None:
    assert Hardware.from_instance(instance).nvlink is nvlink


def test_tp2_on_l4_gets_the_pcie_figure() -> None:
    # ml.g6.12xlarge: 4 x L4; at tp=2 the non-torch memory is 0.3 GiB base + 0.6 GiB PCIe buffers = 0.9 GiB
    shape = load_shape("Qwen/Qwen2.5-7B-Instruct")
    b = compute_budget(shape, Hardware.from_instance("ml.g6.12xlarge"), EngineParams(tensor_parallel_degree=2))
    assert b.non_torch_bytes == pytest.approx(0.9 * GIB)
    nvlink = Hardware(gpu_memory_mib=23034, gpu_count=4, gpu_name="L4", nvlink=True)
    assert compute_budget(shape, nvlink, EngineParams(tensor_parallel_degree=2)).non_torch_bytes == pytest.approx(
        2.15 * GIB
    )


@pytest.mark.parametrize(("text", "value"), [("nvlink", True), ("NVLink", True), ("pcie", False), (" PCIE ", False),
                                             (None, None), ("", None)])  # fmt: skip
def test_parse_interconnect(text: str | None, value: bool | None) -> None:
    assert parse_interconnect(text) is value


@pytest.mark.parametrize("text", ["infiniband", "nvswitch", "pci", "1"])
def test_parse_interconnect_refuses_other_names(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_interconnect(text)
    assert info.value.field == "interconnect" and "--interconnect" in (info.value.fix or "")


def _size(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(build_app(), ["size", "Qwen/Qwen2.5-7B-Instruct", *args])


def test_cli_interconnect_changes_the_tp2_estimate() -> None:
    common = ("--gpu-memory-mib", "23034", "--gpus", "2", "--tp", "2", "--max-model-len", "4096", "--json")
    pcie, nvlink, unknown = (_size(*common, "--interconnect", "pcie"), _size(*common, "--interconnect", "nvlink"),
                             _size(*common))  # fmt: skip
    for result in (pcie, nvlink, unknown):
        assert result.exit_code == 0, result.output
    p, n, u = (json.loads(r.stdout) for r in (pcie, nvlink, unknown))
    assert p["non_torch_bytes_per_gpu"] == pytest.approx(0.9 * GIB, rel=1e-6)
    assert n["non_torch_bytes_per_gpu"] == pytest.approx(2.15 * GIB, rel=1e-6)
    assert u["non_torch_bytes_per_gpu"] == n["non_torch_bytes_per_gpu"]
    assert p["kv_cache_tokens"] > n["kv_cache_tokens"]


def _main_exit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    from deploy.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["size", "Qwen/Qwen2.5-7B-Instruct", *args])
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out + captured.err


@pytest.mark.parametrize("value", ["infiniband", "ethernet"])
def test_cli_bad_interconnect_exits_2_naming_the_flag(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _main_exit(capsys, "--gpu-memory-mib", "23034", "--interconnect", value)
    assert code == 2
    assert "interconnect" in output and value in output and "Traceback" not in output
    assert "--interconnect nvlink" in output  # the fix names the accepted values


def test_cli_interconnect_with_an_instance_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _main_exit(capsys, "--instance", "ml.g6.12xlarge", "--interconnect", "pcie")
    assert code == 2 and "--interconnect" in output and "catalog" in output
