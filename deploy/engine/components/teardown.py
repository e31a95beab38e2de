"""Destroy a component endpoint: everything lmi-deploy made for it, removed in a safe order. Pure.

Order: each component's alarm, policies and scalable target -> every component (and wait until they are gone:
SageMaker refuses to delete an endpoint that still hosts components) -> the endpoint -> uploads -> configs ->
models. Uploads go before the models, whose ``lmi-deploy:artifacts`` tag is how a re-run after a crash still finds
them. Only resources with our tags are candidates (observe filtered them).

Decision: an endpoint that also hosts inference components lmi-deploy did not make (added by hand, or by another
tool) is refused before anything is deleted, exit 2 (:class:`~deploy.errors.ForeignResourceError`). Deleting the
endpoint would take those components with it, and deleting only our components would leave the endpoint, its
config and its instances running (and billed) under our tags for someone else's component: a half-destroyed
endpoint nobody asked for. So nothing is touched; the message names every foreign IC with the command that
removes it, and a re-run after that destroys everything.
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
from deploy.errors import ForeignResourceError


def plan_component_destroy(snapshot: ComponentEndpointSnapshot, *, keep_artifacts: bool = False) -> Plan:
    """Everything lmi-deploy made for this component endpoint, removed; nothing left behind."""
    name = snapshot.endpoint_name
    refuse_foreign(RemoteSnapshot(name, endpoint=snapshot.endpoint))
    refuse_foreign_components(snapshot)
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


def refuse_foreign_components(snapshot: ComponentEndpointSnapshot) -> None:
    """Refuse (deleting nothing) when the endpoint hosts ICs lmi-deploy did not create; see the module decision."""
    foreign = snapshot.foreign_components
    if not foreign:
        return
    name = snapshot.endpoint_name
    region = f" --region {snapshot.region}" if snapshot.region else ""
    commands = "; ".join(
        f"aws sagemaker delete-inference-component --inference-component-name {ic}{region}" for ic in foreign
    )
    raise ForeignResourceError(
        f"endpoint {name} also hosts {len(foreign)} inference component(s) lmi-deploy did not create: "
        f"{', '.join(foreign)}; destroying the endpoint would delete them too, so nothing was deleted",
        field="name",
        value=name,
        fix=f"delete them yourself if they are no longer needed ({commands}), then run lmi destroy {name} again",
    )
