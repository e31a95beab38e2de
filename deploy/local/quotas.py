"""Service Quotas for SageMaker endpoint usage, emulated with settable values (moto 5.2 knows only ``vpc``).

Rule: the emulator answers GetServiceQuota, GetAWSDefaultServiceQuota, ListServiceQuotas and
ListAWSDefaultServiceQuotas for ``ServiceCode=sagemaker`` (every other service code goes to moto unchanged), in
AWS's shapes: ``{"Quota": {...}}`` / ``{"Quotas": [...], "NextToken"}``, ``NoSuchResourceException`` for a code
the region does not define. One quota per catalog instance type, named ``<type> for endpoint usage``, with the
real code where ``deploy/catalog/quota_codes.toml`` has it (an emulator-made ``L-EMU…`` code otherwise).

Values: every type starts at :data:`DEFAULT_APPLIED` instances (so demos deploy; AWS's own default for GPU types is
0) and its AWS default at 0. Tests set values with ``Emulator.set_quota`` (or ``POST /_lmi/quotas`` on a
background emulator), remove a quota (a type the region does not offer) with ``value=None``, and deny the reads
with ``Emulator.inject_fault("GetServiceQuota", code="AccessDeniedException")``.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from deploy.local.errors import ApiError

SERVICE_CODE = "sagemaker"
ACCOUNT = "123456789012"  # moto's default account, the emulator's
DEFAULT_APPLIED = 10.0
AWS_DEFAULT = 0.0


def _codes() -> dict[str, str]:
    from deploy.aws.quotas import quota_codes

    return quota_codes()


def _catalog_types() -> list[str]:
    from deploy.catalog import instances

    return [inst.name for inst in instances()]


def quota_code(instance_type: str) -> str:
    """The real code where known, else a stable emulator-made one (``L-EMU`` + 5 hex digits)."""
    known = _codes().get(instance_type)
    return known or "L-EMU" + hashlib.sha256(instance_type.encode()).hexdigest()[:5].upper()


class QuotaStore:
    """Applied endpoint-usage quotas per (region, instance type); None = the quota is not defined there."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, str], float | None] = {}
        self._lock = threading.Lock()

    def set(self, region: str, instance_type: str, value: float | None) -> None:
        with self._lock:
            self._values[(region, instance_type)] = value

    def applied(self, region: str, instance_type: str) -> float | None:
        """The applied value (DEFAULT_APPLIED unless set), None when the quota was removed."""
        with self._lock:
            return self._values.get((region, instance_type), DEFAULT_APPLIED)

    def reset(self) -> None:
        with self._lock:
            self._values.clear()

    def rows(self, region: str, applied: bool) -> list[dict[str, Any]]:
        out = []
        for name in _catalog_types():
            value = self.applied(region, name)
            if value is None:
                continue  # removed: this region does not define the type's quota
            out.append(_quota(region, name, value if applied else AWS_DEFAULT))
        return out


def _quota(region: str, instance_type: str, value: float) -> dict[str, Any]:
    code = quota_code(instance_type)
    return {
        "ServiceCode": SERVICE_CODE,
        "ServiceName": "Amazon SageMaker",
        "QuotaArn": f"arn:aws:servicequotas:{region}:{ACCOUNT}:{SERVICE_CODE}/{code}",
        "QuotaCode": code,
        "QuotaName": f"{instance_type} for endpoint usage",
        "Value": value,
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": False,
    }


def handle(store: QuotaStore, region: str, operation: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """The answer to a Service Quotas call for ``sagemaker``; None for other services (moto answers)."""
    if body.get("ServiceCode") != SERVICE_CODE:
        return None
    if operation in ("GetServiceQuota", "GetAWSDefaultServiceQuota"):
        rows = store.rows(region, applied=operation == "GetServiceQuota")
        found = next((row for row in rows if row["QuotaCode"] == body.get("QuotaCode")), None)
        if found is None:
            raise ApiError(
                "NoSuchResourceException", "The request failed because the specified resource does not exist."
            )
        return {"Quota": found}
    if operation in ("ListServiceQuotas", "ListAWSDefaultServiceQuotas"):
        rows = store.rows(region, applied=operation == "ListServiceQuotas")
        return _page(rows, body)
    return None


def _page(rows: list[dict[str, Any]], body: dict[str, Any]) -> dict[str, Any]:
    size = max(1, min(int(body.get("MaxResults") or 100), 100))
    start = int(body.get("NextToken") or 0)
    out: dict[str, Any] = {"Quotas": rows[start : start + size]}
    if start + size < len(rows):
        out["NextToken"] = str(start + size)
    return out
