"""GPU-to-GPU interconnect: the communication buffers vLLM keeps on every GPU at tensor parallelism > 1.

Rule: the buffers depend on how the GPUs are linked, so the catalog's ``interconnect`` per GPU (``nvlink`` or
``pcie``), or ``--interconnect`` for hardware given by ``--gpu-memory-mib``, decides the figure. Sources
(vllm-project/vllm, v0.8.4): ``vllm/distributed/device_communicators/custom_all_reduce.py`` turns the custom
all-reduce off beyond two GPUs that are not fully NVLink-connected and registers an 8 MiB buffer plus IPC metadata
where it is on; ``pynccl.py`` and torch's NCCL process groups allocate NCCL's channel buffers, and NCCL opens many
more channels (and NVLink SHARP buffers on NVSwitch) over NVLink than over PCIe. vLLM's profile counts all of it
as non-torch memory. The figures are fitted (``python benchmarks/fit_accuracy.py --fit``, calibration rows only):
~1.8 GiB per GPU on NVLink/NVSwitch (vLLM 0.6.5 and 0.19 logs on H100 at tp 2-4) and ~0.6 GiB over PCIe (a vLLM
0.8.4 log at tp=2 on 24 GB PCIe cards); the custom all-reduce buffers (< 0.05 GiB) are inside both figures.
"""

from __future__ import annotations

from typing import Literal

from deploy.errors import UsageError

Interconnect = Literal["nvlink", "pcie"]
GIB = 1024**3
NVLINK_COMM_BYTES = 1.85 * GIB
PCIE_COMM_BYTES = 0.6 * GIB
INTERCONNECTS: tuple[Interconnect, ...] = ("nvlink", "pcie")


def parse_interconnect(text: str | None) -> bool | None:
    """``--interconnect`` -> Hardware.nvlink: True for nvlink, False for pcie, None when not given."""
    if text is None or text == "":
        return None
    name = text.strip().lower()
    if name not in INTERCONNECTS:
        raise UsageError(
            f"interconnect={text!r} is not a GPU interconnect",
            field="interconnect",
            value=text,
            fix="use --interconnect nvlink (SXM boards: p4d/p5) or --interconnect pcie (g5/g6/g6e)",
        )
    return name == "nvlink"


def comm_buffer_bytes(tp: int, nvlink: bool | None) -> float:
    """Communication buffers per GPU at this tensor-parallel degree (0 at tp=1).

    An unknown interconnect gets the NVLink figure, the larger one: a false "fits" costs a failed deployment.
    """
    if tp <= 1:
        return 0.0
    return PCIE_COMM_BYTES if nvlink is False else NVLINK_COMM_BYTES


def label(nvlink: bool | None) -> str:
    return "unknown (sized as NVLink)" if nvlink is None else ("NVLink" if nvlink else "PCIe")
