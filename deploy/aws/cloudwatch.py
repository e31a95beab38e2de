"""CloudWatch gateway: alarms (the built-in 5xx alarm that guards blue/green updates), the invocation metrics
`lmi status` shows, and the STS identity."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from deploy.aws.session import AwsContext, call

# metric -> (statistic, scale to the unit we show): ModelLatency is reported in microseconds, shown in ms.
INVOCATION_METRICS = {
    "Invocations": ("Sum", 1.0),
    "Invocation4XXErrors": ("Sum", 1.0),
    "Invocation5XXErrors": ("Sum", 1.0),
    "ModelLatency": ("Average", 1e-3),
}


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

    def invocation_metrics(self, endpoint: str, variant: str, minutes: int = 60) -> dict[str, float | None]:
        """AWS/SageMaker invocation metrics of one variant over the last ``minutes`` (one GetMetricData call).

        None means no datapoint (no traffic yet, or the metric was never emitted).
        """
        # End on the next whole minute so datapoints from the current second are included.
        end = datetime.now(timezone.utc).replace(second=0, microsecond=0) + timedelta(minutes=1)
        dims = [{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": variant}]
        queries = [
            {
                "Id": f"m{index}",
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/SageMaker", "MetricName": name, "Dimensions": dims},
                    "Period": minutes * 60,
                    "Stat": stat,
                },
            }
            for index, (name, (stat, _)) in enumerate(INVOCATION_METRICS.items())
        ]
        result = call(
            self._client,
            "get_metric_data",
            "GetMetricData",
            endpoint,
            MetricDataQueries=queries,
            StartTime=end - timedelta(minutes=minutes),
            EndTime=end,
        )
        values = {item["Id"]: item.get("Values") or [] for item in result.get("MetricDataResults", [])}
        out: dict[str, float | None] = {}
        for index, (name, (_, scale)) in enumerate(INVOCATION_METRICS.items()):
            series = values.get(f"m{index}") or []
            out[name] = round(float(series[0]) * scale, 3) if series else None
        return out


def account_id(ctx: AwsContext) -> str:
    """The caller's account id (STS GetCallerIdentity), used for the default bucket name."""
    identity = call(ctx.client("sts"), "get_caller_identity", "GetCallerIdentity")
    return str(identity["Account"])
