"""Secret references on the emulator: resolved at plan time, compared by keyed fingerprint, rotated on apply.

A rotated token must show in ``plan`` as a change and reach the model; an unset variable or an oversized token is
refused before anything exists; the value appears in no plan, no error and no resource name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy import client
from deploy.engine.waiting import PollSchedule, Waiter
from deploy.errors import DeployError, SpecError
from deploy.local.testing import lmi_emulator

__all__ = ["lmi_emulator"]
REPO = Path(__file__).resolve().parents[2]
FAST = Waiter(schedule=PollSchedule(first=0.0, cap=0.0), sleep=lambda _s: None)
TOKENS = ("hf_FirstTokenFirstTokenFirstToken12", "hf_SecondTokenSecondTokenSecond3456")


def gated_spec(tmp_path: Path, delivery: str = "env") -> Path:
    data = yaml.safe_load((REPO / "examples" / "qwen25-7b.yaml").read_text())
    data["model"]["hf_token"] = "env:HF_TOKEN"
    data["delivery"] = delivery
    data.pop("scaling", None)
    path = tmp_path / "gated.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def live_token(ctx: Any, name: str) -> str:
    sm = ctx.client("sagemaker")
    config = sm.describe_endpoint_config(
        EndpointConfigName=sm.describe_endpoint(EndpointName=name)["EndpointConfigName"]
    )
    model = config["ProductionVariants"][0]["ModelName"]
    return str(sm.describe_model(ModelName=model)["PrimaryContainer"]["Environment"]["HF_TOKEN"])


def test_rotated_token_is_a_planned_change_and_reaches_the_model(
    lmi_emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = lmi_emulator.context()
    spec = gated_spec(tmp_path)
    monkeypatch.setenv("HF_TOKEN", TOKENS[0])
    client.apply(spec, context=ctx, create_bucket=True, waiter=FAST)
    assert live_token(ctx, "qwen25-7b") == TOKENS[0]
    assert client.plan(spec, context=ctx).is_empty  # same token: nothing to do

    monkeypatch.setenv("HF_TOKEN", TOKENS[1])
    rotated = client.plan(spec, context=ctx)
    kinds = [a.type for a in rotated.actions]
    assert "CreateModel" in kinds and "UpdateEndpoint" in kinds
    shown = repr(rotated) + str(rotated.to_dict()) + repr(rotated.desired)
    assert not any(token in shown for token in TOKENS)
    client.apply(rotated, waiter=FAST)
    assert live_token(ctx, "qwen25-7b") == TOKENS[1]
    assert client.plan(spec, context=ctx).is_empty


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        (None, "not set"),
        ("", "is empty"),
        ("hf_" + "x" * 1100, "1024"),
        ("hf_TrailingNewlineTrailingNewline12\n", "whitespace"),
        (" hf_LeadingSpaceLeadingSpaceLeadingSp", "whitespace"),
    ],
)
def test_unusable_secret_is_refused_at_plan_before_any_resource(
    lmi_emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str | None, needle: str
) -> None:
    ctx = lmi_emulator.context()
    if value is None:
        monkeypatch.delenv("HF_TOKEN", raising=False)
    else:
        monkeypatch.setenv("HF_TOKEN", value)
    for run in (client.plan, client.apply):
        with pytest.raises(SpecError) as info:
            run(gated_spec(tmp_path, delivery="properties"), context=ctx)
        assert info.value.exit_code == 2 and info.value.field == "model.hf_token" and needle in info.value.message
        if value:
            assert value.strip() not in str(info.value) + str(info.value.to_dict()) + repr(info.value)
    sm = ctx.client("sagemaker")
    assert sm.list_models()["Models"] == [] and sm.list_endpoints()["Endpoints"] == []
    assert ctx.client("s3").list_buckets()["Buckets"] == []


def test_token_changed_between_plan_and_apply_is_refused(
    lmi_emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = lmi_emulator.context()
    monkeypatch.setenv("HF_TOKEN", TOKENS[0])
    planned = client.plan(gated_spec(tmp_path), context=ctx)
    monkeypatch.setenv("HF_TOKEN", TOKENS[1])
    with pytest.raises(DeployError) as info:
        client.apply(planned, waiter=FAST)
    assert "changed between plan and apply" in info.value.message
    assert TOKENS[1] not in str(info.value.to_dict())
    assert ctx.client("sagemaker").list_models()["Models"] == []


def test_destroy_by_spec_needs_no_token(lmi_emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = lmi_emulator.context()
    spec = gated_spec(tmp_path, delivery="properties")
    monkeypatch.setenv("HF_TOKEN", TOKENS[0])
    client.apply(spec, context=ctx, create_bucket=True, waiter=FAST)
    monkeypatch.delenv("HF_TOKEN")
    client.destroy(spec, context=ctx, waiter=FAST)
    sm = ctx.client("sagemaker")
    assert sm.list_models()["Models"] == [] and sm.list_endpoints()["Endpoints"] == []
