"""Option keys and values as LMI v15 and vLLM 0.8.4 will read them: refuse what would be dropped or rejected.

Why: LMI v15 (djl_python/properties_manager/vllm_rb_properties.py, branch 0.33.0-dlc) forwards an ``option.<name>``
only when ``<name>`` is in ``EngineArgs.__annotations__`` (``get_additional_vllm_engine_args``), turns it into
``--<name>=<value>`` (``construct_vllm_args_list``) and parses that with vLLM's own argparse parser, so a key that is
not an ``EngineArgs`` field vanishes without a word, and a value argparse rejects stops the container at start. The
types and choices come from ``deploy/data/vllm_0_8_4_engine_args.toml`` (compiled from vLLM 0.8.4's arg_utils.py).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from deploy.catalog.tables import PACKAGE_DIR, load_table
from deploy.records import record

# option.* keys LMI v15 accepts but never hands to vLLM, with why and what to write instead.
_SPEC_CONFIG = 'speculative_config (JSON), e.g. {"model": "<draft id>", "num_speculative_tokens": 5}'
DROPPED_BY_LMI = {
    **{
        key: f"not a vLLM 0.8.4 EngineArgs field (0.8.4 has only speculative_config), so LMI v15 drops it; "
        f"use {_SPEC_CONFIG}"
        for key in (
            "speculative_model",
            "num_speculative_tokens",
            "speculative_model_quantization",
            "speculative_draft_tensor_parallel_size",
            "speculative_max_model_len",
            "speculative_disable_by_batch_size",
            "ngram_prompt_lookup_max",
            "ngram_prompt_lookup_min",
        )
    },
    "disable_log_requests": "an AsyncEngineArgs field, but LMI v15 forwards only EngineArgs.__annotations__, so it "
    "is dropped; remove it (request logging is off in LMI's async service: request_logger=None)",
    "task": "declared by LMI v15's VllmRbProperties but never put into the engine arguments, so vLLM always runs "
    "task=auto; remove it (vLLM picks the task from the architecture)",
    "job_queue_size": "read by DJL Serving only as the top-level key job_queue_size (or SERVING_JOB_QUEUE_SIZE), "
    "never as option.job_queue_size; set engine.env.SERVING_JOB_QUEUE_SIZE instead",
}

# LMI's own declared keys (VllmRbProperties fields used by the async service), with the kinds they parse as.
LMI_OPTION_KINDS: dict[str, dict[str, Any]] = {
    "enable_auto_tool_choice": {"kind": "lmi_bool"},
    "tool_call_parser": {"kind": "str"},
    "enable_reasoning": {"kind": "lmi_bool"},
    "reasoning_parser": {"kind": "str"},
    "chat_template": {"kind": "str"},
    "chat_template_content_format": {"kind": "str", "choices": ["auto", "string", "openai"]},
    "max_loras": {"kind": "int"},
    "cpu_offload_gb_per_gpu": {"kind": "float"},
    "predict_timeout": {"kind": "int"},
}
# vLLM 0.8.4's @ToolParserManager.register_module names (vllm/entrypoints/openai/tool_parsers/*.py); LMI checks
# them only when enable_auto_tool_choice is on: "Invalid tool call parser: ... (chose from { ... })".
TOOL_PARSERS_0_8_4 = (  # in registration order, as LMI's message lists them
    "granite-20b-fc",
    "granite",
    "hermes",
    "internlm",
    "jamba",
    "llama3_json",
    "mistral",
    "phi4_mini_json",
    "pythonic",
)
# pydantic v2's lax bool strings: what LMI's own (pydantic) bool fields accept.
PYDANTIC_TRUE = {"true", "1", "yes", "on", "t", "y"}
PYDANTIC_FALSE = {"false", "0", "no", "off", "f", "n"}
LMI_PARSERS = {"tool_call_parser": "tool call", "reasoning_parser": "reasoning"}
# Matched with fullmatch (`$` would also accept a trailing newline); strings that `re` compiles on first use.
INT_TEXT = r"[+-]?\d+"
FLOAT_TEXT = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"


@record
class OptionProblem:
    """One option the image would drop or refuse: which key, the value, what happens, what to write."""

    key: str
    value: Any
    message: str
    fix: str

    def text(self) -> str:
        return f"engine.options.{self.key}={self.value!r}: {self.message}; {self.fix}"


@lru_cache(maxsize=1)
def engine_args() -> dict[str, dict[str, Any]]:
    """vLLM 0.8.4's engine arguments: name -> {class, kind, choices?, default, cli?}."""
    args: dict[str, dict[str, Any]] = load_table(PACKAGE_DIR / "data" / "vllm_0_8_4_engine_args.toml")
    return args


