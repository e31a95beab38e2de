"""CloudWatch alarms gateway (the built-in 5xx alarm that guards blue/green updates) and STS identity."""

from __future__ import annotations

from typing import Any

from deploy.aws.session import AwsContext, call


class CloudWatchGateway:
    """Typed wrapper over the ``cloudwatch`` client (alarms only; metrics are read elsewhere)."""

    def __init__(self, ctx: AwsContext) -> None:
        self.ctx = ctx

    @property
    def _client(self) -> Any:
        return self.ctx.client("cloudwatch")

    def describe_alarm(self, name: str) -> dict[str, Any] | None:
        page = call(self._client, "describe_alarms", "DescribeAlarms", name, AlarmNames=[name])
        alarms: list[dict[str, Any]] = page.get("MetricAlarms", [])
        return alarms[0] if alarms else None

    def put_alarm(self, request: dict[str, Any]) -> None:
        call(self._client, "put_metric_alarm", "PutMetricAlarm", request["AlarmName"], **request)

    def delete_alarm(self, name: str) -> None:
        call(self._client, "delete_alarms", "DeleteAlarms", name, AlarmNames=[name])


def account_id(ctx: AwsContext) -> str:
    """The caller's account id (STS GetCallerIdentity), used for the default bucket name."""
    identity = call(ctx.client("sts"), "get_caller_identity", "GetCallerIdentity")
    return str(identity["Account"])
