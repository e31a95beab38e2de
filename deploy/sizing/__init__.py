"""Will it fit, and on what? Model shapes, vLLM's memory budget, the fit verdict, engine resolution,
recommendations.

Rule: pure computation (no boto3; the network only in ``hub/``, which reads a model's config.json and
safetensors headers from the Hugging Face Hub and caches them): a model's config.json (Hub, bundled library,
file or directory) and the hardware's memory give the numbers vLLM will print at startup - KV-cache tokens,
maximum concurrency - and a verdict in vLLM's own words, before anything is deployed. The vLLM version
decides the accounting (LMI v15 ships vLLM 0.8.4, V1 engine).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# ``recommend`` is both a submodule and a function: importing the submodule (from anywhere) would rebind the
# package attribute to the module, so the function is bound here, eagerly, as the package always did. The module
# is light: its price tables load inside the call.
from deploy.sizing.recommend import Recommendation, recommend

if TYPE_CHECKING:
    from deploy.sizing.fixes import estimate
    from deploy.sizing.hardware import Hardware
    from deploy.sizing.loader import bundled_ids, load_shape, shape_from_document
    from deploy.sizing.resolve import Resolution, resolve_engine
    from deploy.sizing.shape import ModelShape
    from deploy.sizing.verdict import Estimate
    from deploy.sizing.versions import EngineParams

# Name -> the submodule defining it. Imported on first use (PEP 562), not with the package: every
# ``import deploy.sizing.<module>`` runs this file first, and `lmi validate` needs a few submodules, not all.
_EXPORTS = {
    "EngineParams": "versions",
    "Estimate": "verdict",
    "Hardware": "hardware",
    "ModelShape": "shape",
    "Recommendation": "recommend",
    "Resolution": "resolve",
    "bundled_ids": "loader",
    "estimate": "fixes",
    "load_shape": "loader",
    "recommend": "recommend",
    "resolve_engine": "resolve",
    "shape_from_document": "loader",
}
__all__ = [
    "EngineParams",
    "Estimate",
    "Hardware",
    "ModelShape",
    "Recommendation",
    "Resolution",
    "bundled_ids",
    "estimate",
    "load_shape",
    "recommend",
    "resolve_engine",
    "shape_from_document",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # __import__, not importlib.import_module: the C import path, so `python -X importtime` logs the submodule
    value = getattr(__import__(f"{__name__}.{module}", fromlist=[name]), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
