"""voltlens: read cyclic and differential pulse voltammetry the way an expert does.

Flow: ``io``/``simulate`` → :class:`Voltammogram` → ``analyze`` → ``Analysis`` →
``interpret``/``bench``/``api``.  Core modules are pure; files, images and the CLI stay at the edges.
"""

from __future__ import annotations

from .errors import (
    ConfigError,
    DataError,
    DigitizeError,
    FormatError,
    ParameterError,
    UnsupportedMeasurementError,
    VoltlensError,
)
from .model import Couple, Peak, PulseSettings, SignConvention, Technique, Voltammogram

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Couple",
    "DataError",
    "DigitizeError",
    "FormatError",
    "ParameterError",
    "Peak",
    "PulseSettings",
    "SignConvention",
    "Technique",
    "UnsupportedMeasurementError",
    "Voltammogram",
    "VoltlensError",
    "__version__",
]
