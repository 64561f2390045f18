"""Errors of the API and MCP layers, and the HTTP status and error code of every voltlens error.

A user's bad input is always a 4xx with ``{"error": {"code", "message", "field"}}``; only a bug in
voltlens itself answers 500.
"""

from __future__ import annotations

from ..errors import (
    ConfigError,
    DataError,
    DigitizeError,
    FormatError,
    ParameterError,
    UnsupportedMeasurementError,
    VoltlensError,
)

__all__ = ["ImageUnavailableError", "LimitError", "RequestError", "status_and_code"]


class LimitError(DataError):
    """The request is over one of the server's limits (size, points, pixels, files, time)."""

    def __init__(self, source: str, problem: str, *, field: str | None = None, status: int = 413) -> None:
        super().__init__(source, problem, field=field)
        self.status = status


class RequestError(DataError):
    """The request itself is malformed (bad JSON, bad multipart, wrong content type)."""

    def __init__(
        self, problem: str, *, code: str = "bad_request", status: int = 400, field: str | None = None
    ):
        super().__init__("request", problem, field=field)
        self.code, self.status = code, status


class ImageUnavailableError(DataError):
    """An image was sent but this installation has no plot digitizer."""


def status_and_code(exc: VoltlensError) -> tuple[int, str]:
    """The HTTP status and the error code for a voltlens error."""
    if isinstance(exc, RequestError):
        return exc.status, exc.code
    if isinstance(exc, LimitError):
        return exc.status, "limit_exceeded"
    if isinstance(exc, ImageUnavailableError):
        return 422, "image_analysis_unavailable"
    if isinstance(exc, UnsupportedMeasurementError):
        return 422, "unsupported_measurement"
    if isinstance(exc, FormatError):
        return 422, "format_error"
    if isinstance(exc, DigitizeError):
        return 422, "digitize_error"
    if isinstance(exc, DataError):
        return 422, "data_error"
    if isinstance(exc, ParameterError):
        return 422, "parameter_error"
    if isinstance(exc, ConfigError):
        return 422, "config_error"
    return 422, "voltlens_error"
