"""Peaks of differential pulse and square-wave voltammograms, overlapping peaks resolved by fitting.

Background: asymmetric least squares (Eilers & Boelens 2005) with a stiffness chosen so the
baseline cannot follow anything narrower than ~300 mV, refined by a linear term fitted together
with the peaks.  Peaks: candidates from local maxima and, for shoulders, from minima of the second
derivative; then one least-squares fit of the reversible Parry–Osteryoung shape

    g(x) = (1 + σ)² / ((1 + σ e^−x)(1 + σ e^x)),  x = n f (E − E_max),  σ = exp(n f |ΔE| / 2),

(B&F §7.3.4; FWHM 3.52 RT/nF = 90.4/n mV as ΔE → 0, 99 mV at 50 mV and 123 mV at 100 mV for
n = 1), with a free apparent n per peak so that slow or broadened peaks fit too.  A peak is added
where the residual still holds a significant bump and removed when its fitted height is not
significant; overlapping peaks 80 mV apart are resolved this way.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse
from scipy.optimize import brentq, least_squares
from scipy.signal import find_peaks, savgol_filter
from scipy.sparse.linalg import spsolve

from ..constants import STANDARD_TEMPERATURE, f_inverse_volts
from .preprocess import Preprocessed
from .result import FoundPeak, Quantity

__all__ = ["als_baseline", "dpv_fwhm", "dpv_n_from_fwhm", "dpv_shape", "find_pulse_peaks"]


def als_baseline(
    y: np.ndarray, *, stiffness: float, asymmetry: float = 0.01, iterations: int = 10
) -> np.ndarray:
    """Asymmetric least-squares baseline of ``y`` (peaks point up)."""
    y = np.asarray(y, dtype=float)
    n = y.size
    if n < 4:
        return np.full(n, float(np.min(y)) if n else 0.0)
    d = sparse.diags([1.0, -2.0, 1.0], [0, 1, 2], shape=(n - 2, n), format="csc")
    penalty = stiffness * (d.T @ d)
    w = np.ones(n)
    z = y
    for _ in range(iterations):
        wm = sparse.diags(w, 0, format="csc")
        z = spsolve((wm + penalty).tocsc(), w * y)
        w_new = np.where(y > z, asymmetry, 1.0 - asymmetry)
        if np.array_equal(w_new, w):
            break
        w = w_new
    return np.asarray(z)


def dpv_shape(
    e: np.ndarray, e_max: float, height: float, n: float, amplitude_V: float, f: float
) -> np.ndarray:
    """Reversible DPV peak (Parry & Osteryoung) of height ``height`` at ``e_max``."""
    sig = math.exp(min(n * f * abs(amplitude_V) / 2.0, 50.0))
    x = np.clip(n * f * (np.asarray(e, dtype=float) - e_max), -200.0, 200.0)
    return height * (1.0 + sig) ** 2 / ((1.0 + sig * np.exp(-x)) * (1.0 + sig * np.exp(x)))


def dpv_fwhm(n: float, amplitude_V: float, temperature_K: float = STANDARD_TEMPERATURE) -> float:
    """Full width at half height (V) of the reversible DPV peak: cosh(x½) = (1 + 4σ + σ²)/(2σ)."""
    f = f_inverse_volts(temperature_K)
    sig = math.exp(n * f * abs(amplitude_V) / 2.0)
    return 2.0 * math.acosh((1.0 + 4.0 * sig + sig * sig) / (2.0 * sig)) / (n * f)


def dpv_n_from_fwhm(fwhm_V: float, amplitude_V: float, temperature_K: float = STANDARD_TEMPERATURE) -> float:
    """Apparent n whose reversible DPV peak at this amplitude has the given width."""

    def g(n: float) -> float:
        return dpv_fwhm(n, amplitude_V, temperature_K) - fwhm_V

    lo, hi = 0.05, 10.0
    if g(lo) < 0:
        return lo
    if g(hi) > 0:
        return hi
    return float(brentq(g, lo, hi, xtol=1e-6))


P = 4  # parameters per peak: centre, height, apparent n left and right of the maximum


def dpv_shape_split(
    e: np.ndarray, e_max: float, height: float, n_left: float, n_right: float, amplitude_V: float, f: float
) -> np.ndarray:
    """The Parry–Osteryoung shape with its own apparent n on each side of the maximum: smooth
    (value and slope match at the top) and able to follow the broader, skewed peak of a slow couple."""
    e = np.asarray(e, dtype=float)
    left = e < e_max
    out = np.empty(e.size)
    out[left] = dpv_shape(e[left], e_max, height, n_left, amplitude_V, f)
    out[~left] = dpv_shape(e[~left], e_max, height, n_right, amplitude_V, f)
    return out


def dpv_fwhm_split(n_left: float, n_right: float, amplitude_V: float, f: float) -> float:
    """Full width at half height of :func:`dpv_shape_split` (V)."""
    t = STANDARD_TEMPERATURE * f_inverse_volts() / f
    return 0.5 * (dpv_fwhm(n_left, amplitude_V, t) + dpv_fwhm(n_right, amplitude_V, t))


@dataclass(frozen=True, slots=True)
class _Fit:
    centers: np.ndarray
    heights: np.ndarray
    n_left: np.ndarray
    n_right: np.ndarray
    lin: np.ndarray  # baseline correction c0 + c1·(E − Ē)
    cov: np.ndarray | None
    rss: float
    inflation: float = 1.0  # variance inflation for correlated residuals, (1 + ρ)/(1 − ρ)

    @property
    def ns(self) -> np.ndarray:
        """The apparent n of the symmetric peak of the same width."""
        return 2.0 / (1.0 / self.n_left + 1.0 / self.n_right)

    def subset(self, keep: list[int]) -> _Fit:
        k = self.centers.size
        cov = None
        if self.cov is not None:
            idx = [P * i + j for i in keep for j in range(P)] + [P * k, P * k + 1]
            cov = self.cov[np.ix_(idx, idx)]
        return _Fit(
            self.centers[keep],
            self.heights[keep],
            self.n_left[keep],
            self.n_right[keep],
            self.lin,
            cov,
            self.rss,
            self.inflation,
        )

    def params(self) -> np.ndarray:
        return np.r_[
            np.column_stack([self.centers, self.heights, self.n_left, self.n_right]).ravel(), self.lin
        ]


def _model(params: np.ndarray, e: np.ndarray, emid: float, k: int, amp: float, f: float) -> np.ndarray:
    out = params[P * k] + params[P * k + 1] * (e - emid)
    for i in range(k):
        c, h, nl, nr = params[P * i : P * i + P]
        out = out + dpv_shape_split(e, c, h, nl, nr, amp, f)
    return out


FIT_POINTS = 300


def _fit(e, r, centers, heights, n_left, n_right, amp, f, noise, n_bounds):
    k = len(centers)
    emid = float(np.mean(e))
    p0, lo, hi = [], [], []
    span = float(np.ptp(e))
    for c, h, nl, nr in zip(centers, heights, n_left, n_right, strict=True):
        p0 += [c, max(h, noise), float(np.clip(nl, *n_bounds)), float(np.clip(nr, *n_bounds))]
        lo += [c - 0.06, 0.0, n_bounds[0], n_bounds[0]]
        hi += [c + 0.06, max(10 * abs(h), 10 * noise) + 1e-30, n_bounds[1], n_bounds[1]]
    scale_i = max(float(np.max(np.abs(r))), noise, 1e-30)
    p0 += [0.0, 0.0]
    lo += [-np.inf, -np.inf]
    hi += [np.inf, np.inf]
    p0 = np.clip(np.array(p0), np.array(lo) + 1e-15, np.array(hi) - 1e-15)
    x_scale = np.array(([0.01, scale_i, 0.3, 0.3] * k) + [scale_i, scale_i / max(span, 1e-3)])

    # a densely sampled curve (e.g. digitised on a fine grid) is fitted on every stride-th point: peaks
    # are tens of mV wide, so ~FIT_POINTS points resolve them and the fit costs a fraction
    stride = max(1, math.ceil(e.size / FIT_POINTS))
    e_fit, r_fit = e[::stride], r[::stride]

    def resid(p):
        return _model(p, e_fit, emid, k, amp, f) - r_fit

    # a clean fit converges in ≲ 15 evaluations; a ragged curve must not run for minutes
    sol = least_squares(resid, p0, bounds=(lo, hi), x_scale=x_scale, method="trf", max_nfev=20 * (k + 1))
    res = _model(sol.x, e, emid, k, amp, f) - r
    rss = float(np.sum(res**2))
    # residuals that wander (1/f noise, mains, a baseline wiggle) pin the heights less than white
    # noise of the same size: AR(1) variance inflation from their lag-one autocorrelation
    den = float(res @ res)
    rho = float(res[1:] @ res[:-1]) / den if den > 0 and res.size > 2 else 0.0
    rho = min(max(rho, 0.0), 0.95)
    cov = None
    try:
        jtj = stride * (sol.jac.T @ sol.jac)
        cov = np.linalg.pinv(jtj) * max(noise**2, rss / max(e.size - len(p0), 1))
    except np.linalg.LinAlgError:
        cov = None
    p = sol.x
    return _Fit(
        p[0 : P * k : P],
        p[1 : P * k : P],
        p[2 : P * k : P],
        p[3 : P * k : P],
        p[P * k :],
        cov,
        rss,
        (1.0 + rho) / (1.0 - rho),
    )


def _candidates(e, r, noise, step, min_snr):
    """Initial peak positions: maxima, then shoulders from the second derivative."""
    cands: list[int] = []
    idx, _ = find_peaks(r, prominence=max(min_snr * noise * 0.5, 1e-300), height=min_snr * noise)
    cands.extend(int(i) for i in idx)
    w = int(0.03 / step) // 2 * 2 + 1
    if w >= 5 and r.size > w:
        d2 = savgol_filter(r, w, 3, deriv=2)
        c = np.abs(savgol_filter(np.eye(w)[w // 2], w, 3, deriv=2)).sum()  # rough noise gain
        thr = 4.0 * noise * max(c, 1e-12)
        jdx, _ = find_peaks(-d2, height=thr)
        min_gap = max(2, int(0.03 / step))
        for jd in jdx:
            jd = int(jd)
            if r[jd] < min_snr * noise:
                continue
            if all(abs(jd - c0) > min_gap for c0 in cands):
                cands.append(jd)
    return sorted(cands)


def find_pulse_peaks(
    prep: Preprocessed,
    *,
    amplitude_V: float | None = None,
    min_snr: float = 5.0,
    temperature_K: float = STANDARD_TEMPERATURE,
    unit: str = "A",
    max_peaks: int = 8,
    digitized: bool = False,
) -> list[FoundPeak]:
    """Peaks of a DPV or SWV curve (every sweep), each fitted with the reversible DPV shape.

    ``digitized``: the curve was read off a plot.  Its pixel-quantised trace shows almost no noise, so
    the fit takes up a misread or curved baseline with extra broad components that share the real
    peaks' current; a component that all but vanishes under the alternative (quadratic) baseline is
    then dropped and the rest refitted (:func:`_baseline_only`)."""
    out: list[FoundPeak] = []
    f = f_inverse_volts(temperature_K)
    amp = 0.0 if amplitude_V is None else float(amplitude_V)
    for j, ((a, b), s) in enumerate(zip(prep.sweeps.bounds, prep.sweeps.direction, strict=True)):
        if b - a < 8:
            continue
        e = prep.potential[a:b]
        u = s * prep.smoothed[a:b]
        raw = s * prep.current[a:b]
        step = prep.step_V if prep.step_V > 0 else float(np.ptp(e)) / max(b - a - 1, 1)
        noise = max(prep.noise, 1e-300)
        pts = max(8.0, 0.3 / step)
        base = als_baseline(u, stiffness=pts**4 / 16.0)
        r = u - base
        cands = _candidates(e, r, noise, step, min_snr)
        if not cands:
            continue
        # noise left after smoothing, including slow wiggles (1/f noise, mains pick-up)
        wide = int(0.05 / step) // 2 * 2 + 1
        if wide >= 7 and r.size > 2 * wide:
            res = r - savgol_filter(r, wide, 3)
            noise = max(noise, 1.4826 * float(np.median(np.abs(res - np.median(res)))))
        r_raw = raw - base
        fit = _fit_select(e, r_raw, cands, r, amp, f, noise, step, min_snr, max_peaks)
        if fit is None:
            continue
        # as the ground truth counts peaks: at least 2 % of the largest, inside the window
        big = float(np.max(fit.heights))
        keep = [
            int(i)
            for i in range(fit.centers.size)
            if fit.heights[i] >= max(0.02 * big, min_snr * noise)
            and e.min() + 0.6 * dpv_fwhm_split(fit.n_left[i], fit.n_right[i], amp, f)
            <= fit.centers[i]
            <= e.max() - 0.6 * dpv_fwhm_split(fit.n_left[i], fit.n_right[i], amp, f)
        ]
        if not keep:
            continue
        fit = _resolved_in_data(e, r, r_raw, fit.subset(keep), amp, f, noise)
        # alternative baseline: quadratic through the ends (peak-free regions) for the spread
        alt = _alternative_heights(e, raw, fit, amp, f, noise)
        if digitized:
            fit, alt = _baseline_only(e, raw, r_raw, fit, alt, amp, f, noise)
        fit, alt = _own_maxima(e, fit, alt, amp, f)
        for i in np.argsort(fit.centers):
            out.append(
                _peak(prep, j, s, a, e, fit, int(i), base, alt, amp, f, noise, unit, min_snr, temperature_K)
            )
    return out


DIP_SIGMAS = 3.0  # two peaks are told apart only where the data dip between them by this many σ


def _resolved_in_data(e, r_s, r_raw, fit: _Fit, amp, f, noise) -> _Fit:
    """The fit without a component whose neighbour the data do not tell apart from it: between the
    two centres ``r_s`` (the smoothed current less its baseline) must dip :data:`DIP_SIGMAS` ×
    ``noise`` (the raw curve's noise, larger than the smoothed one's: a cautious margin) below the lower
    of the two tops (each the largest value within a quarter of its width of its centre).  A broad
    quasi-reversible wave that two narrower reversible shapes fit better than one shows no such
    dip (only the fitted sum does): the smaller is dropped and the rest refitted, as one peak."""
    for _ in range(fit.centers.size - 1):
        width = [dpv_fwhm_split(nl, nr, amp, f) for nl, nr in zip(fit.n_left, fit.n_right, strict=True)]
        order = np.argsort(fit.centers)
        drop = None
        for i0, i1 in itertools.pairwise(order):
            c0, c1 = float(fit.centers[i0]), float(fit.centers[i1])
            between = r_s[(e > c0) & (e < c1)]
            tops = [r_s[np.abs(e - c) <= 0.25 * width[i]] for c, i in ((c0, i0), (c1, i1))]
            if any(t.size == 0 for t in tops):
                continue
            top = min(float(np.max(t)) for t in tops)
            if between.size == 0 or top - float(np.min(between)) < DIP_SIGMAS * noise:
                drop = int(i0 if fit.heights[i0] < fit.heights[i1] else i1)
                break
        if drop is None:
            break
        keep = np.ones(fit.centers.size, dtype=bool)
        keep[drop] = False
        fit = _refit(e, r_raw, fit, keep, amp, f, noise, N_BOUNDS)
    return fit


def _own_maxima(e: np.ndarray, fit: _Fit, alt: np.ndarray, amp: float, f: float) -> tuple[_Fit, np.ndarray]:
    """The components that have a maximum of their own in the sum of all (one they bend more than any
    other does); each of the others — a piece of one peak whose shape the
    fitted one does not quite match (a broad quasi-reversible wave taken up by several narrower
    components), or a shoulder: no peak anyone would see or report — is dropped; one no broader than
    the nearest kept one joins it, which is then reported at the maximum of their sum, with its
    height there (a broader one is a baseline curvature taken up, not part of the peak).  ``alt``:
    the components' heights under the alternative baseline, moved by what the kept ones gain."""
    if fit.centers.size <= 1:  # a lone component is its own maximum, or there is none
        return fit, alt
    grid = np.linspace(float(e.min()), float(e.max()), 4 * e.size)
    shapes = [
        dpv_shape_split(grid, c, h, nl, nr, amp, f)
        for c, h, nl, nr in zip(fit.centers, fit.heights, fit.n_left, fit.n_right, strict=True)
    ]
    total = np.sum(shapes, axis=0)
    tops, _ = find_peaks(total)
    # each maximum of the sum belongs to the component that bends it most there (a narrow peak on a
    # broad component that takes up the baseline's curvature makes the maximum, not the broad one)
    bend = [-np.gradient(np.gradient(sh)) for sh in shapes]
    own = sorted({int(np.argmax([b[t] for b in bend])) for t in tops})
    if not own or len(own) == fit.centers.size:
        return fit, alt
    centers, heights = fit.centers.copy(), fit.heights.copy()
    groups: dict[int, list[int]] = {i: [i] for i in own}
    width = [dpv_fwhm_split(nl, nr, amp, f) for nl, nr in zip(fit.n_left, fit.n_right, strict=True)]
    for d in range(fit.centers.size):
        if d not in groups:
            i = min(own, key=lambda k: abs(fit.centers[k] - fit.centers[d]))
            if width[d] <= width[i]:  # a broader one is baseline taken up, not part of the peak
                groups[i].append(d)
    for i, members in groups.items():
        if len(members) == 1:
            continue
        summed = np.sum([shapes[k] for k in members], axis=0)
        reach = 0.25 * width[i]
        span = fit.centers[members]
        near = np.flatnonzero((grid >= span.min() - reach) & (grid <= span.max() + reach))
        top = int(near[np.argmax(summed[near])])
        centers[i], heights[i] = grid[top], summed[top]
    alt = np.asarray(alt, dtype=float) + (heights - fit.heights)
    return replace(fit, centers=centers, heights=heights).subset(own), alt[own]


