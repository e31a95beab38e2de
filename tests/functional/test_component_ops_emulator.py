"""Invoke, stream, bench, logs, status and list of endpoints with inference components, against the embedded
emulator through the same botocore code path that talks to AWS. Every runtime request is captured on the wire
(botocore's ``before-send`` event), so "sends InferenceComponentName" is checked on the HTTP request itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from deploy.bench import BenchConfig, run_bench
from deploy.client import Client
from deploy.errors import EndpointNotFoundError, NotFoundError, UsageError
from deploy.invoke.endpoint import Endpoint
from deploy.invoke.errors import NoCapacityError
from tests.functional import component_ops_setup as setup

local = pytest.importorskip("deploy.local", reason="the embedded emulator (deploy.local) is not available")

HEADER = "X-Amzn-SageMaker-Inference-Component"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    with local.Emulator(time_scale=0, ttft_s=0, itl_s=0) as emu:
        setup.build(emu.context())
        yield emu


@pytest.fixture
def client(emulator: Any) -> Client:
    return Client.from_context(emulator.context())


class Wire:
    """The runtime requests an Endpoint sent (method, URL path, component header) and its control-plane calls."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.sent: list[tuple[str, str | None]] = []
        self.operations: list[str] = []
        endpoint.gateway.client.meta.events.register("before-send", self._sent)
        endpoint.gateway.context.client("sagemaker").meta.events.register("before-call", self._called)

    def _sent(self, request: Any, **_: Any) -> None:
        self.sent.append((request.url.split("/endpoints/", 1)[-1], request.headers.get(HEADER)))

    def _called(self, model: Any, **_: Any) -> None:
        self.operations.append(model.name)

    @property
    def components(self) -> list[str | None]:
        return [value.decode() if isinstance(value, bytes) else value for _, value in self.sent]


def _endpoint(emulator: Any, name: str, component: str | None = None) -> tuple[Endpoint, Wire]:
    endpoint = Endpoint(name, context=emulator.context(), max_attempts=1, component=component)
    return endpoint, Wire(endpoint)


class TestInvokeByComponent:
    @pytest.mark.parametrize(
        ("requested", "sent"),
        [("qwen", "team-qwen"), ("team-qwen", "team-qwen"), ("llama", "team-llama"), ("team-llama", "team-llama")],
    )
    def test_short_and_full_names_send_the_full_ic_name(self, emulator: Any, requested: str, sent: str) -> None:
        endpoint, wire = _endpoint(emulator, "team", requested)
        assert endpoint.generate("Hello", max_new_tokens=4, details=True).completion_tokens == 4
        assert "".join(endpoint.chat_stream("Hi", max_tokens=3))
        assert wire.components == [sent, sent]
        assert wire.operations.count("ListInferenceComponents") == 1  # resolved once, then reused

    def test_the_only_component_is_found_when_aws_asks_for_one(self, emulator: Any) -> None:
        endpoint, wire = _endpoint(emulator, "solo")
        assert endpoint.generate("Hello", max_new_tokens=2).text
        assert endpoint.generate("Again", max_new_tokens=2).text
        assert wire.components == [None, "solo-chat", "solo-chat"]  # refused once, then sent to the only one
        assert endpoint.inference_component == "solo-chat"

    def test_a_single_model_endpoint_costs_no_component_lookup(self, emulator: Any) -> None:
        endpoint, wire = _endpoint(emulator, "plain")
        assert endpoint.generate("Hello", max_new_tokens=2).text
        assert wire.components == [None] and "ListInferenceComponents" not in wire.operations

    @pytest.mark.parametrize("stream", [False, True])
    def test_several_components_and_none_named_lists_them(self, emulator: Any, stream: bool) -> None:
        endpoint, _ = _endpoint(emulator, "team")
        with pytest.raises(UsageError) as info:
            endpoint.stream("Hi") if stream else endpoint.generate("Hi")
        assert info.value.exit_code == 2
        assert "qwen (team-qwen)" in (info.value.fix or "") and "llama (team-llama)" in (info.value.fix or "")

    @pytest.mark.parametrize(("name", "component"), [("team", "gpt"), ("team", "solo-chat"), ("plain", "qwen")])
    def test_a_component_that_is_not_there_exit_2_before_any_request(
        self, emulator: Any, name: str, component: str
    ) -> None:
        endpoint, wire = _endpoint(emulator, name, component)
        with pytest.raises(UsageError):
            endpoint.generate("Hi")
        assert wire.sent == []

    def test_an_adapter_is_invoked_by_its_own_name_and_counts_as_a_component(self, emulator: Any) -> None:
        endpoint, wire = _endpoint(emulator, "lora", "base-sql")
        assert endpoint.generate("Hello", max_new_tokens=2).text
        assert wire.components == ["lora-base-sql"]
        with pytest.raises(UsageError) as info:  # base and adapter: which one is a choice only the caller can make
            _endpoint(emulator, "lora")[0].generate("Hello")
        assert "base (lora-base), base-sql (lora-base-sql)" in (info.value.fix or "")

    def test_a_component_of_a_missing_endpoint_is_endpoint_not_found(self, emulator: Any) -> None:
        endpoint, _ = _endpoint(emulator, "nowhere", "qwen")
        with pytest.raises(EndpointNotFoundError):
            endpoint.generate("Hi")

    def test_async_submit_with_a_component_is_refused(self, emulator: Any) -> None:
        endpoint, wire = _endpoint(emulator, "team", "qwen")
        with pytest.raises(UsageError, match="InvokeEndpointAsync"):
            endpoint.submit("Hi", input_s3_uri="s3://bucket/in.json")
        assert wire.sent == []

    def test_openai_route_urls_carry_the_resolved_component(self, emulator: Any) -> None:
        endpoint, _ = _endpoint(emulator, "team", "qwen")
        credentials = endpoint.openai_credentials(hours=1)
        assert credentials.base_url.endswith("/endpoints/team/inference-components/team-qwen/openai/v1")


