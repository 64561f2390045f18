"""Peaks of cyclic and linear-sweep voltammograms, each measured from the baseline an expert draws.

How a peak is measured mirrors how a peak is defined (see :mod:`voltlens.truth`):

* the non-faradaic current — sloped or curved background, the charging current that changes sign
  at every turning point, drift, solvent onsets — is fitted once for the whole experiment by
  :mod:`voltlens.analyze.background` wherever the faradaic current is known: zero before the first
  wave, the frozen continuation of its own history wherever no wave is active;
* on the first sweep the faradaic current is measured from zero; on every later sweep from the
  current that would flow had the potential been held where the sweep began (Nicholson's
  baseline), the frozen-surface continuation of the whole faradaic history
  (:func:`~voltlens.analyze.semiintegral.continuation_from`), scaled at the start of a new cycle
  to the foot of that sweep (fouling and follow-up chemistry shrink it); a later peak on the same
  sweep from the continuation frozen at the valley after the last event before it — an earlier
  peak, or another couple's current dying away (the held tail of what came before); and where the
  sweep's first wave comes after the previous wave's own current has died away (an irreversible
  couple: the corrected current first rises, then falls to a valley), from the current held at
  that valley, which stays where it is since that process is no longer driven (the truth's rule);
* a peak is a local maximum of that corrected current rising and falling by 2 % of the largest
  faradaic current and by ``min_snr`` × the noise; a shoulder (a wave without a maximum) is not a
  peak; a return "peak" whose own current never turns over within 30 mV is only the earlier
  current dying away and is not reported (where that current is mostly the continued baseline,
  the turn-over must fall back by 5 % of the height: 1/f noise on a dying current does not); nor
  is a later-sweep maximum where the current itself still flows the other way, by a fifth of its
  height, and the corrected current never falls to half of it (an irreversible couple's forward
  current dying faster than its baseline; not where another couple's forward wave lies ahead).

The background is fitted where the faradaic current is known (:func:`_regions`): before the first
wave, on idle stretches as the frozen continuation, and — on a sweep whose previous wave's process
has stopped (an irreversible couple's return sweep, its valley past the forward peak) — as zero
between that valley and the next wave, not as a diffusion tail that is not there.  Where a later
sweep comes back over the first sweep's foot, past every wave found, no wave is driven: what the
semi-derivative sees there is a background that differs between the sweeps (drift, linear in time),
and those stretches are fitted as the continuation, scaled (:func:`_foot_returns`) — without them
nothing tells a drift from a sloped background, and the return peak is measured from a tilted line.

Where a wave is active is read from the semi-derivative of the corrected current (the rate of
change of its semi-integral, zero wherever the surface concentrations are pinned) and from each
peak's width; waves and background are refined together (up to two background fits).  A wave whose
top the instrument's current range cut off (a flat run at the extreme current, see
:func:`~voltlens.analyze.preprocess.clipped_runs`) shapes the baselines of the others but is not
reported: neither its position nor its height is known.  An
adsorbed (surface-confined) peak leaves no diffusion tail, so it is taken out of the history
before later baselines are continued.  Each peak's Ep and ip come from a quartic through
±0.7 |Ep − Ep/2| of the unsmoothed corrected current, and its reported widths from that fitted apex.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial

import numpy as np
from scipy.ndimage import convolve1d
from scipy.signal import find_peaks

from .background import Region, curve_basis, fit_background
from .preprocess import Preprocessed, clipped_runs, savgol_nearest, savgol_weights
from .result import FoundPeak, Quantity
from .semiintegral import Weights, continuation_from, semi_derivative, semi_integral, semi_weights

__all__ = ["SweepFit", "WaveDetail", "find_sweep_peaks", "fit_sweeps"]

_MAD = 1.4826
ZONE_THRESHOLD = 0.05  # |semi-derivative| above this fraction of its largest value: a wave is active
ZONE_MARGIN_V = 0.015  # widening of every active zone
VISIBLE_WINDOW_V = 0.03  # the current itself must turn over within this of a peak
BUMP_FRACTION = 0.01  # a dying-current bump before a return wave: its dip, of that wave's height
TURN_FRACTION = 0.05  # a turn-over on a dying current must fall back by this fraction of the peak
RC_SKIP_V = 0.004  # rows not fitted after a turning point (charging relaxes through Ru·Cdl)
FOOT_MIN_V = 0.05  # a first-sweep foot shorter than this tells no drift from a scaled tail
PASSES = 2  # background fits, each followed by a new search for waves
_DYING = "dying"  # what _measure returns for a bump that is only an earlier current dying away
_OPPOSITE = "opposite"  # ... and for a later-sweep maximum where the current still flows the other way
SURFACE_RETURN = 0.3  # an adsorbed peak falls back below this fraction of its height
# half-peak widths before an adsorbed peak on an earlier wave's tail where that tail is frozen
# (a Nernstian layer carries 11 % of its peak current at 2, 5 % at 2.5, 2 % at 3)
SURFACE_FREEZE = 2.5


@dataclass(frozen=True, slots=True)
class WaveDetail:
    """Internal measurements of one wave, beyond what :class:`FoundPeak` carries."""

    sweep: int
    start: int  # first index of the wave's window
    stop: int  # exclusive
    surface: bool  # current returns to the baseline after the peak (adsorbed layer)
    half_width_V: float  # |Ep − Ep/2| on the grid, which sets where the wave is active
    clipped: bool = False  # its top was cut off by the instrument's current range
    heights_alt: tuple[float, ...] = ()
    extra: dict = field(default_factory=dict)


@dataclass(slots=True)
class _Line:
    """Background a + b·E (current units)."""

    a: float
    b: float

    def __call__(self, e: np.ndarray) -> np.ndarray:
        return self.a + self.b * np.asarray(e, dtype=float)

    def shifted(self, d: float) -> _Line:
        return _Line(self.a + d, self.b)


def _robust_line(e: np.ndarray, y: np.ndarray, noise: float) -> _Line:
    if e.size == 0:
        return _Line(0.0, 0.0)
    if e.size < 4 or np.ptp(e) <= 0:
        return _Line(float(np.median(y)), 0.0)
    keep = np.ones(e.size, dtype=bool)
    a, b = _line_fit(e, y)
    for _ in range(2):
        res = y - (a + b * e)
        s = max(_MAD * float(np.median(np.abs(res - np.median(res)))), noise, 1e-300)
        keep = np.abs(res) <= 3.5 * s
        if np.count_nonzero(keep) < 4:
            break
        a, b = _line_fit(e[keep], y[keep])
    return _Line(a, b)


def _line_fit(e: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(intercept, slope) of the least-squares line through (e, y): ``np.polyfit(e, y, 1)`` to
    rounding, from the centred sums (no SVD: these fits run many times per curve)."""
    em, ym = float(np.mean(e)), float(np.mean(y))
    de = e - em
    sxx = float(de @ de)
    if not sxx > 0:
        return ym, 0.0
    b = float(de @ (y - ym)) / sxx
    return ym - b * em, b


def _half_rise(r: np.ndarray, p: int, lo: int = 0, top: float | None = None) -> float | None:
    """Fractional index where r first reaches half its peak (r[p], or ``top``) going back from p
    (linear interpolation)."""
    half = 0.5 * (r[p] if top is None else top)
    below = np.flatnonzero(r[lo : p + 1] < half)
    if below.size == 0:
        return None
    k = lo + int(below[-1])
    if k >= p:
        return None
    y0, y1 = r[k], r[k + 1]
    return k + (half - y0) / (y1 - y0) if y1 != y0 else float(k)


