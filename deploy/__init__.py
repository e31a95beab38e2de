"""lmi-deploy: put large language models on Amazon SageMaker with the LMI v15 (vLLM) container.

The Python API mirrors the CLI. Names are imported lazily so ``import deploy`` stays cheap (no boto3, no jinja2):

    import deploy
    spec = deploy.load_spec("qwen.yaml")
    print(deploy.size(spec))                 # will it fit? (no AWS call)
    client = deploy.Client(region="us-east-1")
    plan = client.plan(spec)                 # what would change (read-only AWS calls)
    client.apply(plan)                       # make it so

The names below are the stable surface; modules under ``deploy.*`` are implementation and may move.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from deploy._version import __version__

if TYPE_CHECKING:  # what type checkers and editors see; at run time each name is imported on first use
    from deploy.client import (
        Client,
        apply,
        destroy,
        list_endpoints,
        plan,
        recommend,
        recommend_components,
        scale,
        size,
        size_components,
        status,
    )
    from deploy.engine.resolve import ResolvedSpec
    from deploy.errors import EndpointNotFoundError, FitError, LmiError, SpecError, UsageError
    from deploy.invoke.endpoint import Endpoint
    from deploy.spec.components import ComponentEndpointSpec
    from deploy.spec.loader import load_any_spec, load_spec, parse_any_spec, parse_spec
    from deploy.spec.model import DeploymentSpec

_EXPORTS = {
    "Client": "deploy.client",
    "ComponentEndpointSpec": "deploy.spec.components",
    "DeploymentSpec": "deploy.spec.model",
    "Endpoint": "deploy.invoke.endpoint",
    "EndpointNotFoundError": "deploy.errors",
    "FitError": "deploy.errors",
    "LmiError": "deploy.errors",
    "ResolvedSpec": "deploy.engine.resolve",
    "SpecError": "deploy.errors",
    "UsageError": "deploy.errors",
    "apply": "deploy.client",
    "destroy": "deploy.client",
    "list_endpoints": "deploy.client",
    "load_any_spec": "deploy.spec.loader",
    "load_spec": "deploy.spec.loader",
    "parse_any_spec": "deploy.spec.loader",
    "parse_spec": "deploy.spec.loader",
    "plan": "deploy.client",
    "recommend": "deploy.client",
    "recommend_components": "deploy.client",
    "scale": "deploy.client",
    "size": "deploy.client",
    "size_components": "deploy.client",
    "status": "deploy.client",
}

__all__ = [
    "Client",
    "ComponentEndpointSpec",
    "DeploymentSpec",
    "Endpoint",
    "EndpointNotFoundError",
    "FitError",
    "LmiError",
    "ResolvedSpec",
    "SpecError",
    "UsageError",
    "__version__",
    "apply",
    "destroy",
    "list_endpoints",
    "load_any_spec",
    "load_spec",
    "parse_any_spec",
    "parse_spec",
    "plan",
    "recommend",
    "recommend_components",
    "scale",
    "size",
    "size_components",
    "status",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'deploy' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