class TestNoCapacity:
    def test_without_an_alarm_the_error_says_retrying_will_not_help(self, emulator: Any) -> None:
        endpoint, _ = _endpoint(emulator, "cold", "qwen")
        with pytest.raises(NoCapacityError) as info:
            endpoint.generate("Hi")
        error = info.value
        assert error.value == "cold-qwen" and "retrying will not help" in error.message
        assert "CopyCount=1" in (error.fix or "") and "no capacity" in (error.hint or "").lower()

    @pytest.mark.parametrize(("period", "periods"), [(30, 1), (60, 3)])
    def test_with_the_wake_alarm_the_error_says_when_to_retry(self, emulator: Any, period: int, periods: int) -> None:
        alarm = setup.wake_alarm(emulator.context(), "cold-qwen", period=period, periods=periods)
        endpoint, _ = _endpoint(emulator, "cold", "cold-qwen")
        try:
            with pytest.raises(NoCapacityError) as info:
                "".join(endpoint.stream("Hi"))
        finally:
            emulator.context().client("cloudwatch").delete_alarms(AlarmNames=[alarm])
        assert alarm in info.value.message and "retry in about" in (info.value.fix or "")

    def test_a_component_scaled_back_up_answers_again(self, emulator: Any) -> None:
        setup.scale_copies(emulator.context(), "cold-qwen", 1)
        try:
            endpoint, _ = _endpoint(emulator, "cold", "qwen")
            assert endpoint.generate("Hi", max_new_tokens=2, details=True).completion_tokens == 2
        finally:
            setup.scale_copies(emulator.context(), "cold-qwen", 0)


class TestBenchByComponent:
    def test_the_report_names_the_component(self, emulator: Any) -> None:
        endpoint, wire = _endpoint(emulator, "team", "llama")
        endpoint.resolve_component()
        config = BenchConfig(concurrency=(2,), requests=4, output_tokens=4, component=endpoint.inference_component)
        report = run_bench(endpoint, config)
        assert report.levels[0].completed == 4
        assert report.to_dict()["component"] == "team-llama" and report.records()[0]["component"] == "team-llama"
        assert set(wire.components) == {"team-llama"}


