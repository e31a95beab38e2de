"""The quick exit skips the interpreter's teardown; what a Hub read on the fast path writes must still be complete.

`lmi validate` of a spec whose model is only on the Hub reads it (huggingface_hub, then our record cache in
deploy/sizing/hub/records.py). A real `python -m deploy.cli` process (armed) must leave the same cache a normal exit
leaves: whole JSON records that a second run, with the Hub gone, answers from.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakehub import FakeHub
from tests.fakehub.fixtures import checkpoint, fake_hub, library_config, repo

__all__ = ["fake_hub"]  # a fixture

ROOT = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"
MODELS = ("acme/qwen-7b-ft", "acme/llama-8b-ft")
LIBRARY = {"acme/qwen-7b-ft": "Qwen--Qwen2.5-7B-Instruct", "acme/llama-8b-ft": "meta-llama--Llama-3.1-8B-Instruct"}


def _lmi(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LMI_", "HF_HUB_OFFLINE"))}
    env.update(PYTHONPATH=str(ROOT), NO_COLOR="1", COLUMNS="100")
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.mark.parametrize("form", [["validate"], ["validate", "--json"], ["render", "--json"]], ids=" ".join)
@pytest.mark.parametrize("model", MODELS)
def test_a_hub_read_on_the_fast_path_leaves_a_whole_cache(
    fake_hub: FakeHub, tmp_path: Path, model: str, form: list[str]
) -> None:
    fake_hub.add(repo(model, checkpoint(library_config(LIBRARY[model]), shards=2)))
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"name: ep\nrole: {ROLE}\nmodel: {{id: {model}}}\ninstance: {{type: ml.g6e.12xlarge}}\n")
    args = [form[0], str(spec), *form[1:]]
    online = _lmi(*args)
    assert online.returncode == 0, online.stderr
    assert fake_hub.log, "the first run read the Hub"
    home = Path(os.environ["HF_HOME"])
    records = [p for p in home.rglob("*.json") if model.replace("/", "--") in str(p)]
    assert records and all(json.loads(p.read_text()) for p in records)  # whole JSON documents
    assert not [p for p in home.rglob("*.tmp")], "no temporary file left behind"
    fake_hub.stop()
    offline = _lmi(*args)
    assert offline.returncode == 0, offline.stderr
    sha = fake_hub.repos[model].refs["main"]
    assert sha in offline.stdout or form == ["validate"]  # the answer came from the record of that commit
    assert offline.stdout.splitlines()[:2] == online.stdout.splitlines()[:2]
