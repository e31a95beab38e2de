"""deploy's public surface: a sorted __all__, pinned here, every name importable, and `import deploy` stays cheap."""

from __future__ import annotations

import inspect
import subprocess
import sys
import typing

import deploy

PUBLIC = [
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
CLIENT_METHODS = ["apply", "destroy", "endpoint", "list", "plan", "recommend", "scale", "size", "status"]


def test_all_is_sorted_and_pinned() -> None:
    assert deploy.__all__ == sorted(deploy.__all__) == PUBLIC


def test_every_public_name_resolves() -> None:
    for name in PUBLIC:
        assert getattr(deploy, name) is not None


def test_the_client_offers_the_documented_methods_with_real_types() -> None:
    for name in CLIENT_METHODS:
        method = getattr(deploy.Client, name)
        hints = typing.get_type_hints(method, vars(sys.modules["deploy.client"]) | _type_namespace())
        assert "return" in hints and hints["return"] is not typing.Any, name
        assert all(h is not typing.Any for h in hints.values()), name


def test_client_signature() -> None:
    params = inspect.signature(deploy.Client).parameters
    assert list(params)[:3] == ["session", "region", "endpoint_url"]
    assert params["region"].kind is inspect.Parameter.KEYWORD_ONLY


def test_import_deploy_imports_no_aws_sdk() -> None:
    code = (
        "import sys, deploy; print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'moto')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def _type_namespace() -> dict[str, object]:
    """The names the client's annotations use (imported there only for type checkers)."""
    import importlib

    where = {
        "boto3": ("boto3", None),
        "LogLine": ("deploy.aws.logs", "LogLine"),
        "RegionChoice": ("deploy.aws.region", "RegionChoice"),
        "AwsContext": ("deploy.aws.session", "AwsContext"),
        "ApplyResult": ("deploy.engine.apply", "ApplyResult"),
        "EventSink": ("deploy.engine.apply", "EventSink"),
        "Diagnosis": ("deploy.engine.diagnose", "Diagnosis"),
        "ResolvedSpec": ("deploy.engine.resolve", "ResolvedSpec"),
        "PlanResult": ("deploy.engine.spine", "PlanResult"),
        "EndpointStatus": ("deploy.engine.status", "EndpointStatus"),
        "Waiter": ("deploy.engine.waiting", "Waiter"),
        "Endpoint": ("deploy.invoke.endpoint", "Endpoint"),
        "Estimate": ("deploy.sizing", "Estimate"),
        "Recommendation": ("deploy.sizing", "Recommendation"),
        "DeploymentSpec": ("deploy.spec.model", "DeploymentSpec"),
        "ComponentEndpointSpec": ("deploy.spec.components", "ComponentEndpointSpec"),
    }
    out: dict[str, object] = {}
    for name, (module, attr) in where.items():
        loaded = importlib.import_module(module)
        out[name] = getattr(loaded, attr) if attr else loaded
    return out
