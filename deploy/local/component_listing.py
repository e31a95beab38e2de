"""ListInferenceComponents: SageMaker's filters, sort orders and pagination over the emulator's components.

Rule: the filters AND together (``NameContains`` is case-sensitive, as for ListEndpoints); the default sort is
``CreationTime`` ``Descending``; ``MaxResults`` defaults to 10; ``NextToken`` is the opaque offset of the next page,
and a token the emulator did not issue is a ValidationException.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from deploy.local.errors import validation
from deploy.local.ic_model import Component

DEFAULT_PAGE = 10


def _as_time(value: Any) -> dt.datetime:
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(float(value), tz=dt.timezone.utc)
    from botocore.utils import parse_to_aware_datetime

    parsed: dt.datetime = parse_to_aware_datetime(value)
    return parsed


def _keep(component: Component, body: dict[str, Any]) -> bool:
    checks = (
        ("NameContains", lambda v: str(v) in component.name),
        ("StatusEquals", lambda v: component.status == v),
        ("EndpointNameEquals", lambda v: component.endpoint == v),
        ("VariantNameEquals", lambda v: component.variant == v),
        ("CreationTimeBefore", lambda v: component.created < _as_time(v)),
        ("CreationTimeAfter", lambda v: component.created > _as_time(v)),
        ("LastModifiedTimeBefore", lambda v: component.modified < _as_time(v)),
        ("LastModifiedTimeAfter", lambda v: component.modified > _as_time(v)),
    )
    return all(test(body[key]) for key, test in checks if body.get(key) is not None)


def _summary(component: Component) -> dict[str, Any]:
    return {
        "CreationTime": component.created.timestamp(),
        "InferenceComponentArn": component.arn,
        "InferenceComponentName": component.name,
        "EndpointArn": component.endpoint_arn,
        "EndpointName": component.endpoint,
        "VariantName": component.variant,
        "InferenceComponentStatus": component.status,
        "LastModifiedTime": component.modified.timestamp(),
    }


def _offset(token: Any) -> int:
    if token is None:
        return 0
    try:
        offset = int(str(token))
    except ValueError:
        offset = -1
    if offset < 0:
        raise validation(f"Invalid pagination token: {token}")
    return offset


def list_page(components: list[Component], body: dict[str, Any]) -> dict[str, Any]:
    kept = [c for c in components if _keep(c, body)]
    sort_by = body.get("SortBy", "CreationTime")
    keys = {"Name": lambda c: c.name, "CreationTime": lambda c: c.created, "Status": lambda c: c.status}
    kept.sort(key=keys.get(sort_by, keys["CreationTime"]), reverse=body.get("SortOrder", "Descending") == "Descending")
    start, size = _offset(body.get("NextToken")), int(body.get("MaxResults") or DEFAULT_PAGE)
    page: dict[str, Any] = {"InferenceComponents": [_summary(c) for c in kept[start : start + size]]}
    if start + size < len(kept):
        page["NextToken"] = str(start + size)
    return page
