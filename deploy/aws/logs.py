"""CloudWatch Logs gateway: read the container logs of one SageMaker endpoint.

Rule: read-only, and every call goes through :func:`deploy.aws.session.call` so AWS errors keep their code
and message. SageMaker writes a container's stdout/stderr to the log group
``/aws/sagemaker/Endpoints/<name>``, one stream per instance (``<variant>/<instance-id>``). We read the
*newest* lines of each stream with ``GetLogEvents`` (``startFromHead=False``, a ``limit``), because
``FilterLogEvents`` returns events oldest first and paging to the end of a long-lived group costs many
calls. Following uses ``FilterLogEvents`` from a moving start time, de-duplicated by event id (events
sharing the boundary millisecond come back twice), polling with backoff so an idle endpoint costs few calls.

An inference component's containers log to a group of their own, ``/aws/sagemaker/InferenceComponents/<ic-name>``
(the endpoint's group keeps the endpoint's own lines); every function here takes ``component=`` (the full IC
name) to read that group instead.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from deploy.aws.session import AwsContext, call
from deploy.errors import NotFoundError, UsageError
from deploy.records import record

LOG_GROUP_PREFIX = "/aws/sagemaker/Endpoints/"
COMPONENT_LOG_GROUP_PREFIX = "/aws/sagemaker/InferenceComponents/"
MAX_STREAMS = 10
FOLLOW_MIN_DELAY_S = 1.0
FOLLOW_MAX_DELAY_S = 10.0
SEEN_IDS_KEPT = 10_000
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", re.IGNORECASE)  # used with fullmatch
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Hugging Face tokens (``hf_`` + 30-odd letters/digits) and ``...TOKEN=value`` pairs a container may echo.
_SECRETS = re.compile(r"\bhf_[A-Za-z0-9]{20,}|(?<=TOKEN=)[^\s,'\"}]+|(?<=TOKEN': ')[^']+|(?<=TOKEN\": \")[^\"]+")
MASK = "****"


@record
class LogLine:
    """One log event: when (epoch ms), which stream (instance), the message (no trailing newline)."""

    timestamp_ms: int
    stream: str
    message: str
    event_id: str = ""

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp_ms / 1000, tz=timezone.utc)

    def render(self, *, with_stream: bool = False) -> str:
        stamp = self.time.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return f"{stamp} {self.stream} {self.message}" if with_stream else f"{stamp} {self.message}"

    @property
    def content_key(self) -> str:
        """Identity of a line by content: GetLogEvents returns no event ids, FilterLogEvents does."""
        return f"{self.stream}@{self.timestamp_ms}@{self.message}"

    def to_dict(self) -> dict[str, Any]:
        out = {
            "timestamp": self.time.isoformat().replace("+00:00", "Z"),
            "timestamp_ms": self.timestamp_ms,
            "stream": self.stream,
            "message": self.message,
        }
        if self.event_id:
            out["event_id"] = self.event_id
        return out


def log_group_name(endpoint_name: str, component: str | None = None) -> str:
    """The log group SageMaker writes an endpoint's (or one of its inference components') container logs to."""
    if component:
        return f"{COMPONENT_LOG_GROUP_PREFIX}{component}"
    return f"{LOG_GROUP_PREFIX}{endpoint_name}"


def parse_since(text: str, *, now: datetime | None = None) -> int:
    """``10m``, ``1h``, ``2d``, ``30s`` (ago) or an ISO 8601 time -> epoch ms (UTC when no zone is given)."""
    now = now or datetime.now(timezone.utc)
    match = _DURATION.fullmatch(text)
    if match:
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
        try:
            return int((now - timedelta(seconds=seconds)).timestamp() * 1000)
        except (OverflowError, ValueError):  # before year 1 (or beyond timedelta's range): no such time
            raise UsageError(
                f"since={text!r} reaches back before the year 1",
                field="since",
                value=text,
                fix="use a shorter duration (CloudWatch keeps logs for at most 10 years), e.g. 2d",
            ) from None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"cannot read since={text!r} as a time",
            field="since",
            value=text,
            fix="use a duration like 30s, 10m, 1h, 2d, or an ISO time like 2026-11-27T20:00:00Z",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def list_streams(
    ctx: AwsContext, endpoint_name: str, *, limit: int = MAX_STREAMS, component: str | None = None
) -> list[str]:
    """Stream names of the endpoint's (or component's) log group, most recently written first (at most ``limit``).

    Raises :class:`NotFoundError` (with a fix) when the log group does not exist yet.
    """
    group = log_group_name(endpoint_name, component)
    try:
        response = call(
            ctx.client("logs"),
            "describe_log_streams",
            "DescribeLogStreams",
            group,
            logGroupName=group,
            orderBy="LastEventTime",
            descending=True,
            limit=min(max(limit, 1), 50),
        )
    except NotFoundError as exc:
        raise _missing_group(endpoint_name, exc, component) from exc
    return [str(s["logStreamName"]) for s in response.get("logStreams", [])][:limit]


def _missing_group(endpoint_name: str, exc: NotFoundError, component: str | None = None) -> NotFoundError:
    if component:
        return NotFoundError(
            f"no logs for inference component {component!r} of endpoint {endpoint_name!r}: log group "
            f"{log_group_name(endpoint_name, component)} does not exist",
            code=exc.code,
            operation=exc.operation,
            field="component",
            value=component,
            fix=f"check the component (`lmi status {endpoint_name}` lists them); the group appears once a copy "
            "has started, so a component that never had a copy has none",
        )
    return NotFoundError(
        f"no logs for endpoint {endpoint_name!r}: log group {log_group_name(endpoint_name)} does not exist",
        code=exc.code,
        operation=exc.operation,
        field="endpoint",
        value=endpoint_name,
        fix="check the endpoint name and region (`lmi list`); the group appears once a container has started",
    )


def tail(
    ctx: AwsContext,
    endpoint_name: str,
    *,
    lines: int = 50,
    start_ms: int | None = None,
    end_ms: int | None = None,
    component: str | None = None,
) -> list[LogLine]:
    """The last ``lines`` log lines across the endpoint's (or component's) streams, oldest first (by timestamp)."""
    if lines <= 0:
        return []
    group = log_group_name(endpoint_name, component)
    merged: list[LogLine] = []
    for stream in list_streams(ctx, endpoint_name, component=component):
        merged.extend(_stream_tail(ctx, group, stream, lines, start_ms, end_ms))
    merged.sort(key=lambda line: (line.timestamp_ms, line.stream))
    return merged[-lines:]


def _stream_tail(
    ctx: AwsContext, group: str, stream: str, lines: int, start_ms: int | None, end_ms: int | None
) -> list[LogLine]:
    kwargs: dict[str, Any] = {
        "logGroupName": group,
        "logStreamName": stream,
        "startFromHead": False,
        "limit": min(lines, 10_000),
    }
    if start_ms is not None:
        kwargs["startTime"] = start_ms
    if end_ms is not None:
        kwargs["endTime"] = end_ms
    response = call(ctx.client("logs"), "get_log_events", "GetLogEvents", f"{group}:{stream}", **kwargs)
    return [_line(event, stream) for event in response.get("events", [])]


def mask_secrets(text: str) -> str:
    """Hide tokens a container printed (e.g. an echoed HF_TOKEN): logs are shown in terminals and CI logs."""
    return _SECRETS.sub(MASK, text)


def _line(event: dict[str, Any], stream: str) -> LogLine:
    message = mask_secrets(str(event.get("message", "")).rstrip("\n"))
    stream = str(event.get("logStreamName") or stream)
    return LogLine(int(event.get("timestamp", 0)), stream, message, str(event.get("eventId") or ""))


def fetch_since(ctx: AwsContext, endpoint_name: str, start_ms: int, *, component: str | None = None) -> list[LogLine]:
    """Every event from ``start_ms`` on, all streams interleaved, oldest first (follows ``nextToken``)."""
    group = log_group_name(endpoint_name, component)
    kwargs: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
    out: list[LogLine] = []
    while True:
        response = call(ctx.client("logs"), "filter_log_events", "FilterLogEvents", group, **kwargs)
        out.extend(_line(event, "") for event in response.get("events", []))
        token = response.get("nextToken")
        if not token or token == kwargs.get("nextToken"):
            return out
        kwargs["nextToken"] = token


class _SeenIds:
    """A bounded set of event ids: remembers the last ``size`` ids so a long follow does not grow forever."""

    def __init__(self, size: int = SEEN_IDS_KEPT) -> None:
        self._order: deque[str] = deque()
        self._ids: set[str] = set()
        self._size = size

    def add(self, event_id: str) -> bool:
        """Remember ``event_id``; False if it was already seen."""
        if event_id in self._ids:
            return False
        self._ids.add(event_id)
        self._order.append(event_id)
        if len(self._order) > self._size:
            self._ids.discard(self._order.popleft())
        return True


def follow(
    ctx: AwsContext,
    endpoint_name: str,
    *,
    start_ms: int,
    sleep: Callable[[float], None] = time.sleep,
    should_stop: Callable[[], bool] = lambda: False,
    min_delay_s: float = FOLLOW_MIN_DELAY_S,
    max_delay_s: float = FOLLOW_MAX_DELAY_S,
    already_seen: tuple[str, ...] = (),
    component: str | None = None,
) -> Iterator[LogLine]:
    """Yield new lines as they arrive, until ``should_stop()``; waits for the log group if it is missing.

    Polls at ``min_delay_s`` while lines flow and doubles the pause (up to ``max_delay_s``) while idle.
    ``already_seen`` holds the :attr:`LogLine.content_key` of lines the caller printed before (the initial
    tail, read with GetLogEvents, which has no event ids).
    """
    seen = _SeenIds()
    printed = set(already_seen)
    cursor = start_ms
    delay = min_delay_s
    while not should_stop():
        try:
            batch = fetch_since(ctx, endpoint_name, cursor, component=component)
        except NotFoundError:
            batch = []
        fresh = [line for line in batch if seen.add(line.event_id or line.content_key)]
        fresh = [line for line in fresh if line.content_key not in printed]
        yield from fresh
        if batch:
            cursor = max(cursor, max(line.timestamp_ms for line in batch))
        delay = min_delay_s if fresh else min(delay * 2, max_delay_s)
        if should_stop():
            return
        sleep(delay)


def tail_then_follow(
    ctx: AwsContext,
    endpoint_name: str,
    *,
    lines: int,
    start_ms: int | None,
    on_waiting: Callable[[str], None] | None = None,
    component: str | None = None,
) -> Iterator[LogLine]:
    """The last ``lines`` lines (if the group exists yet), then new lines as they arrive, without repeats."""
    try:
        recent = tail(ctx, endpoint_name, lines=lines, start_ms=start_ms, component=component)
    except NotFoundError:
        recent = []
        if on_waiting is not None:
            on_waiting(log_group_name(endpoint_name, component))
    yield from recent
    cursor = max([line.timestamp_ms for line in recent] or [start_ms or int(time.time() * 1000)])
    seen = tuple(line.content_key for line in recent)
    yield from follow(ctx, endpoint_name, start_ms=cursor, already_seen=seen, component=component)
