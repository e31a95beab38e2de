"""`lmi validate`, `lmi render`, `lmi schema`, `lmi init` through the real entry point (exit codes, JSON errors)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.cli import main

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def write_spec(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(f"name: ep\nrole: {ROLE}\n{body}")
    return path


def test_render_prints_serving_properties(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "model: {id: Qwen/Qwen2.5-0.5B-Instruct}\ninstance: {type: ml.g5.xlarge}\n")
    code, out, _ = run(capsys, "render", str(spec))
    assert code == 0
    assert "option.async_mode=true" in out and "option.model_id=Qwen/Qwen2.5-0.5B-Instruct" in out


def test_render_json_has_the_documented_keys(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "model: {id: Qwen/Qwen2.5-0.5B-Instruct}\n")
    code, out, _ = run(capsys, "render", str(spec), "--json")
    data = json.loads(out)
    assert code == 0
    assert {"serving_properties", "environment", "image_uri"} <= set(data)
    assert data["image_uri"].endswith("djl-inference:0.33.0-lmi15.0.0-cu128")


def test_render_out_writes_all_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "model: {id: Qwen/Qwen2.5-0.5B-Instruct}\nscaling: {min: 1, max: 2}\n")
    code, _, _ = run(capsys, "render", str(spec), "--out", str(tmp_path / "out"))
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert code == 0
    assert names == [
        "create-endpoint-config.json",
        "create-model.json",
        "deployment-config.json",
        "environment.json",
        "scaling.json",
        "serving.properties",
    ]


def test_invalid_spec_exits_2_with_field_and_no_traceback(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "model: {id: org/m}\nengine: {dtype: float16}\n")
    code, _, err = run(capsys, "validate", str(spec))
    assert code == 2
    assert "engine.dtype" in err and "fp16" in err and "Traceback" not in err


def test_invalid_spec_json_error_is_one_object(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "model: {id: org/m}\nengine: {dtype: float16}\n")
    code, out, _ = run(capsys, "validate", str(spec), "--json")
    payload = json.loads(out)
    assert code == 2
    assert payload["error"] == "spec_error" and payload["field"] == "engine.dtype" and payload["exit_code"] == 2


def test_bad_flag_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, "render", "--no-such-flag")
    assert code == 2


def test_schema_command_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    assert code == 0 and json.loads(out)["title"] == "DeploymentSpec"


def test_init_then_validate(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "new.yaml"
    code, out, _ = run(capsys, "init", str(target), "--name", "demo", "--model", "Qwen/Qwen2.5-0.5B-Instruct")
    assert code == 0 and "wrote" in out
    code, out, _ = run(capsys, "validate", str(target))
    assert code == 0 and "demo" in out


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("lmi-deploy ")


def test_real_subprocess_exit_code(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "model: {id: org/m}\nbogus: 1\n")
    proc = subprocess.run(
        [sys.executable, "-m", "deploy.cli", "validate", str(spec)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert "unknown key 'bogus'" in proc.stderr and "Traceback" not in proc.stderr


def test_init_ci_github_writes_a_workflow(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "init", "specs/qwen.yaml", "--ci", "github", "--region", "eu-west-1")
    workflow = yaml.safe_load((tmp_path / ".github" / "workflows" / "lmi-deploy.yml").read_text())
    assert code == 0 and "lmi-deploy.yml" in out
    assert workflow["env"]["SPEC_GLOB"] == "specs/*.yaml" and workflow["env"]["AWS_REGION"] == "eu-west-1"
    code, _, err = run(capsys, "init", "specs/other.yaml", "--ci", "gitlab")
    assert code == 2 and "--ci github" in err
    assert not (tmp_path / "specs" / "other.yaml").exists()


def test_render_out_onto_a_file_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # It used to end in a FileExistsError traceback with exit code 1.
    spec = write_spec(tmp_path, "model: {id: Qwen/Qwen2.5-0.5B-Instruct}\n")
    blocker = tmp_path / "taken"
    blocker.write_text("")
    code, out, _ = run(capsys, "render", str(spec), "--out", str(blocker), "--json")
    payload = json.loads(out)
    assert code == 2 and payload["error"] == "usage_error" and payload["field"] == "--out"


def test_schema_out_into_a_missing_directory_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "schema", "--out", str(tmp_path / "missing" / "s.json"))
    assert code == 2 and "cannot write" in err and "Traceback" not in err


def test_non_utf8_spec_is_a_spec_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = tmp_path / "latin1.yaml"
    spec.write_bytes(b"name: caf\xe9\n")
    code, out, _ = run(capsys, "validate", str(spec), "--json")
    assert code == 2 and json.loads(out)["error"] == "spec_error"