class TestLogsByComponent:
    @pytest.mark.parametrize(("component", "model", "other"), [("qwen", setup.QWEN, setup.LLAMA),
                                                               ("team-llama", setup.LLAMA, setup.QWEN)])  # fmt: skip
    def test_a_components_lines_come_from_its_own_group(
        self, client: Client, component: str, model: str, other: str
    ) -> None:
        text = "\n".join(line.message for line in client.logs("team", component=component, lines=200))
        assert model in text and other not in text  # its own container's start-up, not the other component's
        assert client.log_group("team", "team-qwen") == "/aws/sagemaker/InferenceComponents/team-qwen"

    def test_the_endpoint_group_of_a_component_endpoint_points_at_the_components(self, client: Client) -> None:
        with pytest.raises(NotFoundError) as info:
            client.logs("team")  # the containers of a component endpoint log to the components' groups only
        assert info.value.field == "component" and "qwen (team-qwen), llama (team-llama)" in (info.value.fix or "")

    def test_following_the_endpoint_group_of_a_component_endpoint_does_not_wait_forever(self, client: Client) -> None:
        with pytest.raises(NotFoundError) as info:
            next(client.follow_logs("team"))
        assert info.value.field == "component" and "llama (team-llama)" in (info.value.fix or "")

    def test_a_missing_endpoint_group_without_components_keeps_its_error(self, client: Client) -> None:
        with pytest.raises(NotFoundError) as info:
            client.logs("nowhere")
        assert info.value.field == "endpoint"

    @pytest.mark.parametrize("component", ["gpt", "team-gpt"])
    def test_an_unknown_component_exit_2(self, client: Client, component: str) -> None:
        with pytest.raises(UsageError):
            client.logs("team", component=component)


class TestStatusAndList:
    def test_status_shows_each_component(self, client: Client) -> None:
        status = client.status("team")
        by_name = {c.short_name: c for c in status.components}
        assert set(by_name) == {"qwen", "llama"} and status.component_count == 2
        qwen, llama = by_name["qwen"], by_name["llama"]
        assert (qwen.desired_copies, qwen.current_copies, qwen.accelerators_per_copy) == (2, 2, 1)
        assert (llama.desired_copies, llama.accelerators_per_copy, llama.memory_mb_per_copy) == (1, 2, 32768)
        assert qwen.model_id == setup.QWEN and llama.model_id == setup.LLAMA
        assert qwen.status == "InService" and qwen.failure_reason is None
        data = status.to_dict()
        assert [c["component"] for c in data["components"]] == ["qwen", "llama"]
        assert data["components"][0]["copies"] == {"desired": 2, "current": 2}

    def test_a_component_at_zero_copies_shows_zero(self, client: Client) -> None:
        (cold,) = client.status("cold").components
        assert (cold.desired_copies, cold.current_copies) == (0, 0)

    def test_a_failed_component_shows_its_failure_reason(self, client: Client) -> None:
        (broken,) = client.status("broken").components
        assert broken.status == "Failed" and "broken-llama" in (broken.failure_reason or "")

    @pytest.mark.parametrize("component", ["llama", "broken-llama"])
    def test_explain_reads_the_failed_components_own_logs(self, client: Client, component: str) -> None:
        status, diagnosis = client.explain("broken", component=component)
        assert status == "Failed" and "ping health check" in (diagnosis.failure_reason or "")
        assert any("out of memory" in hint.title.lower() for hint in diagnosis.hints)
        assert any(setup.TOO_BIG in line for line in diagnosis.log_tail)

    def test_an_adapter_shows_its_base_and_its_weights(self, client: Client) -> None:
        base, adapter = client.status("lora").components
        assert (base.short_name, base.base_component, base.current_copies) == ("base", None, 1)
        assert (adapter.short_name, adapter.base_component, adapter.model_id) == (
            "base-sql",
            "lora-base",
            setup.ADAPTER,
        )
        assert adapter.desired_copies is None and adapter.to_dict()["base_component"] == "lora-base"

    def test_a_single_model_endpoint_has_no_components(self, client: Client) -> None:
        status = client.status("plain")
        assert status.components == () and status.component_count == 0
        assert status.to_dict()["components"] == []
