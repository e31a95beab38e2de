"""Will it fit, and on what? Model shapes, vLLM's memory budget, the fit verdict, engine resolution,
recommendations.

Rule: pure computation (no boto3; the network only in ``hub/``, which reads a model's config.json and
safetensors headers from the Hugging Face Hub and caches them): a model's config.json (Hub, bundled library,
file or directory) and the hardware's memory give the numbers vLLM will print at startup - KV-cache tokens,
maximum concurrency - and a verdict in vLLM's own words, before anything is deployed. The vLLM version
decides the accounting (LMI v15 ships vLLM 0.8.4, V1 engine).
"""

from __future__ import annotations

from deploy.sizing.fixes import estimate
from deploy.sizing.hardware import Hardware
from deploy.sizing.loader import bundled_ids, load_shape, shape_from_document
from deploy.sizing.recommend import Recommendation, recommend
from deploy.sizing.resolve import Resolution, resolve_engine
from deploy.sizing.shape import ModelShape
from deploy.sizing.verdict import Estimate
from deploy.sizing.versions import EngineParams

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