N_BOUNDS = (0.3, 4.0)  # the fitted peak shape's n on either side: from a broad wave to a thin layer
BASELINE_ONLY = 0.5  # a component whose height under the other baseline falls below this fraction


def _baseline_only(e, raw, r_raw, fit: _Fit, alt: np.ndarray, amp, f, noise) -> tuple[_Fit, np.ndarray]:
    """The fit without components that stand on the baseline's choice alone (their height under the
    quadratic baseline below :data:`BASELINE_ONLY` of the fitted one), refitted, with its new
    alternative heights; the fit as it is when none does or all would go."""
    for _ in range(fit.centers.size):
        ratio = np.asarray(alt, dtype=float) / np.maximum(fit.heights, 1e-300)
        if fit.centers.size < 2 or ratio.min() >= BASELINE_ONLY:
            break
        keep = np.ones(fit.centers.size, dtype=bool)
        keep[int(np.argmin(ratio))] = False
        fit = _refit(e, r_raw, fit, keep, amp, f, noise, N_BOUNDS)
        alt = _alternative_heights(e, raw, fit, amp, f, noise)
    return fit, alt


def _merge_close(fit: _Fit, amp: float, f: float) -> np.ndarray:
    """Components that converged onto one another (closer than half a width): keep the taller."""
    keep = np.ones(fit.centers.size, dtype=bool)
    order = np.argsort(fit.centers)
    for i0, i1 in itertools.pairwise(order):
        width = 0.5 * min(
            dpv_fwhm_split(fit.n_left[i0], fit.n_right[i0], amp, f),
            dpv_fwhm_split(fit.n_left[i1], fit.n_right[i1], amp, f),
        )
        if abs(fit.centers[i1] - fit.centers[i0]) < max(0.012, width):
            keep[i0 if fit.heights[i0] < fit.heights[i1] else i1] = False
    return keep


