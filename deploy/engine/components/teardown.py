"""Destroy a component endpoint: everything lmi-deploy made for it, removed in a safe order. Pure.

Order: each component's alarm, policies and scalable target -> every component (and wait until they are gone:
SageMaker refuses to delete an endpoint that still hosts components) -> the endpoint -> uploads -> configs ->
models. Uploads go before the models, whose ``lmi-deploy:artifacts`` tag is how a re-run after a crash still finds
them. Only resources with our tags are candidates (observe filtered them); an endpoint that also hosts components
lmi-deploy did not make is refused, since deleting the endpoint would take those with it.
"""

from __future__ import annotations

from deploy.engine.actions import (
    AnyAction,
    DeleteArtifacts,
    DeleteEndpoint,
    DeleteEndpointConfig,
    DeleteInferenceComponent,
    DeleteModel,
    WaitForDeletion,
    WaitForInferenceComponentDeletion,
)
from deploy.engine.components.plan import deregister
from deploy.engine.components.snapshot import ComponentEndpointSnapshot
from deploy.engine.plan import Plan, _artifact_root, refuse_foreign
from deploy.engine.snapshot import RemoteSnapshot
from deploy.errors import PlanError


def plan_component_destroy(snapshot: ComponentEndpointSnapshot, *, keep_artifacts: bool = False) -> Plan:
    """Everything lmi-deploy made for this component endpoint, removed; nothing left behind."""
    name = snapshot.endpoint_name
    refuse_foreign(RemoteSnapshot(name, endpoint=snapshot.endpoint))
    if snapshot.foreign_components:
        raise PlanError(
            f"endpoint {name} also hosts inference components lmi-deploy did not create: "
            f"{', '.join(snapshot.foreign_components)}; deleting the endpoint would remove them too",
            field="name",
            value=name,
            fix="delete those components first (aws sagemaker delete-inference-component), then run destroy again",
        )
    actions: list[AnyAction] = []
    for state in snapshot.components:
        actions += deregister(state, "destroy: scaling goes first")
    adapters = [s for s in snapshot.components if s.specification.get("BaseInferenceComponentName")]
    bases = [s for s in snapshot.components if s not in adapters]
    for group, why in ((adapters, "destroy: adapters before their base"), (bases, "destroy")):
        actions += [DeleteInferenceComponent(s.name, why) for s in group if s.status != "Deleting"]
        actions += [WaitForInferenceComponentDeletion(s.name, "until deleted", endpoint=name) for s in group]
    if snapshot.endpoint is not None:
        actions += [DeleteEndpoint(name, "destroy"), WaitForDeletion(name, "until deleted")]
    if snapshot.artifact_uri and not keep_artifacts:
        bucket, prefix = _artifact_root(name, snapshot.artifact_uri)
        actions.append(
            DeleteArtifacts(f"s3://{bucket}/{prefix}", "destroy: uploaded artifacts", bucket=bucket, prefix=prefix)
        )
    actions += [DeleteEndpointConfig(c, "destroy") for c in snapshot.configs]
    actions += [DeleteModel(m, "destroy") for m in snapshot.models]
    return Plan(endpoint_name=name, actions=tuple(actions))
