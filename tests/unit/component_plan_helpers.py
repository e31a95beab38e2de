"""Component-endpoint helpers shared by the pure plan tests and the emulator tests: a spec document, its desired
state built offline (no AWS: facts given), and the snapshot in which that desired state is fully deployed."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from deploy.engine.components.desired import ComponentEndpointDesired, build_component_desired
from deploy.engine.components.snapshot import ComponentEndpointSnapshot, ComponentState
from deploy.engine.snapshot import EndpointState
from deploy.engine.spine import Facts, component_models
from tests.unit.component_helpers import ROLE, parsed

ACCOUNT = "123456789012"
BUCKET = f"sagemaker-us-east-1-{ACCOUNT}"


def document(**overrides: Any) -> dict[str, Any]:
    """Two components (one autoscaled to zero) on one ml.g6e.12xlarge; ``overrides`` replace top-level keys."""
    data: dict[str, Any] = {
        "name": "team-llms",
        "region": "us-east-1",
        "role": ROLE,
        "instance": {"type": "ml.g6e.12xlarge", "count": 1},
        "scaling": {"min": 0, "max": 2},
        "components": [
            {
                "name": "qwen",
                "model": {"id": "Qwen/Qwen2.5-7B-Instruct"},
                "engine": {"max_model_len": 8192},
                "copies": 2,
                "scaling": {"min": 0, "max": 4, "metric": "concurrent_requests", "target": 4},
            },
            {"name": "small", "model": {"id": "Qwen/Qwen2.5-1.5B-Instruct"}, "copies": 1},
        ],
    }
    data.update(overrides)
    return data


def with_component(data: dict[str, Any], index: int, **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    out["components"][index].update(changes)
    return out


def desired_of(data: dict[str, Any], region: str | None = None) -> ComponentEndpointDesired:
    """The desired state of a component document, offline (the account and region are given)."""
    spec = parsed(data)
    where = region or spec.region or "us-east-1"
    facts = {c.name: Facts(region=where, account=ACCOUNT) for c in spec.components}
    return build_component_desired(spec, component_models(spec, facts), where)


def policy_arn(name: str) -> str:
    return f"arn:aws:autoscaling:us-east-1:{ACCOUNT}:scalingPolicy:0000:resource/sagemaker/x:policyName/{name}"


def deployed_component(component: Any) -> ComponentState:
    """The IC state AWS reports once ``component`` (a ComponentDesired) is fully applied."""
    scaling = component.scaling
    policies = tuple({**p, "PolicyARN": policy_arn(str(p["PolicyName"]))} for p in scaling.policies) if scaling else ()
    alarm = None
    if scaling is not None and scaling.alarm is not None and scaling.step_policy is not None:
        alarm = {**scaling.alarm, "AlarmActions": [policy_arn(str(scaling.step_policy["PolicyName"]))]}
    return ComponentState(
        name=component.ic_name,
        arn=f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:inference-component/{component.ic_name}",
        status="InService",
        model_name=component.model_name,
        specification=copy.deepcopy(component.specification),
        desired_copies=component.copies,
        current_copies=component.copies,
        tags=dict(component.tags),
        scaling_target=dict(scaling.target) if scaling else None,
        scaling_policies=policies,
        alarm=alarm,
    )


def deployed_adapter(adapter: Any) -> ComponentState:
    """The adapter IC AWS reports once ``adapter`` (an AdapterDesired) is applied: no model, no copies."""
    return ComponentState(
        name=adapter.ic_name,
        arn=f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:inference-component/{adapter.ic_name}",
        status="InService",
        model_name="",
        specification=copy.deepcopy(adapter.specification),
        tags=dict(adapter.tags),
    )


def serving(desired: ComponentEndpointDesired, **changes: Any) -> ComponentEndpointSnapshot:
    """A snapshot in which ``desired`` is fully deployed (optionally altered)."""
    endpoint = EndpointState(
        name=desired.endpoint_name,
        arn=f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/{desired.endpoint_name}",
        status="InService",
        config_name=desired.config_name,
        tags=dict(desired.endpoint_tags),
    )
    uploads = [c.model.artifacts for c in desired.components if c.model.artifacts is not None]
    snapshot = ComponentEndpointSnapshot(
        endpoint_name=desired.endpoint_name,
        endpoint=endpoint,
        config=desired.variant,
        models=tuple(sorted(desired.model_names)),
        configs=(desired.config_name,),
        components=tuple(deployed_component(c) for c in desired.components)
        + tuple(deployed_adapter(a) for c in desired.components for a in c.adapters),
        artifact_digests={u.uri: u.digest for u in uploads},
        bucket_exists={u.bucket: True for u in uploads},
        region="us-east-1",
    )
    return replace(snapshot, **changes)


def empty(desired: ComponentEndpointDesired) -> ComponentEndpointSnapshot:
    return ComponentEndpointSnapshot(desired.endpoint_name, region="us-east-1", bucket_exists={BUCKET: True})


def types(plan: Any) -> list[str]:
    return [a.type for a in plan.actions]


def of(plan: Any, resource: str) -> list[str]:
    """The action types of ``plan`` that touch ``resource`` (or one of its scaling resources)."""
    return [a.type for a in plan.actions if resource in a.resource]
