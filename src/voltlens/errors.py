"""The one exception tree of voltlens.

Every error a user can cause derives from :class:`VoltlensError`; the CLI turns any of them
into a one-line message and exit status 2.  Messages name the parameter (or file and field)
and show the offending value.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataError",
    "DigitizeError",
    "FormatError",
    "ParameterError",
    "UnsupportedMeasurementError",
    "VoltlensError",
]


class VoltlensError(Exception):
    """Base class of every error voltlens raises on purpose."""


class ParameterError(VoltlensError, ValueError):
    """A function argument or option is out of range: names the parameter and shows its value."""

    def __init__(self, name: str, value: object, expected: str) -> None:
        self.name, self.value, self.expected = name, value, expected
        super().__init__(f"{name}={value!r}: {expected}")


class ConfigError(VoltlensError, ValueError):
    """A configuration file has a bad field: names the file, the field and the value."""

    def __init__(self, source: str, field: str, value: object, expected: str) -> None:
        self.source, self.field, self.value, self.expected = source, field, value, expected
        super().__init__(f"{source}: {field}={value!r}: {expected}")


class DataError(VoltlensError, ValueError):
    """A data file or array is unusable: names the file (or array), the field and the problem."""

    def __init__(self, source: str, problem: str, *, field: str | None = None) -> None:
        self.source, self.problem, self.field = source, problem, field
        where = f"{source}: {field}" if field else source
        super().__init__(f"{where}: {problem}")


class FormatError(DataError):
    """The file's format is not recognised or is malformed."""


class UnsupportedMeasurementError(DataError):
    """The file holds a measurement voltlens does not analyse (EIS, chronoamperometry, ...)."""


class DigitizeError(VoltlensError):
    """An image cannot be read as a voltammogram plot (refusal over invention)."""

    def __init__(self, source: str, problem: str) -> None:
        self.source, self.problem = source, problem
        super().__init__(f"{source}: {problem}")