def _half_fall(r: np.ndarray, p: int, hi: int, top: float | None = None) -> float | None:
    half = 0.5 * (r[p] if top is None else top)
    below = np.flatnonzero(r[p:hi] < half)
    if below.size == 0:
        return None
    k = p + int(below[0])
    y0, y1 = r[k - 1], r[k]
    return (k - 1) + (y0 - half) / (y0 - y1) if y1 != y0 else float(k)


def _interp_e(e: np.ndarray, x: float) -> float:
    k = int(np.floor(x))
    k = min(max(k, 0), e.size - 2)
    t = x - k
    return float(e[k] + t * (e[k + 1] - e[k]))


def _foot_fit(e: np.ndarray, y: np.ndarray, s: int, ep: float, hw: float, noise: float) -> _Line:
    """Line + exponential foot, a + b·E + c·exp(s·κ(E − Ep)/hw), fitted to the pre-wave region;
    the line alone is returned.  The foot of any wave rises as exp(αnf·E) with αnf = κ/|Ep − Ep/2|,
    κ = 2.20 (Nernstian) … 1.86 (irreversible); the best κ of a few is kept."""
    best = None
    for kappa in (1.86, 2.03, 2.20):
        z = np.exp(np.clip(s * kappa * (e - ep) / hw, -700, 50))
        vand = np.column_stack([np.ones_like(e), e, z])
        coef, _res, *_ = np.linalg.lstsq(vand, y, rcond=None)
        rss = float(np.sum((y - vand @ coef) ** 2))
        if coef[2] * s < 0:  # a foot that falls is no foot: plain line
            continue
        if best is None or rss < best[0]:
            best = (rss, coef)
    if best is None:
        return _robust_line(e, y, noise)
    return _Line(float(best[1][0]), float(best[1][1]))


def _foot_line(e: np.ndarray, y: np.ndarray, s: int, p: int, hw: float, noise: float, factor: float) -> _Line:
    """Background line from the foot region ending ``factor`` half-peak widths before index p."""
    foot = np.flatnonzero(s * (e - (e[p] - s * factor * hw)) <= 0)
    foot = foot[foot >= 1]
    if foot.size < 3:
        return _Line(float(np.median(y[: max(3, min(5, p))])), 0.0)
    if foot.size < 6 or abs(e[foot[-1]] - e[foot[0]]) < 0.015:
        return _Line(float(np.median(y[foot])), 0.0)
    if foot.size < 12:
        return _robust_line(e[foot], y[foot], noise)
    return _foot_fit(e[foot], y[foot], s, e[p], hw, noise)


