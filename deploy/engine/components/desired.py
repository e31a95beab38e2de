"""The desired state of a component endpoint: every request body apply may send. Pure once the facts are known.

Rule: each component's model comes from the single-model path (``component_view`` -> ``resolved_desired``), so
its CreateModel body, uploads, secret references and content-hashed name are exactly what a single-model endpoint
of that model would get; only its tags change (the real endpoint, and which component it belongs to). The endpoint
config holds capacity only (no model): instance type and count, ManagedInstanceScaling, RoutingConfig, the
execution role. Inference components keep their documented names (``<endpoint>-<component>``); what they point at
(a content-hashed model) and their copy counts are what the plan compares.
"""

from __future__ import annotations

import copy
from dataclasses import field
from typing import TYPE_CHECKING, Any, TypeAlias

from deploy.engine.components.requirements import cold_start_text, requirements_of, weights_bytes
from deploy.engine.components.scaling import ComponentScalingDesired, component_scaling
from deploy.engine.desired import DesiredState, create_endpoint_request, name_config, wait_timeout
from deploy.engine.naming import (
    ARTIFACT_ROOT,
    MAX_NAME_LENGTH,
    TAG_CONTENT_HASH,
    TAG_ENDPOINT,
    TAG_MANAGED,
    VARIANT,
    check_endpoint_name,
    content_hash,
    managed_tags,
    tags_from_list,
    tags_to_list,
)
from deploy.errors import SpecError
from deploy.records import record

if TYPE_CHECKING:
    from deploy.engine.resolve import ResolvedSpec
    from deploy.sizing.copy_resources import CopyRequirements
    from deploy.spec.components import ComponentEndpointSpec, ComponentSpec
    from deploy.spec.model import DeploymentSpec

TAG_COMPONENT = "lmi-deploy:component"
TAG_ADAPTER = "lmi-deploy:adapter"
ROUTING = {"least_outstanding_requests": "LEAST_OUTSTANDING_REQUESTS", "random": "RANDOM"}
ROLLING_MIN_S, ROLLING_MAX_S = 600, 28800  # MaximumExecutionTimeoutInSeconds bounds of the API


class CreateRequestViews:
    """What the plan compares on an inference component, read from its CreateInferenceComponent body.

    Why a mixin: a model component and an adapter are compared with AWS the same way (specification, tags), so
    both answer from their ``create_request`` through one definition.
    """

    create_request: dict[str, Any]

    @property
    def specification(self) -> dict[str, Any]:
        return dict(self.create_request["Specification"])

    @property
    def tags(self) -> dict[str, str]:
        return tags_from_list(self.create_request.get("Tags"))


@record
class AdapterDesired(CreateRequestViews):
    """A LoRA adapter as an adapter inference component on its base (no model, copies or requirements of its own)."""

    name: str
    ic_name: str
    base: str
    create_request: dict[str, Any]


@record
class ComponentDesired(CreateRequestViews):
    """One inference component: its model (as the single-model path built it) and its IC request bodies."""

    name: str
    ic_name: str
    model: DesiredState
    create_request: dict[str, Any]
    requirements: CopyRequirements
    copies: int
    scaling: ComponentScalingDesired | None = None
    cold_start: str | None = None
    adapters: tuple[AdapterDesired, ...] = ()

    @property
    def model_name(self) -> str:
        return self.model.model_name

    @property
    def copies_owned_by_scaling(self) -> bool:
        """With autoscaling, Application Auto Scaling owns the copy count; ``copies`` is only the first count."""
        return self.scaling is not None

    def update_request(self, *, with_copies: bool) -> dict[str, Any]:
        """UpdateInferenceComponent: the new specification, rolled one copy at a time (and the copy count)."""
        timeout = int(min(max(self.model.wait_timeout_s, ROLLING_MIN_S), ROLLING_MAX_S))
        request: dict[str, Any] = {
            "InferenceComponentName": self.ic_name,
            "Specification": copy.deepcopy(self.specification),
            "DeploymentConfig": {
                "RollingUpdatePolicy": {
                    "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
                    "WaitIntervalInSeconds": 0,
                    "MaximumExecutionTimeoutInSeconds": timeout,
                    "RollbackMaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
                }
            },
        }
        if with_copies:
            request["RuntimeConfig"] = {"CopyCount": self.copies}
        return request

    def runtime_request(self) -> dict[str, Any]:
        """UpdateInferenceComponentRuntimeConfig: the copy count only."""
        return {"InferenceComponentName": self.ic_name, "DesiredRuntimeConfig": {"CopyCount": self.copies}}


