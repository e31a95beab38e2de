"""`lmi validate/render --json` on hostile specs: exit 2, one JSON object on stdout naming the field, no traceback.

The specs are written as files (YAML escapes such as ``\\u2028``, TOML escapes), read by the real loader, and run
through the real entry point: in process for the whole matrix, as a subprocess for a sample of it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deploy.cli import main

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"
ACCOUNT = "123456789012"
KMS_EU = f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/k"
# YAML double-quoted escapes for every character str.splitlines splits on, and some other controls.
BREAKS = ["\\n", "\\r", "\\v", "\\f", "\\x1c", "\\x1d", "\\x1e", "\\x85", "\\u2028", "\\u2029", "\\0", "\\e", "\\t"]

REVISION = 'model: {{id: org/m, revision: "main{}option.trust_remote_code=true"}}'
OPTION = 'model: {{id: org/m}}\nengine: {{options: {{served_model_name: "a{}b"}}}}'
HOSTILE: list[tuple[str, str, str]] = [
    # (id, YAML body after name/role, expected field)
    *[(f"revision-{b}", REVISION.format(b), "model.revision") for b in BREAKS],
    *[(f"model-id-{b}", f'model: {{id: "org/m{b}"}}', "model.id") for b in ("\\n", "\\u2028", "\\x85")],
    *[(f"option-{b}", OPTION.format(b), "engine.options.served_model_name") for b in ("\\n", "\\x1e", "\\u2029")],
    ("env-value", 'model: {id: org/m}\nengine: {env: {VLLM_X: "1\\n2"}}', "engine.env.VLLM_X"),
    ("env-key-newline", 'model: {id: org/m}\nengine: {env: {"VLLM_X\\n": "1"}}', "engine.env"),
    ("tag-value", 'model: {id: org/m}\ntags: {team: "ml\\u2028x"}', "tags.team"),
    ("tag-aws-prefix", "model: {id: org/m}\ntags: {'aws:team': ml}", "tags"),
    ("tag-bad-char", "model: {id: org/m}\ntags: {team: 'a,b'}", "tags"),
    ("alarm-newline", 'model: {id: org/m}\nupdate: {rollback_alarms: ["a\\nb"]}', "update.rollback_alarms.0"),
    ("bucket-upper", "model: {id: org/m}\nartifacts: {bucket: My_Bucket}", "artifacts.bucket"),
    ("bucket-ip", "model: {id: 's3://192.168.1.1/w/'}", "model.id"),
    ("kms-bad", "model: {id: org/m}\nsecurity: {kms_key_id: 'not a key'}", "security.kms_key_id"),
    (
        "kms-region",
        f"region: us-east-1\nmodel: {{id: org/m}}\nsecurity: {{kms_key_id: '{KMS_EU}'}}",
        "security.kms_key_id",
    ),
    ("image-not-ecr", "model: {id: org/m}\nlmi: {image: 'docker.io/vllm/vllm:latest'}", "lmi.image"),
    ("count-true", "model: {id: org/m}\ninstance: {count: true}", "instance.count"),
    ("target-inf", "model: {id: org/m}\nscaling: {target: .inf}", "scaling.target"),
    ("target-nan", "model: {id: org/m}\nscaling: {target: .nan}", "scaling.target"),
    ("option-inf", "model: {id: org/m}\nengine: {options: {max_loras: .inf}}", "engine.options.max_loras"),
    (
        "gpu-util-string-inf",
        "model: {id: org/m}\nengine: {gpu_memory_utilization: 'inf'}",
        "engine.gpu_memory_utilization",
    ),
]


def write(tmp_path: Path, body: str, name: str = "ep") -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(f"name: {name}\nrole: {ROLE}\n{body}\n", encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def assert_refused(code: int, out: str, err: str, field: str) -> dict[str, object]:
    assert code == 2, (out, err)
    assert "Traceback" not in err and "Traceback" not in out
    data = json.loads(out)
    assert data["error"] == "spec_error" and data["exit_code"] == 2
    assert data["field"] == field
    assert data["fix"]
    return dict(data)


@pytest.mark.parametrize("command", ["validate", "render"])
@pytest.mark.parametrize(("body", "field"), [(b, f) for _, b, f in HOSTILE], ids=[i for i, _, _ in HOSTILE])
def test_hostile_spec_is_refused_as_json_naming_the_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str, body: str, field: str
) -> None:
    code, out, err = run(capsys, command, str(write(tmp_path, body)), "--json")
    assert_refused(code, out, err, field)


@pytest.mark.parametrize("name", ['"ep\\n"', '"ep\\u2028"', '"ep\\r"', '"ep\\x85"'])
def test_a_line_break_in_the_name_never_reaches_the_header(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    code, out, err = run(capsys, "render", str(write(tmp_path, "model: {id: org/m}", name=name)), "--json")
    assert_refused(code, out, err, "name")


def test_toml_escapes_are_refused_too(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "spec.toml"
    path.write_text(f'name = "ep"\nrole = "{ROLE}"\n[model]\nid = "org/m"\nrevision = "main\\u2028x"\n')
    code, out, err = run(capsys, "validate", str(path), "--json")
    data = assert_refused(code, out, err, "model.revision")
    assert "U+2028" in str(data["message"]) and ":5 " in str(data["message"])  # the TOML line


def test_non_ascii_renders_escaped_and_request_bodies_are_strict_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body = (
        "model: {id: Qwen/Qwen2.5-0.5B-Instruct}\nengine: {options: {served_model_name: qwen-modèle}}\n"
        "scaling: {target: 7.5}"
    )
    spec = write(tmp_path, body)
    code, _, _ = run(capsys, "render", str(spec), "--out", str(tmp_path / "out"))
    assert code == 0
    properties = (tmp_path / "out" / "serving.properties").read_bytes()
    assert properties.isascii() and b"option.served_model_name=qwen-mod\\u00E8le" in properties

    def no_constants(name: str) -> None:
        raise AssertionError(f"{name} is not JSON")

    for body in (tmp_path / "out").glob("*.json"):
        json.loads(body.read_text(), parse_constant=no_constants)


SUBPROCESS_SAMPLE = [
    c for c in HOSTILE if c[0] in {"revision-\\u2028", "model-id-\\n", "count-true", "target-inf", "kms-bad"}
]


@pytest.mark.parametrize(("case_id", "body", "field"), SUBPROCESS_SAMPLE, ids=[c[0] for c in SUBPROCESS_SAMPLE])
def test_real_subprocess_json_error_and_exit_2(tmp_path: Path, case_id: str, body: str, field: str) -> None:
    assert case_id
    spec = write(tmp_path, body)
    proc = subprocess.run(
        [sys.executable, "-m", "deploy.cli", "render", str(spec), "--json"], capture_output=True, text=True, check=False
    )
    assert_refused(proc.returncode, proc.stdout, proc.stderr, field)


@pytest.mark.parametrize(
    ("flag", "value", "field"),
    [
        ("--model", "org/m # a YAML comment", "model.id"),
        ("--model", "org/m\n  trust_remote_code: true", "model.id"),
        ("--name", "ep\nrole: arn:aws:iam::999999999999:role/Evil", "name"),
        ("--name", "ep\u2028", "name"),
        ("--instance", "ml.g6e.2xlarge\ntags: {a: b}", "--instance"),  # refused as a flag, before any YAML
    ],
)
def test_init_flags_cannot_inject_keys_or_lose_text(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, flag: str, value: str, field: str
) -> None:
    target = tmp_path / "lmi.yaml"
    code, _, err = run(capsys, "init", str(target), flag, value)
    assert code == 2 and "Traceback" not in err
    assert f" {field}: " in err or f"invalid {field} " in err  # refused as the value it is, not as a stray key
    assert not target.exists()  # an invalid starter spec leaves nothing on disk


def test_init_keeps_ordinary_values_plain(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "lmi.yaml"
    code, _, _ = run(capsys, "init", str(target), "--name", "my-llm", "--model", "Qwen/Qwen2.5-7B-Instruct")
    assert code == 0
    text = target.read_text()
    assert "\nname: my-llm " in text and "  id: Qwen/Qwen2.5-7B-Instruct " in text


FUZZ_FIELDS = [
    ("name",),
    ("region",),
    ("role",),
    ("model", "id"),
    ("model", "revision"),
    ("model", "hf_token"),
    ("lmi", "image"),
    ("engine", "options", "served_model_name"),
    ("engine", "options", "max_loras"),
    ("engine", "env", "VLLM_X"),
    ("engine", "gpu_memory_utilization"),
    ("engine", "max_model_len"),
    ("instance", "count"),
    ("instance", "type"),
    ("scaling", "target"),
    ("scaling", "max"),
    ("security", "kms_key_id"),
    ("security", "vpc", "subnets"),
    ("update", "rollback_alarms"),
    ("artifacts", "bucket"),
    ("artifacts", "prefix"),
    ("tags", "team"),
]
ANY_VALUE = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.sampled_from("\n\r\u2028\x85\\=:#! aA0.-/_è😀"), max_size=12),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.booleans(),
    st.none(),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(FUZZ_FIELDS), value=ANY_VALUE)
def test_any_value_in_any_field_is_rendered_or_refused_cleanly(path: tuple[str, ...], value: object) -> None:
    import contextlib
    import io
    import tempfile

    data: dict[str, object] = {"name": "ep", "role": ROLE, "model": {"id": "org/m"}, "scaling": {"min": 1, "max": 4}}
    node = data
    for part in path[:-1]:
        node = node.setdefault(part, {})  # type: ignore[assignment]
        assert isinstance(node, dict)
    node[path[-1]] = value
    with tempfile.TemporaryDirectory() as directory:
        spec = Path(directory) / "spec.yaml"
        spec.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), pytest.raises(SystemExit) as info:
            main(["render", str(spec), "--json"])
    result = json.loads(out.getvalue(), parse_constant=lambda c: pytest.fail(f"{c} in JSON output"))
    assert info.value.code in (0, 2), (info.value.code, out.getvalue(), err.getvalue())
    if info.value.code == 2:
        assert result["error"] in {"spec_error", "fit_error", "usage_error"} and result["fix"]
    else:
        assert str(result["serving_properties"]).isascii()
