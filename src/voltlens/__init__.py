"""voltlens: read cyclic and differential pulse voltammetry the way an expert does.

Flow: ``io``/``simulate`` → :class:`Voltammogram` → ``analyze`` → ``Analysis`` →
``interpret``/``bench``/``api``.  Core modules are pure; files, images and the CLI stay at the edges.
"""

from __future__ import annotations

import os

# voltlens does many small linear-algebra solves (fits of a few dozen parameters); a multi-threaded BLAS
# makes each one 10× slower (measured: a 294×34 SVD 3.2 ms with OpenBLAS threads, 0.29 ms with one) and
# fights worker processes for the cores.  One BLAS thread unless the user chose otherwise; this only
# takes effect when voltlens is imported before numpy (the CLI, the server and their workers).
# (OpenBLAS only: numpy's and scipy's wheels use it; torch's OpenMP/MKL threads are left alone.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

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
