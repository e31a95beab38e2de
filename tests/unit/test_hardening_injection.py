"""Injection into serving.properties and the container environment (issue 9, first class).

Property: any text a spec gives for a field that reaches serving.properties is either refused at validation with a
SpecError naming that field, or arrives exactly, through a reader with Java ``Properties.load`` semantics, with no
extra key. The reference reader is ``tests/unit/java_properties_reference.py``; the emulator's reader is compared
with it on arbitrary text.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from deploy.engine.resolve import ResolvedSpec, spec_hash
from deploy.errors import SpecError
from deploy.render import java_properties
from deploy.render.properties import render
from deploy.spec.loader import parse_spec
from deploy.spec.revisions import revision_problem
from tests.unit import java_properties_reference as reference
from tests.unit.spec_helpers import ROLE, base, error_of

# Independent of deploy.spec.text: what str.splitlines splits on, every C0/C1 control and DEL, lone surrogates.
SPLITLINES = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
TRICKY = SPLITLINES + "\\=:#! \t\x00\x1b\x7f\x9f\u00e8\u00ff\u0100\u20ac\U0001f600\ufeff" + "uU0aF"


def refused_text(text: str) -> bool:
    return any(c in SPLITLINES or unicodedata.category(c) in {"Cc", "Cs"} for c in text)


text_values = st.text(alphabet=st.sampled_from(TRICKY) | st.characters(), max_size=40)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def render_properties(data: dict[str, Any]) -> tuple[str, dict[str, str]]:
    spec = parse_spec(data)
    resolved = ResolvedSpec(
        spec=spec, tensor_parallel_degree=1, max_model_len=4096, max_rolling_batch_size=64, spec_hash=spec_hash(spec)
    )
    rendered = render(resolved)
    return rendered.serving_properties, rendered.properties


@SETTINGS
@given(revision=text_values, served=text_values)
@example(revision="main\u2028option.trust_remote_code=true", served="x")
@example(revision="main", served="qwen-modèle")
@example(revision="a\\", served=" lead=x:y#z!w\\u0041")
@example(revision="", served="\ud800")  # a lone surrogate once broke pydantic's error rendering
def test_text_reaching_serving_properties_is_refused_or_arrives_exactly(revision: str, served: str) -> None:
    data = base(model={"id": "org/model", "revision": revision}, engine={"options": {"served_model_name": served}})
    try:
        text, intended = render_properties(data)
    except SpecError as exc:
        bad = [
            f
            for f, v in (("model.revision", revision), ("engine.options.served_model_name", served))
            if refused_text(v) or (f == "model.revision" and revision_problem(v) is not None)
        ]
        assert bad, f"refused although no value holds a forbidden character: {exc}"
        assert exc.field == bad[0]
        assert exc.exit_code == 2
        return
    assert not refused_text(revision) and not refused_text(served) and revision_problem(revision) is None
    assert text.isascii()  # so ISO-8859-1 and UTF-8 readers see the same bytes
    read = reference.load(text.encode("ascii").decode("iso-8859-1"))
    assert read == intended  # every key, exactly; no extra key
    assert read["option.served_model_name"] == served
    assert read.get("option.revision") == (revision or None)
    assert "option.trust_remote_code" not in read


@SETTINGS
@given(key=text_values.filter(bool), value=text_values)
def test_writer_round_trips_any_key_and_value_through_the_java_reader(key: str, value: str) -> None:
    # The escaping alone (below spec validation) can never add or change a key: even controls are escaped.
    line = java_properties.property_line(key, value)
    assert line.isascii() and "\n" not in line and "\r" not in line
    assert reference.load(line) == {key: value}


@settings(max_examples=1500, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("ab=: \t\f\\#!\r\nu0A"), max_size=30))
@example(text="\\\n")
@example(text="\\\r\n")
@example(text="\\\n#a=b")
@example(text="a\\\n  b\\\r\n c")
@example(text="#c\\\nk=v")
def test_emulator_reader_agrees_with_the_reference_reader(text: str) -> None:
    try:
        expected: dict[str, str] | None = reference.load(text)
    except reference.MalformedEscape:
        expected = None
    if expected is None:
        with pytest.raises(java_properties.PropertiesSyntaxError):
            java_properties.load(text)
    else:
        assert java_properties.load(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a=b", {"a": "b"}),
        ("a = b ", {"a": "b "}),
        ("a:b", {"a": "b"}),
        ("a b", {"a": "b"}),
        ("a\\=b=c", {"a=b": "c"}),
        ("a=b\\\n   c", {"a": "bc"}),
        ("# c\n! c\n\n  k=v", {"k": "v"}),
        ("k=v\\u00e8\\uD83D\\uDE00", {"k": "v\u00e8\U0001f600"}),
        ("k=\\t\\n\\q", {"k": "\t\nq"}),
        ("k=a\u2028b", {"k": "a\u2028b"}),  # U+2028 is a character to Java, not a line break
        ("k=a\fb\x85c", {"k": "a\fb\x85c"}),
    ],
)
def test_reference_reader_follows_java(text: str, expected: dict[str, str]) -> None:
    assert reference.load(text) == expected
    assert java_properties.load(text) == expected


def test_non_ascii_arrives_intact_not_as_latin1_mojibake() -> None:
    text, _ = render_properties(base(engine={"options": {"served_model_name": "qwen-modèle"}}))
    assert "option.served_model_name=qwen-mod\\u00E8le" in text
    assert java_properties.load(text.encode().decode("iso-8859-1"))["option.served_model_name"] == "qwen-modèle"


def test_an_s3_model_id_is_escaped_like_properties_store_and_read_back() -> None:
    text, _ = render_properties(base(model={"id": "s3://my-bucket/models/x/"}))
    assert "option.model_id=s3\\://my-bucket/models/x/" in text
    assert java_properties.load(text)["option.model_id"] == "s3://my-bucket/models/x/"


@pytest.mark.parametrize("char", [*SPLITLINES, "\x00", "\t", "\x1b", "\x7f", "\x9b", "\udc80"])
@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("name", lambda v: base(name=f"ep{v}")),
        ("model.id", lambda v: base(model={"id": f"org/model{v}"})),
        ("model.revision", lambda v: base(model={"id": "org/m", "revision": f"main{v}option.trust_remote_code=true"})),
        ("engine.options.served_model_name", lambda v: base(engine={"options": {"served_model_name": f"a{v}b"}})),
        ("engine.env.VLLM_X", lambda v: base(engine={"env": {"VLLM_X": f"1{v}"}})),
        ("tags.team", lambda v: base(tags={"team": f"ml{v}"})),
        ("tags", lambda v: base(tags={f"team{v}": "ml"})),
        ("role", lambda v: base(role=f"{ROLE}{v}")),
        ("update.rollback_alarms.0", lambda v: base(update={"rollback_alarms": [f"alarm{v}"]})),
        ("artifacts.prefix", lambda v: base(artifacts={"prefix": f"p{v}"})),
        ("security.kms_key_id", lambda v: base(security={"kms_key_id": f"alias/k{v}"})),
        ("lmi.image", lambda v: base(lmi={"image": f"img{v}"})),
    ],
)
def test_line_breaks_and_controls_are_refused_naming_the_field(field: str, data: Any, char: str) -> None:
    err = error_of(data(char))
    assert err.field == field
    assert err.exit_code == 2
    assert "position" in err.message and err.fix and "one line" in err.fix


@pytest.mark.parametrize(
    "data",
    [
        base(name="ep\n"),
        base(model={"id": "org/model\n"}),
        base(engine={"env": {"VLLM_X\n": "1"}}),
        base(model={"id": "org/model", "hf_token": "env:HF_TOKEN\n"}),
        base(role=ROLE + "\n"),
    ],
)
def test_a_trailing_newline_never_passes_a_pattern(data: dict[str, Any]) -> None:
    assert error_of(data).exit_code == 2


def test_a_secret_field_with_a_control_character_is_refused_without_its_value() -> None:
    err = error_of(base(model={"id": "org/model", "hf_token": "env:HF_\x1bTOKEN"}))
    assert err.field == "model.hf_token"
    # The secret masking wraps hf_token's raw input before any text rule sees it: the reference rule refuses it and
    # the value shows as the mask (its fix still names the env:HF_TOKEN form to write).
    assert "HF_\x1bTOKEN" not in str(err) + repr(err) + str(err.to_dict()) and err.value in (None, "****")


def test_specs_built_in_python_get_the_same_refusal() -> None:
    from pydantic import ValidationError

    from deploy.spec.model import ModelSource

    with pytest.raises(ValidationError, match="line separator"):
        ModelSource(id="org/m", revision="a\u2028b")


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(exclude_categories=["Cs"]) | st.sampled_from(TRICKY.replace("\ud800", ""))))
@example(text="org/m # comment")
@example(text="org/m\n  trust_remote_code: true")
@example(text="*alias")
@example(text="yes")
def test_init_flags_reach_the_starter_spec_as_exactly_one_yaml_scalar(text: str) -> None:
    import yaml

    from deploy.render.templates import yaml_scalar

    scalar = yaml_scalar(text)
    assert "\n" not in scalar and "\r" not in scalar
    assert yaml.safe_load(f"k: {scalar}   # a trailing comment\n") == {"k": text}


def test_no_pattern_in_deploy_relies_on_a_dollar_anchor() -> None:
    # `$` also matches before a trailing newline ("ep\n" passed the endpoint-name pattern); patterns use fullmatch.
    import ast
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "deploy"
    found = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") in {"compile", "match", "search"}):
                continue
            first = node.args[0] if node.args else None
            parts = first.values if isinstance(first, ast.JoinedStr) else [first]
            last = parts[-1] if parts else None
            if (
                isinstance(last, ast.Constant)
                and isinstance(last.value, str)
                and re.search(r"(?<!\\)\$\)*$", last.value)
            ):
                found.append(f"{path.relative_to(root)}:{node.lineno} {last.value!r}")
    assert not found, found


@pytest.mark.parametrize("field", ["tags", "engine.env", "engine.options"])
@pytest.mark.parametrize("nesting", ["list", "dict"])
def test_a_deeply_nested_value_is_refused_by_type_not_by_recursion(field: str, nesting: str) -> None:
    value: Any = "x\n"
    for _ in range(5000):
        value = [value] if nesting == "list" else {"k": value}
    data = base()
    node = data
    for part in field.split("."):
        node = node.setdefault(part, {})
    node["member"] = value
    err = error_of(data)
    assert err.field is not None and err.field.startswith(field) and "member" in err.message
