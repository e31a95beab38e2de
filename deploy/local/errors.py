"""Errors the emulator answers with, shaped as the AWS service would send them.

Rule: an :class:`ApiError` carries exactly what the client's parser reads (code, message, HTTP status, extra
fields), so botocore raises the same ``ClientError`` (or modelled exception such as ``ModelError``) as on AWS.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An AWS error response: ``code`` becomes ``Error.Code``, ``message`` becomes ``Error.Message``."""

    def __init__(self, code: str, message: str, status: int = 400, **fields: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields


def validation(message: str) -> ApiError:
    return ApiError("ValidationException", message)


def sagemaker_arn(region: str, account: str, kind: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:{kind}/{name.lower()}"


def from_moto(exc: Exception) -> ApiError:
    """Convert either of moto's exception families into the error the client should see."""
    from moto.core.exceptions import JsonRESTError, ServiceException

    if isinstance(exc, ServiceException):
        return ApiError(str(exc.code), str(exc.message))
    if isinstance(exc, JsonRESTError):
        return ApiError(exc.error_type, exc.message, int(exc.code))
    return ApiError("InternalFailure", str(exc), 500)


def moto_errors() -> tuple[type[Exception], ...]:
    from moto.core.exceptions import JsonRESTError, ServiceException

    return (JsonRESTError, ServiceException)