@record
class ComponentEndpointDesired:
    """What should exist for one component endpoint. Dict fields are request bodies: treat them as read-only."""

    endpoint_name: str
    spec_hash: str
    config_request: dict[str, Any]
    endpoint_tags: dict[str, str]
    components: tuple[ComponentDesired, ...]
    wait_timeout_s: float
    region: str = ""
    variant_name: str = VARIANT
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def config_name(self) -> str:
        return str(self.config_request["EndpointConfigName"])

    @property
    def variant(self) -> dict[str, Any]:
        return dict(self.config_request["ProductionVariants"][0])

    @property
    def instance_type(self) -> str | None:
        return str(self.variant.get("InstanceType"))

    @property
    def model_names(self) -> tuple[str, ...]:
        return tuple(c.model_name for c in self.components)

    @property
    def endpoint_request(self) -> dict[str, Any]:
        return create_endpoint_request(self.endpoint_name, self.config_name, self.endpoint_tags)

    @property
    def update_request(self) -> dict[str, Any]:
        return {"EndpointName": self.endpoint_name, "EndpointConfigName": self.config_name}

    def component(self, ic_name: str) -> ComponentDesired | None:
        return next((c for c in self.components if c.ic_name == ic_name), None)

    @property
    def ic_names(self) -> frozenset[str]:
        """Every inference component this endpoint should host: the components and their adapters."""
        return frozenset(
            [c.ic_name for c in self.components] + [a.ic_name for c in self.components for a in c.adapters]
        )


def component_spec_hash(spec: ComponentEndpointSpec) -> str:
    """A stable 12-hex-digit hash of the component spec's canonical JSON (tagged on the endpoint)."""
    return content_hash(spec.model_dump(mode="json"), length=12)


Built: TypeAlias = "tuple[ResolvedSpec, DesiredState]"


def build_component_desired(
    spec: ComponentEndpointSpec, models: dict[str, Built], region: str
) -> ComponentEndpointDesired:
    """Assemble the desired state. ``models`` maps each component name to its view resolved and built by the
    single-model path (``deploy.engine.spine.resolved_desired`` of :func:`view_of`); ``region`` is the deploy's."""
    endpoint = check_endpoint_name(spec.name)
    spec_hash = component_spec_hash(spec)
    tags = managed_tags(endpoint, spec_hash, dict(spec.tags))
    partition = _partition(region)
    instances_to_zero = spec.scaling is not None and spec.scaling.min == 0
    if instances_to_zero:
        from deploy.engine.components.requirements import check_scale_to_zero_region

        check_scale_to_zero_region(region, partition, "scaling.min")
    check_fit(spec, models)
    components = tuple(
        _component(spec, index, c, models[c.name], (partition, region), instances_to_zero)
        for index, c in enumerate(spec.components)
    )
    config = name_config(endpoint, endpoint_config_body(spec), tags)
    return ComponentEndpointDesired(
        endpoint_name=endpoint,
        spec_hash=spec_hash,
        config_request=config,
        endpoint_tags=tags,
        components=components,
        wait_timeout_s=wait_timeout(
            spec.instance.startup_health_check_timeout_s, spec.instance.model_data_download_timeout_s
        ),
        region=region,
    )


def check_fit(spec: ComponentEndpointSpec, models: dict[str, Built]) -> None:
    """Refuse (SpecError, exit 2, with the numbers) copies that cannot be placed on the endpoint's instances: the
    placement estimator's rule, on the views this plan already resolved."""
    from deploy.sizing.component_fit import ComponentFit, fit_of, max_instances_of
    from deploy.spec.components import inference_component_name

    fits = []
    for component in spec.components:
        resolved = models[component.name][0]
        low, high = (component.scaling.min, component.scaling.max) if component.scaling else (component.copies,) * 2
        fits.append(ComponentFit(component.name, inference_component_name(spec, component),
                                 requirements_of(resolved), resolved, low, component.copies, high))  # fmt: skip
    fit_of(spec, tuple(fits), spec.instance.type, max_instances_of(spec)).raise_if_refused()


def _partition(region: str) -> str:
    from deploy.catalog import region_info

    return region_info(region).partition


def endpoint_config_body(spec: ComponentEndpointSpec) -> dict[str, Any]:
    """CreateEndpointConfig for inference components: capacity only, the execution role on the config."""
    low, high = (spec.scaling.min, spec.scaling.max) if spec.scaling else (spec.instance.count, spec.instance.count)
    variant: dict[str, Any] = {
        "VariantName": VARIANT,
        "InstanceType": spec.instance.type,
        "InitialInstanceCount": spec.instance.count,
        "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": low, "MaxInstanceCount": high},
        "RoutingConfig": {"RoutingStrategy": ROUTING[spec.routing]},
    }
    if spec.instance.volume_size_gb is not None:
        variant["VolumeSizeInGB"] = spec.instance.volume_size_gb
    body: dict[str, Any] = {"ExecutionRoleArn": spec.role, "ProductionVariants": [variant]}
    if spec.security.kms_key_id:
        body["KmsKeyId"] = spec.security.kms_key_id
    if spec.security.vpc.subnets:
        body["VpcConfig"] = {
            "Subnets": list(spec.security.vpc.subnets),
            "SecurityGroupIds": list(spec.security.vpc.security_groups),
        }
    if spec.security.network_isolation:
        body["EnableNetworkIsolation"] = True
    return body


