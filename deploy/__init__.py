"""lmi-deploy: put large language models on Amazon SageMaker with the LMI v15 (vLLM) container.

The Python API mirrors the CLI. Names are imported lazily so ``import deploy`` stays cheap (no boto3, no jinja2):

    import deploy
    spec = deploy.load_spec("qwen.yaml")
    print(deploy.size(spec))                # will it fit? (no AWS call)
    plan = deploy.plan(spec, session=...)   # what would change (read-only AWS calls)
    deploy.apply(plan, session=...)         # make it so
"""

from __future__ import annotations

import importlib
from typing import Any

from deploy._version import __version__

_EXPORTS = {
    "load_spec": "deploy.spec.loader",
    "DeploymentSpec": "deploy.spec.model",
    "parse_spec": "deploy.spec.loader",
    "ResolvedSpec": "deploy.engine.resolve",
    "size": "deploy.client",
    "plan": "deploy.client",
    "apply": "deploy.client",
    "destroy": "deploy.client",
    "status": "deploy.client",
    "Endpoint": "deploy.invoke.endpoint",
    "LmiError": "deploy.errors",
    "SpecError": "deploy.errors",
    "FitError": "deploy.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'deploy' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
