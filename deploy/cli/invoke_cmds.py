"""``lmi invoke``, ``lmi chat`` and ``lmi bench``: talk to a deployed endpoint and load-test it.

Rule: parse flags, call :class:`deploy.invoke.endpoint.Endpoint` / :func:`deploy.bench.run_bench`, print. Only typer
and the standard library at module level (``lmi --help`` must stay fast); boto3, rich and the library load
inside the commands.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from deploy.cli._common import JSON_OPTION, LOCAL_OPTION, PROFILE_OPTION, REGION_OPTION
from deploy.cli.flags import (
    callback,
    check_instance,
    check_output_path,
    check_plot_path,
    check_positive_int,
    check_rate,
    checked_option,
)

NAME_ARG = typer.Argument(..., help="Endpoint name.")
PARAM_OPTION = typer.Option(
    None,
    "--param",
    "-p",
    help="Generation parameter key=value (repeatable; values parse as JSON when they can).",
)
CHAT_FLAG = typer.Option(False, "--chat", help="Use the OpenAI chat schema (messages) instead of LMI (inputs).")
API_OPTION = typer.Option(
    "invoke", "--api", help="invoke (InvokeEndpoint) or openai (the OpenAI-compatible route; implies --chat)."
)
COMPONENT_OPTION = typer.Option(
    None,
    "--component",
    help="Inference component (short name or full IC name); default: the endpoint's only component, if it has one.",
)


def register(app: typer.Typer) -> None:
    """Add ``invoke``, ``chat`` and ``bench`` to the app."""
    app.command("invoke")(invoke_cmd)
    app.command("chat")(chat_cmd)
    app.command("bench")(bench_cmd)


def _endpoint(name: str, region: str | None, profile: str | None, local: bool, **options: Any) -> Any:
    from deploy.cli._common import make_client

    return make_client(region, profile, local).endpoint(name, **options)


def _params(pairs: list[str] | None) -> dict[str, Any]:
    from deploy.invoke.requests import parse_param

    return dict(parse_param(pair) for pair in pairs or [])


def invoke_cmd(
    name: str = NAME_ARG,
    prompt: str = typer.Option(..., "--prompt", help="The prompt (LMI schema) or user message (--chat)."),
    param: list[str] | None = PARAM_OPTION,
    stream: bool = typer.Option(False, "--stream", help="Print text as it is generated."),
    chat: bool = CHAT_FLAG,
    system: str | None = typer.Option(None, "--system", help="System message (implies --chat)."),
    api: str = API_OPTION,
    component: str | None = COMPONENT_OPTION,
    as_json: bool = JSON_OPTION,
    local: bool = LOCAL_OPTION,
    region: str | None = REGION_OPTION,
    profile: str | None = PROFILE_OPTION,
) -> None:
    """Send one request; print the generated text (or, with --json, the parsed response)."""
    endpoint = _endpoint(name, region, profile, local, component=component)
    params = _params(param)
    use_chat = chat or system is not None or _api(api) == "openai"
    request: Any = prompt
    if use_chat:
        request = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
        params["route"] = api
    if stream:
        result = _print_stream(
            endpoint.chat_stream(request, **params) if use_chat else endpoint.stream(request, **params),
            echo=not as_json,
        )
    else:
        result = endpoint.chat(request, **params) if use_chat else endpoint.generate(request, **params)
    if as_json:
        from deploy.cli._common import print_json

        print_json(result)
    elif not stream:
        typer.echo(result.text)


def _print_stream(stream: Any, *, echo: bool) -> Any:
    printed = False
    try:
        for text in stream:
            if echo:
                sys.stdout.write(text)
                sys.stdout.flush()
                printed = True
    except BaseException:
        if printed:  # end the partial answer's line, so the error does not run on from it
            sys.stdout.write("\n")
            sys.stdout.flush()
        raise
    if echo:
        sys.stdout.write("\n")
    return stream.result


def chat_cmd(
    name: str = NAME_ARG,
    system: str | None = typer.Option(None, "--system", help="System message that starts the conversation."),
    param: list[str] | None = PARAM_OPTION,
    api: str = API_OPTION,
    component: str | None = COMPONENT_OPTION,
    local: bool = LOCAL_OPTION,
    region: str | None = REGION_OPTION,
    profile: str | None = PROFILE_OPTION,
) -> None:
    """Interactive chat (streaming, keeps history). Type /reset to start over, /exit or Ctrl-D to leave."""
    from deploy.errors import LmiError, UsageError
    from deploy.invoke.errors import EndpointNotFoundError
    from deploy.invoke.requests import check_parameters

    endpoint = _endpoint(name, region, profile, local, component=component)
    params = check_parameters(_params(param), schema="chat")  # a bad flag ends the session before it starts
    if component is not None:  # a wrong or empty --component exits 2 here, before the user types (one List call)
        endpoint.resolve_component()
    route = _api(api)
    start = [{"role": "system", "content": system}] if system else []
    history = list(start)
    target = f"{name} component {component}" if component else name
    sys.stderr.write(f"chatting with {target}; /reset clears the history, /exit leaves\n")
    while True:
        sys.stderr.write("you> ")
        sys.stderr.flush()
        line = sys.stdin.readline()
        text = line.strip()
        if not line or text == "/exit":
            return
        if not text:
            continue
        if text == "/reset":
            history = list(start)
            sys.stderr.write("(history cleared)\n")
            continue
        try:
            result = _print_stream(
                endpoint.chat_stream([*history, {"role": "user", "content": text}], route=route, **params), echo=True
            )
        except (EndpointNotFoundError, UsageError):  # no such endpoint, or which component is unclear: stop
            raise
        except LmiError as exc:
            sys.stderr.write(f"error: {exc}\n")
            continue
        history += [{"role": "user", "content": text}, result.message]


def _api(value: str) -> str:
    from deploy.errors import UsageError

    if value not in {"invoke", "openai"}:
        raise UsageError(
            f"--api {value!r} is not known", field="--api", value=value, fix="--api invoke or --api openai"
        )
    return value


def _levels(text: str | None, check: Any, flag: str) -> tuple[Any, ...]:
    """A comma-separated list, each member checked like the single-valued flag of the same name elsewhere."""
    if not text:
        return ()
    return tuple(check(part.strip(), flag=flag) for part in text.split(",") if part.strip())


CONCURRENCY_OPTION = typer.Option("1,4,16,64", "--concurrency", help="Closed-loop levels, comma-separated.")
RATE_OPTION = typer.Option(None, "--rate", help="Open-loop Poisson rates in req/s (replaces --concurrency).")
REQUESTS_OPTION = typer.Option(None, "--requests", help="Requests per level (default: 4 per stream, 64 per rate).")
DURATION_OPTION = typer.Option(None, "--duration", help="Seconds per level (stops a level early).")
INPUT_TOKENS_OPTION = typer.Option(128, "--input-tokens", help="Prompt length in tokens (exact with a tokenizer).")
OUTPUT_TOKENS_OPTION = typer.Option(128, "--output-tokens", help="Tokens generated per request.")
INSTANCE_TYPE_OPTION = typer.Option(
    None,
    "--instance-type",
    callback=callback(check_instance, "--instance-type"),
    help="For cost (default: the endpoint's).",
)
INSTANCE_COUNT_OPTION = typer.Option(
    None,
    "--instance-count",
    callback=callback(check_positive_int, "--instance-count"),
    help="For cost (default: the endpoint's).",
)
SLO_TTFT_OPTION = typer.Option(None, "--slo-ttft-ms", help="Goodput SLO on time to first token.")
SLO_TPOT_OPTION = typer.Option(None, "--slo-tpot-ms", help="Goodput SLO on time per output token.")
SEED_OPTION = typer.Option(0, "--seed", help="Seed for prompts and Poisson arrivals.")
PLOT_OPTION = typer.Option(
    None,
    "--plot",
    callback=callback(check_plot_path, "--plot"),
    help="Write latency/throughput vs load to this PNG, SVG or PDF (needs matplotlib).",
)
TOKENIZER_OPTION = typer.Option(
    None, "--tokenizer", help="Hub model id, tokenizer.json or 'approx' (default: the endpoint's HF_MODEL_ID)."
)
DATASET_OPTION = typer.Option(None, "--dataset", help="Replay a dataset instead of synthetic prompts: sharegpt FILE.")
SAVE_RESULT_OPTION = checked_option(
    None, "--save-result", check_output_path, "Write vLLM-benchmark-style JSON (one per level)."
)


def bench_cmd(
    name: str = NAME_ARG,
    concurrency: str = CONCURRENCY_OPTION,
    rate: str | None = RATE_OPTION,
    requests: int | None = REQUESTS_OPTION,
    duration: float | None = DURATION_OPTION,
    input_tokens: int = INPUT_TOKENS_OPTION,
    output_tokens: int = OUTPUT_TOKENS_OPTION,
    instance_type: str | None = INSTANCE_TYPE_OPTION,
    instance_count: int | None = INSTANCE_COUNT_OPTION,
    slo_ttft_ms: float | None = SLO_TTFT_OPTION,
    slo_tpot_ms: float | None = SLO_TPOT_OPTION,
    chat: bool = CHAT_FLAG,
    api: str = API_OPTION,
    tokenizer: str | None = TOKENIZER_OPTION,
    dataset: tuple[str, str] | None = DATASET_OPTION,
    save_result: str | None = SAVE_RESULT_OPTION,
    seed: int = SEED_OPTION,
    plot: str | None = PLOT_OPTION,
    component: str | None = COMPONENT_OPTION,
    as_json: bool = JSON_OPTION,
    local: bool = LOCAL_OPTION,
    region: str | None = REGION_OPTION,
    profile: str | None = PROFILE_OPTION,
) -> None:
    """Load-test an endpoint (or one inference component) with streaming requests: TTFT, TPOT, ITL, E2E,
    tokens/s, goodput and cost, beside the performance model's prediction for the endpoint's instance type,
    tensor-parallel degree and workload."""
    import dataclasses
    import functools

    from deploy.bench import BenchConfig, Slo, pool_size, run_bench
    from deploy.bench.inputs import bench_inputs
    from deploy.bench.pricing import capacity_and_price
    from deploy.bench.report import require_matplotlib, run_with_progress

    config = BenchConfig(
        concurrency=_levels(concurrency, check_positive_int, "--concurrency"),
        rates=_levels(rate, check_rate, "--rate"),
        requests=requests, duration_s=duration, input_tokens=input_tokens, output_tokens=output_tokens,
        chat=chat, seed=seed, slo=Slo(_s(slo_ttft_ms), _s(slo_tpot_ms)), api=_api(api), dataset=dataset,
    )  # fmt: skip
    if plot:
        require_matplotlib(plot)
    options = {"max_pool_connections": pool_size(config), "max_attempts": 1, "read_timeout_s": 300.0}
    endpoint = _endpoint(name, region, profile, local, component=component, **options)
    config = dataclasses.replace(config, component=endpoint.resolve_component())  # exit 2 here if it is unclear
    config = capacity_and_price(endpoint, config, instance_type, instance_count)
    counter, replay = bench_inputs(endpoint, tokenizer, dataset, seed=seed)
    if not counter.exact and not as_json:
        typer.echo(f"note: {counter.note}", err=True)
    from deploy.bench.component_prediction import component_setup
    from deploy.bench.prediction import compare, setup_for

    # read before the run: the prediction costs the benchmark nothing
    setup = component_setup(endpoint, config) if config.component else setup_for(endpoint, config)
    run = functools.partial(run_bench, counter=counter, dataset=replay)
    report = run_with_progress(run, endpoint, config, quiet=as_json)
    report = dataclasses.replace(report, prediction=compare(report, setup))
    _print_report(report, plot=plot, as_json=as_json)
    if save_result:
        _save(report, save_result, quiet=as_json)
    _fail_when_nothing_succeeded(report)


def _save(report: Any, path: str, *, quiet: bool) -> None:
    import datetime

    from deploy.bench.vllm_result import write_results

    written = write_results(path, report, date=datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    if not quiet:
        typer.echo("results written to " + ", ".join(str(p) for p in written), err=True)


def _fail_when_nothing_succeeded(report: Any) -> None:
    """Exit 1 when every request failed: a benchmark of errors measured nothing, and CI must see it."""
    sent = sum(level.sent for level in report.levels)
    if sent and not any(level.completed for level in report.levels):
        typer.echo(f"error: all {sent} request(s) failed; the figures above measure errors, not the endpoint", err=True)
        raise typer.Exit(1)


def _print_report(report: Any, *, plot: str | None, as_json: bool) -> None:
    from deploy.bench.report import error_lines, render_tables
    from deploy.bench.report import plot as draw
    from deploy.cli._common import console, print_json

    if as_json:
        print_json(report)
    else:
        for table in render_tables(report):
            console().print(table)
        for line in error_lines(report):
            typer.echo(f"errors at {line}", err=True)
        if report.prediction and report.prediction.get("note"):
            typer.echo(f"note: {report.prediction['note']}", err=True)
    if plot:  # after the figures are out: a plot that cannot be written does not lose the run
        draw(report, plot)
        if not as_json:
            typer.echo(f"plot written to {plot}")


def _s(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000.0
