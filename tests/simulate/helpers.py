"""Shared measuring tools for the simulator tests (independent of the simulator's own code)."""

from __future__ import annotations

import math

import numpy as np

from voltlens.constants import FARADAY, f_inverse_volts
from voltlens.simulate import SimulatedCurve


def peak(potential: np.ndarray, current: np.ndarray, sign: int) -> tuple[float, float]:
    """(potential, current) of the extremum of sign·current, refined by a parabola through 3 points."""
    y = sign * np.asarray(current, dtype=float)
    k = int(np.argmax(y))
    k = min(max(k, 1), y.size - 2)
    y0, y1, y2 = y[k - 1], y[k], y[k + 1]
    denom = y0 - 2 * y1 + y2
    d = 0.0 if denom == 0 else 0.5 * (y0 - y2) / denom
    e = potential[k] + d * (potential[k + 1] - potential[k])
    return float(e), float(sign * (y1 - 0.25 * (y0 - y2) * d))


def half_height_width(potential: np.ndarray, current: np.ndarray, sign: int) -> float:
    """Full width at half height of the extremum of sign·current (linear interpolation, zero baseline)."""
    y = sign * np.asarray(current, dtype=float)
    e = np.asarray(potential, dtype=float)
    k = int(np.argmax(y))
    half = y[k] / 2
    left = k
    while y[left] > half:
        left -= 1
    right = k
    while y[right] > half:
        right += 1
    e_left = e[left] + (half - y[left]) * (e[left + 1] - e[left]) / (y[left + 1] - y[left])
    e_right = e[right - 1] + (half - y[right - 1]) * (e[right] - e[right - 1]) / (y[right] - y[right - 1])
    return float(abs(e_right - e_left))


def cv_peaks(
    curve: SimulatedCurve, *, first_sign: int, cycle: int = 1
) -> tuple[tuple[float, float], tuple[float, float]]:
    """(forward peak, reverse peak) of one cycle; ``first_sign`` +1 when the first sweep oxidises."""
    v = curve.voltammogram
    seg = v.segment
    first = 2 * (cycle - 1)
    fwd = seg == first
    rev = seg == first + 1
    return peak(v.potential[fwd], v.current[fwd], first_sign), peak(
        v.potential[rev], v.current[rev], -first_sign
    )


def randles_sevcik(
    n: int, area_m2: float, conc_mol_m3: float, d_m2_s: float, v: float, t: float = 298.15
) -> float:
    """B&F 6.2.19: ip = 0.4463 nFAC (nFvD/RT)^½ (SI units)."""
    return 0.4463 * n * FARADAY * area_m2 * conc_mol_m3 * math.sqrt(n * f_inverse_volts(t) * v * d_m2_s)