SHAPE_ERROR = 0.005  # how far a real peak may depart from the fitted shape, relative to its height


def _bic(fit: _Fit, m: int, floor: float) -> float:
    """Bayesian information criterion with a floor (A) on the residual per point: the shape model
    is not exact, so misfit below the floor never calls for another peak."""
    return m * math.log(max(fit.rss / m + floor**2, 1e-300)) + P * fit.centers.size * math.log(m)


def _fit_select(e, r_raw, cands, r_s, amp, f, noise, step, min_snr, max_peaks):
    """Least-squares peaks from the candidates; components that merge or lose significance are
    dropped, and one more is added where the residual still holds a significant bump that a
    separate peak explains far better (BIC) — a peak's own skew never calls for a second one."""
    if len(cands) > max_peaks:  # a ragged (e.g. digitised) curve: fit only the tallest candidates
        cands = sorted(sorted(cands, key=lambda c: -r_s[c])[:max_peaks])
    ones = [1.0] * len(cands)
    fit = _fit(
        e,
        r_raw,
        [float(e[c]) for c in cands],
        [float(r_s[c]) for c in cands],
        ones,
        ones,
        amp,
        f,
        noise,
        N_BOUNDS,
    )
    pruning = True
    for _ in range(3 + max_peaks):
        keep = (fit.heights >= min_snr * noise) & _merge_close(fit, amp, f)
        if not keep.any():
            return None
        if keep.all() and pruning:
            weak = _least_significant(fit, amp, f)
            if weak is not None:
                keep[weak] = False
                pruned = _refit(e, r_raw, fit, keep, amp, f, noise, N_BOUNDS)
                # dropped only when the fit without it is about as good (BIC, as for adding one)
                floor = SHAPE_ERROR * float(np.max(fit.heights))
                if _bic(pruned, e.size, floor) < _bic(fit, e.size, floor) + 10:
                    fit = pruned
                    continue
                pruning = False
                keep[weak] = True
        if not keep.all():
            fit = _refit(e, r_raw, fit, keep, amp, f, noise, N_BOUNDS)
            continue
        trial = _with_one_more(e, r_raw, fit, amp, f, noise, step, min_snr, max_peaks, N_BOUNDS)
        if trial is None:
            break
        fit = trial
    return fit


