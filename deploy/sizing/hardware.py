"""Hardware: GPU memory as vLLM will see it, for a catalog instance type or any card given by memory and
count.

Rule: plan from the memory the driver reports (nvidia-smi MiB, as the catalog stores it), minus what torch
cannot see. torch's ``mem_get_info`` total is below nvidia-smi's figure by about 0.45 GiB on every card in
the calibration set (H100 81,559 MiB -> 79.19 GiB, A100-40GB 40,960 MiB -> 39.50 GiB, A10 23,028 MiB ->
22.06 GiB, RTX 3090 24,576 MiB -> 23.58 GiB, L40S 46,068 MiB -> 44.52 GiB); we subtract 0.47 GiB, the upper
end.
"""

from __future__ import annotations

from deploy.errors import UsageError
from deploy.records import record

MIB = 1024**2
GIB = 1024**3
DRIVER_RESERVED_BYTES = int(0.47 * GIB)
# Far above any real host (8 GPUs per SageMaker instance, 72 in an NVLink rack; 288 GB per GPU today), low enough
# that a typo such as --gpus 99999999999 is refused at once instead of sizing for minutes (the tensor-parallel
# degrees are tried one by one up to the GPU count).
MAX_GPUS = 1024
MAX_GPU_MEMORY_MIB = 1024 * 1024  # 1 TiB per GPU


@record
class Hardware:
    """GPUs of one instance (or one host): per-GPU memory, count, and what the catalog knows about them."""

    gpu_memory_mib: int
    gpu_count: int = 1
    name: str = "custom"
    gpu_name: str = "GPU"
    compute_capability: float | None = None
    fp8: bool | None = None
    bf16: bool | None = None
    price_per_hour: float | None = None
    torch_total_bytes: int | None = None
    nvlink: bool | None = None  # None = unknown (sized like NVLink, the larger communication buffers)

    def __post_init__(self) -> None:
        if self.gpu_memory_mib <= 0:
            raise UsageError(
                f"gpu_memory_mib={self.gpu_memory_mib} must be positive",
                field="gpu_memory_mib",
                value=self.gpu_memory_mib,
                fix="pass the per-GPU memory nvidia-smi reports, in MiB",
            )
        if self.gpu_count <= 0:
            raise UsageError(
                f"gpus={self.gpu_count} must be positive",
                field="gpus",
                value=self.gpu_count,
                fix="pass the number of GPUs (>= 1)",
            )
        if self.gpu_count > MAX_GPUS:
            raise UsageError(
                f"gpus={self.gpu_count:,} is more GPUs than one host holds (at most {MAX_GPUS:,} here)",
                field="gpus",
                value=self.gpu_count,
                fix="pass the GPUs of one instance (--gpus); an endpoint of several instances is sized per instance",
            )
        if self.gpu_memory_mib > MAX_GPU_MEMORY_MIB:
            raise UsageError(
                f"gpu_memory_mib={self.gpu_memory_mib:,} is more than any GPU has "
                f"(at most {MAX_GPU_MEMORY_MIB:,} here)",
                field="gpu_memory_mib",
                value=self.gpu_memory_mib,
                fix="pass the per-GPU memory nvidia-smi reports, in MiB (--gpu-memory-mib), e.g. 81559 for an H100",
            )

    @property
    def visible_bytes(self) -> int:
        """Per-GPU total as torch reports it (the base of gpu_memory_utilization)."""
        if self.torch_total_bytes is not None:
            return self.torch_total_bytes
        return max(0, self.gpu_memory_mib * MIB - DRIVER_RESERVED_BYTES)

    @property
    def label(self) -> str:
        if self.name == "custom":
            return f"{self.gpu_count} x {self.gpu_memory_mib:,} MiB {self.gpu_name}"
        return f"{self.name} ({self.gpu_count} x {self.gpu_name} {self.gpu_memory_mib:,} MiB)"

    @classmethod
    def from_instance(cls, name: str) -> Hardware:
        """Hardware of a catalog instance type (SpecError with suggestions for unknown names)."""
        from deploy import catalog

        inst = catalog.get_instance(name)
        gpu = inst.gpu
        return cls(
            gpu_memory_mib=int(gpu.memory_mib),
            gpu_count=int(inst.gpu_count),
            name=inst.name,
            gpu_name=gpu.name,
            compute_capability=float(gpu.compute_capability),
            fp8=bool(gpu.fp8),
            bf16=bool(gpu.bf16),
            price_per_hour=inst.price_per_hour,
            nvlink=str(gpu.interconnect).lower() == "nvlink",  # the catalog says per GPU: nvlink or pcie
        )
