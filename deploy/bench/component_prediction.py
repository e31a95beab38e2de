"""The performance model's setup for one inference component (``lmi bench --component``).

Why it can be predicted like a single model: AWS gives every copy of a component its own
``NumberOfAcceleratorDevicesRequired`` GPUs, so a copy's engine does not share GPU memory or compute with the other
components on the instance; what it shares (host CPU cores, PCIe, the instance's network) the model does not
count, and the note says so. The setup is read from what the component serves: DescribeInferenceComponent gives
its model and current copies (an adapter is predicted as its base: the LoRA matmuls are not modelled), and that
model's LMI options (serving.properties under its S3 prefix, then ``OPTION_*``) give the model id, the
tensor-parallel degree and the limits, read as for a single-model endpoint. Each concurrency level C spreads over
the component's copies: every copy runs ceil(C / copies) streams.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from deploy.errors import LmiError

if TYPE_CHECKING:
    from deploy.bench.prediction import Setup
    from deploy.bench.runner import BenchConfig
    from deploy.invoke.endpoint import Endpoint

SHARED_NOTE = (
    "each copy has its own GPUs; the host CPU, PCIe and network it shares with the endpoint's other components "
    "are not modelled"
)


def component_setup(endpoint: Endpoint, config: BenchConfig) -> Setup:
    """Setup for the component ``config.component`` (best effort: a note instead when something is unknown)."""
    from deploy.bench.prediction import Setup

    name = str(config.component)
    if not config.instance_type:
        return Setup(note="no prediction: the endpoint's instance type is unknown (pass --instance-type)")
    try:
        model, copies, adapter_of = _served_model(endpoint, name)
        if not copies:
            return Setup(instance_type=config.instance_type, note=f"no prediction: {name} has no copies running")
        options, model_data = _model_options(endpoint, model)
        return _component_sized(endpoint, config, options, model_data, copies, adapter_of)
    except LmiError as exc:
        return Setup(instance_type=config.instance_type, note=f"no prediction: {exc.message}")
    except ValueError as exc:  # an option the estimator cannot read
        return Setup(instance_type=config.instance_type, note=f"no prediction: {exc}")


def _component_sized(
    endpoint: Endpoint,
    config: BenchConfig,
    options: dict[str, str],
    model_data: str | None,
    copies: int,
    adapter_of: str | None,
) -> Setup:
    from deploy.bench.prediction import Setup, _shape, _sized

    model = options.get("option.model_id")
    setup = _sized(Setup(model, config.instance_type, 1, shape=_shape(endpoint, model, model_data)), options)
    if not setup.usable:
        return setup
    note = SHARED_NOTE + (f"; adapter of {adapter_of}, predicted as its base" if adapter_of else "")
    return replace(setup, copies=copies, copies_per_instance=None, note=note)


def _served_model(endpoint: Endpoint, name: str) -> tuple[str, int, str | None]:
    """(the model the component's copies run, its current copies, the base IC when it is an adapter)."""
    from deploy.aws.sagemaker import SageMakerGateway
    from deploy.errors import NotFoundError

    sm = SageMakerGateway(endpoint.gateway.context)
    described = _described(sm, name)
    spec = described.get("Specification") or {}
    base = spec.get("BaseInferenceComponentName")
    if base:
        described = _described(sm, str(base))
        spec = described.get("Specification") or {}
    model = spec.get("ModelName")
    if not model:
        raise NotFoundError(f"inference component {name} names no model", field="component")
    runtime = described.get("RuntimeConfig") or {}
    copies = runtime.get("CurrentCopyCount", runtime.get("DesiredCopyCount")) or 0
    return str(model), int(copies), str(base) if base else None


def _described(sm: Any, name: str) -> dict[str, Any]:
    from deploy.errors import NotFoundError

    described: dict[str, Any] | None = sm.describe_inference_component(name)
    if described is None:
        raise NotFoundError(f"inference component {name} does not exist", field="component", value=name)
    return described


def _model_options(endpoint: Endpoint, model: str) -> tuple[dict[str, str], str | None]:
    """The LMI options the component's container reads, and its model's S3 prefix (as for a variant's model)."""
    from deploy.bench.prediction import served_options
    from deploy.engine.snapshot import EndpointState

    state = EndpointState(endpoint.name, "", "", "")
    return served_options(endpoint, state, {"ProductionVariants": [{"ModelName": model}]})
