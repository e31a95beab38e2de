"""`lmi iam-policy` on a component-endpoint spec: text and --json output, exit codes, hostile inputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "components.yaml"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def example() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    return data


def test_json_has_both_roles_the_component_statements_and_notes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "iam-policy", str(EXAMPLE), "--json")
    payload = json.loads(out)
    assert code == 0 and err == ""
    assert payload["endpoint"] == "team-llms" and payload["partition"] == "aws"
    sids = {s["Sid"] for s in payload["deployer"]["Statement"]}
    assert {"CreateInferenceComponents", "ManageInferenceComponents", "ScaleComponentCopies",
            "ManageComponentAlarms", "ReadComponentAlarms", "PassExecutionRoleToSageMaker"} <= sids  # fmt: skip
    assert any("copy counts" in note for note in payload["notes"])
    assert any("team-llms-*" in note for note in payload["notes"])


def test_text_prints_three_titled_documents_and_notes_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "iam-policy", str(EXAMPLE))
    assert code == 0
    titles = [line for line in out.splitlines() if line.startswith("# ")]
    assert len(titles) == 3 and "deploy" in titles[0].lower()
    assert "note: inference components are granted as team-llms-*" in err


@pytest.mark.parametrize("role", ["deployer", "execution"])
def test_one_role_prints_one_bare_document(capsys: pytest.CaptureFixture[str], role: str) -> None:
    code, out, _ = run(capsys, "iam-policy", str(EXAMPLE), "--role", role)
    document = json.loads(out)  # pipeable into `aws iam put-role-policy --policy-document`
    assert code == 0 and document["Version"] == "2012-10-17"
    wanted = "ManageInferenceComponents" if role == "deployer" else "WriteContainerLogs"
    assert wanted in {s["Sid"] for s in document["Statement"]}


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--role", "admin"], "--role"),
        (["--role", ""], "--role"),
        (["--account", "12345"], "--account"),
        (["--account", "1234567890123"], "--account"),
        (["--account", "12345678901x"], "--account"),
        (["--account", "*"], "--account"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(capsys: pytest.CaptureFixture[str], args: list[str], field: str) -> None:
    code, out, err = run(capsys, "iam-policy", str(EXAMPLE), *args, "--json")
    assert code == 2 and "Traceback" not in out + err
    assert json.loads(out)["field"] == field


def _hostile(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``data`` with one field replaced: ``components.0.name`` style paths."""
    target: Any = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    target[int(keys[-1]) if keys[-1].isdigit() else keys[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("name", 'team"*', "name"),
        ("name", "team-*", "name"),
        ("name", "a" * 64, "name"),
        ("components.0.name", "qwen/*", "components"),
        ("components.0.name", "-qwen", "components"),
        ("components.0.adapters", [{"name": "sql", "source": "https://example.com/x"}], "components"),
        ("role", "arn:aws:iam::123456789012:role/*", "role"),  # the message names it (the loader gives no field yet)
        ("region", "mars-1", "region"),
    ],
)
def test_hostile_spec_values_exit_2_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, path: str, value: Any, field: str
) -> None:
    spec = write(tmp_path, _hostile(example(), path, value))
    code, out, err = run(capsys, "iam-policy", str(spec), "--json")
    assert code == 2 and "Traceback" not in out + err, out + err
    error = json.loads(out)
    assert error["exit_code"] == 2
    assert (error.get("field") or "").startswith(field) or field in error["message"]
