"""Peaks of cyclic and linear-sweep voltammograms, each with the baseline it is measured from.

The faradaic current is followed through the whole experiment:

* first sweep: the non-faradaic background (charging current plus any sloped background) is a
  line fitted to the foot region before the first wave, the region ending three half-peak widths
  before the peak (iterated, since the width depends on the baseline);
* each later sweep: the same background shifted by the current jump at the turning point (the
  charging current changes sign there while the faradaic current is continuous);
* under every wave, the faradaic current of everything that came before continues as it would
  with the electrode surface frozen (:func:`~voltlens.analyze.semiintegral.frozen_continuation`):
  on a reverse sweep this is Nicholson's baseline (the current that would flow were the potential
  held at the switching potential), under a second wave on the same sweep it is the decaying tail
  of the first.

Waves are found as peaks of the semi-derivative of the baseline-corrected current, which is a
narrow bell (FWHM 90.6/n mV for a Nernstian wave) where the current itself shows only a shoulder;
each is then measured on the current.  The uncertainty of a height combines noise with the spread
over alternative baselines (other foot regions; a fitted t^−½ decay; Nicholson's empirical
ipa/ipc formula).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
from scipy.signal import find_peaks, savgol_coeffs, savgol_filter

from .preprocess import Preprocessed
from .result import FoundPeak, Quantity
from .semiintegral import frozen_continuation, semi_derivative, semi_weights

__all__ = ["WaveDetail", "find_sweep_peaks"]

_MAD = 1.4826


@dataclass(frozen=True, slots=True)
class WaveDetail:
    """Internal measurements of one wave, beyond what :class:`FoundPeak` carries."""

    sweep: int
    start: int  # first index of the wave's window
    stop: int  # exclusive
    surface: bool  # current returns to the baseline after the peak (adsorbed layer)
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
    b, a = np.polyfit(e, y, 1)
    for _ in range(2):
        res = y - (a + b * e)
        s = max(_MAD * float(np.median(np.abs(res - np.median(res)))), noise, 1e-300)
        keep = np.abs(res) <= 3.5 * s
        if keep.sum() < 4:
            break
        b, a = np.polyfit(e[keep], y[keep], 1)
    return _Line(float(a), float(b))


def _significant_first_peak(r: np.ndarray, thr: float, prom: float) -> int | None:
    idx, _props = find_peaks(r, prominence=prom)
    good = [int(i) for i in idx if r[i] >= thr and 1 < i < r.size - 2]
    if not good:
        return None
    # the first wave along the sweep that is not dwarfed by noise
    return good[0]


def _half_rise(r: np.ndarray, p: int, lo: int = 0) -> float | None:
    """Fractional index where r first reaches r[p]/2 going back from p (linear interpolation)."""
    half = 0.5 * r[p]
    below = np.flatnonzero(r[lo : p + 1] < half)
    if below.size == 0:
        return None
    k = lo + int(below[-1])
    if k >= p:
        return None
    y0, y1 = r[k], r[k + 1]
    return k + (half - y0) / (y1 - y0) if y1 != y0 else float(k)


def _half_fall(r: np.ndarray, p: int, hi: int) -> float | None:
    half = 0.5 * r[p]
    below = np.flatnonzero(r[p:hi] < half)
    if below.size == 0:
        return None
    k = p + int(below[0])
    y0, y1 = r[k - 1], r[k]
    return (k - 1) + (y0 - half) / (y0 - y1) if y1 != y0 else float(k)


def _rough_width(r: np.ndarray, p: int) -> int:
    """Points from the apex back to half height (at least 3)."""
    below = np.flatnonzero(r[: p + 1] < 0.5 * r[p])
    return max(3, p - int(below[-1])) if below.size else max(3, p)


def _is_local_max(q: np.ndarray, p: int, d: int, noise: float) -> bool:
    """q has its maximum near p (within d/2) and falls after it by more than noise within d points."""
    a, b = max(0, p - d // 2), min(q.size, p + d // 2 + 1)
    jq = a + int(np.argmax(q[a:b]))
    if jq in (0, q.size - 1) or (jq == b - 1 and b < q.size and q[b] > q[jq]):
        return False
    after = q[jq : min(q.size, jq + d + 1)]
    before = q[max(0, jq - d) : jq + 1]
    tol = max(3.0 * noise, 0.005 * abs(float(q[jq])))
    return bool(q[jq] - after.min() > tol and q[jq] - before.min() > tol)


def _flattens(q: np.ndarray, r: np.ndarray, p: int) -> bool:
    """A shoulder: where r peaks, the current q itself (nearly) stops rising.

    Its slope near the apex must fall below 30 % of its steepest rise on the way up, which a
    baseline that merely bends (the kinetic switch-off of an irreversible wave on the reverse
    sweep, seen against Nicholson's baseline) does not do."""
    below = np.flatnonzero(r[: p + 1] < 0.5 * r[p])
    start = int(below[-1]) if below.size else 0
    if p - start < 3:
        return False
    d = max(2, (p - start) // 3)
    if p + d >= q.size or p - d < 0:
        return False
    lo = max(d, start)
    ks = np.arange(lo, p + 1)
    secant = (q[ks + d] - q[ks - d]) / (2 * d)
    rise = float(np.max(secant)) if secant.size else 0.0
    near = float(q[p + d] - q[p - d]) / (2 * d)
    return rise > 0 and near <= 0.3 * rise


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
    if p is None:
        # no peak: fit the part before the current departs from the initial trend (a wave cut
        # off by the turning point must not tilt the line)
        r = s * (y - line(e))
        thr = max(5.0 * noise, 0.05 * float(np.ptp(r)))
        away = np.flatnonzero(r > thr)
        stop = int(away[0]) if away.size else n
        stop = max(stop - max(2, stop // 10), min(k0, n))
        return [_robust_line(e[1:stop], y[1:stop], noise)] * len(factors)
    return [_foot_line(e, y, s, p, hw, noise, f) for f in factors]


def _vertex_jump(y: np.ndarray, left: tuple[int, int], right: tuple[int, int], step_pts: int) -> float:
    """Current jump at a turning point: right-hand minus left-hand linear extrapolation."""
    a0, b0 = left
    a1, b1 = right
    k = int(min(max(4, step_pts), (b0 - a0) // 3, (b1 - a1) // 3))
    if k < 2:
        return float(y[a1] - y[b0 - 1]) if b1 > a1 else 0.0
    tv = b0 - 0.5
    il = np.arange(b0 - k, b0)
    skip = 2 if (b1 - a1) > 3 * k + 2 else 0
    ir = np.arange(a1 + skip, a1 + skip + k)
    cl = np.polyfit(il - tv, y[il], 1)
    cr = np.polyfit(ir - tv, y[ir], 1)
    return float(cr[1] - cl[1])


def _noise_gain(window: int, window2: int) -> float:
    """RMS gain of white noise through Savitzky–Golay smoothing (cubic, ``window``), then
    semi-differentiation, then a second quadratic Savitzky–Golay smoothing (``window2``)."""
    v = semi_weights(300, -0.5)
    if window >= 5:
        v = np.convolve(savgol_coeffs(window, 3), v)
    if window2 >= 5:
        v = np.convolve(savgol_coeffs(window2, 2), v)
    return float(np.sqrt(np.sum(v**2)))


def _apex_fit(e: np.ndarray, r: np.ndarray, p: int, lo: int, hi: int, m: int, noise: float):
    """Local polynomial around index p of r (restricted to lo..hi−1): (Ep, ip, σ_E, σ_ip) or None."""
    a = max(lo, p - m)
    b = min(hi, p + m + 1)
    if b - a < 5:
        return None
    x = e[a:b] - e[p]
    yy = r[a:b]
    deg = 3 if b - a >= 9 else 2
    scale = float(np.max(np.abs(x))) or 1.0
    xs = x / scale
    vand = np.vander(xs, deg + 1, increasing=True)
    coef, *_ = np.linalg.lstsq(vand, yy, rcond=None)
    grid = np.linspace(xs.min(), xs.max(), 201)
    vals = np.polynomial.polynomial.polyval(grid, coef)
    j = int(np.argmax(vals))
    if j == 0 or j == grid.size - 1:
        return None
    x0 = grid[j]
    # refine with Newton on the derivative
    d1 = np.polynomial.polynomial.polyder(coef)
    d2 = np.polynomial.polynomial.polyder(d1)
    for _ in range(3):
        g2 = np.polynomial.polynomial.polyval(x0, d2)
        if g2 >= 0:
            break
        x0 = x0 - np.polynomial.polynomial.polyval(x0, d1) / g2
    x0 = float(np.clip(x0, xs.min(), xs.max()))
    ip = float(np.polynomial.polynomial.polyval(x0, coef))
    curv = float(np.polynomial.polynomial.polyval(x0, d2))
    try:
        cov = np.linalg.inv(vand.T @ vand) * noise**2
    except np.linalg.LinAlgError:
        return None
    basis = np.array([x0**i for i in range(deg + 1)])
    dbasis = np.array([i * x0 ** (i - 1) if i else 0.0 for i in range(deg + 1)])
    sig_ip = float(np.sqrt(max(basis @ cov @ basis, 0.0)))
    sig_slope = float(np.sqrt(max(dbasis @ cov @ dbasis, 0.0)))
    sig_x = sig_slope / abs(curv) if curv < 0 else math.inf
    return float(e[p] + x0 * scale), ip, float(sig_x * scale), sig_ip


@dataclass(slots=True)
class _Ctx:
    e: np.ndarray
    y: np.ndarray  # smoothed
    raw: np.ndarray  # despiked, unsmoothed
    noise: float
    step: float
    dt: np.ndarray | None  # per-point time step (s) for charges
    unit: str
    min_snr: float
    min_half_width: float
    noise_s: float  # RMS noise left after smoothing
    scale: float  # largest faradaic current seen (for relative significance)
    rel_prominence: float
    gain_e: float
    window2: int
    cycle: np.ndarray
    onset: np.ndarray  # background onsets at turning points (already removed from y and raw)


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


def _smoothed_noise(y: np.ndarray, prep: Preprocessed, step: float, floor: float) -> float:
    """RMS of what smoothing left: white noise through the filter, or slower wiggles (1/f noise,
    mains pick-up) measured against a wider cubic fit, whichever is larger."""
    wide = int(0.05 / step) // 2 * 2 + 1
    res = []
    if wide >= 7:
        for a, b in prep.sweeps.bounds:
            if b - a > 2 * wide:
                res.append(y[a:b] - savgol_filter(y[a:b], wide, 3))
    if not res:
        return floor
    r = np.concatenate(res)
    return max(floor, _MAD * float(np.median(np.abs(r - np.median(r)))))


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
    e = prep.potential
    n = e.size
    dt = None
    if time is not None:
        t = np.asarray(time, dtype=float)
        dt = np.gradient(t)
    elif scan_rate:
        dt = np.gradient(np.cumsum(np.r_[0.0, np.abs(np.diff(e))])) / scan_rate
    step = prep.step_V if prep.step_V > 0 else 1e-3
    w2 = int(0.025 / step) // 2 * 2 + 1
    w2 = w2 if w2 >= 5 else 1
    # turning points: charging-current jumps and background onsets
    bounds, dirs = prep.sweeps.bounds, prep.sweeps.direction
    onset = np.zeros(n)
    jumps = [0.0]
    for j in range(1, len(bounds)):
        jump, amp, width = _vertex_model(
            e, prep.smoothed, bounds[j - 1], bounds[j], step, dirs[j - 1], prep.noise
        )
        jumps.append(jump)
        if amp != 0.0:
            ev = e[bounds[j - 1][1] - 1]
            onset += amp * np.exp(np.clip(dirs[j - 1] * (e - ev) / width, -700.0, 0.0))
    white = max(prep.noise, 1e-300) * (
        float(np.sqrt(np.sum(savgol_coeffs(prep.window, 3) ** 2))) if prep.window >= 5 else 1.0
    )
    ctx = _Ctx(
        e=e,
        y=prep.smoothed - onset,
        raw=prep.current - onset,
        noise=max(prep.noise, 1e-300),
        step=step,
        dt=dt,
        unit=unit,
        min_snr=min_snr,
        min_half_width=min_half_width_V,
        noise_s=_smoothed_noise(prep.smoothed - onset, prep, step, white),
        scale=0.0,
        rel_prominence=rel_prominence,
        gain_e=_noise_gain(prep.window, w2),
        window2=w2,
        cycle=prep.cycle,
        onset=onset,
    )
    hist = np.zeros(n)  # faradaic history used for continuations
    peaks: list[FoundPeak] = []
    details: list[WaveDetail] = []
    lines: list[_Line] = []
    prev_waves: list[tuple[FoundPeak, WaveDetail]] = []
    for j, ((a, b), s) in enumerate(zip(bounds, dirs, strict=True)):
        if j == 0:
            line, *alt_lines = _first_sweep_background(
                e[a:b], ctx.y[a:b], s, ctx.noise, (2.5, 2.0, 3.5), ctx.noise_s
            )
            ctx.scale = float(np.max(np.abs(ctx.y[a:b] - line(e[a:b]))))
        else:
            line = lines[-1].shifted(jumps[j])
            alt_lines = []
        lines.append(line)
        hist[a:b] = ctx.y[a:b] - line(e[a:b])
        found = _sweep_waves(ctx, hist, j, a, b, s, line, alt_lines, prev_waves)
        for pk, det in found:
            peaks.append(pk)
            details.append(det)
        prev_waves = found
    return peaks, details


def _sweep_waves(ctx: _Ctx, hist, j, a, b, s, line, alt_lines, prev_waves):
    e, y = ctx.e, ctx.y
    m = b - a
    if m < 8:
        return []
    base0 = line(e[a:b])
    h = frozen_continuation(hist, a - 1, b) if a > 0 else np.zeros(m)
    r = s * (y[a:b] - base0 - h)
    sd = semi_derivative(r)
    if ctx.window2 >= 5 and m > ctx.window2:
        sd = savgol_filter(sd, ctx.window2, 2, mode="interp")
    sig_e = ctx.noise * ctx.gain_e
    thr_e = max(4.0 * sig_e, 0.03 * float(np.max(np.abs(sd))))
    cand, _ = find_peaks(sd, prominence=thr_e)
    cand = [int(c) for c in cand if sd[c] > thr_e and 2 <= c < m - 2]
    if not cand:
        return []
    splits = [int(c0 + np.argmin(sd[c0 : c1 + 1])) for c0, c1 in itertools.pairwise(cand)]
    starts = [a, *[a + sp + 1 for sp in splits]]
    ends = [*[a + sp + 1 for sp in splits], b]
    out = []
    f = a - 1  # the surface is taken as frozen here: after the last accepted wave
    for k in range(len(cand)):
        lo, hi = starts[k], ends[k]
        if hi - lo < 5:
            continue
        nxt = a + cand[k + 1] if k + 1 < len(cand) else b
        stop = max(hi, nxt)
        cont = frozen_continuation(hist, f, stop) if f >= 0 else np.zeros(stop - f - 1)
        off = lo - (f + 1)
        base_ext = line(e[lo:stop]) + cont[off:]
        base = base_ext[: hi - lo]
        rk = s * (y[lo:hi] - base)
        ext = s * (y[lo:nxt] - base_ext[: nxt - lo])
        res = _measure(ctx, j, s, lo, hi, rk, base, ext, line)
        if res is None:
            continue
        pk, det = res
        alts = _alternative_heights(ctx, hist, j, a, b, s, f, pk, alt_lines, prev_waves, line)
        pk, det = _finish(ctx, pk, det, alts)
        if det.surface:
            # an adsorbed layer leaves no diffusion tail: remove it from the history
            hist[lo:hi] = base - line(e[lo:hi])
        out.append((pk, det))
        f = hi - 1
    return out


def _measure(ctx: _Ctx, j, s, lo, hi, rk, base, ext, line):
    e = ctx.e[lo:hi]
    n = rk.size
    # apex: the largest value of rk at or after the semi-derivative peak, before the window end
    p = int(np.argmax(rk))
    if p <= 0 or p >= n - 1:
        return None
    ip_s = float(rk[p])
    snr = ip_s / ctx.noise_s
    # significance as the ground truth counts peaks: height and prominence on both sides of at
    # least 2 % of the largest faradaic current, and well above the (smoothed) noise
    thr = max(ctx.rel_prominence * ctx.scale, 3.0 * ctx.noise_s)
    if snr < ctx.min_snr or ip_s < thr:
        return None
    drop = ip_s - float(np.min(ext[p:])) if ext.size > p + 1 else 0.0
    rise = ip_s - float(np.min(rk[: p + 1]))
    if drop < thr or rise < thr:
        return None
    after = rk[p:]
    # does the current itself (over the non-faradaic background) peak here, or only bend?
    q = s * (ctx.y[lo:hi] - line(ctx.e[lo:hi]))
    has_max = _is_local_max(q, p, max(3, int(0.5 * _rough_width(rk, p))), ctx.noise_s)
    shoulder = not has_max
    # against a continued earlier current (Nicholson's baseline) the mere switch-off of that
    # current also shows as a peak; a true return peak drives the current past the background
    continued = abs(float(base[p] - line(ctx.e[lo + p]))) > 0.0
    switch_off = bool(continued and not has_max and q[p] < max(3.0 * ctx.noise_s, 0.1 * ip_s))
    hr = _half_rise(rk, p)
    if hr is None:
        return None
    ep_half = _interp_e(e, hr)
    hw = abs(e[p] - ep_half)
    if hw < ctx.min_half_width or hw < 1.2 * ctx.step:
        return None
    hf = _half_fall(rk, p, n)
    fwhm = abs(_interp_e(e, hf) - ep_half) if hf is not None else None
    # raw (unsmoothed) residual for the apex fit
    raw_r = s * (ctx.raw[lo:hi] - base)
    half_pts = max(2, round(0.35 * hw / ctx.step))
    fit = _apex_fit(e, raw_r, p, 0, n, half_pts, ctx.noise)
    if fit is None:
        ep, ip, sig_e, sig_ip = float(e[p]), ip_s, ctx.step / math.sqrt(12.0), ctx.noise
    else:
        ep, ip, sig_e, sig_ip = fit
        if abs(ep - e[p]) > 2 * half_pts * ctx.step:
            ep, ip = float(e[p]), ip_s
    sig_e = math.hypot(sig_e, ctx.step / math.sqrt(12.0))
    surface = bool(float(np.min(after)) < 0.2 * ip_s and fwhm is not None)
    left_min = float(np.min(rk[: p + 1]))
    prominence = ip_s - max(left_min, float(np.min(after)))
    charge = None
    if ctx.dt is not None:
        pos = np.clip(rk, 0.0, None)
        q = float(np.sum(0.5 * (pos[1:] + pos[:-1]) * ctx.dt[lo + 1 : hi]))
        charge = q
    direction = "anodic" if s > 0 else "cathodic"
    idx = lo + p
    pk = FoundPeak(
        direction=direction,
        cycle=int(ctx.cycle[idx]),
        segment=j,
        potential=Quantity(ep, "V", sig_e),
        height=Quantity(s * ip, ctx.unit, sig_ip),
        baseline_at_peak=float(base[p] + ctx.onset[lo + p]),
        half_width=Quantity(fwhm, "V", 2 * ctx.step / math.sqrt(12.0)) if fwhm is not None else None,
        charge=Quantity(s * charge, "C" if ctx.unit == "A" else "C/m²") if charge is not None else None,
        prominence=float(prominence),
        snr=float(snr),
        confidence=0.5,
        shoulder=shoulder,
        index=int(idx),
        baseline_potential_V=np.array(ctx.e[lo:hi]),
        baseline_current=np.array(base + ctx.onset[lo:hi]),
        half_peak_width=Quantity(hw, "V", ctx.step / math.sqrt(6.0)),
        surface=surface,
        switch_off=switch_off,
    )
    det = WaveDetail(sweep=j, start=lo, stop=hi, surface=surface)
    return pk, det


def _alternative_heights(ctx, hist, j, a, b, s, f, pk, alt_lines, prev_waves, line):
    """Heights of the same peak over other reasonable baselines."""
    e, y = ctx.e, ctx.y
    idx = pk.index
    alts: list[float] = []
    if f < 0:
        for ln in alt_lines:
            alts.append(s * float(y[idx] - ln(e[idx])))
        return alts
    # (1) freeze a little earlier or later (only matters for waves after the first on a sweep)
    if f >= a:
        for shift in (-0.25, 0.25):
            g = round(f + shift * (idx - f))
            if a <= g < idx - 1:
                cont = frozen_continuation(hist, g, idx + 1)
                alts.append(s * float(y[idx] - line(e[idx]) - cont[-1]))
        return alts
    # first wave of a later sweep: Nicholson's two classical baselines
    prev = [w for w in prev_waves if w[1].sweep == j - 1 and not w[1].surface]
    if not prev:
        return alts
    last_pk, _ = prev[-1]
    sp = -s  # sign of the previous sweep's waves
    # (2) t^-1/2 decay fitted past the last forward peak: 1/F² is linear in time
    pa = last_pk.index
    hwv = last_pk.half_peak_width.value if last_pk.half_peak_width else 0.05
    tail = np.arange(pa, a)
    tail = tail[np.abs(e[tail] - e[pa]) >= 1.5 * hwv]
    fwd = sp * hist[tail]
    ok = fwd > 5 * ctx.noise
    if ok.sum() >= 5:
        tt = tail[ok].astype(float)
        slope, icpt = np.polyfit(tt, 1.0 / fwd[ok] ** 2, 1)
        arg = slope * idx + icpt
        if slope > 0 and arg > 0:
            cott = sp / math.sqrt(arg)
            alts.append(s * float(y[idx] - line(e[idx]) - cott))
    # (3) Nicholson's empirical ratio (Anal. Chem. 1966, 38, 1406) for a single forward wave
    if len(prev) == 1:
        ipc = abs(last_pk.height.value)
        isp0 = sp * float(hist[a - 1])
        ipa0 = s * float(y[idx] - line(e[idx]))
        if ipc > 0:
            alts.append(ipa0 + 0.485 * isp0 + 0.086 * ipc)
    return alts


def _finish(ctx: _Ctx, pk: FoundPeak, det: WaveDetail, alts: list[float]):
    ip = abs(pk.height.value)
    vals = [ip, *[abs(x) for x in alts if np.isfinite(x)]]
    spread = 0.5 * (max(vals) - min(vals)) if len(vals) > 1 else 0.0
    sig = math.hypot(pk.height.uncertainty, spread)
    snr = pk.snr
    p_snr = snr**2 / (snr**2 + (2.0 * ctx.min_snr) ** 2)
    hw = pk.half_peak_width.value if pk.half_peak_width else 0.0
    p_width = 1.0 if 0.010 <= hw <= 0.4 else 0.6
    rel = sig / ip if ip > 0 else 1.0
    p_base = 1.0 / (1.0 + (rel / 0.15) ** 2)
    conf = p_snr * p_width * p_base * (0.75 if pk.shoulder else 1.0)
    from dataclasses import replace

    pk = replace(
        pk,
        height=Quantity(pk.height.value, pk.height.unit, sig),
        confidence=float(np.clip(conf, 0.0, 1.0)),
    )
    det = replace(det, heights_alt=tuple(float(x) for x in alts))
    return pk, det