def forwarded_engine_args() -> frozenset[str]:
    """The names LMI v15 forwards to vLLM: EngineArgs fields only (AsyncEngineArgs' own are dropped)."""
    return frozenset(name for name, arg in engine_args().items() if arg["class"] == "EngineArgs")


def _spec_of(key: str) -> dict[str, Any] | None:
    if key in LMI_PARSERS:
        return {"kind": "lmi_parser"}
    return LMI_OPTION_KINDS.get(key) or engine_args().get(key)


def _parsers(key: str) -> tuple[str, ...]:
    """The parser names of vLLM 0.8.4 that LMI v15 accepts for ``tool_call_parser`` / ``reasoning_parser``."""
    if key == "tool_call_parser":
        return TOOL_PARSERS_0_8_4
    return tuple(engine_args()["reasoning_parser"]["choices"])


def _parser_problem(key: str, value: Any, flag: str) -> OptionProblem | None:
    """LMI v15 checks the name itself (VllmRbProperties.validate_*_parser), before vLLM's parser sees it."""
    names = _parsers(key)
    if _text(value) in names:
        return None
    return OptionProblem(
        key,
        value,
        f'not a parser of vLLM 0.8.4; LMI v15 stops at start: "Invalid {LMI_PARSERS[key]} parser: {_text(value)} '
        f'(chose from {{ {",".join(names)} }})"',
        f"use one of {', '.join(names)}",
    )


def option_problems(options: dict[str, Any]) -> list[OptionProblem]:
    """Every dropped key and every value vLLM 0.8.4's parser (or LMI's) would reject, in spec order."""
    problems: list[OptionProblem] = []
    for key, value in options.items():
        if key in DROPPED_BY_LMI:
            reason, _, fix = DROPPED_BY_LMI[key].partition("; ")
            problems.append(OptionProblem(key, value, reason, fix))
            continue
        spec = _spec_of(key)
        if spec is not None:
            problem = value_problem(key, value, spec)
            if problem is not None:
                problems.append(problem)
    problems.extend(_pairing_problems(options))
    return problems


def value_problem(key: str, value: Any, spec: dict[str, Any]) -> OptionProblem | None:
    """The refusal of one value by its kind and choices, quoting the parser's message."""
    kind = spec["kind"]
    flag = "--" + key.replace("_", "-")
    checker = _CHECKS.get(kind)
    problem = checker(key, value, flag) if checker else None
    if problem is None and "choices" in spec:
        problem = _choice_problem(key, value, flag, spec["choices"])
    return problem


def _int_problem(key: str, value: Any, flag: str) -> OptionProblem | None:
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and re.fullmatch(INT_TEXT, value))
    ):
        whole = f"; write {int(value)}" if isinstance(value, float) and value.is_integer() else ""
        return OptionProblem(
            key,
            value,
            f'vLLM 0.8.4 parses it with type=int and stops at start: "argument {flag}: invalid int value: '
            f"'{_text(value)}'\"",
            f"give a whole number{whole}",
        )
    return None


def _float_problem(key: str, value: Any, flag: str) -> OptionProblem | None:
    if isinstance(value, bool) or not (
        isinstance(value, (int, float)) or (isinstance(value, str) and re.fullmatch(FLOAT_TEXT, value))
    ):
        return OptionProblem(
            key,
            value,
            f"vLLM 0.8.4 parses it with type=float: \"argument {flag}: invalid float value: '{_text(value)}'\"",
            "give a number",
        )
    return None


def _bool_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower()
    return None


def _bool_problem(key: str, value: Any, flag: str) -> OptionProblem | None:
    if _bool_text(value) is None:
        return OptionProblem(
            key,
            value,
            f"a true/false switch; vLLM 0.8.4's StoreBoolean raises \"Invalid boolean value: {_text(value)}. "
            "Expected 'true' or 'false'.\"",
            "write true or false",
        )
    return None


