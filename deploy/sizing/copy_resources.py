"""What one copy of an inference component needs: accelerators, GPU memory, host memory and CPU cores.

Rules (ours; the task left them to us, docs/components.md explains them):

- Accelerators: the component's tensor-parallel degree, resolved exactly as for a single-model spec on the same
  instance type (the smallest degree that fits, unless the engine block sets one). SageMaker gives a copy whole
  devices; two copies never share a GPU.
- GPU memory: what vLLM takes of each of those GPUs (``gpu_memory_utilization`` of the total torch sees, plus the
  CUDA-graph pool when that vLLM version captures graphs outside the budget), times the degree. With an S3 model
  whose shape is unknown offline, the whole GPUs are counted.
- Host memory (``MinMemoryRequiredInMb``): one copy is one LMI container: the DJL Serving front end (a JVM) and
  LMI's Python engine process, ``HOST_BASE_MIB``, plus one vLLM worker per tensor-parallel rank (torch, the CUDA
  runtime and its host-side context, pinned transfer buffers), ``HOST_PER_RANK_MIB`` each, plus vLLM's CPU swap
  space (``swap_space``, 4 GiB per GPU by default) when the V0 engine is used (V1 does not swap). The weights are
  not counted: safetensors are memory-mapped and stream to the GPU through the page cache, which the kernel
  reclaims. These are estimates of resident memory, with a margin, not measurements of every model.
- CPU cores (``NumberOfCpuCoresRequired``): ``CPU_BASE_CORES`` for the front end and the engine's scheduling loop
  plus one core per rank (each vLLM worker process keeps one busy feeding its GPU).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deploy.records import record

if TYPE_CHECKING:
    from deploy.engine.resolve import ResolvedSpec
    from deploy.sizing.shape import ModelShape
    from deploy.spec.model import DeploymentSpec

MIB = 1024**2
HOST_BASE_MIB = 2048
HOST_PER_RANK_MIB = 3072
V0_SWAP_MIB_PER_RANK = 4096
CPU_BASE_CORES = 2.0
CPU_CORES_PER_RANK = 1.0


@record
class CopyRequirements:
    """The resources one copy of a component needs, and why (``reasoning``: one line per figure)."""

    accelerators: int  # NumberOfAcceleratorDevicesRequired = the component's tensor-parallel degree
    memory_mib: int  # MinMemoryRequiredInMb: host memory one copy needs
    cpu_cores: float  # NumberOfCpuCoresRequired
    gpu_memory_mib: int  # GPU memory one copy takes (its share of every GPU it uses), for placement
    reasoning: tuple[str, ...]
    instance_type: str = ""
    model_id: str = ""

    def to_request(self) -> dict[str, Any]:
        """The ``ComputeResourceRequirements`` body of CreateInferenceComponent (AWS field names and types)."""
        return {
            "NumberOfAcceleratorDevicesRequired": float(self.accelerators),
            "NumberOfCpuCoresRequired": float(self.cpu_cores),
            "MinMemoryRequiredInMb": int(self.memory_mib),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance_type": self.instance_type,
            "model_id": self.model_id,
            "accelerators": self.accelerators,
            "gpu_memory_mib": self.gpu_memory_mib,
            "memory_mib": self.memory_mib,
            "cpu_cores": self.cpu_cores,
            "reasoning": list(self.reasoning),
            "request": self.to_request(),
        }


def copy_requirements(view: DeploymentSpec, shape: ModelShape | None = None) -> CopyRequirements:
    """Size one copy of the component that ``view`` (:func:`~deploy.spec.components.component_view`) describes.

    ``shape`` skips the model look-up (the Hub flow of :func:`deploy.engine.resolve.find_shape` otherwise); a
    component that does not fit its GPUs raises the estimator's FitError, as ``lmi size`` would.
    """
    from deploy.engine.resolve import resolve

    return requirements_of(resolve(view, shape=shape))


def requirements_of(resolved: ResolvedSpec) -> CopyRequirements:
    """The requirements of an already resolved component view (no second estimate)."""
    tp = resolved.tensor_parallel_degree
    gpu_mib, gpu_why = _gpu_memory(resolved, tp)
    memory_mib, memory_why = _host_memory(resolved, tp)
    cores = CPU_BASE_CORES + CPU_CORES_PER_RANK * tp
    reasoning = (
        f"accelerators={tp}: the tensor-parallel degree (one whole GPU per rank, all on one instance)",
        gpu_why,
        memory_why,
        f"cpu_cores={cores:g}: {CPU_BASE_CORES:g} for the front end and engine loop + "
        f"{CPU_CORES_PER_RANK:g} per rank x {tp}",
    )
    return CopyRequirements(
        accelerators=tp,
        memory_mib=memory_mib,
        cpu_cores=cores,
        gpu_memory_mib=gpu_mib,
        reasoning=reasoning,
        instance_type=resolved.spec.instance.type,
        model_id=resolved.spec.model.id,
    )


def _gpu_memory(resolved: ResolvedSpec, tp: int) -> tuple[int, str]:
    est = resolved.estimate
    if est is None:
        from deploy import catalog

        per_gpu = int(catalog.get_instance(resolved.spec.instance.type).gpu_memory_mib)
        return tp * per_gpu, f"gpu_memory={tp} x {per_gpu:,} MiB: model shape unknown offline, whole GPUs counted"
    outside = 0 if est.cuda_graph_in_budget else est.cuda_graph_bytes_per_gpu
    per_gpu = -(-(est.budget_bytes_per_gpu + outside) // MIB)
    graphs = f" + {outside / MIB:,.0f} MiB CUDA graphs outside it" if outside else ""
    return tp * per_gpu, (
        f"gpu_memory={tp} x {per_gpu:,} MiB: vLLM's budget (gpu_memory_utilization "
        f"{est.gpu_memory_utilization:g} of {est.total_bytes_per_gpu / MIB:,.0f} MiB){graphs} on each GPU"
    )


def _host_memory(resolved: ResolvedSpec, tp: int) -> tuple[int, str]:
    from deploy.sizing.params import vllm_engine

    swap = V0_SWAP_MIB_PER_RANK if vllm_engine(resolved.spec.engine.env) == "v0" else 0
    total = HOST_BASE_MIB + tp * (HOST_PER_RANK_MIB + swap)
    swap_text = f" + {swap:,} MiB V0 swap space" if swap else ""
    return total, (
        f"memory={total:,} MiB: {HOST_BASE_MIB:,} MiB front end and engine process + {tp} rank(s) x "
        f"({HOST_PER_RANK_MIB:,} MiB vLLM worker{swap_text}); weights are memory-mapped, not held in host memory"
    )
