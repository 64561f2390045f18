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


_NICE_BONUS = 0.6  # a fit whose tick step is nice (axes are drawn so) over one that is not
MAX_LABEL_RATIO = 1e4  # non-zero labels of one linear axis lie within this factor of each other
_INLIER_BONUS = 0.2  # each label a fit explains, even by a misreading, over a label it leaves out


def _nice(step: float, *, tol: float = 0.02) -> bool:
    """A nice tick step (1, 2, 2.5, 5 × 10ⁿ) up to ``tol`` (relative; the precision of a pixel fit)."""
    if not (step > 0 and np.isfinite(step)):
        return False
    e = np.floor(np.log10(step))
    m = step / 10.0**e
    return any(abs(m - n) <= tol * n for n in (1.0, 2.0, 2.5, 5.0, 10.0))


def _nice_values(values: list[float]) -> bool:
    """The values a fit explains lie a nice step apart (or two: a label between them unread)."""
    uv = np.unique(np.round(values, 12))
    if uv.size < 2:
        return False
    step = float(np.min(np.diff(uv)))
    return _nice(step) or _nice(0.5 * step)


def _readings(lb: TickLabel) -> list[tuple[float, float]]:
    """The values a label may stand for, with their weights: as read; negated when no minus sign
    was read (a lost minus); and, for digits with no decimal point, with the point after the
    first digit (a lost point: "-10" for "-1.0", "25" for "2.5")."""
    out = [(lb.value, 1.0)]
    if not lb.signed and lb.value != 0:
        out.append((-lb.value, 0.5))
    digits = lb.text.strip().lstrip("-+−–")
    if lb.kind == "plain" and len(digits) >= 2 and digits.isdigit() and lb.value != 0:
        lost = lb.value / 10.0 ** (len(digits) - 1)
        out.append((lost, 0.5))
        if not lb.signed:
            out.append((-lost, 0.25))
    return out


def _has_digit(text: str) -> bool:
    """Whether OCR read a digit at all (not only letters that parse as one: "I", "l", "o")."""
    return any(c.isdigit() for c in text)


def _ragged(text: str) -> bool:
    """A reading cut at an end: it starts or ends with its decimal point ("0.", ".4")."""
    t = text.strip()
    return t.startswith((".", ",")) or t.endswith((".", ","))


def _nice_pair(pos: np.ndarray, inl: list[int], vals: list[float]) -> bool:
    """Two labels alone fit an axis only when they lie a nice step apart per tick pitch (the
    smallest spacing of the labels found): two misreadings fit any line, but rarely a nice one."""
    gaps = np.diff(np.sort(pos))
    gaps = gaps[gaps >= 3]
    if gaps.size == 0:
        return False
    pitch = float(gaps.min())
    k = round(abs(pos[inl[1]] - pos[inl[0]]) / pitch)
    if k < 1:
        return False
    return _nice(abs(vals[1] - vals[0]) / k, tol=0.03)


_TWO_LABEL_SCORE = 0.5  # an axis fitted on two labels alone needs both read at least this surely
_TIE = 0.5  # weights this close (OCR scores of different labels) do not decide between lines


