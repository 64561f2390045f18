"""What the readers infer from a potential programme when a file does not say it.

* :func:`sweep_segments` — 0-based index of the monotonic sweep each point belongs to, robust to
  noise and repeated points (a direction change counts only once the potential has moved back
  by a hysteresis larger than the noise).
* :func:`cycles_from_segments` — 1-based cycle = two sweeps.
* :func:`sign_score` / :func:`infer_sign_convention` — whether the current follows the IUPAC sign.
* :func:`estimate_scan_rate` — |dE/dt| from a time column.

These are not analysis: they only fill in what the instrument knew when it wrote the file.
"""

from __future__ import annotations

import numpy as np

from ..model import SignConvention, Technique

__all__ = [
    "SIGN_THRESHOLD",
    "cycles_from_segments",
    "estimate_scan_rate",
    "infer_sign_convention",
    "sign_score",
    "sweep_segments",
]

#: |score| below which the sign heuristic abstains (see :func:`infer_sign_convention`).
SIGN_THRESHOLD = 0.03


def _hysteresis(potential: np.ndarray) -> float:
    span = float(np.ptp(potential))
    steps = np.abs(np.diff(potential))
    steps = steps[steps > 0]
    step = float(np.median(steps)) if steps.size else 0.0
    return min(max(0.01 * span, 4.0 * step), 0.25 * span)


def _turning_points(potential: np.ndarray, h: float) -> list[int]:
    """Indices of the vertices of a zig-zag whose legs are longer than ``h`` (sequential zig-zag
    over the local extrema only, so a long smooth sweep costs nothing)."""
    e = potential
    n = e.size
    inner = np.flatnonzero(
        ((e[1:-1] >= e[:-2]) & (e[1:-1] >= e[2:])) | ((e[1:-1] <= e[:-2]) & (e[1:-1] <= e[2:]))
    )
    candidates = np.concatenate(([0], inner + 1, [n - 1])).tolist()
    values = e[candidates].tolist()
    turns: list[int] = []
    direction = 0
    hi = lo = values[0]
    hi_i = lo_i = candidates[0]
    ref_v, ref_i = values[0], candidates[0]
    start = values[0]
    for k, v in zip(candidates, values, strict=True):
        if direction == 0:
            if v > hi:
                hi, hi_i = v, k
            if v < lo:
                lo, lo_i = v, k
            if hi - lo > h:
                if hi_i > lo_i:
                    direction, ref_v, ref_i = 1, hi, hi_i
                    if start - lo > h:
                        turns.append(lo_i)
                else:
                    direction, ref_v, ref_i = -1, lo, lo_i
                    if hi - start > h:
                        turns.append(hi_i)
        elif direction > 0:
            if v > ref_v:
                ref_v, ref_i = v, k
            elif ref_v - v > h:
                turns.append(ref_i)
                direction, ref_v, ref_i = -1, v, k
        else:
            if v < ref_v:
                ref_v, ref_i = v, k
            elif v - ref_v > h:
                turns.append(ref_i)
                direction, ref_v, ref_i = 1, v, k
    return turns


def sweep_segments(potential: np.ndarray, *, hysteresis: float | None = None) -> np.ndarray:
    """0-based sweep index of every point; a vertex belongs to the sweep that ends there.

    A reversal is counted once the potential has come back from its running extreme by more
    than ``hysteresis`` (default: the larger of 1 % of the potential span and 4 median steps,
    at most a quarter of the span), so noise and repeated points do not split sweeps.
    """
    e = np.asarray(potential, dtype=float)
    n = e.size
    if n < 3 or float(np.ptp(e)) == 0.0:
        return np.zeros(n, dtype=np.int64)
    h = _hysteresis(e) if hysteresis is None else float(hysteresis)
    turns = np.asarray(_turning_points(e, h), dtype=np.int64)
    return np.searchsorted(turns, np.arange(n), side="left").astype(np.int64)


def cycles_from_segments(segment: np.ndarray) -> np.ndarray:
    """1-based cycle numbers: sweeps 0-1 are cycle 1, sweeps 2-3 cycle 2, ..."""
    return np.asarray(segment, dtype=np.int64) // 2 + 1


def sign_score(potential: np.ndarray, current: np.ndarray) -> float:
    """∮ i dE / (max|i| · ∫|dE|), in [-1, 1]; positive when the current follows IUPAC.

    In IUPAC sign the current on a positive-going sweep lies above the current on the
    negative-going sweep (capacitive charging, diffusion-controlled couples, adsorption peaks),
    so the loop integral is positive; for a single pulse sweep (DPV/SWV) the peaks point in the
    scan direction, so the same integral is positive too.
    """
    e = np.asarray(potential, dtype=float)
    i = np.asarray(current, dtype=float)
    if e.size < 3:
        return 0.0
    de = np.diff(e)
    path = float(np.sum(np.abs(de)))
    scale = float(np.max(np.abs(i)))
    if path == 0.0 or scale == 0.0:
        return 0.0
    return float(np.sum(0.5 * (i[1:] + i[:-1]) * de) / (scale * path))


def infer_sign_convention(
    potential: np.ndarray, current: np.ndarray, technique: Technique, n_segments: int
) -> tuple[SignConvention | None, float]:
    """(convention or None when the evidence is weak, score).

    Used only for formats that do not state their convention.  Applies to CVs with at least
    one reversal and to DPV/SWV; abstains (None) for LSV, where a positive-going sweep may
    legitimately carry cathodic current (e.g. an ORR polarisation curve).  Limits: CVs whose
    reverse sweep carries the larger anodic current (formic-acid or methanol oxidation on Pt/Au,
    nucleation loops in metal deposition) score near zero or negative; a score between
    -SIGN_THRESHOLD and +SIGN_THRESHOLD is treated as no evidence.
    """
    if technique == Technique.LSV or (technique == Technique.CV and n_segments < 2):
        return None, 0.0
    score = sign_score(potential, current)
    if score > SIGN_THRESHOLD:
        return SignConvention.IUPAC, score
    if score < -SIGN_THRESHOLD:
        return SignConvention.US, score
    return None, score


def estimate_scan_rate(potential: np.ndarray, time: np.ndarray) -> float | None:
    """Median |ΔE/Δt| over short windows (V/s, 4 significant digits), or None when undefined."""
    e = np.asarray(potential, dtype=float)
    t = np.asarray(time, dtype=float)
    n = e.size
    if n < 3:
        return None
    lag = int(max(1, min(20, n // 50)))
    dt = t[lag:] - t[:-lag]
    de = np.abs(e[lag:] - e[:-lag])
    ok = (dt > 0) & (de > 0)
    if not np.any(ok):
        return None
    rate = float(np.median(de[ok] / dt[ok]))
    if not np.isfinite(rate) or rate <= 0:
        return None
    return float(f"{rate:.4g}")
