"""serving.properties end to end through the emulator: what the spec says is what the container reads.

A non-ASCII option value and an ``s3://`` model id (both escaped like ``Properties.store``) are deployed with
delivery ``properties``; the emulator reads the uploaded file as ISO-8859-1 with Java semantics, so the served
model name comes back intact (not as Latin-1 mojibake) and nothing extra (``trust_remote_code``) appears.
The emulator's settings reader itself: escaped line separators stay inside their value, a malformed ``\\u``
escape fails startup as Java's IllegalArgumentException would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

try:
    from tests.functional.conftest_engine import FAST_WAITER
except ImportError:  # rootdir not on sys.path: the test directory is
    from conftest_engine import FAST_WAITER  # type: ignore[no-redef]

from deploy import client
from deploy.local.settings import StartupError, merge_settings, parse_properties
from deploy.local.testing import lmi_emulator

__all__ = ["lmi_emulator"]
REPO = Path(__file__).resolve().parents[2]


def test_a_non_ascii_option_value_reaches_the_container_intact(lmi_emulator: Any, tmp_path: Path) -> None:
    ctx = lmi_emulator.context()
    ctx.client("s3").create_bucket(Bucket="props-bucket")
    data = yaml.safe_load((REPO / "examples" / "qwen25-7b.yaml").read_text())
    data.update(
        artifacts={"bucket": "props-bucket"},
        engine={"options": {"served_model_name": "qwen-modèle #1: a=b"}},
        model={"id": "Qwen/Qwen2.5-7B-Instruct", "revision": "main"},
    )
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert client.apply(spec, context=ctx, waiter=FAST_WAITER).status == "InService"

    keys = ctx.client("s3").list_objects_v2(Bucket="props-bucket")["Contents"]
    uploaded = next(k["Key"] for k in keys if k["Key"].endswith("serving.properties"))
    text = ctx.client("s3").get_object(Bucket="props-bucket", Key=uploaded)["Body"].read()
    assert text.isascii() and b"served_model_name=qwen-mod\\u00E8le \\#1\\: a\\=b" in text

    body = json.dumps({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2})
    reply = ctx.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=data["name"], Body=body, ContentType="application/json"
    )
    assert json.loads(reply["Body"].read())["model"] == "qwen-modèle #1: a=b"


def test_the_emulator_reads_what_the_container_would() -> None:
    text = "option.model_id=org/m\noption.revision=main\\u2028option.trust_remote_code\\=true\n"
    settings = merge_settings({}, text)
    assert settings["option.revision"] == "main\u2028option.trust_remote_code=true"
    assert "option.trust_remote_code" not in settings


def test_a_malformed_unicode_escape_fails_startup_like_java() -> None:
    with pytest.raises(StartupError, match="Malformed"):
        parse_properties("option.x=\\u12G4")