def _straightest(
    found: list[tuple[float, float, float, float, tuple[int, ...], tuple[float, ...]]], pos: np.ndarray
) -> tuple[float, float, float, float]:
    """The best candidate line: the heaviest, or among those as heavy (within :data:`_TIE`)
    explaining as many labels, the one whose labels lie straightest (least-squares residual in
    px) — a tick found on a spine next to its label is off the line the others make."""
    top = max(found, key=lambda c: (c[0], c[1]))
    best, best_rms = top, np.inf
    seen: set[tuple[tuple[int, ...], tuple[float, ...]]] = set()
    for c in found:
        if c[0] < top[0] - _TIE or len(c[4]) < max(3, len(top[4])) or (c[4], c[5]) in seen:
            continue
        seen.add((c[4], c[5]))
        p, v = pos[list(c[4])], np.asarray(c[5])
        if np.unique(np.round(p)).size < 3:
            continue  # labels on top of each other: no line to judge
        slope, icpt = np.polyfit(p, v, 1)
        if slope == 0:
            continue
        rms = float(np.sqrt(np.mean(((v - (icpt + slope * p)) / slope) ** 2)))
        if rms < best_rms - 1e-9 or (abs(rms - best_rms) <= 1e-9 and (c[0], c[1]) > (best[0], best[1])):
            best, best_rms = c, rms
    return best[0], best[1], best[2], best[3]


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
    cands = [_readings(lb) for lb in labels]
    pos = np.array([lb.pos for lb in labels])
    tol_px = np.array([1.6 if lb.from_tick else 2.6 for lb in labels])
    score = np.array([max(lb.score, 0.05) for lb in labels])
    digit = [_has_digit(lb.text) for lb in labels]
    # candidate lines: (weight, -resid, slope, intercept, inlier indices, values used)
    found: list[tuple[float, float, float, float, tuple[int, ...], tuple[float, ...]]] = []
    for i, j in itertools.combinations(range(n), 2):
        if abs(pos[i] - pos[j]) < 3:
            continue
        for vi, _wi in cands[i]:
            for vj, _wj in cands[j]:
                if vi == vj:
                    continue
                b = (vj - vi) / (pos[j] - pos[i])
                a = vi - b * pos[i]
                weight, resid, idx, used = 0.0, 0.0, [], []
                for k in range(n):
                    rk, wk, vk = min(
                        ((abs(v - (a + b * pos[k])), w, v) for v, w in cands[k]), key=lambda t: t[0]
                    )
                    if rk <= abs(b) * tol_px[k]:
                        weight += score[k] * wk + _INLIER_BONUS
                        resid += rk / abs(b)
                        idx.append(k)
                        used.append(vk)
                if sum(digit[k] for k in idx) < 2:
                    continue  # a line through letters read as digits ("I", "o"): no axis
                # values a nice step apart, as axes are labelled (two labels alone: a nice step per
                # tick pitch, which is what lets them fit an axis at all)
                if _nice_values(used) and (len(idx) != 2 or _nice_pair(pos, idx, used)):
                    weight += _NICE_BONUS
                found.append((weight, -resid, b, a, tuple(idx), tuple(used)))
    if not found:
        return None
    _, _, b, a = _straightest(found, pos)
    inl, vals, fixes = [], [], 0
    for k in range(n):
        rk, v = min(((abs(v - (a + b * pos[k])), v) for v, _ in cands[k]), key=lambda t: t[0])
        if rk <= abs(b) * tol_px[k]:
            inl.append(k)
            vals.append(v)
            fixes += v != labels[k].value
    if len(inl) < 2 or (len(inl) == 2 and n >= 3 and not _nice_pair(pos, inl, vals)):
        return None
    if sum(digit[k] for k in inl) < 2:
        return None  # letters taken for digits ("I", "l", "o"): a blurred word, not tick labels
    if len(inl) == 2 and n == 2 and (fixes or any(_ragged(labels[k].text) for k in inl)):
        return None  # two labels only, one of them corrected or cut short: too little to trust
    if len(inl) == 2 and n >= 3 and min(labels[k].score for k in inl) < _TWO_LABEL_SCORE:
        return None  # two of several labels agree, one of them barely read (a blurred photo)
    p = pos[inl]
    v = np.array(vals)
    if len(inl) >= 3:
        b, a = np.polyfit(p, v, 1)
    resid = v - (a + b * p)
    uv = np.unique(np.round(v, 12))
    step = float(np.min(np.diff(uv))) if uv.size >= 2 else 0.0
    nice = bool(step > 0 and is_nice_step(step) and np.all(np.abs(uv / step - np.round(uv / step)) < 0.02))
    mag = np.abs(uv[uv != 0])
    if mag.size >= 2 and mag.max() > MAX_LABEL_RATIO * mag.min():
        return None  # "1.0E-05" and "2,0E 06": a lost exponent sign
    if len(inl) == 3 and not nice and n >= 4:
        return None  # three of many labels off a nice grid ("4", "3", "02"): misreadings
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
