"""Preprocessing of a voltammogram before peak picking: sweeps, cycles, noise, spikes, smoothing.

Everything here is shape-preserving by construction: sweeps are split at turning points found
with hysteresis (noisy or repeated potentials do not create false turns), noise is a robust
estimate from differences of the current, spikes are replaced only where a point (or a run of at
most three) jumps away from both neighbours by far more than noise and local curvature allow, and
Savitzky–Golay smoothing uses a window bounded in volts by a fraction of the narrowest physically
possible peak, so it cannot move a peak by more than a fraction of a millivolt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.ndimage import median_filter
from scipy.signal import savgol_coeffs, savgol_filter

from ..errors import ParameterError

__all__ = [
    "ClippedRuns",
    "Preprocessed",
    "Sweeps",
    "assign_cycles",
    "clipped_runs",
    "estimate_noise",
    "preprocess",
    "remove_spikes",
    "smooth",
    "smoothing_window",
    "split_sweeps",
    "sweep_indices",
]

_MAD = 1.4826  # MAD → σ for Gaussian noise
ROUNDING = 1e-9  # a spread of the differences below this fraction of the current is not noise (rounding)


@dataclass(frozen=True, slots=True)
class Sweeps:
    """Monotonic sweeps of a potential programme.

    ``bounds[k] = (start, stop)`` slices sweep ``k`` (stop exclusive; the turning point belongs to
    the earlier sweep), ``direction[k]`` is +1 for a positive-going (anodic) sweep and −1 for a
    negative-going one, ``segment`` gives the sweep number of every point.
    """

    bounds: tuple[tuple[int, int], ...]
    direction: tuple[int, ...]
    segment: np.ndarray

    @property
    def count(self) -> int:
        return len(self.bounds)


@dataclass(frozen=True, slots=True)
class Preprocessed:
    """A curve made ready for peak picking (arrays share the voltammogram's length)."""

    potential: np.ndarray  # V, lightly median-cleaned where the raw potential was noisy
    current: np.ndarray  # A, spikes replaced
    smoothed: np.ndarray  # A, Savitzky–Golay per sweep
    noise: float  # A, RMS noise of the raw current
    sweeps: Sweeps
    cycle: np.ndarray  # 1-based
    step_V: float  # median |ΔE| between points
    window: int  # Savitzky–Golay window in points (1 = no smoothing)
    spikes: np.ndarray  # indices of replaced points


@dataclass(frozen=True, slots=True)
class ClippedRuns:
    """Runs of exactly equal consecutive current values, with what a clipped current range leaves.

    ``lengths`` are the runs' lengths; ``at_max`` / ``at_min`` mark the runs at the largest /
    smallest recorded current; ``need`` = max(4, 3 × the longest run elsewhere) is the length a run
    at an extreme must exceed to be a cut.  ``top`` / ``bottom`` mark the points of such runs that the current also jumps onto and off
    (see :func:`clipped_runs`)."""

    lengths: np.ndarray
    at_max: np.ndarray
    at_min: np.ndarray
    need: int
    top: np.ndarray
    bottom: np.ndarray


def clipped_runs(current: np.ndarray) -> ClippedRuns:
    """The runs of equal values of ``current`` and the points where the instrument's current range
    was exceeded: a flat run at the largest (``top``) or smallest (``bottom``) recorded current that
    is longer than max(4, 3 × the longest run of equal values elsewhere) and that the current jumps
    onto and off.  A rounded apex (a coarse ADC, a file written with few digits) also leaves its
    longest run at the top, but steps onto it by one resolution step, the smallest change of the
    current around it; a clipped wave is cut while still rising, its last point below the ceiling
    more than 1.5 such steps from it.  Fewer than 8 points or a constant current: no cut."""
    y = np.asarray(current, dtype=float)
    starts = np.flatnonzero(np.r_[True, np.diff(y) != 0]) if y.size else np.zeros(0, dtype=np.int64)
    lengths = np.diff(np.r_[starts, y.size])
    values = y[starts]
    span = float(np.ptp(y)) if y.size else 0.0
    tol = 1e-9 * span
    if y.size:
        at_max, at_min = np.abs(values - y.max()) <= tol, np.abs(values - y.min()) <= tol
    else:
        at_max = at_min = np.zeros(0, dtype=bool)
    others = lengths[~(at_max | at_min)]
    need = max(4, 3 * (int(others.max()) if others.size else 1))
    masks = []
    for at in (at_max, at_min):
        mask = np.zeros(y.size, dtype=bool)
        if y.size >= 8 and span > 0:
            for k in np.flatnonzero(at & (lengths > need)):
                a, b = int(starts[k]), int(starts[k] + lengths[k])
                around = np.r_[y[max(0, a - 3 * (b - a)) : a], y[b : b + 3 * (b - a)]]
                steps = np.abs(np.diff(around))
                steps = steps[steps > tol]
                q = float(steps.min()) if steps.size else 0.0
                gaps = [abs(float(y[i]) - float(values[k])) for i in (a - 1, b) if 0 <= i < y.size]
                if gaps and all(g > 1.5 * q for g in gaps):
                    mask[a:b] = True
        masks.append(mask)
    return ClippedRuns(lengths, at_max, at_min, need, masks[0], masks[1])


def _odd(n: float) -> int:
    k = int(max(1, round(n)))
    return k if k % 2 else k + 1


def split_sweeps(potential: np.ndarray, *, hysteresis_V: float | None = None) -> Sweeps:
    """Split a potential programme into monotonic sweeps at its turning points.

    A turn is accepted only once the potential has moved back from the running extreme by more
    than ``hysteresis_V`` (default: 6 × the potential noise, at least 2.5 median steps), so noise
    and repeated points do not split a sweep.  The turning point is the extreme itself.
    """
    e = np.asarray(potential, dtype=float)
    n = e.size
    if n < 2:
        raise ParameterError("potential", e.size, "at least 2 points")
    steps = np.abs(np.diff(e))
    step = float(np.median(steps[steps > 0])) if np.any(steps > 0) else 0.0
    if hysteresis_V is None:
        d2 = e[2:] - 2 * e[1:-1] + e[:-2]
        e_noise = _MAD * float(np.median(np.abs(d2 - np.median(d2)))) / np.sqrt(6.0) if n > 3 else 0.0
        hysteresis_V = max(6.0 * e_noise, 2.5 * step, 1e-12)
    elif not (hysteresis_V >= 0):
        raise ParameterError("hysteresis_V", hysteresis_V, "a non-negative potential in volts")
    turns: list[int] = []
    start = 0
    # initial direction: first excursion beyond the hysteresis
    away = np.flatnonzero(np.abs(e - e[0]) > hysteresis_V)
    if away.size == 0:
        seg = np.zeros(n, dtype=np.int64)
        return Sweeps(((0, n),), (1 if e[-1] >= e[0] else -1,), seg)
    direction = 1 if e[away[0]] > e[0] else -1
    first_direction = direction
    while start < n - 1:
        tail = direction * e[start:]
        run_max = np.maximum.accumulate(tail)
        back = np.flatnonzero(run_max - tail > hysteresis_V)
        if back.size == 0:
            break
        j = int(back[0])
        k = start + int(np.argmax(tail[: j + 1]))  # first index of the extreme
        turns.append(k)
        start = k
        direction = -direction
    edges = [0, *[t + 1 for t in turns], n]
    bounds = tuple((edges[i], edges[i + 1]) for i in range(len(edges) - 1) if edges[i + 1] > edges[i])
    dirs = tuple(first_direction * (-1) ** i for i in range(len(bounds)))
    seg = np.empty(n, dtype=np.int64)
    for i, (a, b) in enumerate(bounds):
        seg[a:b] = i
    return Sweeps(bounds, dirs, seg)


def sweep_indices(
    potential: np.ndarray, segment: np.ndarray | None = None, *, min_points: int = 2
) -> list[tuple[int, np.ndarray]]:
    """A curve's sweeps in recorded order, each as (direction ±1, indices of its points): by its
    ``segment`` labels when they fit the curve, else as :func:`split_sweeps` splits the programme.
    Sweeps with fewer than ``min_points`` points or no potential span are left out."""
    e = np.asarray(potential, dtype=float)
    seg = segment if segment is not None and len(segment) == e.size else split_sweeps(e).segment
    seg = np.asarray(seg)
    out = []
    for s in dict.fromkeys(seg.tolist()):
        idx = np.flatnonzero(seg == s)
        es = e[idx]
        if idx.size < min_points or np.ptp(es) <= 0:
            continue
        out.append((1 if es[-1] > es[0] else -1, idx))
    return out


def assign_cycles(potential: np.ndarray, sweeps: Sweeps) -> np.ndarray:
    """1-based cycle number of every point.

    A new cycle starts where the potential passes its starting value again in the first sweep's
    direction after having turned at least twice (a full excursion and return).
    """
    e = np.asarray(potential, dtype=float)
    cyc = np.ones(e.size, dtype=np.int64)
    if sweeps.count < 3:
        return cyc
    d0 = sweeps.direction[0]
    e0 = e[0]
    count = 1
    for k in range(2, sweeps.count):
        if sweeps.direction[k] != d0:
            continue
        a, b = sweeps.bounds[k]
        crossed = np.flatnonzero(d0 * (e[a:b] - e0) >= 0)
        if crossed.size == 0:
            if k + 1 < sweeps.count:
                continue
            break
        idx = a + int(crossed[0])
        # the crossing must come after two turns since the last cycle began
        count += 1
        cyc[idx:] = count
    return cyc


def estimate_noise(current: np.ndarray, *, segment: np.ndarray | None = None, levels: bool = False) -> float:
    """Robust RMS noise of ``current``: the MAD of its second and third differences (within sweeps).

    White noise σ gives var(Δ²) = 6σ² and var(Δ³) = 20σ²; the smaller of the two estimates is
    taken since a smooth signal only adds to them.  Falls back to the RMS of the differences when
    the MAD is zero.

    ``levels``: the current is a recorded one, whose zero MAD means it sits on an ADC's levels (most
    neighbours on the same level, the white noise well under one level step q): what varies from
    point to point is then the quantisation error, RMS q/√12, with q the median non-zero step
    between neighbours (a spike's few large steps do not move it, as they move the RMS).  A MAD
    under :data:`ROUNDING` × the current's size counts as zero there: a current stored as k·q
    carries floating-point differences of order 1e-16 of its size, not noise (taken as noise, they made every
    stair of the staircase a peak of enormous SNR).  Not for a curve traced from a plot, whose
    differences vanish along the tracing's straight runs, not on levels.
    """
    y = np.asarray(current, dtype=float)
    if y.size < 5:
        return 0.0
    tiny = ROUNDING * float(np.max(np.abs(y))) if levels else 0.0
    d2 = y[2:] - 2 * y[1:-1] + y[:-2]
    d3 = y[3:] - 3 * y[2:-1] + 3 * y[1:-2] - y[:-3]
    if segment is not None:
        seg = np.asarray(segment)
        d2 = d2[(seg[2:] == seg[:-2])]
        d3 = d3[(seg[3:] == seg[:-3])]
    if d2.size < 3:
        return 0.0
    est = []
    for d, var in ((d2, 6.0), (d3, 20.0)):
        if d.size < 3:
            continue
        mad = float(np.median(np.abs(d - np.median(d))))
        if mad > tiny:
            est.append(_MAD * mad / np.sqrt(var))
    if est:
        return float(min(est))
    if not levels:
        return float(np.sqrt(np.mean(d2**2) / 6.0))
    steps = np.abs(np.diff(y))
    steps = steps[steps > tiny]
    return float(np.median(steps)) / math.sqrt(12.0) if steps.size else 0.0


def remove_spikes(
    current: np.ndarray,
    *,
    noise: float,
    segment: np.ndarray | None = None,
    n_sigma: float = 6.0,
    traced: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Replace isolated spikes (runs of 1–3 points) by the line through their neighbours.

    A run is a spike when it departs from the chord between the points around it by more than
    ``n_sigma`` × noise and by more than four times what the local curvature (measured just outside
    the run, on the smoother side) could explain, and sticks out of the tent of its flanks
    (:func:`_under_tent`).  Returns the cleaned current and the indices replaced.  Smooth peaks,
    however sharp or coarsely sampled, bend gradually and are left alone; a spike on the steep
    flank of a peak (where the 7-point median flags a long stretch) is found point by point.
    ``traced``: a curve read off a plot, whose pixel staircase is not sampled data — only isolated
    runs are tested there, against the mean curvature of both sides, without the tent.
    """
    y = np.array(current, dtype=float)
    n = y.size
    if n < 9 or noise <= 0:
        return y, np.empty(0, dtype=np.int64)
    seg = np.zeros(n, dtype=np.int64) if segment is None else np.asarray(segment)
    med = median_filter(y, size=7, mode="nearest")
    dev = np.abs(y - med)
    cand = np.flatnonzero(dev > n_sigma * noise)
    replaced: list[int] = []
    if cand.size == 0:
        return y, np.empty(0, dtype=np.int64)
    # maximal stretches of candidates: one of up to 3 points is tested as one run; in a longer one
    # (a spike on the steep flank of a sharp peak, whose neighbours the 7-point median also flags)
    # single points are tested, the one that stands out most from its neighbours first.  On a traced
    # curve a stretch is cut into runs of four from its start, and runs of four are no spikes: only
    # a shorter remainder at its end is tested, against both sides
    breaks = np.flatnonzero(np.diff(cand) > 1)
    for first, last in zip(np.r_[0, breaks + 1], np.r_[breaks, cand.size - 1], strict=True):
        a0, b0 = int(cand[first]), int(cand[last])
        if traced:
            a0 = b0 - (b0 - a0 + 1) % 4 + 1
            if a0 <= b0 and _is_spike(y, a0, b0, seg, noise, n_sigma, careful=False):
                _bridge(y, a0, b0)
                replaced.extend(range(a0, b0 + 1))
            continue
        if b0 - a0 <= 2:
            if _is_spike(y, a0, b0, seg, noise, n_sigma):
                _bridge(y, a0, b0)
                replaced.extend(range(a0, b0 + 1))
            continue
        inner = np.arange(max(a0, 1), min(b0, n - 2) + 1)
        for _ in range(inner.size):
            k = int(inner[np.argmax(np.abs(y[inner] - 0.5 * (y[inner - 1] + y[inner + 1])))])
            if not _is_spike(y, k, k, seg, noise, n_sigma):
                break
            _bridge(y, k, k)
            replaced.append(k)
    return y, np.asarray(replaced, dtype=np.int64)


def _bridge(y: np.ndarray, a: int, b: int) -> None:
    """Replace y[a..b] in place by the line between its neighbours."""
    y[a : b + 1] = y[a - 1] + (y[b + 1] - y[a - 1]) * (np.arange(a, b + 1) - a + 1) / (b - a + 2)


def _is_spike(
    y: np.ndarray, a: int, b: int, seg: np.ndarray, noise: float, n_sigma: float, *, careful: bool = True
) -> bool:
    """Does the run a..b depart from the chord between its neighbours by more than ``n_sigma`` ×
    noise, by more than four times what the curvature just outside it explains (``careful``: on the
    smoother side, else the mean of both), and (``careful``) out of the tent of its flanks
    (:func:`_under_tent`)?"""
    n = y.size
    lo, hi = a - 1, b + 1
    if lo < 2 or hi > n - 3 or seg[lo - 2] != seg[hi + 2]:
        return False
    g = hi - lo
    chord = y[lo] + (y[hi] - y[lo]) * (np.arange(a, b + 1) - lo) / g
    departure = float(np.max(np.abs(y[a : b + 1] - chord)))
    # the curvature just outside, on the smoother side (a second spike beside this one bends the other)
    sides = (abs(y[lo - 2] - 2 * y[lo - 1] + y[lo]), abs(y[hi] - 2 * y[hi + 1] + y[hi + 2]))
    curv = min(sides) if careful else 0.5 * (sides[0] + sides[1])
    return (
        departure > n_sigma * noise
        and departure > 4.0 * curv * g * g / 8.0 + 3.0 * noise
        and not (careful and _under_tent(y, lo, hi, 3.0 * noise))
    )


def _under_tent(y: np.ndarray, lo: int, hi: int, tol: float) -> bool:
    """Is the run between ``lo`` and ``hi`` (exclusive) the top of a smooth peak (or the bottom of a
    smooth valley) rather than a spike?  The flanks of a concave apex, extended as straight lines
    from their last two points, pass above it: the apex never rises (within ``tol``) above the
    lower of the two extensions.  A coarsely sampled sharp peak (a DPV peak at 10 mV steps bends
    six times faster at its top than two points away) departs from the chord between its
    neighbours by more than the flanks' own curvature explains, yet stays under this tent; a spike
    sticks out of it."""
    x = np.arange(lo + 1, hi)
    run = y[lo + 1 : hi]
    left = y[lo] + (y[lo] - y[lo - 1]) * (x - lo)
    right = y[hi] + (y[hi] - y[hi + 1]) * (hi - x)
    mid = 0.5 * (y[lo] + y[hi])
    if float(np.mean(run)) >= mid:  # departs upwards: a peak's top
        return bool(np.all(run <= np.minimum(left, right) + tol)) and y[lo] > y[lo - 1] and y[hi] > y[hi + 1]
    return bool(np.all(run >= np.maximum(left, right) - tol)) and y[lo] < y[lo - 1] and y[hi] < y[hi + 1]


def smoothing_window(noise: float, scale: float, step_V: float, *, max_width_V: float = 0.02) -> int:
    """Savitzky–Golay window (odd number of points) for a curve with this noise and sampling.

    The window grows with the noise-to-signal ratio ``noise/scale`` but never spans more than
    ``max_width_V`` (default 20 mV, well under the ≥ 45 mV full width of any physically possible
    peak at 25 °C, so a cubic fit over it cannot move a peak).  Returns 1 (no smoothing) when the
    sampling is too coarse for a 5-point window inside that span.
    """
    if step_V <= 0 or not np.isfinite(step_V):
        return 1
    max_pts = int(max_width_V / step_V)
    if max_pts < 5:
        return 1
    rel = noise / scale if scale > 0 else 1.0
    # 1e-4 relative noise → 5 points; 1e-2 → the maximum
    frac = np.clip((np.log10(max(rel, 1e-12)) + 4.0) / 2.0, 0.0, 1.0)
    width = 5 + frac * (max_pts - 5)
    w = _odd(width)
    return w if w <= max_pts else _odd(max_pts - 1)


def smooth(current: np.ndarray, *, window: int, sweeps: Sweeps, polyorder: int = 3) -> np.ndarray:
    """Savitzky–Golay smoothing applied within each sweep (never across a turning point)."""
    y = np.asarray(current, dtype=float)
    out = y.copy()
    if window < polyorder + 2:
        return out
    for a, b in sweeps.bounds:
        m = b - a
        w = min(window, m if m % 2 else m - 1)
        if w <= polyorder + 1:
            continue
        out[a:b] = savgol_interp(y[a:b], w, polyorder)
    return out


@lru_cache(maxsize=128)
def _savgol_fit(window: int, polyorder: int) -> tuple[np.ndarray, np.ndarray]:
    """(Vandermonde matrix over the window, least-squares operator data → coefficients).

    A pure function of two small integers, asked for the same few windows many times per curve:
    memoised, and the arrays are read-only so no caller can change the cached values."""
    half = window // 2
    x = np.arange(-half, half + 1, dtype=float) / max(half, 1)
    vander = x[:, None] ** np.arange(polyorder + 1)[None, :]
    fit = np.linalg.solve(vander.T @ vander, vander.T)
    vander.flags.writeable = False
    fit.flags.writeable = False
    return vander, fit


def savgol_weights(window: int, polyorder: int) -> np.ndarray:
    """``scipy.signal.savgol_coeffs(window, polyorder)`` (smoothing, symmetric), without its solver:
    the fitted constant term at the window's centre."""
    if window % 2 == 0 or polyorder >= window:
        return savgol_coeffs(window, polyorder)
    return _savgol_fit(window, polyorder)[1][0].copy()


def savgol_nearest(y: np.ndarray, window: int, polyorder: int) -> np.ndarray:
    """``scipy.signal.savgol_filter(y, window, polyorder, mode="nearest")`` to rounding: the data
    extended by their edge values, convolved with :func:`savgol_weights`."""
    y = np.asarray(y, dtype=float)
    if window % 2 == 0 or polyorder >= window or y.size == 0:
        return savgol_filter(y, window, polyorder, mode="nearest")
    half = window // 2
    return np.convolve(np.pad(y, half, mode="edge"), savgol_weights(window, polyorder), mode="valid")


def savgol_interp(y: np.ndarray, window: int, polyorder: int) -> np.ndarray:
    """``scipy.signal.savgol_filter(y, window, polyorder, mode="interp")`` (the same numbers to
    rounding), from one small pseudo-inverse: the centre row smooths the interior, the first and last
    rows give the polynomial fitted to the first and last windows at the edge points — several times
    faster than scipy's per-call coefficient solve and edge ``polyfit``."""
    y = np.asarray(y, dtype=float)
    n, half = y.size, window // 2
    if window > n or window % 2 == 0 or polyorder >= window:
        return savgol_filter(y, window, polyorder, mode="interp")
    vander, fit = _savgol_fit(window, polyorder)
    out = np.empty(n)
    out[half : n - half] = np.convolve(y, fit[0][::-1], mode="valid")
    out[:half] = vander[:half] @ (fit @ y[:window])
    out[n - half :] = vander[window - half :] @ (fit @ y[n - window :])
    return out


def preprocess(
    potential: np.ndarray,
    current: np.ndarray,
    *,
    cycle: np.ndarray | None = None,
    despike: bool = True,
    smoothing: bool = True,
    max_window_V: float = 0.02,
    traced: bool = False,
) -> Preprocessed:
    """Sweeps, cycles, noise, spike removal and smoothing in one call (``traced``: a curve read off
    a plot, see :func:`remove_spikes`)."""
    e = np.asarray(potential, dtype=float)
    y = np.asarray(current, dtype=float)
    if e.shape != y.shape:
        raise ParameterError("current", y.shape, f"the same shape as potential {e.shape}")
    sweeps = split_sweeps(e)
    steps = np.abs(np.diff(e))
    step = float(np.median(steps[steps > 0])) if np.any(steps > 0) else 0.0
    cyc = assign_cycles(e, sweeps) if cycle is None else np.asarray(cycle, dtype=np.int64)
    noise = estimate_noise(y, segment=sweeps.segment, levels=not traced)
    spikes = np.empty(0, dtype=np.int64)
    clean = y
    if despike:
        clean, spikes = remove_spikes(y, noise=noise, segment=sweeps.segment, traced=traced)
        if spikes.size:
            noise = estimate_noise(clean, segment=sweeps.segment, levels=not traced)
    scale = float(np.percentile(clean, 99) - np.percentile(clean, 1)) if clean.size > 10 else 0.0
    window = smoothing_window(noise, scale, step, max_width_V=max_window_V) if smoothing else 1
    smoothed = smooth(clean, window=window, sweeps=sweeps)
    return Preprocessed(
        potential=e,
        current=clean,
        smoothed=smoothed,
        noise=noise,
        sweeps=sweeps,
        cycle=cyc,
        step_V=step,
        window=window,
        spikes=spikes,
    )