def view_of(spec: ComponentEndpointSpec, component: ComponentSpec) -> DeploymentSpec:
    """The component as a single-model spec, its uploads under ``<endpoint prefix>/<component>/`` so that
    destroying the endpoint removes one folder."""
    from deploy.spec.components import component_view

    view = component_view(spec, component)
    root = (spec.artifacts.prefix or f"{ARTIFACT_ROOT}/{spec.name}").strip("/")
    artifacts = view.artifacts.model_copy(update={"prefix": f"{root}/{component.name}"})
    return view.model_copy(update={"artifacts": artifacts})


def _component(
    spec: ComponentEndpointSpec,
    index: int,
    component: ComponentSpec,
    built: Built,
    where: tuple[str, str],
    instances_to_zero: bool,
) -> ComponentDesired:
    from deploy.spec.components import inference_component_name

    ic = _checked_name(inference_component_name(spec, component), index, component.name)
    resolved, model = built
    model = _retagged(model, spec.name, component.name)
    requirements = requirements_of(resolved)
    scaling = component_scaling(ic, component.scaling, where[0], where[1], index)
    to_zero = component.scaling is not None and component.scaling.min == 0
    cold = cold_start_text(weights_bytes(resolved), instances_to_zero=instances_to_zero) if to_zero else None
    body = {
        "InferenceComponentName": ic,
        "EndpointName": spec.name,
        "VariantName": VARIANT,
        "Specification": {
            "ModelName": model.model_name,
            "StartupParameters": {
                "ModelDataDownloadTimeoutInSeconds": spec.instance.model_data_download_timeout_s,
                "ContainerStartupHealthCheckTimeoutInSeconds": spec.instance.startup_health_check_timeout_s,
            },
            "ComputeResourceRequirements": requirements.to_request(),
        },
        "RuntimeConfig": {"CopyCount": component.copies},
        "Tags": tags_to_list(_ic_tags(spec, component)),
    }
    adapters = tuple(_adapter(spec, index, number, ic, adapter) for number, adapter in enumerate(component.adapters))
    return ComponentDesired(component.name, ic, model, body, requirements, component.copies, scaling, cold, adapters)


def _adapter(spec: ComponentEndpointSpec, index: int, number: int, base: str, adapter: Any) -> AdapterDesired:
    """CreateInferenceComponent of an adapter: ``<base IC>-<adapter>``, its S3 weights, on the base's model."""
    from deploy.spec.component_views import adapter_component_name

    name = adapter_component_name(spec, spec.components[index], adapter.name)
    if len(name) > MAX_NAME_LENGTH:
        raise SpecError(
            f"adapter inference component name {name!r} is {len(name)} characters; SageMaker allows {MAX_NAME_LENGTH}",
            field=f"components[{index}].adapters[{number}].name",
            value=adapter.name,
            fix="shorten the adapter, component or endpoint name",
        )
    tags = {**_ic_tags(spec, spec.components[index]), TAG_ADAPTER: adapter.name}
    body = {
        "InferenceComponentName": name,
        "EndpointName": spec.name,
        "VariantName": VARIANT,
        "Specification": {"BaseInferenceComponentName": base, "Container": {"ArtifactUrl": adapter.source}},
        "Tags": tags_to_list(tags),
    }
    return AdapterDesired(adapter.name, name, base, body)


def _checked_name(ic: str, index: int, component: str) -> str:
    if len(ic) > MAX_NAME_LENGTH:
        raise SpecError(
            f"inference component name {ic!r} is {len(ic)} characters; SageMaker allows {MAX_NAME_LENGTH}",
            field=f"components[{index}].name",
            value=component,
            fix="shorten the component name or the endpoint name",
        )
    return ic


def _ic_tags(spec: ComponentEndpointSpec, component: ComponentSpec) -> dict[str, str]:
    """No spec hash on an IC: a change to another component must not retag this one."""
    return {**spec.tags, TAG_MANAGED: "true", TAG_ENDPOINT: spec.name, TAG_COMPONENT: component.name}


def _retagged(model: DesiredState, endpoint: str, component: str) -> DesiredState:
    """The view's model names the IC as its endpoint; a component's model belongs to the real endpoint."""
    from dataclasses import replace

    request = copy.deepcopy(model.model_request)
    tags = tags_from_list(request.get("Tags"))
    tags.update({TAG_ENDPOINT: endpoint, TAG_COMPONENT: component})
    assert TAG_CONTENT_HASH in tags
    request["Tags"] = tags_to_list(tags)
    return replace(model, model_request=request)