def _refit(e, r_raw, fit: _Fit, keep: np.ndarray, amp, f, noise, n_bounds) -> _Fit:
    """The fit again with only the ``keep`` components, started from their values."""
    sub = fit.subset(list(np.flatnonzero(keep)))
    return _fit(
        e,
        r_raw,
        list(sub.centers),
        list(sub.heights),
        list(sub.n_left),
        list(sub.n_right),
        amp,
        f,
        noise,
        n_bounds,
    )


MIN_Z = 3.0  # a component beside a taller one must stand this many standard errors above zero


def _least_significant(fit: _Fit, amp: float, f: float) -> int | None:
    """The least certain component beside a taller one, when its fitted height stands under
    ``MIN_Z`` of its standard errors (the fit's covariance, inflated for correlated residuals): noise, a baseline wiggle or a peak's
    own skew taken up by a broad extra component overlapping a real peak (within the wider of the
    two widths), which then shares that peak's current.  A component with no taller neighbour is
    judged by its signal-to-noise ratio alone."""
    k = fit.centers.size
    if fit.cov is None or k < 2:
        return None
    width = np.array([dpv_fwhm_split(fit.n_left[i], fit.n_right[i], amp, f) for i in range(k)])
    var = np.array([fit.cov[P * i + 1, P * i + 1] for i in range(k)])
    z = fit.heights / np.sqrt(np.maximum(var * fit.inflation, 1e-300))
    for i in range(k):
        beside = (fit.heights > fit.heights[i]) & (
            np.abs(fit.centers - fit.centers[i]) < np.maximum(width, width[i])
        )
        if not beside.any():
            z[i] = np.inf
    worst = int(np.argmin(z))
    return worst if z[worst] < MIN_Z else None