def _first_sweep_background(
    e: np.ndarray, y: np.ndarray, s: int, noise: float, factors: tuple[float, ...], noise_s: float
) -> list[_Line]:
    """Lines under the first wave of the first sweep, fitted to the foot before it (one per
    foot-region factor), or a line through the whole sweep when it holds no wave."""
    n = e.size
    k0 = max(5, n // 10)
    line = _robust_line(e[1:k0], y[1:k0], noise)
    p, hw = None, 0.0
    first = None  # (p, hw, line) of the first pass, reused when the second finds the same wave
    for it in range(2):
        r = s * (y - line(e))
        thr = max(5.0 * noise, 0.02 * float(np.max(np.abs(r))) if r.size else 0.0)
        pk = _significant_first_peak(r, thr, 3.0 * noise_s)
        if pk is None:
            break
        p = pk
        h = _half_rise(r, p)
        hw = abs(e[p] - _interp_e(e, h)) if h is not None else abs(e[p] - e[0]) / 3
        hw = max(hw, 0.01)
        if it == 0:
            line = _foot_line(e, y, s, p, hw, noise, factors[0])
            first = (p, hw, line)
    if p is None:
        # no peak: fit the part before the current departs from the initial trend (a wave cut
        # off by the turning point must not tilt the line)
        r = s * (y - line(e))
        thr = max(5.0 * noise, 0.05 * float(np.ptp(r)))
        away = np.flatnonzero(r > thr)
        stop = int(away[0]) if away.size else n
        stop = max(stop - max(2, stop // 10), min(k0, n))
        return [_robust_line(e[1:stop], y[1:stop], noise)] * len(factors)
    return [
        first[2]
        if first is not None and f == factors[0] and first[:2] == (p, hw)
        else _foot_line(e, y, s, p, hw, noise, f)
        for f in factors
    ]


@lru_cache(maxsize=128)
def _noise_gain(window: int, window2: int) -> float:
    """RMS gain of white noise through Savitzky–Golay smoothing (cubic, ``window``), then
    semi-differentiation, then a second quadratic Savitzky–Golay smoothing (``window2``)."""
    v = semi_weights(300, -0.5)
    if window >= 5:
        v = np.convolve(savgol_weights(window, 3), v)
    if window2 >= 5:
        v = np.convolve(savgol_weights(window2, 2), v)
    return float(np.sqrt(np.sum(v**2)))


def _apex_fit(e: np.ndarray, r: np.ndarray, p: int, lo: int, hi: int, m: int, noise: float):
    """Local polynomial around index p of r (restricted to lo..hi−1): (Ep, ip, σ_E, σ_ip) or None."""
    a = max(lo, p - m)
    b = min(hi, p + m + 1)
    if b - a < 5:
        return None
    x = e[a:b] - e[p]
    yy = r[a:b]
    deg = 4 if b - a >= 11 else 3 if b - a >= 7 else 2
    scale = float(np.max(np.abs(x))) or 1.0
    xs = x / scale
    vand = np.vander(xs, deg + 1, increasing=True)
    try:  # normal equations: x is scaled to [−1, 1] and deg ≤ 4, and their inverse gives the covariance
        ginv = np.linalg.inv(vand.T @ vand)
    except np.linalg.LinAlgError:
        return None
    coef = ginv @ (vand.T @ yy)
    lo_x, hi_x = float(xs.min()), float(xs.max())
    grid = np.linspace(lo_x, hi_x, 201)
    vals = np.polynomial.polynomial.polyval(grid, coef)
    j = int(np.argmax(vals))
    if j == 0 or j == grid.size - 1:
        return None
    x0 = float(grid[j])
    # refine with Newton on the derivative (scalar Horner: the same arithmetic as numpy's polyval)
    c = [float(v) for v in coef]
    d1 = [k * c[k] for k in range(1, len(c))]
    d2 = [k * d1[k] for k in range(1, len(d1))]
    for _ in range(3):
        g2 = _horner(d2, x0)
        if g2 >= 0:
            break
        x0 = x0 - _horner(d1, x0) / g2
    x0 = min(max(x0, lo_x), hi_x)
    ip = _horner(c, x0)
    curv = _horner(d2, x0)
    cov = ginv * noise**2
    basis = np.array([x0**i for i in range(deg + 1)])
    dbasis = np.array([i * x0 ** (i - 1) if i else 0.0 for i in range(deg + 1)])
    sig_ip = float(np.sqrt(max(basis @ cov @ basis, 0.0)))
    sig_slope = float(np.sqrt(max(dbasis @ cov @ dbasis, 0.0)))
    sig_x = sig_slope / abs(curv) if curv < 0 else math.inf
    return float(e[p] + x0 * scale), ip, float(sig_x * scale), sig_ip


def _horner(c: list[float], x: float) -> float:
    """Σ c[i]·x^i by Horner's rule (as ``numpy.polynomial.polynomial.polyval``, for one float)."""
    out = c[-1]
    for ci in reversed(c[:-1]):
        out = ci + out * x
    return out


def _vertex_model(
    e: np.ndarray,
    y: np.ndarray,
    left: tuple[int, int],
    right: tuple[int, int],
    step: float,
    s0: int,
    noise: float,
):
    """(jump, onset amplitude, onset width) at the turning point between two sweeps.

    Within ±120 mV of the turn the current is modelled in time as a smooth faradaic part
    (quadratic), a step (the charging current changing sign) and, optionally, a background onset
    A·exp(−|E − E_turn|/w) (solvent breakdown rising towards the turn on both sweeps alike).
    The onset is kept only when it explains the data far better than a change of slope would."""
    a0, b0 = left
    a1, b1 = right
    k = int(min(max(8, round(0.12 / step)), (b0 - a0) // 3, (b1 - a1) // 3))
    if k < 4:
        return float(y[a1] - y[b0 - 1]) if b1 > a1 else 0.0, 0.0, 0.03
    skip = 1 if k > 8 else 0
    idx = np.r_[np.arange(b0 - k, b0), np.arange(a1 + skip, a1 + skip + k)]
    tv = b0 - 0.5
    t = (idx - tv) / k
    h = (t > 0).astype(float)
    dv = np.abs(e[idx] - e[b0 - 1])
    yy = y[idx]
    base_cols = [np.ones_like(t), t, t * t, h]
    m0 = np.column_stack([*base_cols, h * t])
    c0, *_ = np.linalg.lstsq(m0, yy, rcond=None)
    rss0 = float(np.sum((yy - m0 @ c0) ** 2))
    best = (rss0, float(c0[3]), 0.0, 0.03)
    for w in (0.015, 0.03, 0.06):
        m1 = np.column_stack([*base_cols, np.exp(-dv / w)])
        c1, *_ = np.linalg.lstsq(m1, yy, rcond=None)
        rss1 = float(np.sum((yy - m1 @ c1) ** 2))
        # an onset rises towards the turn in the direction of the sweep that reached it
        if rss1 < 0.5 * best[0] and s0 * c1[4] > 10.0 * noise:
            best = (rss1, float(c1[3]), float(c1[4]), w)
    return best[1], best[2], best[3]


def _smoothed_noise(
    y: np.ndarray, prep: Preprocessed, step: float, floor: float, *, width: float = 0.05
) -> float:
    """RMS of what smoothing left: white noise through the filter, or slower wiggles (1/f noise,
    mains pick-up) measured against a wider cubic fit (``width`` volts), whichever is larger."""
    wide = int(width / step) // 2 * 2 + 1
    res = []
    if wide >= 7:
        for a, b in prep.sweeps.bounds:
            if b - a > 2 * wide:
                res.append(y[a:b] - savgol_nearest(y[a:b], wide, 3))
    if not res:
        return floor
    r = np.concatenate(res)
    return max(floor, _MAD * float(np.median(np.abs(r - np.median(r)))))


def _significant_first_peak(r: np.ndarray, thr: float, prom: float) -> int | None:
    idx, _props = find_peaks(r, prominence=prom)
    good = [int(i) for i in idx if r[i] >= thr and 1 < i < r.size - 2]
    if not good:
        return None
    # the first wave along the sweep that is not dwarfed by noise
    return good[0]


@dataclass(slots=True)
class _Ctx:
    e: np.ndarray
    y: np.ndarray  # smoothed
    raw: np.ndarray  # despiked, unsmoothed
    noise: float  # RMS noise of the raw current
    noise_s: float  # RMS noise left after smoothing (slow wiggles included)
    noise_w: float  # the same against a 0.1 V cubic: wiggles as wide as a small peak (1/f noise)
    step: float
    dt: np.ndarray | None  # per-point time step (s) for charges
    unit: str
    min_snr: float
    min_half_width: float
    rel_prominence: float
    gain_e: float  # noise gain of the smoothed semi-derivative
    window2: int
    sg2: np.ndarray  # Savitzky–Golay smoothing coefficients (quadratic, window2 points)
    w_int: Weights  # semi-integration weights, as long as the curve (their spectra kept)
    w_diff: Weights  # semi-differentiation weights
    cycle: np.ndarray
    prep: Preprocessed
    light: bool = False  # an intermediate pass: peaks located only, not fitted or integrated
    clipped: tuple[np.ndarray, np.ndarray] = (np.zeros(0, bool), np.zeros(0, bool))  # at max, at min


@dataclass(slots=True)
class _State:
    """One pass of peak finding over a given background."""

    peaks: list[FoundPeak]
    details: list[WaveDetail]
    active: np.ndarray  # points where some wave is active
    surface: np.ndarray  # current of adsorbed peaks, taken out of the faradaic history
    scale: float
    lambdas: dict[int, float]
    light: bool = False
    stopped: dict[int, tuple[int, int]] = field(default_factory=dict)  # sweep → (valley, peak), global
    forced: np.ndarray | None = None  # points taken as pinned against the semi-derivative


def _context(prep, time, scan_rate, min_snr, min_half_width_V, rel_prominence, unit, *, drop_clipped) -> _Ctx:
    e = prep.potential
    dt = None
    if time is not None:
        dt = np.gradient(np.asarray(time, dtype=float))
    elif scan_rate:
        dt = np.gradient(np.cumsum(np.r_[0.0, np.abs(np.diff(e))])) / scan_rate
    step = prep.step_V if prep.step_V > 0 else 1e-3
    w2 = int(0.025 / step) // 2 * 2 + 1
    w2 = w2 if w2 >= 5 else 1
    white = max(prep.noise, 1e-300) * (
        float(np.sqrt(np.sum(savgol_weights(prep.window, 3) ** 2))) if prep.window >= 5 else 1.0
    )
    cut = clipped_runs(prep.current) if drop_clipped else None
    return _Ctx(
        e=e,
        y=prep.smoothed,
        raw=prep.current,
        noise=max(prep.noise, 1e-300),
        noise_s=_smoothed_noise(prep.smoothed, prep, step, white),
        noise_w=_smoothed_noise(prep.smoothed, prep, step, white, width=0.1),
        step=step,
        dt=dt,
        unit=unit,
        min_snr=min_snr,
        min_half_width=min_half_width_V,
        rel_prominence=rel_prominence,
        gain_e=_noise_gain(prep.window, w2),
        window2=w2,
        sg2=savgol_weights(w2, 2) if w2 >= 5 else np.ones(1),
        w_int=Weights(semi_weights(e.size, 0.5)),
        w_diff=Weights(semi_weights(e.size, -0.5)),
        cycle=prep.cycle,
        prep=prep,
        clipped=(cut.top, cut.bottom) if cut is not None else (np.zeros(0, bool), np.zeros(0, bool)),
    )


@dataclass(frozen=True, slots=True)
class SweepFit:
    """Everything :func:`fit_sweeps` measured: the peaks and, at every point, the fitted
    non-faradaic background, the part of it that is charging current, the faradaic current
    (recorded current less background; adsorbed peaks included) and the current of the adsorbed
    peaks alone."""

    peaks: list[FoundPeak]
    details: list[WaveDetail]
    background: np.ndarray
    charging: np.ndarray
    faradaic: np.ndarray
    surface: np.ndarray  # the current of adsorbed-layer peaks alone


def find_sweep_peaks(
    prep: Preprocessed,
    *,
    time: np.ndarray | None = None,
    scan_rate: float | None = None,
    min_snr: float = 5.0,
    min_half_width_V: float = 0.008,
    rel_prominence: float = 0.02,
    unit: str = "A",
) -> tuple[list[FoundPeak], list[WaveDetail]]:
    """All peaks of a CV/LSV, every sweep and cycle, with baselines and uncertainties.

    ``time`` (s) or ``scan_rate`` (V/s) turn peak areas into charges.  A peak must stand
    ``min_snr`` × the smoothed noise above its baseline, and rise and fall by ``rel_prominence``
    of the largest faradaic current.  Returns the peaks in data order and, alongside, internal
    details used by the couple diagnostics.
    """
    fit = fit_sweeps(
        prep,
        time=time,
        scan_rate=scan_rate,
        min_snr=min_snr,
        min_half_width_V=min_half_width_V,
        rel_prominence=rel_prominence,
        unit=unit,
    )
    return fit.peaks, fit.details


def fit_sweeps(
    prep: Preprocessed,
    *,
    time: np.ndarray | None = None,
    scan_rate: float | None = None,
    min_snr: float = 5.0,
    min_half_width_V: float = 0.008,
    rel_prominence: float = 0.02,
    unit: str = "A",
    drop_clipped: bool = True,
) -> SweepFit:
    """Peaks and background of a CV/LSV together (see :func:`find_sweep_peaks`).  ``drop_clipped``:
    leave out a peak whose top the instrument's current range cut off (False for a curve traced
    from a plot, whose flat runs are the tracing's pixel rows)."""
    ctx = _context(
        prep, time, scan_rate, min_snr, min_half_width_V, rel_prominence, unit, drop_clipped=drop_clipped
    )
    light = replace(ctx, light=True)
    nf, jump_charging = _initial_background(ctx)
    charging = np.zeros_like(nf)
    state = _analyse(light, nf, None, 0.0)
    rc = _rc_mask(ctx)
    basis = curve_basis(ctx.e, prep.sweeps, w_int=ctx.w_int, w_diff=ctx.w_diff)
    bg_rms = 0.0
    # the last background fit that held (redone with a charging step below) and the zones it used
    refit, fitted_zones = None, None
    for _ in range(PASSES):
        fit = partial(
            fit_background,
            ctx.raw - state.surface,
            ctx.e,
            prep.sweeps,
            _regions(ctx, state.active, state.peaks, state.stopped, state.details, state.forced),
            noise=max(ctx.noise, ctx.noise_s),
            scale=state.scale,
            exclude=rc,
            basis=basis,
            faradaic=ctx.raw - state.surface - nf,
        )
        bg = fit()
        if bg is None:
            break
        nf, charging, bg_rms = bg.values, bg.part("charging"), bg.uncertainty
        before = state.active
        refit, fitted_zones = fit, before
        state = _analyse(ctx, nf, state.active, bg_rms)
        if np.count_nonzero(before != state.active) <= 0.01 * before.size:  # zones settled
            break
    if refit is not None and jump_charging and not np.any(charging):
        # every row of the final fit lies on sweeps of one direction, so none saw the charging
        # step: the step read off the turning points is the charging current (it changes sign
        # there, the faradaic current does not), not nothing
        bg = refit(charging=jump_charging)
        if bg is not None and np.any(bg.part("charging")):
            stepped = _analyse(ctx, bg.values, fitted_zones, bg.uncertainty)
            # a step that erases a wave is no clean charging step (a slow Ru·Cdl relaxation
            # rounds the turn): keep the waves then
            if len(stepped.peaks) >= len(state.peaks):
                nf, charging, bg_rms, state = bg.values, bg.part("charging"), bg.uncertainty, stepped
    if state.light:  # no background could be fitted: measure on the first one
        state = _analyse(ctx, nf, state.active, bg_rms)
    # a wave whose top was cut off (clipping) shapes the baselines of the others, but is not reported:
    # neither its position nor its height is known
    keep = [k for k, d in enumerate(state.details) if not d.clipped]
    peaks, details = [state.peaks[k] for k in keep], [state.details[k] for k in keep]
    return SweepFit(peaks, details, nf, charging, ctx.y - nf, state.surface)


def _initial_background(ctx: _Ctx) -> tuple[np.ndarray, float | None]:
    """A first background: a line fitted to the foot of the first wave, shifted at every turning
    point by the jump of the current there (charging), plus any onset rising towards a turn; and
    the charging current those jumps give (median over the turns, never against the sweep
    direction; None without a turn)."""
    e, prep = ctx.e, ctx.prep
    bounds, dirs = prep.sweeps.bounds, prep.sweeps.direction
    onset = np.zeros(e.size)
    jumps = [0.0]
    for j in range(1, len(bounds)):
        jump, amp, width = _vertex_model(
            e, prep.smoothed, bounds[j - 1], bounds[j], ctx.step, dirs[j - 1], prep.noise
        )
        jumps.append(jump)
        if amp != 0.0:
            ev = e[bounds[j - 1][1] - 1]
            onset += amp * np.exp(np.clip(dirs[j - 1] * (e - ev) / width, -700.0, 0.0))
    a, b = bounds[0]
    line, *_ = _first_sweep_background(
        e[a:b], ctx.y[a:b] - onset[a:b], dirs[0], ctx.noise, (2.5,), ctx.noise_s
    )
    nf = onset + line(e)
    offset = np.cumsum(jumps)
    for j, (a, b) in enumerate(bounds):
        nf[a:b] += offset[j]
    # a jump from sweep j−1 to j is the charging current c·s changing sign: −2·c·s(j−1)
    steps = [-jumps[j] / (2.0 * dirs[j - 1]) for j in range(1, len(bounds))]
    return nf, (max(float(np.median(steps)), 0.0) if steps else None)


def _rc_mask(ctx: _Ctx) -> np.ndarray:
    """Points right after the start and every turning point, where the charging current relaxes."""
    mask = np.zeros(ctx.e.size, dtype=bool)
    k = max(2, round(RC_SKIP_V / ctx.step))
    for a, _b in ctx.prep.sweeps.bounds:
        mask[a : a + k] = True
    return mask


def _cycle_starts(ctx: _Ctx) -> set[int]:
    """Sweeps (after the first) that start a new cycle: they run in the first sweep's direction."""
    dirs = ctx.prep.sweeps.direction
    return {j for j in range(1, len(dirs)) if dirs[j] == dirs[0]}


def _regions(
    ctx: _Ctx,
    active: np.ndarray,
    peaks: list[FoundPeak],
    stopped: dict[int, tuple[int, int]],
    details: list[WaveDetail],
    forced: np.ndarray | None = None,
) -> list[Region]:
    """Where the faradaic current is known: zero before the first active point, the frozen
    continuation of its history on every later stretch where no wave is active.  The foot of a
    sweep that starts a new cycle is left out (fouling and follow-up chemistry change the current
    there).  On a sweep whose first wave comes after the previous wave's process stopped (``stopped``:
    sweep → (valley, peak) indices, see :func:`_dying_bump`) the current is neither: it dies away
    faster than the frozen continuation until the valley (left out), and from the valley to the
    next wave it has died away (no process is driven there: zero, as before the first wave, but
    a stretch the fit may still drop when it disagrees)."""
    idle = ~active
    holds: list[tuple[int, int]] = []
    for valley, peak in stopped.values():
        a0 = ctx.prep.sweeps.bounds[int(ctx.prep.sweeps.segment[valley])][0]
        idle[a0 : valley + 1] = False
        holds.append((valley, peak))
    for j in _cycle_starts(ctx):
        a, b = ctx.prep.sweeps.bounds[j]
        on = np.flatnonzero(active[a:b])
        idle[a : a + (int(on[0]) if on.size else b - a)] = False
    edges = np.flatnonzero(np.diff(np.r_[0, idle.astype(np.int8), 0]))
    seg = ctx.prep.sweeps.segment
    # the start may look active while the first points settle: the first stretch of the first sweep
    # before its first peak is still the foot, where no faradaic current flows
    first_peak = min((p.index for p in peaks if p.segment == seg[0]), default=idle.size)
    out = []
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        a, b = int(a), int(b)
        if not out and 0 < a < first_peak and seg[a] == seg[0]:
            out.append(Region(a, b, None, _foot_efold(ctx, active, peaks, b, details)))
            continue
        held = any(v < a < k for v, k in holds)
        out.append(
            Region(
                a,
                b,
                None if a == 0 else a - 1,
                _foot_efold(ctx, active, peaks, b, details),
                hold=held,
                tail=forced is not None and bool(forced[a:b].any()),
            )
        )
    return out


def _foot_efold(
    ctx: _Ctx, active: np.ndarray, peaks: list[FoundPeak], b: int, details: list[WaveDetail]
) -> float | None:
    """E-fold (V) of the foot of the wave that starts right after index b on the same sweep
    (half its |Ep − Ep/2|: RT/nF for a Nernstian wave, RT/αnF for a slow one); None if none."""
    seg = ctx.prep.sweeps.segment
    if b >= active.size or not active[b] or seg[b] != seg[b - 1]:
        return None
    nxt = [i for i, p in enumerate(peaks) if p.index >= b and p.segment == seg[b]]
    hw = details[nxt[0]].half_width_V if nxt else 0.06  # the grid width, as the zones use
    return float(np.clip(hw / 2.0, 0.012, 0.06))


def _analyse(ctx: _Ctx, nf: np.ndarray, prev_active: np.ndarray | None, bg_rms: float) -> _State:
    """Peaks of every sweep over the background ``nf``, and where waves are active."""
    prep = ctx.prep
    f_s = ctx.y - nf
    f_r = ctx.raw - nf
    rc = _rc_mask(ctx)
    scale = float(np.max(np.abs(f_s[~rc]))) if np.any(~rc) else float(np.max(np.abs(f_s)))
    scale = max(scale, 1e-300)
    hist = f_s.copy()
    peaks: list[FoundPeak] = []
    details: list[WaveDetail] = []
    sds: list[tuple[int, int, np.ndarray]] = []
    lambdas: dict[int, float] = {}
    stopped: dict[int, tuple[int, int]] = {}
    cycle_starts = _cycle_starts(ctx)
    for j, ((a, b), s) in enumerate(zip(prep.sweeps.bounds, prep.sweeps.direction, strict=True)):
        if b - a < 8:
            continue
        base = np.zeros(b - a)
        m_hist = semi_integral(hist[:b], ctx.w_int)
        if j > 0:
            base = continuation_from(hist, m_hist, a - 1, b, ctx.w_diff)
            if j in cycle_starts and prev_active is not None:
                lam = _continuation_scale(ctx, f_s[a:b], base, prev_active[a:b], rc[a:b])
                lambdas[j] = lam
                base = lam * base
        c = s * (f_s[a:b] - base)
        sds.append((a, b, _smoothed_sd(ctx, c)))
        forward = [p.potential.value for p in peaks if p.segment == j - 1]
        found = _sweep_peaks(
            ctx, hist, m_hist, f_s, f_r, j, a, b, s, base, c, scale, bg_rms, forward, stopped
        )
        for pk, det in found:
            peaks.append(pk)
            details.append(det)
    seen = _active(ctx, sds)
    zones = _wave_zones(ctx, peaks, details)
    # where the semi-derivative sees activity in the first sweep's foot on a later sweep: pinned, up
    # to a scale of the continued current (see _foot_returns)
    forced = seen & _foot_returns(ctx, seen | zones) & ~zones
    for j in stopped:  # an irreversible couple's product waits for its own return wave: not back yet
        forced[slice(*prep.sweeps.bounds[j])] = False
    active = (seen & ~forced) | zones
    return _State(peaks, details, active, f_s - hist, scale, lambdas, ctx.light, stopped, forced)


def _continuation_scale(
    ctx: _Ctx, f: np.ndarray, cont: np.ndarray, active: np.ndarray, rc: np.ndarray
) -> float:
    """Scale of the continued current at the start of a new cycle, fitted to the sweep's foot
    (fouling shrinks it, a follow-up reaction empties it); prior 1 ± 0.3."""
    lead = np.flatnonzero(active)
    stop = int(lead[0]) if lead.size else f.size
    sel = ~rc[:stop]
    x, y = cont[:stop][sel], f[:stop][sel]
    if x.size < 3:
        return 1.0
    kappa = (ctx.noise_s / 0.3) ** 2
    lam = (float(x @ y) + kappa) / (float(x @ x) + kappa)
    return float(np.clip(lam, 0.0, 1.2))


def _smoothed_sd(ctx: _Ctx, c: np.ndarray) -> np.ndarray:
    sd = semi_derivative(c, ctx.w_diff)
    if ctx.sg2.size >= 5 and sd.size > ctx.sg2.size:
        sd = convolve1d(sd, ctx.sg2, mode="nearest")
    return sd


def _active(ctx: _Ctx, sds: list[tuple[int, int, np.ndarray]]) -> np.ndarray:
    """Points where the semi-derivative of the corrected current (the rate at which its
    semi-integral changes) is significant, widened by a margin."""
    n = ctx.e.size
    active = np.zeros(n, dtype=bool)
    if not sds:
        return active
    k = max(2, round(RC_SKIP_V / ctx.step))
    big = max(float(np.max(np.abs(sd[k:]))) if sd.size > k else 0.0 for _a, _b, sd in sds)
    thr = max(ZONE_THRESHOLD * big, 4.0 * ctx.noise * ctx.gain_e)
    for a, b, sd in sds:
        on = np.abs(sd) > thr
        on[:k] = False
        active[a:b] = on
    active = _drop_turn_runs(active, ctx.prep.sweeps.bounds, k + 2)
    margin = max(1, round(ZONE_MARGIN_V / ctx.step))
    if margin and active.any():
        idx = np.flatnonzero(active)
        grow = np.zeros(n + 1, dtype=np.int64)
        np.add.at(grow, np.clip(idx - margin, 0, n), 1)
        np.add.at(grow, np.clip(idx + margin + 1, 0, n), -1)
        active = np.cumsum(grow[:n]) > 0
    return active


def _foot_returns(ctx: _Ctx, first: np.ndarray) -> np.ndarray:
    """Points of later sweeps whose potential lies in the first sweep's foot (before its first
    active point): no wave is driven there on the first sweep, and once every wave found has
    passed (:func:`_wave_zones`, added back by the caller) the surface concentrations are pinned
    there on a later sweep too — the species are back in the state they started from.  What the
    semi-derivative still sees there is background that differs between the sweeps (drift,
    linear in time, not in potential), which the background fit must be shown.  A product lost to
    a follow-up reaction flows back less than the frozen continuation says: such stretches get a
    scale of that continuation of their own (``Region.tail``).  No point where the foot spans less than
    ``FOOT_MIN_V`` (too short to tell a drift from that scale)."""
    out = np.zeros(ctx.e.size, dtype=bool)
    bounds, dirs = ctx.prep.sweeps.bounds, ctx.prep.sweeps.direction
    a0, b0 = bounds[0]
    on = np.flatnonzero(first[a0:b0])
    if len(bounds) < 2 or on.size == 0:
        return out
    edge, s0 = float(ctx.e[a0 + int(on[0])]), float(dirs[0])
    if abs(edge - float(ctx.e[a0])) < FOOT_MIN_V:
        return out
    a1 = bounds[1][0]
    out[a1:] = s0 * (ctx.e[a1:] - edge) < 0.0
    return out


def _drop_turn_runs(active: np.ndarray, bounds, reach: int) -> np.ndarray:
    """Activity that runs into a turning point is a background onset (the same function of
    potential on both sweeps, fitted by the background), not a wave: drop such runs.  Waves found
    as peaks keep their own zones (:func:`_wave_zones`)."""
    out = active.copy()
    edges = np.flatnonzero(np.diff(np.r_[0, active.astype(np.int8), 0]))
    turns = [b for _a, b in bounds[:-1]]
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if any(a - reach <= t <= b + reach for t in turns):
            out[a:b] = False
    return out


def _wave_zones(ctx: _Ctx, peaks: list[FoundPeak], details: list[WaveDetail]) -> np.ndarray:
    """Potentials where each peak's wave changes the surface concentrations, on its own sweep and
    every later one: from where it rises past 5 % of its height or 2.5 half-peak widths before
    the peak, whichever is closer (the foot before that is fitted with an exponential, see
    :func:`_regions`), to two half-peak widths after the peak (a
    Nernstian wave is 99.6 % complete there; broad kinetic waves reach further in proportion)."""
    active = np.zeros(ctx.e.size, dtype=bool)
    for pk, det in zip(peaks, details, strict=True):
        s = 1.0 if pk.direction == "anodic" else -1.0
        hw = det.half_width_V
        rise = float(ctx.e[det.start])
        if s * (pk.potential.value - 2.5 * hw * s - rise) > 0:  # the closer of the two to the peak
            rise = pk.potential.value - 2.5 * hw * s
        ends = (rise, pk.potential.value + 2.0 * hw * s)
        later = ctx.prep.sweeps.segment >= pk.segment
        active |= later & (ctx.e >= min(ends)) & (ctx.e <= max(ends))
    return active


def _sweep_peaks(ctx, hist, m_hist, f_s, f_r, j, a, b, s, base, c, scale, bg_rms, forward, stopped):
    """Peaks of one sweep: local maxima of the corrected current, each later one re-measured on
    the continuation frozen at the valley after the last event before it — an accepted peak, or
    the dying current of another couple's wave (a bump whose own current never turns over)."""
    m = b - a
    thr = max(ctx.rel_prominence * scale, ctx.min_snr * max(ctx.noise_s, ctx.noise_w))
    # a maximum on the diffusion tail of an earlier wave rises less above that falling tail than
    # above its own baseline (the tail continued): one that stands only the noise floor above the
    # tail is judged on that baseline, once a wave before it has been accepted (its prominence
    # there must reach ``thr``, see _nearest_max)
    cand, props = find_peaks(c, prominence=ctx.min_snr * max(ctx.noise_s, ctx.noise_w), height=thr)
    inner = [
        (int(k), float(pr) >= thr)
        for k, pr in zip(cand, props["prominences"], strict=True)
        if 2 <= k <= m - 3
    ]
    idx = [k for k, ok in inner if ok]
    strong = set(idx)
    tail = [k for k, ok in inner if not ok]
    out = []
    events: list[tuple[int, float | None]] = []  # (index, couple of a dying current or None)

    def tail_from(v):
        """The baseline with the earlier wave's tail continued from valley ``v`` on."""
        out_base = base.copy()
        out_base[v + 1 :] = continuation_from(hist, m_hist, a + v, b, ctx.w_diff)
        return out_base

    def past_valley(k, v, cand_base, nxt):
        """The maximum nearest ``k`` past valley ``v`` above ``cand_base``, measured; (None, k)
        when none stands out there."""
        cc = s * (f_s[a:b] - cand_base)
        k2 = _nearest_max(cc, k, v + 1, nxt, thr)
        if k2 is None:
            return None, k
        cr = s * (f_r[a:b] - cand_base)
        return _measure(ctx, j, s, a, b, v + 1, k2, cc, cr, cand_base, base, f_s, thr, bg_rms, signed), k2

    def attempt(k, after, held):
        nxt = next((i for i in idx if i > k), m)
        if after is None:
            return (
                _measure(
                    ctx, j, s, a, b, 0, k, c, s * (f_r[a:b] - base), base, base, f_s, thr, bg_rms, signed
                ),
                k,
                base,
            )
        v = after[0] + int(np.argmin(c[after[0] : k + 1]))
        if held:
            # the forward process has stopped (its rate constant falls further as the sweep
            # goes on): held at the valley its current stays where it is, not a diffusion tail
            cand_base = base.copy()
            cand_base[v + 1 :] = _valley_level(f_r[a:b], f_s[a:b], v, (after[0], k), ctx.step, ctx.noise_s)
        else:
            cand_base = tail_from(v)
        res, k2 = past_valley(k, v, cand_base, nxt)
        if held or not (isinstance(res, tuple) and res[1].surface):
            return res, k2, cand_base
        # an adsorbed layer on the tail: the visible valley lies on the layer's own foot (its
        # current there raises the continued tail and the peak is measured low); freeze the tail
        # where the layer has not yet begun — but not before the wave before it is complete (two
        # of its half-peak widths past its peak, see _wave_zones): the tail continued from there
        # would fall too fast
        v2 = k2 - int(SURFACE_FREEZE * res[1].half_width_V / ctx.step + 0.5)
        prev = next((d for pk, d in out if pk.index == a + after[0]), None)
        done = after[0] + (int(2.0 * prev.half_width_V / ctx.step + 0.5) if prev is not None else 0)
        if done < v2 < v:
            base2 = tail_from(v2)
            res2, k3 = past_valley(k2, v2, base2, nxt)
            if isinstance(res2, tuple) and res2[1].surface:
                return res2, k3, base2
        return res, k2, cand_base

    signed = False  # read by attempt/past_valley: the candidate's sweep has no other couple ahead
    for k in sorted(strong.union(tail)):
        own = _partner(forward, float(ctx.e[a + k]), s)
        signed = j > 0 and _alone(forward, float(ctx.e[a + k]), s)
        after = next((ev for ev in reversed(events) if ev[1] is None or ev[1] != own), None)
        if k not in strong and (after is None or after[1] is not None or k <= after[0]):
            continue  # a weak maximum counts only on the tail of an accepted wave before it
        res, k2, cand_base = attempt(k, after, False)
        if k not in strong and not isinstance(res, tuple):
            continue
        if after is None and j > 0 and (isinstance(res, tuple) or res is _OPPOSITE):
            # a peak of its own after this couple's forward current died away (a dying-current
            # event, or a bump too small to be a candidate): a return wave measured from the
            # current held at the valley after it (see _dying_bump); a bump that is only a dying
            # current on that baseline is no peak
            bump = (
                events[-1]
                if events
                else _dying_bump(c, k, max(4.0 * ctx.noise_s, BUMP_FRACTION * float(c[k])))
            )
            if bump is not None and not events and not _past_forward(ctx.e, a, c, bump[0], k, own, s):
                bump = None  # a wiggle before the sweep has left the forward wave: no stopped process
            if bump is not None:
                res1, k1, base1 = attempt(k, bump, True)
                if isinstance(res1, tuple) or res1 is _DYING:
                    res, k2, cand_base = res1, k1, base1
                    if isinstance(res1, tuple) and j not in stopped:
                        valley = bump[0] + int(np.argmin(c[bump[0] : k + 1]))
                        stopped[j] = (a + valley, a + k1)
        if res is None:
            continue
        if res is _DYING or res is _OPPOSITE:
            events.append((k2, _partner(forward, float(ctx.e[a + k2]), -s, nearest=True)))
            continue
        pk, det = res
        out.append((pk, det))
        events.append((k2, None))
        if det.surface:
            # an adsorbed layer leaves no diffusion tail: take it out of the history
            hist[det.start : det.stop] = cand_base[det.start - a : det.stop - a]
            m_hist = semi_integral(hist[:b], ctx.w_int)
    return out


def _valley_level(
    f: np.ndarray, fs: np.ndarray, v: int, span: tuple[int, int], step: float, noise_s: float
) -> float:
    """The faradaic current at the valley ``v`` between a dying bump and the peak (``span``, local
    indices into one sweep's unsmoothed current ``f`` and smoothed ``fs``), from a quadratic through
    ±15 mV of ``f`` around it, kept inside the span and short of the peak's rise.  The valley is
    where the smoothed current dips lowest, so its own value there carries that dip of the noise
    (about −2σ of the smoothed noise over a long flat stretch, 10–20 % of a small return wave); the
    fit averages it out.  A fit that moves the level by more than 3σ describes a kink (a spike, the
    bump's edge), not noise: the smoothed value is kept then."""
    h = max(3, round(0.015 / step))
    lo = max(span[0], v - h)
    hi = min(f.size, v + h + 1, v + max(2, (span[1] - v) // 2) + 1)
    if hi - lo < 7:
        return float(fs[v])
    x = np.arange(lo, hi, dtype=float) - v
    level = float(np.polynomial.polynomial.polyfit(x, f[lo:hi], 2)[0])
    return level if abs(level - float(fs[v])) <= 3.0 * noise_s else float(fs[v])


def _dying_bump(c: np.ndarray, k: int, tol: float) -> tuple[int, None] | None:
    """The top of the previous sweep's dying current before the first peak ``k`` of a later sweep.

    Measured against the current held at the vertex, a wave whose process stops as soon as the
    potential turns back (an irreversible couple, its return wave hundreds of mV away) first
    rises — the real current dies faster than the held tail — and then falls to a valley before
    the return wave; the return wave is measured from the current held at that valley, as the
    truth defines it (:mod:`voltlens.truth`).  A reversible couple's corrected current rises
    monotonically from the vertex to its return peak: no bump, Nicholson's vertex baseline."""
    if k < 4:
        return None
    head = c[: k + 1]
    dip = np.maximum.accumulate(head) - head
    v = int(np.argmax(dip))
    if dip[v] <= tol:
        return None
    q = int(np.argmax(head[: v + 1]))
    return (q, None) if head[q] > tol else None


def _past_forward(e: np.ndarray, a: int, c: np.ndarray, q: int, k: int, own: float | None, s: int) -> bool:
    """Does the valley between a dying bump at local index ``q`` and the peak ``k`` lie past the
    forward peak ``own`` along the sweep (direction ``s``)?  A forward process can only have
    stopped once the potential has moved back beyond its wave: a dip before that (drift, 1/f
    noise, a neighbouring couple) is no sign of it."""
    if own is None:
        return False
    valley = q + int(np.argmin(c[q : k + 1]))
    return bool(s * (float(e[a + valley]) - own) > 0.0)


def _alone(forward: list[float], e: float, s: int) -> bool:
    """Is a later-sweep maximum at ``e`` (sweep direction ``s``) free of other couples' currents of
    the opposite direction: no forward peak other than its nearest lies ahead of it along the sweep?
    A couple the sweep has not yet come back to still draws its diffusion-limited current there (a
    real return wave may stand on it with the current flowing the other way); the forward wave it
    came from, once the sweep has turned, only dies away."""
    if not forward:
        return True
    near = min(forward, key=lambda f: abs(f - e))
    return not any(s * (f - e) > 0.0 and f != near for f in forward)


def _partner(forward: list[float], e: float, s: int, *, nearest: bool = False) -> float | None:
    """The forward peak a return-sweep feature at potential ``e`` belongs to: the closest one on
    the side it came from (below it for a positive-going sweep ``s`` = +1), or simply the closest
    (``nearest``, for the dying current of a forward wave, which lies on either side)."""
    if nearest:
        return min(forward, key=lambda f: abs(f - e)) if forward else None
    side = [f for f in forward if s * (f - e) <= 0.03]
    return min(side, key=lambda f: abs(f - e)) if side else None


def _nearest_max(c: np.ndarray, k: int, lo: int, hi: int, thr: float) -> int | None:
    """The significant maximum of ``c`` in lo..hi−1 nearest to ``k`` (as the peak is re-found on a
    new baseline)."""
    if lo >= hi - 2:
        return None
    loc, _ = find_peaks(c[lo:hi], prominence=thr)
    if loc.size == 0:
        return None
    loc = loc + lo
    return int(loc[np.argmin(np.abs(loc - k))])


def _turns_over(q: np.ndarray, p: int, w: int, tol: float) -> bool:
    """Does q (signed so the peak is a maximum) turn over within w of p: its largest value there
    lies inside the window, and the mean around it stands ``tol`` above the means of the stretches
    before and after it (means, so that noise on a flat tail does not pass for a maximum)?"""
    lo, hi = max(0, p - w), min(q.size, p + w + 1)
    jq = lo + int(np.argmax(q[lo:hi]))
    if jq <= lo or jq >= hi - 1:
        return False
    h = max(1, w // 4)
    top = float(np.mean(q[max(0, jq - h) : jq + h + 1]))
    d = max(3, 3 * w)
    left = q[max(0, jq - d) : max(0, jq - w // 2)]
    right = q[min(q.size, jq + w // 2 + 1) : min(q.size, jq + d + 1)]
    if left.size == 0 or right.size == 0:
        return False
    return bool(top - float(np.min(_means(left, h))) > tol and top - float(np.min(_means(right, h))) > tol)


def _means(x: np.ndarray, h: int) -> np.ndarray:
    """Running means over 2h+1 points (fewer at the ends)."""
    k = min(2 * h + 1, x.size)
    return np.convolve(x, np.ones(k) / k, mode="valid")


def _measure(ctx, j, s, a, b, lo, p, c, cr, base, sweep_base, f_s, thr, bg_rms, signed=False):
    """Measure the peak at local index ``p`` of the corrected current ``c`` (raw: ``cr``);
    ``signed``: the current at a later sweep's peak must flow in the peak's own direction."""
    e = ctx.e[a:b]
    m = b - a
    ip_s = float(c[p])
    snr = ip_s / ctx.noise_s
    if snr < ctx.min_snr or ip_s < thr:
        return None
    higher_r = np.flatnonzero(c[p + 1 :] > ip_s)
    hi = p + 1 + int(higher_r[0]) if higher_r.size else m
    higher_l = np.flatnonzero(c[lo:p] > ip_s)
    lo_p = lo + int(higher_l[-1]) + 1 if higher_l.size else lo
    drop = ip_s - float(np.min(c[p:hi]))
    rise = ip_s - float(np.min(c[lo_p : p + 1]))
    if drop < thr or rise < thr:
        return None
    # the current itself (less the continued tails of earlier waves on this sweep) must turn over
    w = max(2, int(VISIBLE_WINDOW_V / ctx.step + 0.5))
    i0, i1 = max(0, p - 4 * w - 2), min(m, p + 4 * w + 3)
    own = s * (f_s[a + i0 : a + i1] - (base[i0:i1] - sweep_base[i0:i1]))
    # where the current itself is mostly the continued baseline (the earlier wave dying away, its
    # own value at the "peak" under a fifth of the corrected height) a noise wiggle must not pass for the
    # turn-over: it must then fall back by TURN_FRACTION of the height on both sides
    mostly_base = float(own[p - i0]) < max(0.2 * ip_s, 2.0 * ctx.noise)  # (or within the raw noise)
    tol = max(2.5 * ctx.noise_s, (TURN_FRACTION if mostly_base else 0.003) * ip_s)
    if mostly_base:
        # ... and stand out from the raw noise: quantisation steps survive smoothing as wiggles of
        # about the raw rms, which the smoothed noise understates
        tol = max(tol, 1.5 * ctx.noise)
    if not _turns_over(own, p - i0, w, tol):
        return _DYING
    if signed and j > 0 and float(own[p - i0]) < -max(tol, 0.2 * ip_s) and _half_fall(c, p, m) is None:
        # on a later sweep a wave of this direction adds current of its own sign and, measured from
        # its baseline, falls back after its peak; where the current itself (less the continued
        # tails of earlier waves on this sweep) still flows the other way at the "peak", by a fifth
        # of its corrected height (more than a misfit of the background), and the
        # corrected current never falls to half of it, nothing of this direction is driven there:
        # it is the earlier wave's current dying faster than its held or continued baseline (an
        # irreversible couple's return sweep, a step of the dying current), not a wave
        return _OPPOSITE
    hr = _half_rise(c, p, lo)
    if hr is None:
        return None
    ep_half = _interp_e(e, hr)
    hw = abs(e[p] - ep_half)
    if hw < ctx.min_half_width or hw < 1.2 * ctx.step:
        return None
    hf = _half_fall(c, p, m)
    fwhm = abs(_interp_e(e, hf) - ep_half) if hf is not None else None
    half_pts = max(2, int(0.7 * hw / ctx.step + 0.5))  # ±0.7 |Ep − Ep/2|, quartic: least noise for no bias
    fit = None if ctx.light else _apex_fit(e, cr, p, lo, m, half_pts, ctx.noise)
    if fit is None:
        ep, ip, sig_e, sig_ip = float(e[p]), ip_s, ctx.step / math.sqrt(12.0), ctx.noise_s
    else:
        ep, ip, sig_e, sig_ip = fit
        if abs(ep - e[p]) > 2 * half_pts * ctx.step or not np.isfinite(ep):
            ep, ip = float(e[p]), ip_s
    hw_out, fwhm_out = hw, fwhm
    top = ctx.clipped[0 if s > 0 else 1]
    clipped = bool(top.size) and bool(np.any(top[a + max(0, p - w) : a + min(m, p + w + 1)]))
    if fit is not None and 0.0 < ip and ep != e[p]:
        # the reported widths from the fitted apex, not from the grid point that noise made the
        # highest (on a coarse 5 mV grid that alone moved |Ep − Ep/2| by a step, and n with it);
        # where the wave is active (zones, foot) still follows the grid width
        hr2 = _half_rise(c, p, lo, ip)
        if hr2 is not None:
            hw2 = abs(ep - _interp_e(e, hr2))
            if hw2 >= ctx.min_half_width and hw2 >= 1.2 * ctx.step:
                hw_out = hw2
                hf2 = _half_fall(c, p, m, ip)
                fwhm_out = abs(_interp_e(e, hf2) - _interp_e(e, hr2)) if hf2 is not None else None
    sig_e = math.hypot(sig_e if np.isfinite(sig_e) else ctx.step, ctx.step / math.sqrt(12.0))
    surface = _is_surface(c, p, lo, hi, int(2.0 * hw / ctx.step + 0.5), ip_s)
    pad = int(0.5 * hw / ctx.step + 0.5) if surface else 0
    level = max(0.01 * ip_s, 2.0 * ctx.noise_s) if surface else 0.05 * ip_s
    reach = int(4.0 * hw / ctx.step + 0.5) + pad
    start, stop = _wave_span(c, p, max(lo, p - reach), min(hi, p + reach), level, pad)
    charge = None
    if ctx.dt is not None and not ctx.light:
        pos = np.clip(c[start:stop], 0.0, None)
        charge = float(np.sum(0.5 * (pos[1:] + pos[:-1]) * ctx.dt[a + start + 1 : a + stop]))
    sig_h = math.hypot(sig_ip, bg_rms)
    rel = sig_h / ip if ip > 0 else 1.0
    p_snr = snr**2 / (snr**2 + (2.0 * ctx.min_snr) ** 2)
    p_width = 1.0 if 0.010 <= hw <= 0.4 else 0.6
    conf = p_snr * p_width / (1.0 + (rel / 0.15) ** 2)
    idx = a + p
    pk = FoundPeak(
        direction="anodic" if s > 0 else "cathodic",
        cycle=int(ctx.cycle[idx]),
        segment=j,
        potential=Quantity(ep, "V", sig_e),
        height=Quantity(s * ip, ctx.unit, sig_h),
        baseline_at_peak=float(ctx.y[idx] - f_s[idx] + base[p]),
        half_width=Quantity(fwhm_out, "V", 2 * ctx.step / math.sqrt(12.0)) if fwhm_out is not None else None,
        charge=Quantity(s * charge, "C" if ctx.unit == "A" else "C/m²") if charge is not None else None,
        prominence=float(min(drop, rise)),
        snr=float(snr),
        confidence=float(np.clip(conf, 0.0, 1.0)),
        shoulder=False,
        index=int(idx),
        baseline_potential_V=np.array(e[start:stop]),
        baseline_current=np.array(
            base[start:stop] + (ctx.y[a + start : a + stop] - f_s[a + start : a + stop])
        ),
        half_peak_width=Quantity(hw_out, "V", ctx.step / math.sqrt(6.0)),
        surface=surface,
    )
    return pk, WaveDetail(
        sweep=j, start=a + start, stop=a + stop, surface=surface, half_width_V=hw, clipped=clipped
    )


def _is_surface(c: np.ndarray, p: int, lo: int, hi: int, d: int, ip: float) -> bool:
    """An adsorbed layer's peak: two half-peak widths either side of it the current is back near
    the baseline (≈ 12 % of the peak for a Nernstian layer; a diffusion peak still carries ≈ 55 %
    there), and alike on both sides.  A peak measured from a valley ``lo`` on the continued tail of
    the wave before it, closer than two half-peak widths but at least one away, is compared with
    the current at that valley instead."""
    if p + d >= hi or p - d < (lo if lo == 0 else lo - 1 - d // 2):
        return False
    after, before = float(c[p + d]), float(c[max(p - d, lo)])
    return after < SURFACE_RETURN * ip and abs(after - before) < 0.15 * ip


def _wave_span(c: np.ndarray, p: int, lo: int, hi: int, level: float, pad: int) -> tuple[int, int]:
    """Indices around ``p`` until the corrected current falls below ``level``, widened by ``pad``."""
    left = np.flatnonzero(c[lo:p] < level)
    start = lo + int(left[-1]) if left.size else lo
    right = np.flatnonzero(c[p:hi] < level)
    stop = p + int(right[0]) + 1 if right.size else hi
    return max(lo, start - pad), min(hi, stop + pad)
