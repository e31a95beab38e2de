"""`lmi size` and `lmi recommend`: will this model fit, and on which instance type - before deploying anything.

Only typer and stdlib are imported here; deploy.sizing (and rich) are imported inside the commands so
`lmi --help` stays fast. Exit codes: 0 fits, 2 does not fit or bad input (so CI can gate on it).
"""

from __future__ import annotations

from typing import Any

import typer

from deploy.cli._common import JSON_OPTION, console, print_json
from deploy.cli.flags import (
    callback,
    check_dtype,
    check_gpu_memory_utilization,
    check_instance,
    check_kv_cache_dtype,
    check_positive_int,
    check_quantize,
    check_region,
    checked_option,
)
from deploy.cli.perf_flags import (
    INPUT_TOKENS_OPTION,
    OUTPUT_TOKENS_OPTION,
    PERF_CONCURRENCY_OPTION,
    RANK_BY_OPTION,
    SLO_ITL_OPTION,
    SLO_TTFT_OPTION,
    performance,
    rank_workload,
    workload,
)
from deploy.cli.price_flags import LIVE_PRICES_OPTION, OFFLINE_PRICES_OPTION, lookup, source_line, unknown_lines

MODEL_ARG = typer.Argument(
    None,
    metavar="[MODEL]",
    help="Hugging Face model id (read from the Hub, its cache, or the bundled library), a config.json path or a "
    "model directory (or --spec SPEC).",
    show_default=False,
)
SPEC_OPTION = typer.Option(
    None,
    "--spec",
    metavar="SPEC",
    help="Size a spec file instead of MODEL: a single-model spec, or a component endpoint (each component and the "
    "placement of its copies).",
)
REVISION_OPTION = typer.Option(None, "--revision", help="Hub revision to read (branch, tag or commit sha).")
TOKEN_OPTION = typer.Option(
    None,
    "--hf-token",
    metavar="env:NAME",
    help="Token reference for gated or private Hub models (default: HF_TOKEN or a saved login); never printed.",
)
CONFIG_OPTION = typer.Option(None, "--config", help="config.json to use (e.g. for an s3:// model).")
INSTANCE_OPTION = checked_option(None, "--instance", check_instance, "SageMaker instance type, e.g. ml.g6e.2xlarge.")


def _count(flag: str, default: Any, text: str) -> Any:
    """An integer option of at least 1, checked by the one validator every command uses for it."""
    return typer.Option(default, flag, callback=callback(check_positive_int, flag), help=text)


GPU_MIB_OPTION = _count("--gpu-memory-mib", None, "Per-GPU memory in MiB as nvidia-smi reports it.")
GPUS_OPTION = _count("--gpus", 1, "Number of GPUs (with --gpu-memory-mib).")
TP_OPTION = _count("--tp", None, "Tensor-parallel degree (default: smallest that fits).")
LEN_OPTION = _count("--max-model-len", None, "Max tokens per request (default: the model's max).")
UTIL_OPTION = typer.Option(
    0.9,
    "--gpu-memory-utilization",
    callback=callback(check_gpu_memory_utilization, "--gpu-memory-utilization"),
    help="Fraction of GPU memory vLLM may use.",
)
DTYPE_OPTION = checked_option("auto", "--dtype", check_dtype, "auto, bf16, fp16 or fp32.")
QUANT_OPTION = typer.Option(
    None,
    "--quantize",
    callback=callback(check_quantize, "--quantize"),
    help="Runtime quantization (fp8) or the checkpoint's method.",
)
KV_DTYPE_OPTION = typer.Option(
    "auto", "--kv-cache-dtype", callback=callback(check_kv_cache_dtype, "--kv-cache-dtype"), help="auto or fp8."
)
MNBT_OPTION = _count("--max-num-batched-tokens", None, "Prefill token budget (default: vLLM's).")
MRBS_OPTION = _count("--max-rolling-batch-size", None, "max_num_seqs (default: vLLM's, 256).")
LMI_OPTION = typer.Option(None, "--lmi-version", help="LMI container version (default 15 = vLLM 0.8.4).")
VLLM_OPTION = typer.Option(None, "--vllm-version", help="vLLM version to model, e.g. 0.8.4.")
ENGINE_OPTION = typer.Option("v1", "--vllm-engine", help="v1 (default) or v0 (VLLM_USE_V1=0).")
CONCURRENCY_OPTION = _count("--concurrency", None, "Concurrent full-length requests to hold.")
REGION_OPT = typer.Option(
    "us-east-1",
    "--region",
    callback=callback(check_region, "--region"),
    help="AWS region whose prices are used (unknown where neither the Price List nor the bundled table has one).",
)