def _with_one_more(e, r_raw, fit, amp, f, noise, step, min_snr, max_peaks, n_bounds):
    """The fit with one more peak at the largest residual bump, when it is far from the others,
    significant, and lowers the BIC clearly; None otherwise."""
    if fit.centers.size >= max_peaks:
        return None
    resid = r_raw - _model(fit.params(), e, float(np.mean(e)), fit.centers.size, amp, f)
    w = int(0.02 / step) // 2 * 2 + 1
    sm = savgol_filter(resid, w, 2) if w >= 5 and resid.size > w else resid
    jm = int(np.argmax(sm))
    floor = SHAPE_ERROR * float(np.max(fit.heights))
    noise = max(noise, floor)
    chi = fit.rss / (noise**2 * max(e.size, 1))
    far = all(
        abs(e[jm] - c) > 0.75 * dpv_fwhm_split(nl, nr, amp, f)
        for c, nl, nr in zip(fit.centers, fit.n_left, fit.n_right, strict=True)
    )
    if not (far and sm[jm] > max(min_snr, 4.0) * noise / math.sqrt(max(w, 1)) * 2 and chi > 1.5):
        return None
    trial = _fit(
        e,
        r_raw,
        [*fit.centers, float(e[jm])],
        [*fit.heights, float(sm[jm])],
        [*fit.n_left, 1.0],
        [*fit.n_right, 1.0],
        amp,
        f,
        noise,
        n_bounds,
    )
    if (
        _bic(trial, e.size, floor) < _bic(fit, e.size, floor) - 10
        and np.all(trial.heights >= min_snr * noise)
        and _least_significant(trial, amp, f) is None
    ):
        return trial
    return None