def _lmi_bool_problem(key: str, value: Any, flag: str) -> OptionProblem | None:
    text = str(value).lower()
    if isinstance(value, bool) or (isinstance(value, (str, int)) and text in PYDANTIC_TRUE | PYDANTIC_FALSE):
        return None
    return OptionProblem(
        key,
        value,
        f'an LMI switch (a pydantic bool of VllmRbProperties): "Input should be a valid boolean, unable to '
        f'interpret input" for {_text(value)!r}',
        "write true or false",
    )


def _flag_problem(key: str, value: Any, flag: str) -> OptionProblem | None:
    if _bool_text(value) is None:
        return OptionProblem(
            key,
            value,
            f"a vLLM flag: LMI v15 passes `true` as a bare {flag} and any other text as {flag}={_text(value)}, "
            f"which argparse refuses (\"argument {flag}: ignored explicit argument '{_text(value)}'\")",
            "write true (false is dropped by LMI v15: it cannot switch a flag off)",
        )
    return None


def _json_problem(key: str, value: Any, flag: str) -> OptionProblem | None:
    try:
        parsed = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        return OptionProblem(
            key,
            value,
            f'vLLM 0.8.4 parses it with json.loads and stops at start: "argument {flag}: invalid loads value: '
            f'{_text(value)!r}"',
            'write a JSON object in a string, e.g. \'{"key": "value"}\' (double quotes inside)',
        )
    return None


def _kvs_problem(key: str, value: Any, flag: str) -> OptionProblem | None:
    items = str(value).split(",")
    if all(re.fullmatch(r"\s*[\w.-]+\s*=\s*\d+\s*", item) for item in items):
        return None
    return OptionProblem(
        key,
        value,
        "vLLM 0.8.4 parses it as comma-separated KEY=INT pairs (nullable_kvs): "
        '"Each item should be in the form KEY=VALUE"',
        "write e.g. image=4,video=1",
    )


def _choice_problem(key: str, value: Any, flag: str, choices: list[Any]) -> OptionProblem | None:
    text = _text(value)
    if any(text == _text(choice) for choice in choices):
        return None
    shown = ", ".join(repr(c) for c in choices)
    parsed = int(text) if re.fullmatch(INT_TEXT, text) and all(isinstance(c, int) for c in choices) else text
    return OptionProblem(
        key,
        value,
        f'vLLM 0.8.4 accepts only these choices: "argument {flag}: invalid choice: {parsed!r} (choose from {shown})"',
        f"use one of {', '.join(_text(c) for c in choices)}",
    )


_CHECKS = {
    "int": _int_problem,
    "float": _float_problem,
    "bool": _bool_problem,
    "lmi_bool": _lmi_bool_problem,
    "lmi_parser": _parser_problem,
    "flag": _flag_problem,
    "json": _json_problem,
    "kvs": _kvs_problem,
}


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _is_on(options: dict[str, Any], key: str) -> bool:
    value = options.get(key)
    return value is True or (isinstance(value, (str, int)) and str(value).lower() in PYDANTIC_TRUE)


def _pairing_problems(options: dict[str, Any]) -> list[OptionProblem]:
    """Switches that need their parser (LMI raises "Invalid ... parser: None"), and parsers with no switch."""
    out = []
    for switch, parser in (("enable_auto_tool_choice", "tool_call_parser"), ("enable_reasoning", "reasoning_parser")):
        if _is_on(options, switch) and parser not in options:
            # The parser names only when they are quoted: reading them loads the engine-argument table.
            choices, kind = _parsers(parser), LMI_PARSERS[parser]
            out.append(
                OptionProblem(
                    switch,
                    options[switch],
                    f'LMI v15 then validates {parser} and stops at start: "Invalid {kind} parser: None '
                    f'(chose from {{ {",".join(choices)} }})"',
                    f"add engine.options.{parser} (one of {', '.join(choices)})",
                )
            )
        if parser in options and not _is_on(options, switch):
            out.append(
                OptionProblem(
                    parser,
                    options[parser],
                    f"has no effect unless {switch} is true (LMI v15's async service reads it only then)",
                    f"add engine.options.{switch}: true, or remove {parser}",
                )
            )
    return out


def render_false(key: str) -> bool:
    """Whether LMI v15 can pass ``key=false`` to vLLM: only for StoreBoolean arguments (``--x=false`` parses)."""
    spec = _spec_of(key)
    return spec is not None and spec["kind"] in ("bool", "lmi_bool")