def _token(ref: str | None) -> str | None:
    """The token an ``env:NAME`` reference points at (None when no reference is given)."""
    import os

    from deploy.errors import UsageError

    if ref is None:
        return None
    scheme, _, name = ref.partition(":")
    value = os.environ.get(name) if scheme == "env" and name else None
    if not value:
        raise UsageError(
            "--hf-token must name a set environment variable as env:NAME",
            field="--hf-token",
            value=ref if scheme == "env" else "<literal, not shown>",
            fix="export HF_TOKEN=... and pass --hf-token env:HF_TOKEN",
        )
    return value


def _load(model: str, config: str | None, revision: str | None, hf_token: str | None) -> Any:
    from deploy.sizing import load_shape

    _check_revision(revision)
    return load_shape(model, config_path=config, revision=revision, token=_token(hf_token))


def _check_revision(revision: str | None) -> None:
    """``--revision`` obeys the rule ``model.revision`` does (deploy.spec.revisions), refused before any Hub read."""
    from deploy.errors import UsageError
    from deploy.spec.revisions import REVISION_FIX, revision_problem

    problem = None if revision is None else revision_problem(revision)
    if problem is not None:
        raise UsageError(
            f"--revision {revision!r} is not a git revision: {problem}",
            field="--revision",
            value=revision,
            fix=REVISION_FIX,
        )


def register(app: typer.Typer) -> None:
    app.command("size")(size)
    app.command("recommend")(recommend)


def _vllm_version(lmi_version: int | None, vllm_version: str | None) -> str:
    from deploy import catalog
    from deploy.errors import UsageError

    if lmi_version is not None and vllm_version is not None:
        raise UsageError(
            "--lmi-version and --vllm-version are exclusive",
            field="--vllm-version",
            value=vllm_version,
            fix="pass one of them",
        )
    if vllm_version is not None:
        return vllm_version
    return catalog.lmi_version(lmi_version or catalog.DEFAULT_LMI_VERSION).vllm_version


INTERCONNECT_OPTION = typer.Option(
    None, "--interconnect", help="GPU link with --gpu-memory-mib: nvlink or pcie (default: sized as NVLink)."
)


def _hardware(instance: str | None, gpu_memory_mib: int | None, gpus: int, interconnect: str | None = None) -> Any:
    from deploy.errors import UsageError
    from deploy.sizing import Hardware
    from deploy.sizing.interconnect import parse_interconnect

    nvlink = parse_interconnect(interconnect)
    if instance and interconnect:
        raise UsageError(
            "--interconnect applies to --gpu-memory-mib only",
            field="--interconnect",
            value=interconnect,
            fix="drop --interconnect: the catalog knows the instance's interconnect",
        )

    if instance and gpu_memory_mib:
        raise UsageError(
            "--instance and --gpu-memory-mib are exclusive",
            field="--gpu-memory-mib",
            value=gpu_memory_mib,
            fix="pass an instance type or a GPU size, not both",
        )
    if instance:
        return Hardware.from_instance(instance)
    if gpu_memory_mib:
        return Hardware(gpu_memory_mib=gpu_memory_mib, gpu_count=gpus, nvlink=nvlink)
    raise UsageError(
        "size needs hardware",
        field="--instance",
        value=None,
        fix="pass --instance TYPE (or --gpu-memory-mib N --gpus N); `lmi recommend MODEL` picks one",
    )


def _priced(hardware: Any, region: str, offline: bool, live: bool) -> tuple[Any, Any]:
    """``hardware`` priced in ``region`` and the quote behind it (None for a custom GPU size)."""
    from dataclasses import replace

    if hardware.name == "custom":
        return hardware, None
    quote = lookup(region, offline, live)(hardware.name)
    return replace(hardware, price_per_hour=quote.usd_per_hour), quote


def _first_fitting(shape: Any, hardware: Any, params: Any, tp: int | None) -> Any:
    """The estimate at --tp, or at the smallest valid degree that fits (the largest one when none fits)."""
    from dataclasses import replace

    from deploy.sizing import estimate

    if tp is not None:
        return estimate(shape, hardware, replace(params, tensor_parallel_degree=tp))
    degrees = shape.valid_tp_degrees(hardware.gpu_count, gpu_count=hardware.gpu_count) or [1]
    for degree in degrees:
        est = estimate(shape, hardware, replace(params, tensor_parallel_degree=degree), with_fixes=False)
        if est.fits:
            return est
    return estimate(shape, hardware, replace(params, tensor_parallel_degree=degrees[-1]))


