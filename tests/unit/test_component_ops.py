"""Which inference component a request goes to, how AWS's component errors are classified, and what a caller is
told when a component has no copies: the pure rules behind ``--component`` (no AWS, no emulator)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploy.cli.component_views import component_row
from deploy.engine.component_status import ComponentScalingView, ComponentStatus
from deploy.errors import AwsError, EndpointNotFoundError, UsageError
from deploy.invoke.cold_start import INSTANCE_START_S, MODEL_LOAD_S, WakeFacts, explain_no_capacity, facts_from
from deploy.invoke.components import (
    ComponentChoice,
    async_not_supported,
    component_choices,
    resolve_component,
    short_name,
)
from deploy.invoke.errors import (
    ComponentError,
    ComponentRequiredError,
    InvokeError,
    NoCapacityError,
    classify_runtime_error,
)
from deploy.invoke.errors import (
    EndpointNotFoundError as InvokeEndpointNotFound,
)

TWO = ["team-llms-qwen", "team-llms-llama"]
NAME = st.from_regex(r"[a-z0-9](-?[a-z0-9]){0,20}", fullmatch=True)

# AWS's wording (as published by users who hit it), and variants in case and punctuation
NO_CAPACITY_MESSAGES = [
    "Inference Component has no capacity to process this request. ApplicationAutoScaling may be in-progress "
    "(if configured) or try to increase the capacity by invoking UpdateInferenceComponentRuntimeConfig API.",
    "inference component has no capacity to process this request",
    "INFERENCE COMPONENT HAS NO CAPACITY",
]
REQUIRED_MESSAGES = [
    "Inference Component Name header is required for endpoints to which you plan to deploy inference components. "
    "Please include Inference Component Name header or consider using SageMaker models.",
    "Inference Component Name header is required for this endpoint.",
]
NOT_ALLOWED_MESSAGES = [
    "Inference Component Name header is not allowed for endpoints to which you dont plan to deploy inference "
    "components. Please remove the Inference Component Name header and try again.",
]
IC_NOT_FOUND_MESSAGES = [
    "Inference component team-llms-gpt not found.",
    "Inference Component 'x' does not exist",
]


class TestResolveComponent:
    @pytest.mark.parametrize(
        ("requested", "expected"),
        [
            ("qwen", "team-llms-qwen"),
            ("llama", "team-llms-llama"),
            ("team-llms-qwen", "team-llms-qwen"),
            ("team-llms-llama", "team-llms-llama"),
            ("  qwen ", "team-llms-qwen"),
        ],
    )
    def test_short_and_full_names_resolve_to_the_ic(self, requested: str, expected: str) -> None:
        assert resolve_component("team-llms", requested, TWO) == expected

    @pytest.mark.parametrize("names", [["team-llms-qwen"], ["other-tool-ic"], ["team-llms-"]])
    def test_the_only_component_is_used_when_none_is_named(self, names: list[str]) -> None:
        assert resolve_component("team-llms", None, names) == names[0]

    def test_an_endpoint_without_components_needs_no_name(self) -> None:
        assert resolve_component("plain", None, []) is None

    @pytest.mark.parametrize("names", [TWO, [*TWO, "team-llms-mistral"], ["a", "b"]])
    def test_several_components_and_no_name_exit_2_listing_them(self, names: list[str]) -> None:
        with pytest.raises(UsageError) as info:
            resolve_component("team-llms", None, names)
        assert info.value.exit_code == 2 and info.value.field == "component"
        for name in names:
            assert short_name("team-llms", name) in (info.value.fix or "")

    @pytest.mark.parametrize("requested", ["gpt", "team-llms-gpt", "QWEN", "qwen2"])
    def test_an_unknown_component_exit_2_listing_the_real_ones(self, requested: str) -> None:
        with pytest.raises(UsageError) as info:
            resolve_component("team-llms", requested, TWO)
        assert info.value.exit_code == 2 and info.value.value == requested
        assert "qwen (team-llms-qwen)" in (info.value.fix or "") and "llama" in (info.value.fix or "")

    @pytest.mark.parametrize("requested", ["", "   "])
    def test_an_empty_name_is_refused(self, requested: str) -> None:
        with pytest.raises(UsageError, match="empty"):
            resolve_component("team-llms", requested, TWO)

    @pytest.mark.parametrize("requested", ["qwen", "plain-qwen"])
    def test_naming_a_component_on_an_endpoint_without_any_says_so(self, requested: str) -> None:
        with pytest.raises(UsageError, match="has no inference components") as info:
            resolve_component("plain", requested, [])
        assert "drop --component" in (info.value.fix or "")

    @given(endpoint=NAME, component=NAME)
    def test_short_name_inverts_the_naming_convention(self, endpoint: str, component: str) -> None:
        full = f"{endpoint}-{component}"
        assert short_name(endpoint, full) == component
        assert resolve_component(endpoint, component, [full]) == full
        assert resolve_component(endpoint, full, [full]) == full

    @given(endpoint=NAME, names=st.lists(NAME, min_size=2, max_size=5, unique=True))
    def test_ambiguity_is_refused_for_any_set_of_components(self, endpoint: str, names: list[str]) -> None:
        with pytest.raises(UsageError):
            resolve_component(endpoint, None, names)

    def test_choices_show_short_names_with_the_full_name_beside(self) -> None:
        assert component_choices("team-llms", [*TWO, "foreign"]) == (
            "qwen (team-llms-qwen), llama (team-llms-llama), foreign"
        )


class TestComponentChoice:
    def test_without_a_name_nothing_is_listed_until_asked(self) -> None:
        calls: list[int] = []
        choice = ComponentChoice("plain", None)
        assert choice.current(lambda: calls.append(1) or []) is None
        assert calls == [] and not choice.settled

    def test_a_named_component_is_listed_once_even_from_many_threads(self) -> None:
        calls: list[int] = []

        def names() -> list[str]:
            calls.append(1)
            return TWO

        choice = ComponentChoice("team-llms", "qwen")
        threads = [threading.Thread(target=choice.current, args=(names,)) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert choice.current(names) == "team-llms-qwen" and calls == [1]

    @pytest.mark.parametrize("requested", ["qwen", "team-llms-qwen", None])
    def test_an_unreadable_list_sends_the_name_as_given(self, requested: str | None) -> None:
        def denied() -> list[str]:
            raise AwsError("ListInferenceComponents failed: AccessDeniedException", code="AccessDeniedException")

        assert ComponentChoice("team-llms", requested).resolve(denied) == requested

    def test_a_missing_endpoint_is_still_an_error(self) -> None:
        def missing() -> list[str]:
            raise EndpointNotFoundError("endpoint gone does not exist", field="name", value="gone")

        with pytest.raises(EndpointNotFoundError):
            ComponentChoice("gone", "qwen").resolve(missing)

    def test_an_ambiguous_endpoint_stays_unsettled_so_the_error_repeats(self) -> None:
        choice = ComponentChoice("team-llms", None)
        for _ in range(2):
            with pytest.raises(UsageError):
                choice.resolve(lambda: TWO)
        assert not choice.settled


class TestComponentErrors:
    @pytest.mark.parametrize("message", NO_CAPACITY_MESSAGES)
    @pytest.mark.parametrize("code", ["ValidationError", "ValidationException"])
    def test_no_capacity_is_a_no_capacity_error_naming_the_component(self, message: str, code: str) -> None:
        error = classify_runtime_error(code, message, endpoint="team-llms", status=400, component="team-llms-qwen")
        assert isinstance(error, NoCapacityError) and error.kind == "no_capacity"
        assert error.value == "team-llms-qwen" and "component 'team-llms-qwen'" in error.message
        assert "scaled to zero" in (error.fix or "")

    @pytest.mark.parametrize("message", REQUIRED_MESSAGES)
    def test_a_missing_component_header_is_component_required(self, message: str) -> None:
        error = classify_runtime_error("ValidationError", message, endpoint="team-llms")
        assert isinstance(error, ComponentRequiredError) and "--component" in (error.fix or "")

    @pytest.mark.parametrize("message", NOT_ALLOWED_MESSAGES)
    def test_a_component_on_a_plain_endpoint_says_drop_it(self, message: str) -> None:
        error = classify_runtime_error("ValidationError", message, endpoint="plain", component="plain-x")
        assert type(error) is ComponentError and "drop --component" in (error.fix or "")

    @pytest.mark.parametrize("message", IC_NOT_FOUND_MESSAGES)
    def test_an_unknown_component_is_not_reported_as_an_unknown_endpoint(self, message: str) -> None:
        error = classify_runtime_error("ValidationError", message, endpoint="team-llms", component="team-llms-gpt")
        assert isinstance(error, ComponentError) and not isinstance(error, InvokeEndpointNotFound)

    @pytest.mark.parametrize(
        ("code", "message", "cls"),
        [
            ("ValidationError", "Endpoint nope of account 1 not found.", InvokeEndpointNotFound),
            ("ThrottlingException", "Rate exceeded", InvokeError),
            ("ValidationError", "Endpoint x is an asynchronous endpoint", InvokeError),
        ],
    )
    def test_other_runtime_errors_keep_their_diagnosis(self, code: str, message: str, cls: type) -> None:
        error = classify_runtime_error(code, message, endpoint="x")
        assert isinstance(error, cls) and not isinstance(error, ComponentError)

    def test_async_with_a_component_is_refused_with_the_reason(self) -> None:
        error = async_not_supported("team-llms", "qwen")
        assert error.exit_code == 2 and "InvokeEndpointAsync has no InferenceComponentName" in error.message


def _alarm(period: int = 60, periods: int = 1, *, enabled: bool = True, actions: bool = True) -> dict[str, Any]:
    return {
        "AlarmName": "team-llms-qwen-from-zero",
        "Period": period,
        "EvaluationPeriods": periods,
        "ActionsEnabled": enabled,
        "AlarmActions": ["arn:aws:autoscaling:policy"] if actions else [],
    }


class TestColdStart:
    @pytest.mark.parametrize(
        ("alarm", "instances", "minutes"),
        [
            (_alarm(), 1, 4),  # 60 s alarm + 180 s load
            (_alarm(), 0, 9),  # + 300 s for an instance
            (_alarm(30, 2), 2, 4),
            (_alarm(300, 3), 0, 23),
        ],
    )
    def test_retry_minutes_add_the_alarm_an_instance_if_none_and_the_load(
        self, alarm: dict[str, Any], instances: int, minutes: int
    ) -> None:
        endpoint = {"ProductionVariants": [{"CurrentInstanceCount": instances}]}
        facts = facts_from(
            "team-llms", "team-llms-qwen", alarms=[alarm], target=None, described_endpoint=endpoint,
            described_component=None,
        )  # fmt: skip
        expected = alarm["Period"] * alarm["EvaluationPeriods"] + MODEL_LOAD_S + (0 if instances else INSTANCE_START_S)
        assert facts.retry_minutes == minutes == -(-expected // 60)
        what, fix = explain_no_capacity(facts)
        assert alarm["AlarmName"] in what
        assert f"retry in about {minutes} minutes" in fix
        assert ("no instance" in what) == (instances == 0)

    @pytest.mark.parametrize(
        "alarms", [[], None, [_alarm(enabled=False)], [_alarm(actions=False)]], ids=["none", "unread", "off", "noact"]
    )
    def test_without_a_working_alarm_retrying_is_not_offered_as_the_fix(self, alarms: Any) -> None:
        facts = facts_from("e", "e-qwen", alarms=alarms, target=None, described_endpoint=None, described_component=None)
        what, fix = explain_no_capacity(facts)
        assert "retrying will not help" in what and "retry in" not in fix
        assert "update-inference-component-runtime-config --inference-component-name e-qwen" in fix

    def test_the_startup_timeout_bounds_the_model_load(self) -> None:
        component = {"Specification": {"StartupParameters": {"ContainerStartupHealthCheckTimeoutInSeconds": 1800}}}
        facts = facts_from(
            "e", "e-qwen", alarms=[_alarm()], target={"MinCapacity": 0, "MaxCapacity": 4},
            described_endpoint=None, described_component=component,
        )  # fmt: skip
        assert (facts.min_copies, facts.max_copies, facts.startup_timeout_s) == (0, 4, 1800)
        what, _ = explain_no_capacity(facts)
        assert "30 min startup timeout" in what

    @given(
        period=st.sampled_from([10, 30, 60, 300]),
        periods=st.integers(1, 10),
        instances=st.one_of(st.none(), st.integers(0, 8)),
    )
    def test_retry_minutes_are_whole_positive_and_grow_without_instances(
        self, period: int, periods: int, instances: int | None
    ) -> None:
        facts = WakeFacts("e", "e-c", alarm_name="a", alarm_delay_s=float(period * periods), instances=instances)
        cold = WakeFacts("e", "e-c", alarm_name="a", alarm_delay_s=float(period * periods), instances=0)
        assert 1 <= facts.retry_minutes <= cold.retry_minutes


class TestComponentRows:
    @pytest.mark.parametrize(
        ("fields", "cells"),
        [
            (
                {"desired_copies": 2, "current_copies": 1, "accelerators_per_copy": 1.0, "memory_mb_per_copy": 78643,
                 "model_id": "Qwen/Qwen2.5-7B-Instruct", "model_sha": "a09a35458c702b33eeacc393d103063234e8bc28",
                 "scaling": ComponentScalingView(0, 4, "concurrent_requests", 4.0, True)},
                ("qwen", "InService", "1/2", "1", "78,643 MiB", "Qwen/Qwen2.5-7B-Instruct@a09a35458c",
                 "0-4 concurrent_requests 4, wakes from 0"),
            ),
            (
                {"model_name": "team-llama-model"},
                ("qwen", "InService", "?/?", "?", "-", "team-llama-model", "fixed"),
            ),
            (
                {"base_component": "team-qwen", "desired_copies": 0, "current_copies": 0,
                 "scaling": ComponentScalingView(1, 2)},
                ("qwen (adapter on team-qwen)", "InService", "base's", "-", "-", "?", "base's"),
            ),
        ],
    )  # fmt: skip
    def test_a_row_shows_copies_gpus_memory_model_and_scaling(
        self, fields: dict[str, Any], cells: tuple[str, ...]
    ) -> None:
        component = ComponentStatus(name="team-qwen", short_name="qwen", status="InService", **fields)
        assert component_row(component) == cells
        data = component.to_dict()
        assert data["copies"] == {"desired": fields.get("desired_copies"), "current": fields.get("current_copies")}
        assert data["component"] == "qwen" and data["name"] == "team-qwen"
