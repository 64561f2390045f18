"""Axis calibration: tick labels (pixel position, value read) → a robust linear pixel ↔ value map.

Pairs of labels propose lines (RANSAC over all pairs — there are rarely more than a dozen labels);
the line that explains the most labels within a pixel tolerance wins, then a least-squares refit on
its inliers gives the map and its residuals.  A label whose minus sign was not read may be taken
with the opposite sign (at half weight).  Geometric progressions of positive labels or powers of
ten mark a logarithmic axis, which is refused rather than misread.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..errors import DigitizeError
from .parse import is_nice_step

__all__ = ["AxisFit", "TickLabel", "fit_axis"]


@dataclass(frozen=True, slots=True)
class TickLabel:
    """A tick label located and read: ``pos`` (px along the axis, of the tick mark when one was
    found, else of the label's centre), ``value`` as read, OCR ``score``."""

    pos: float
    value: float
    score: float
    text: str
    signed: bool
    kind: str
    from_tick: bool


@dataclass(frozen=True, slots=True)
class AxisFit:
    """``value = intercept + slope · pixel`` (displayed units before any multiplier)."""

    slope: float
    intercept: float
    inliers: tuple[int, ...]
    values: tuple[float, ...]  # the values used for the inliers (sign-corrected)
    residuals: tuple[float, ...]  # value units, per inlier
    sign_fixes: int
    nice: bool
    n_read: int

    def value(self, pixel: float | np.ndarray) -> float | np.ndarray:
        return self.intercept + self.slope * pixel

    def pixel(self, value: float | np.ndarray) -> float | np.ndarray:
        return (value - self.intercept) / self.slope

    @property
    def rms(self) -> float:
        r = np.asarray(self.residuals)
        return float(np.sqrt(np.mean(r**2))) if r.size else 0.0

    @property
    def max_abs(self) -> float:
        return float(np.max(np.abs(self.residuals))) if self.residuals else 0.0


def _log_axis(labels: list[TickLabel]) -> bool:
    if sum(lb.kind == "power" for lb in labels) >= 2:
        return True
    pos = sorted((lb for lb in labels if lb.value > 0), key=lambda lb: lb.pos)
    if len(pos) < 3:
        return False
    v = np.array([lb.value for lb in pos])
    p = np.array([lb.pos for lb in pos])
    ratios = v[1:] / v[:-1]
    if np.all(ratios > 1) or np.all(ratios < 1):
        lr = np.log10(np.where(ratios > 1, ratios, 1 / ratios))
        if np.ptp(lr) < 0.05 and lr.mean() >= 0.29:  # constant ratio ≥ 2 (1-2-5 or decades)
            lin = np.polyfit(p, v, 1)
            lin_res = np.abs(np.polyval(lin, p) - v).max() / np.ptp(v)
            return bool(lin_res > 0.05)
    return False


def fit_axis(labels: list[TickLabel], *, source: str, axis: str) -> AxisFit | None:
    """The robust pixel → value map of one axis, or None when fewer than two labels agree.

    Raises :class:`DigitizeError` for a logarithmic axis.
    """
    if _log_axis(labels):
        raise DigitizeError(
            source,
            f"the {axis} axis is logarithmic (tick labels {', '.join(lb.text for lb in labels[:5])}); "
            "only linear axes are digitized",
        )
    n = len(labels)
    if n < 2:
        return None
    cands = [
        [(lb.value, 1.0)] + ([(-lb.value, 0.5)] if (not lb.signed and lb.value != 0) else []) for lb in labels
    ]
    pos = np.array([lb.pos for lb in labels])
    tol_px = np.array([1.6 if lb.from_tick else 2.6 for lb in labels])
    score = np.array([max(lb.score, 0.05) for lb in labels])
    best: tuple[float, float, float, float] | None = None  # (weight, -resid, slope, intercept)
    for i, j in itertools.combinations(range(n), 2):
        if abs(pos[i] - pos[j]) < 3:
            continue
        for vi, _wi in cands[i]:
            for vj, _wj in cands[j]:
                if vi == vj:
                    continue
                b = (vj - vi) / (pos[j] - pos[i])
                a = vi - b * pos[i]
                weight, resid = 0.0, 0.0
                for k in range(n):
                    rk, wk = min(((abs(v - (a + b * pos[k])), w) for v, w in cands[k]), key=lambda t: t[0])
                    if rk <= abs(b) * tol_px[k]:
                        weight += score[k] * wk
                        resid += rk / abs(b)
                key = (weight, -resid)
                if best is None or key > (best[0], best[1]):
                    best = (weight, -resid, b, a)
    if best is None:
        return None
    _, _, b, a = best
    inl, vals, fixes = [], [], 0
    for k in range(n):
        rk, v = min(((abs(v - (a + b * pos[k])), v) for v, _ in cands[k]), key=lambda t: t[0])
        if rk <= abs(b) * tol_px[k]:
            inl.append(k)
            vals.append(v)
            fixes += v != labels[k].value
    if len(inl) < 2:
        return None
    p = pos[inl]
    v = np.array(vals)
    if len(inl) >= 3:
        b, a = np.polyfit(p, v, 1)
    resid = v - (a + b * p)
    uv = np.unique(np.round(v, 12))
    step = float(np.min(np.diff(uv))) if uv.size >= 2 else 0.0
    nice = bool(step > 0 and is_nice_step(step) and np.all(np.abs(uv / step - np.round(uv / step)) < 0.02))
    return AxisFit(
        float(b),
        float(a),
        tuple(inl),
        tuple(float(x) for x in v),
        tuple(float(x) for x in resid),
        fixes,
        nice,
        n,
    )