def _model_or_spec(model: str | None, spec: str | None, others: dict[str, Any]) -> str | None:
    """MODEL, or None when --spec is given; the flags a spec sets itself are refused next to it."""
    from deploy.errors import UsageError

    if spec is None:
        if model is None:
            raise UsageError("MODEL is missing", field="MODEL", value=None, fix="pass a model id, or --spec SPEC")
        return model
    clash = next((flag for flag, value in others.items() if value is not None), None)
    if model is not None or clash is not None:
        flag = "MODEL" if model is not None else clash
        raise UsageError(
            f"--spec and {flag} are exclusive: the spec sets the model, the instance and the engine",
            field=flag,
            value=model if model is not None else others.get(str(clash)),
            fix="pass MODEL with flags, or --spec SPEC alone (edit the spec to change its settings)",
        )
    return None


def _size_spec(spec_path: str, as_json: bool) -> None:
    """``lmi size --spec``: a component endpoint per component and placement; a single-model spec's estimate."""
    from pathlib import Path

    from deploy.client import load_any
    from deploy.client import size as size_spec
    from deploy.spec.components import ComponentEndpointSpec

    loaded = load_any(Path(spec_path))
    if isinstance(loaded, ComponentEndpointSpec):
        from deploy.cli import component_offline

        component_offline.size(loaded, as_json)
        return
    est = size_spec(loaded)
    if as_json:
        print_json(est.to_dict())
    else:
        from deploy.sizing.report import estimate_table

        console().print(estimate_table(est))
    if not est.fits:
        raise typer.Exit(code=2)