def _alternative_heights(e, raw, fit, amp, f, noise):
    """Heights with a quadratic baseline fitted jointly instead of the ALS one."""
    emid = float(np.mean(e))
    k = fit.centers.size
    shapes = [
        dpv_shape_split(e, c, 1.0, nl, nr, amp, f)
        for c, nl, nr in zip(fit.centers, fit.n_left, fit.n_right, strict=True)
    ]
    x = e - emid
    vand = np.column_stack([*shapes, np.ones_like(e), x, x**2])
    coef, *_ = np.linalg.lstsq(vand, raw, rcond=None)
    return coef[:k]


def _peak(prep, j, s, a, e, fit, i, base, alt, amp, f, noise, unit, min_snr, temperature_K):
    c, h, n = float(fit.centers[i]), float(fit.heights[i]), float(fit.ns[i])
    sig_c = sig_h = sig_n = math.nan
    if fit.cov is not None:
        sig_c = float(math.sqrt(max(fit.cov[P * i, P * i], 0.0)))
        sig_h = float(math.sqrt(max(fit.cov[P * i + 1, P * i + 1], 0.0)))
        sig_n = 0.5 * float(
            math.sqrt(max(fit.cov[P * i + 2, P * i + 2] + fit.cov[P * i + 3, P * i + 3], 0.0))
        )
    step = prep.step_V
    sig_c = math.hypot(sig_c if np.isfinite(sig_c) else step / math.sqrt(12), 0.1 * step)
    spread = abs(float(alt[i]) - h)
    sig_h_tot = math.hypot(sig_h if np.isfinite(sig_h) else noise, spread)
    idx_local = int(np.argmin(np.abs(e - c)))
    emid = float(np.mean(e))
    lin = fit.lin[0] + fit.lin[1] * (c - emid)
    baseline_at = s * (float(base[idx_local]) + lin)
    fwhm = dpv_fwhm_split(fit.n_left[i], fit.n_right[i], amp, f)
    n_app = dpv_n_from_fwhm(fwhm, amp, temperature_K)
    snr = h / noise
    p_snr = snr**2 / (snr**2 + (2 * min_snr) ** 2)
    rel = sig_h_tot / h if h > 0 else 1.0
    conf = p_snr / (1.0 + (rel / 0.15) ** 2)
    lo = max(0, idx_local - int(1.5 * fwhm / max(step, 1e-6)))
    hi = min(e.size, idx_local + int(1.5 * fwhm / max(step, 1e-6)) + 1)
    base_curve = s * (base[lo:hi] + fit.lin[0] + fit.lin[1] * (e[lo:hi] - emid))
    # other peaks' overlap counts as a shoulder
    others = [abs(c - c2) for k2, c2 in enumerate(fit.centers) if k2 != i]
    shoulder = bool(others and min(others) < fwhm)
    return FoundPeak(
        direction="anodic" if s > 0 else "cathodic",
        cycle=int(prep.cycle[a + idx_local]),
        segment=j,
        potential=Quantity(c, "V", sig_c),
        height=Quantity(s * h, unit, sig_h_tot),
        baseline_at_peak=baseline_at,
        half_width=Quantity(fwhm, "V", fwhm * (sig_n / n if np.isfinite(sig_n) else 0.1)),
        charge=None,
        prominence=float(h),
        snr=float(snr),
        confidence=float(np.clip(conf * (0.85 if shoulder else 1.0), 0.0, 1.0)),
        shoulder=shoulder,
        index=int(a + idx_local),
        baseline_potential_V=np.array(e[lo:hi]),
        baseline_current=np.array(base_curve),
        n_electrons=Quantity(n_app, "", sig_n if np.isfinite(sig_n) else 0.3 * n_app),
    )
