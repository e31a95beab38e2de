"""Hostile inputs for the adversarial CLI suite: each case is a set of files, an environment and what must happen.

Two secrets are planted: ``TOKEN`` has the shape of a Hugging Face token (so it is recognisable in any field) and
``PASSWORD`` has no recognisable shape (so only knowing which fields and variables are secret can hide it). Neither
may appear in any output stream or any file written under the case's directory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TOKEN = "hf_AdvSuiteSecretAdvSuiteSecret0042"
PASSWORD = "Adv-suite-p4ss-Q7x"
SECRETS = (TOKEN, PASSWORD)
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"
TOML = "spec.toml"
CONFIGS = Path(__file__).resolve().parents[1] / "fixtures" / "configs"


def spec(**overrides: Any) -> dict[str, Any]:
    """A valid spec (Qwen2.5-7B on one ml.g6e.2xlarge, no autoscaling) with top-level ``overrides``."""
    data: dict[str, Any] = {
        "name": "adv",
        "region": "us-east-1",
        "role": ROLE,
        "model": {"id": "Qwen/Qwen2.5-7B-Instruct"},
        "instance": {"type": "ml.g6e.2xlarge", "count": 1},
    }
    data.update(overrides)
    return data


def model(**fields: Any) -> dict[str, Any]:
    return {"model": {"id": "Qwen/Qwen2.5-7B-Instruct", **fields}}


@dataclass(frozen=True)
class Case:
    """``files``: relative path -> text/bytes/data (data is dumped as YAML, or TOML-ish by the test for .toml)."""

    name: str
    files: dict[str, Any]
    exits: frozenset[int] = frozenset({2})
    env: dict[str, str | None] = field(default_factory=dict)  # None removes a variable
    spec_file: str = "spec.yaml"
    note: str = ""
    command_exits: dict[str, frozenset[int]] = field(default_factory=dict)  # per command, overrides ``exits``
    secrets: tuple[str, ...] = SECRETS
    deploy: bool = False  # also run ``deploy --local --yes`` (the emulator starts when the spec is valid)

    def exits_for(self, command: str) -> frozenset[int]:
        return self.command_exits.get(command, self.exits)


def yaml_text(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _secret_cases() -> list[Case]:
    where: dict[str, dict[str, Any]] = {
        "token-literal": model(hf_token=TOKEN),
        "token-bearer": model(hf_token=f"Bearer {TOKEN}"),
        "token-password": model(hf_token=PASSWORD),
        "token-password-list": model(hf_token=[PASSWORD]),
        "token-password-map": model(hf_token={"value": PASSWORD}),
        "token-number": model(hf_token=73311234567890123),
        "token-env-newline": model(hf_token=f"env:HF_TOKEN\n{PASSWORD}"),
        "in-name": {"name": TOKEN},
        "in-role": {"role": f"arn:aws:iam::123456789012:role/{TOKEN}"},
        "in-model-id": {"model": {"id": f"org/{TOKEN}"}},
        "in-revision": model(revision=TOKEN),
        "in-config-path": model(config=f"./{TOKEN}.json"),
        "in-env-value": {"engine": {"env": {"HUGGING_FACE_HUB_TOKEN": TOKEN}}},
        "in-env-key": {"engine": {"env": {TOKEN: "1"}}},
        "in-option": {"engine": {"options": {"max_loras": f"Bearer {TOKEN}"}}},
        "in-option-key": {"engine": {"options": {TOKEN: 1}}},
        "in-tag-value": {"tags": {"team": TOKEN}},
        "in-tag-key": {"tags": {TOKEN: "x"}},
        "in-alarm": {"update": {"rollback_alarms": [TOKEN]}},
        "in-image": {"lmi": {"image": f"{TOKEN}.dkr.ecr.us-east-1.amazonaws.com/x:1"}},
        "in-bucket": {"artifacts": {"bucket": TOKEN.lower()}},
        "in-prefix": {"artifacts": {"prefix": TOKEN}},
        "in-kms": {"security": {"kms_key_id": TOKEN}},
        "in-subnet": {"security": {"vpc": {"subnets": [TOKEN], "security_groups": ["sg-1"]}}},
        "in-async-path": {"async_inference": {"output_path": f"s3://bucket/{TOKEN}/"}},
        "in-unknown-key-value": {"surprise": TOKEN},
        "in-unknown-key-name": {TOKEN: 1},
    }
    cases = [Case(name, {"spec.yaml": spec(**data)}, deploy=name.startswith("token-")) for name, data in where.items()]
    cases += [
        Case("token-unterminated-quote", {"spec.yaml": f'name: adv\nmodel:\n  hf_token: "{PASSWORD}\n'}),
        Case("token-flow-syntax", {"spec.yaml": f"name: adv\nmodel: {{hf_token: {PASSWORD}: x}}\n"}),
        Case("token-tab-indent", {"spec.yaml": f"name: adv\nmodel:\n\thf_token: {PASSWORD}\n"}),
        Case("toml-token-literal", {"spec.toml": _toml(spec(**model(hf_token=PASSWORD)))}, spec_file="spec.toml"),
        Case(
            "toml-token-syntax",
            {"spec.toml": f'name = "adv"\n[model]\nhf_token = "{PASSWORD}\n'},
            spec_file="spec.toml",
        ),
        Case(
            "duplicate-key-token",
            {"spec.yaml": f"name: adv\nrole: {ROLE}\nmodel:\n  id: a/b\n" + f"  hf_token: {PASSWORD}\n" * 2},
        ),
    ]
    return cases


def _toml(data: dict[str, Any]) -> str:
    """Just enough TOML for these specs: scalars at the top, one level of tables."""
    top = [f"{key} = {json.dumps(value)}" for key, value in data.items() if not isinstance(value, dict)]
    tables = []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append(f"[{key}]")
            tables += [f"{k} = {json.dumps(v)}" for k, v in value.items()]
    return "\n".join(top + tables) + "\n"


def _exhaustion_cases() -> list[Case]:
    laughs = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    laughs += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    chain = ["c0: &c0 [1]"] + [f"c{i}: &c{i} [*c{i - 1}]" for i in range(1, 120)]
    return [
        Case("billion-laughs", {"spec.yaml": "\n".join(laughs) + "\nname: adv\n"}),
        Case("alias-chain-depth", {"spec.yaml": "\n".join(chain) + "\nname: adv\n"}),
        Case("recursive-alias", {"spec.yaml": "a: &a [*a]\nname: adv\n"}),
        Case("deep-flow-nesting", {"spec.yaml": "name: " + "[" * 20_000 + "]" * 20_000 + "\n"}),
        Case("deep-block-nesting", {"spec.yaml": "".join(" " * i + "k:\n" for i in range(300)) + " " * 300 + "v: 1\n"}),
        Case("many-values", {"spec.yaml": "name: adv\nl: [" + ",".join(["1"] * 200_000) + "]\n"}),
        Case("huge-file", {"spec.yaml": "name: adv\n" + "# padding line\n" * 120_000}),
        Case("toml-deep-arrays", {"spec.toml": "a = " + "[" * 20_000 + "]" * 20_000 + "\n"}, spec_file="spec.toml"),
        Case(
            "toml-deep-tables",
            {"spec.toml": "[" + ".".join(f"k{i}" for i in range(3000)) + "]\nv = 1\n"},
            spec_file="spec.toml",
        ),
        Case("not-utf8", {"spec.yaml": b"name: adv\nrole: \xff\xfe\n"}),
        Case("empty-file", {"spec.yaml": ""}),
        Case("binary-noise", {"spec.yaml": bytes(range(256)) * 4}),
    ]


def _value_cases() -> list[Case]:
    bad = {
        "count-huge": {"instance": {"type": "ml.g6e.2xlarge", "count": 10**30}},
        "max-model-len-inf": {"engine": {"max_model_len": float("inf")}},
        "tp-huge": {"engine": {"tensor_parallel_degree": 99999999999999999999}},
        "gpu-util-nan": {"engine": {"gpu_memory_utilization": float("nan")}},
        "name-list": {"name": ["a", "b"]},
        "model-string": {"model": "Qwen/Qwen2.5-7B-Instruct"},
        "engine-number": {"engine": 5},
        "tags-list": {"tags": [1, 2]},
        "options-nested": {"engine": {"options": {"max_loras": {"a": 1}}}},
    }
    cases = [Case(name, {"spec.yaml": spec(**data)}) for name, data in bad.items()]
    cases.append(Case("top-level-list", {"spec.yaml": "- a\n- b\n"}))
    return cases


def _control_char_cases() -> list[Case]:
    members = {
        "ctl-newline-model-id": {"model": {"id": "Qwen/Qwen2.5-7B-Instruct\n"}},
        "ctl-u2028-revision": model(revision="main\u2028option.trust_remote_code=true"),
        "ctl-cr-name": {"name": "adv\r"},
        "ctl-nul-tag": {"tags": {"team": "a\x00b"}},
        "ctl-escape-option": {"engine": {"options": {"max_loras": "1\x1b[2J"}}},
        "aws-count-bool": {"instance": {"type": "ml.g6e.2xlarge", "count": True}},
        "aws-scaling-target-inf": {"scaling": {"min": 1, "max": 2, "target": float("inf")}},
    }
    return [Case(name, {"spec.yaml": spec(**data)}, note="injection") for name, data in members.items()]


def _config_cases() -> list[Case]:
    base = json.loads((CONFIGS / "qwen2.5-7b-instruct.json").read_text())
    bad = {
        "cfg-heads-zero": {"num_attention_heads": 0},
        "cfg-hidden-negative": {"hidden_size": -3584},
        "cfg-layers-string": {"num_hidden_layers": "28"},
        "cfg-kv-heads-bool": {"num_key_value_heads": True},
        "cfg-vocab-infinity": {"vocab_size": float("inf")},
        "cfg-quant-string": {"quantization_config": "awq"},
        "cfg-huge-positions": {"max_position_embeddings": 10**40},
        "cfg-intermediate-list": {"intermediate_size": [18944]},
    }
    cases = []
    for name, change in bad.items():
        text = json.dumps({**base, **change})  # Python writes inf as Infinity, which Python's reader accepts
        cases.append(Case(name, {"spec.yaml": spec(**model(config="./config.json")), "config.json": text}))
    cases.append(Case("cfg-deep", {"spec.yaml": spec(**model(config="./config.json")), "config.json": "[" * 50_000}))
    return cases


LONG_TOKEN = "hf_" + "Q" * 1100
OK = frozenset({0})
PLAN_REFUSED = {"plan": frozenset({2}), "deploy": frozenset({2})}


def _reference_cases() -> list[Case]:
    """Valid specs whose reference resolves (or not) at plan time: validate and render never need the value."""
    gated = {"spec.yaml": spec(**model(hf_token="env:HF_TOKEN"))}
    gated_env = {"spec.yaml": spec(**model(hf_token="env:HF_TOKEN"), delivery="env")}
    return [
        Case("ref-password", gated, exits=OK, deploy=True),
        Case("ref-token-env-delivery", gated_env, exits=OK, env={"HF_TOKEN": TOKEN}, deploy=True),
        Case("ref-unset", gated, exits=OK, env={"HF_TOKEN": None}, command_exits=PLAN_REFUSED, deploy=True),
        Case("ref-empty", gated, exits=OK, env={"HF_TOKEN": ""}, command_exits=PLAN_REFUSED),
        Case(
            "ref-oversized",
            gated_env,
            exits=OK,
            env={"HF_TOKEN": LONG_TOKEN},
            command_exits=PLAN_REFUSED,
            secrets=(*SECRETS, LONG_TOKEN[:40]),
            deploy=True,
        ),
        Case(
            "ref-trailing-newline",
            gated,
            exits=OK,
            env={"HF_TOKEN": PASSWORD + "\n"},
            command_exits=PLAN_REFUSED,
        ),
    ]


def all_cases() -> list[Case]:
    return [
        *_secret_cases(),
        *_reference_cases(),
        *_exhaustion_cases(),
        *_value_cases(),
        *_control_char_cases(),
        *_config_cases(),
    ]