def size(
    model: str | None = MODEL_ARG,
    spec: str | None = SPEC_OPTION,
    instance: str | None = INSTANCE_OPTION,
    gpu_memory_mib: int | None = GPU_MIB_OPTION,
    gpus: int = GPUS_OPTION,
    interconnect: str | None = INTERCONNECT_OPTION,
    tp: int | None = TP_OPTION,
    max_model_len: int | None = LEN_OPTION,
    gpu_memory_utilization: float = UTIL_OPTION,
    dtype: str = DTYPE_OPTION,
    quantize: str | None = QUANT_OPTION,
    kv_cache_dtype: str = KV_DTYPE_OPTION,
    max_num_batched_tokens: int | None = MNBT_OPTION,
    max_rolling_batch_size: int | None = MRBS_OPTION,
    lmi_version: int | None = LMI_OPTION,
    vllm_version: str | None = VLLM_OPTION,
    vllm_engine: str = ENGINE_OPTION,
    config: str | None = CONFIG_OPTION,
    concurrency: int | None = PERF_CONCURRENCY_OPTION,
    input_tokens: int | None = INPUT_TOKENS_OPTION,
    output_tokens: int | None = OUTPUT_TOKENS_OPTION,
    region: str = REGION_OPT,
    offline: bool = OFFLINE_PRICES_OPTION,
    live_prices: bool = LIVE_PRICES_OPTION,
    revision: str | None = REVISION_OPTION,
    hf_token: str | None = TOKEN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Estimate GPU memory, KV-cache tokens and max concurrency as vLLM will print them (exit 2 if it does not fit)."""
    from deploy.sizing import EngineParams

    flags = {"--instance": instance, "--gpu-memory-mib": gpu_memory_mib, "--tp": tp, "--max-model-len": max_model_len}
    model = _model_or_spec(model, spec, {**flags, "--config": config, "--lmi-version": lmi_version})
    if model is None:
        _size_spec(str(spec), as_json)
        return
    shape = _load(model, config, revision, hf_token)
    hardware, quote = _priced(_hardware(instance, gpu_memory_mib, gpus, interconnect), region, offline, live_prices)
    params = EngineParams(
        max_model_len=max_model_len,
        max_num_seqs=max_rolling_batch_size,
        max_num_batched_tokens=max_num_batched_tokens,
        gpu_memory_utilization=gpu_memory_utilization,
        dtype=dtype,
        quantize=quantize,
        kv_cache_dtype=kv_cache_dtype,
        vllm_version=_vllm_version(lmi_version, vllm_version),
        engine=vllm_engine.lower(),  # type: ignore[arg-type]
    )
    work = workload(concurrency, input_tokens, output_tokens)
    est = _first_fitting(shape, hardware, params, tp)
    perf = performance(shape, est, hardware, work, quantize)
    if as_json:
        priced = {"region": region, "price": quote.to_dict() if quote else None}
        print_json({**est.to_dict(), **priced, **({"performance": perf.to_dict()} if perf else {})})
    else:
        from deploy.sizing.report import estimate_table, performance_table

        console().print(estimate_table(est))
        if quote is not None:
            console().print(source_line(quote), highlight=False)
        if perf is not None:
            console().print(performance_table(perf))
    if not est.fits:
        raise typer.Exit(code=2)


def recommend(
    model: str | None = MODEL_ARG,
    spec: str | None = SPEC_OPTION,
    max_model_len: int | None = LEN_OPTION,
    concurrency: int | None = CONCURRENCY_OPTION,
    region: str = REGION_OPT,
    gpu_memory_utilization: float = UTIL_OPTION,
    kv_cache_dtype: str = KV_DTYPE_OPTION,
    lmi_version: int | None = LMI_OPTION,
    config: str | None = CONFIG_OPTION,
    rank_by: str = RANK_BY_OPTION,
    input_tokens: int | None = INPUT_TOKENS_OPTION,
    output_tokens: int | None = OUTPUT_TOKENS_OPTION,
    slo_ttft_ms: float | None = SLO_TTFT_OPTION,
    slo_itl_ms: float | None = SLO_ITL_OPTION,
    offline: bool = OFFLINE_PRICES_OPTION,
    live_prices: bool = LIVE_PRICES_OPTION,
    revision: str | None = REVISION_OPTION,
    hf_token: str | None = TOKEN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Rank the instance types that fit MODEL by price per hour (or by predicted $/M output tokens)."""
    from deploy.errors import FitError
    from deploy.sizing import recommend as rank

    others = {"--max-model-len": max_model_len, "--concurrency": concurrency, "--config": config}
    model = _model_or_spec(model, spec, {**others, "--lmi-version": lmi_version, "--input-tokens": input_tokens})
    if model is None:
        _recommend_spec(str(spec), region, as_json)
        return
    work = rank_workload(rank_by, concurrency, input_tokens, output_tokens, slo_ttft_ms, slo_itl_ms)
    shape = _load(model, config, revision, hf_token)
    recs = rank(
        shape,
        max_model_len=max_model_len,
        concurrency=concurrency,
        region=region,
        gpu_memory_utilization=gpu_memory_utilization,
        kv_cache_dtype=kv_cache_dtype,
        vllm_version=_vllm_version(lmi_version, None),
        prices=lookup(region, offline, live_prices),
    )
    if not recs:
        raise FitError(
            f"{shape.model_id}: no instance type in the catalog fits",
            field="max_model_len",
            value=max_model_len,
            fix="lower --max-model-len or --concurrency, or use a quantized model",
        )
    missed = 0
    if work is not None:
        from deploy.sizing.perf_rank import Slo, attach_performance, rank_by_cost

        if rank_by == "cost-per-token":
            recs, missed = rank_by_cost(shape, recs, work, Slo(ttft_ms=slo_ttft_ms, itl_ms=slo_itl_ms))
        else:
            recs = attach_performance(shape, recs, work)
    if as_json:
        print_json(
            {
                "model": shape.model_id,
                "model_sha": shape.hub.sha if shape.hub else None,
                "sources": list(shape.sources),
                "region": region,
                "concurrency": concurrency,
                "max_model_len": recs[0].max_model_len if recs else max_model_len,
                "rank_by": rank_by,
                "slo_missed": missed,
                "recommendations": [r.to_dict() for r in recs],
            }
        )
        return
    from deploy.sizing.report import performance_ranking_table, recommendations_table

    console().print(recommendations_table(shape.model_id, recs, concurrency))
    if work is not None:
        console().print(performance_ranking_table(recs, rank_by))
    if missed:
        console().print(
            f"{missed} fitting instance type(s) miss the SLO (--slo-ttft-ms/--slo-itl-ms) and are not shown"
        )
    for line in unknown_lines(recs, region):
        console().print(line, highlight=False)
    for source in shape.sources:
        console().print(f"source: {source}", highlight=False)


def _recommend_spec(spec_path: str, region: str, as_json: bool) -> None:
    """``lmi recommend --spec``: a component endpoint's cheapest type and count (single-model: use MODEL)."""
    from pathlib import Path

    from deploy.cli import component_offline
    from deploy.client import load_any
    from deploy.errors import UsageError
    from deploy.spec.components import ComponentEndpointSpec

    loaded = load_any(Path(spec_path))
    if not isinstance(loaded, ComponentEndpointSpec):
        raise UsageError(
            f"{spec_path} is a single-model spec; recommend --spec ranks instance types for component endpoints",
            field="--spec",
            value=spec_path,
            fix=f"run `lmi recommend {loaded.model.id}` for one model",
        )
    component_offline.recommend(loaded, region, as_json)
