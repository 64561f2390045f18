"""Detectors of what makes a voltammogram less trustworthy, each with a confidence and a severity.

Each detector is a small pure function ``detect_<kind>(voltammogram, analysis=None, *,
features=None) -> Anomaly | None``; :data:`DETECTORS` maps the anomaly kind to it and
:func:`detect_anomalies` runs them all.  ``analysis`` (the engine's :class:`CurveAnalysis`) is
used where it helps (peak heights, couples); every detector but ``background`` (which must know the
peaks' diffusion tails) also works without it.

Confidence is a logistic function of log(score/threshold): 0.5 exactly at the detector's
threshold, above 0.9 at about twice it.  Severity runs from 0 (cosmetic) to 1 (the numbers
cannot be trusted).  Kinds:

=====================  ==============================================================================
noise                  RMS noise above 2 % of the largest peak height
drift                  the current at the same potential moving between cycles (common to both sweep
                       directions), or a closed single cycle ending on the wrong side of its start
clipping               a flat run at the extreme current, far longer than any other run of equal values
spikes                 isolated single points far off the line through their neighbours
ir_distortion          ΔEp too large with a skewed peak: linear-ish rise, abrupt fall (E − iRu shear)
missing_return_peak    a forward peak with no partner on the reverse sweep although the scan went
                       far enough past it (a following chemical step, EC)
reference_drift        anodic and cathodic peaks shifting cycle to cycle by similar amounts, same heights
truncated              the window cuts through a wave: the current still rising at a vertex or end
fouling                peak currents decaying from cycle to cycle
quantisation           few distinct current levels: a step above 1 % of the peak height
background             a sloping or curved background: the current at the window's ends, less the
                       peaks' diffusion tails, differing by over 30 % of the peak height
=====================  ==============================================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from scipy.signal import find_peaks

from ..errors import ParameterError
from ..model import Technique, Voltammogram
from .preprocess import (
    Sweeps,
    assign_cycles,
    clipped_runs,
    estimate_noise,
    savgol_interp,
    smooth,
    split_sweeps,
)
from .result import Anomaly, CurveAnalysis, FoundPeak
from .series import cycle_stability, linear_fit

__all__ = [
    "DETECTORS",
    "THRESHOLDS",
    "TRACE_UNRELIABLE",
    "CurveFeatures",
    "Detector",
    "curve_features",
    "detect_anomalies",
    "detect_background",
    "detect_clipping",
    "detect_drift",
    "detect_fouling",
    "detect_ir_distortion",
    "detect_missing_return_peak",
    "detect_noise",
    "detect_quantisation",
    "detect_reference_drift",
    "detect_spikes",
    "detect_truncated",
    "logistic_confidence",
]

#: score at which each detector reports (confidence 0.5); the scores are documented per detector.
THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {
        "noise": 0.02,  # RMS noise / largest peak height
        "drift": 0.03,  # baseline current change / peak height (7 % along the natural creep)
        "clipping": 1.0,  # longest flat run at the extreme / max(4, 3 × longest run elsewhere)
        "spikes": 1.0,  # |jump| / max(8 σ, 3 % of peak height), for the largest isolated jump
        "ir_distortion": 1.0,  # 0.58 / skew with ΔEp > 80 mV, see detect_ir_distortion
        "missing_return_peak": 1.0,  # forward height / 20 σ, with no counter-peak
        "reference_drift": 0.005,  # V per cycle: common shift of anodic and cathodic peaks
        "truncated": 1.0,  # rise over the last points / max(8 σ, 5 % of peak height)
        "fouling": 0.10,  # fraction of the peak current lost from the first to the last cycle
        "quantisation": 0.01,  # current step / peak height
        "background": 0.3,  # background change across the window / peak height
    }
)
IR_SKEW = 0.58  # peak skew below which the shape is that of an iR-sheared peak
_WIDTH = 0.3  # logistic width in log(score/threshold): ×2 the threshold → confidence 0.91


def logistic_confidence(score: float, threshold: float, *, width: float = _WIDTH) -> float:
    """0.5 at ``score == threshold``, towards 1 above and 0 below, in log(score/threshold)."""
    if not (score > 0 and math.isfinite(score)):
        return 1.0 if score == math.inf else 0.0
    z = math.log(score / threshold) / width
    return float(1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0))))


# ----------------------------------------------------------------------------------------------
# shared features


@dataclass(frozen=True, slots=True)
class CurveFeatures:
    """What several detectors need, computed once: sweeps, cycles, smoothed current, noise and
    the scale of the signal (largest peak height)."""

    potential: np.ndarray
    current: np.ndarray
    smoothed: np.ndarray
    sweeps: Sweeps
    cycle: np.ndarray
    noise: float
    scale: float
    step_V: float
    technique: Technique
    quantum: float  # current step of a quantised signal, 0 when not quantised
    cache: dict = field(default_factory=dict, compare=False, repr=False)  # shared intermediate results

    def sweep(self, k: int) -> slice:
        a, b = self.sweeps.bounds[k]
        return slice(a, b)

    def sweep_cycle(self, k: int) -> int:
        return int(self.cycle[self.sweeps.bounds[k][0]])


def _chord_height(e: np.ndarray, y: np.ndarray, direction: int) -> float:
    """Largest departure of y above (direction +1) or below (−1) the chord between its ends."""
    if y.size < 3:
        return 0.0
    chord = y[0] + (y[-1] - y[0]) * (e - e[0]) / (e[-1] - e[0]) if e[-1] != e[0] else np.full(y.size, y[0])
    return float(np.max(direction * (y - chord)))


def _quantum(current: np.ndarray) -> float:
    """The step of a current recorded on a grid of levels (0 when it is not)."""
    levels = np.unique(current)
    if levels.size < 3 or levels.size > 0.5 * current.size:
        return 0.0
    span = float(levels[-1] - levels[0])
    gaps = np.diff(levels)
    gaps = gaps[gaps > 1e-9 * span]
    if gaps.size == 0:
        return 0.0
    q = float(gaps.min())
    k = (levels - levels[0]) / q
    on_grid = np.abs(k - np.round(k)) < 0.05
    return q if on_grid.mean() > 0.95 else 0.0


def curve_features(voltammogram: Voltammogram, analysis: CurveAnalysis | None = None) -> CurveFeatures:
    """Sweeps, cycles, noise, a lightly smoothed current and the signal scale of a curve."""
    v = voltammogram
    e, y = v.potential, v.current
    sweeps = split_sweeps(e)
    if v.cycle is not None:
        cycle = np.asarray(v.cycle, dtype=np.int64)
    elif v.technique in (Technique.CV,):
        cycle = assign_cycles(e, sweeps)
    else:
        cycle = np.ones(e.size, dtype=np.int64)
    steps = np.abs(np.diff(e))
    step = float(np.median(steps[steps > 0])) if np.any(steps > 0) else 0.0
    noise = estimate_noise(y, segment=sweeps.segment)
    window = 1
    if step > 0:
        window = max(5, round(0.008 / step) | 1)
    smoothed = smooth(y, window=window, sweeps=sweeps) if window >= 5 else np.array(y, dtype=float)
    scale = 0.0
    if analysis is not None and analysis.peaks:
        heights = [abs(p.height.value) for p in analysis.peaks if math.isfinite(p.height.value)]
        scale = max(heights, default=0.0)
    if scale <= 0:
        for k, (a, b) in enumerate(sweeps.bounds):
            d = sweeps.direction[k]
            scale = max(
                scale, _chord_height(e[a:b], smoothed[a:b], d), _chord_height(e[a:b], smoothed[a:b], -d)
            )
    # a wave cut by the window has no peak to measure: the current range is the floor
    scale = max(scale, 0.3 * float(np.ptp(smoothed)))
    if scale <= 0:
        scale = float(np.ptp(y)) or 1.0
    return CurveFeatures(
        potential=e,
        current=y,
        smoothed=smoothed,
        sweeps=sweeps,
        cycle=cycle,
        noise=noise,
        scale=scale,
        step_V=step,
        technique=v.technique,
        quantum=_quantum(y),
    )


def _features(
    v: Voltammogram, analysis: CurveAnalysis | None, features: CurveFeatures | None
) -> CurveFeatures:
    return features if features is not None else curve_features(v, analysis)


def _anomaly(kind: str, score: float, detail: str, *, severity: float, cycle: int | None = None, **evidence):
    conf = logistic_confidence(score, THRESHOLDS[kind])
    return Anomaly(
        kind=kind,
        confidence=conf,
        detail=detail,
        severity=float(np.clip(severity, 0.0, 1.0)),
        evidence={"score": float(score), "threshold": THRESHOLDS[kind], **evidence},
        cycle=cycle,
    )


def _pct(x: float) -> str:
    return f"{100 * x:.2g}%"


# ----------------------------------------------------------------------------------------------
# single-curve signal defects


def detect_noise(
    voltammogram: Voltammogram,
    analysis: CurveAnalysis | None = None,
    *,
    features: CurveFeatures | None = None,
) -> Anomaly | None:
    """Score: robust RMS noise (MAD of second/third differences) over the largest peak height.
    A quantised signal whose noise is no more than its step explains is left to ``quantisation``;
    a curve without any signal above three times its noise (a blank) is not judged."""
    f = _features(voltammogram, analysis, features)
    if f.noise <= 0 or f.scale < 3.0 * f.noise:  # no signal to compare with (a blank)
        return None
    if f.quantum > 0 and f.noise <= 0.6 * f.quantum:
        return None
    ratio = f.noise / f.scale
    return _anomaly(
        "noise",
        ratio,
        f"RMS noise {_pct(ratio)} of the largest peak height (criterion: above {_pct(THRESHOLDS['noise'])})",
        severity=ratio / 0.2,
        noise=f.noise,
        scale=f.scale,
    )


def _isolated_jumps(f: CurveFeatures) -> tuple[np.ndarray, np.ndarray]:
    """Indices and signed sizes of isolated single-point jumps within sweeps."""
    y = f.current
    idx: list[int] = []
    size: list[float] = []
    for a, b in f.sweeps.bounds:
        if b - a < 5:
            continue
        seg = y[a:b]
        d = seg[1:-1] - 0.5 * (seg[:-2] + seg[2:])
        mag = np.abs(d)
        for j in np.flatnonzero(mag[2:-2] > 0) + 2:  # not next to a turning point (charging transient)
            left = mag[j - 1] if j > 0 else 0.0
            right = mag[j + 1] if j + 1 < mag.size else 0.0
            if mag[j] >= max(left, right) and max(left, right) <= 0.75 * mag[j]:
                idx.append(a + 1 + j)
                size.append(float(d[j]))
    return np.asarray(idx, dtype=np.int64), np.asarray(size)


def detect_spikes(
    voltammogram: Voltammogram,
    analysis: CurveAnalysis | None = None,
    *,
    features: CurveFeatures | None = None,
) -> Anomaly | None:
    """Isolated single points: the departure d = yₖ − (yₖ₋₁ + yₖ₊₁)/2 is a local maximum, its
    neighbours' departures are at most ¾ of it, and |d| exceeds max(8·σ_d, 3 % of the peak height)
    (σ_d = √1.5·σ for white noise).  The three points at either end of a sweep are not judged (the
    charging current turns there).  Score: largest |d| over that limit."""
    f = _features(voltammogram, analysis, features)
    idx, size = _isolated_jumps(f)
    if idx.size == 0:
        return None
    limit = max(8.0 * math.sqrt(1.5) * f.noise, 0.03 * f.scale, 2.0 * f.quantum)
    big = np.abs(size) > limit
    if not np.any(big):
        return None
    worst = float(np.max(np.abs(size)))
    points = idx[big]
    return _anomaly(
        "spikes",
        worst / limit,
        f"{points.size} isolated spike(s), the largest {_pct(worst / f.scale)} of the peak height, at "
        + ", ".join(f"{f.potential[i]:.3f} V" for i in points[:5])
        + (" …" if points.size > 5 else ""),
        severity=worst / f.scale,
        indices=points.tolist(),
    )


def detect_clipping(
    voltammogram: Voltammogram,
    analysis: CurveAnalysis | None = None,
    *,
    features: CurveFeatures | None = None,
) -> Anomaly | None:
    """A flat run at the maximum or minimum current, far from the median level, that is longer
    than max(4, 3 × the longest run of equal values away from both extremes) (the runs of
    :func:`~voltlens.analyze.preprocess.clipped_runs`).  On a trace read off a figure
    (``metadata['digitized']``), where equal values mean only level within a pixel, the flanks must
    also run into the run at an angle (:func:`_flank_rise` at least :data:`CLIP_FLANK_RISE` of the
    span): a rounded peak top drawn level is no cut.  Score: that ratio; also reports how many
    points sit at the extreme value.  Decided once per :class:`CurveFeatures` (:func:`detect_background`
    asks again)."""
    f = _features(voltammogram, analysis, features)
    if "clipping" not in f.cache:
        f.cache["clipping"] = _clipping(f, traced=bool(voltammogram.metadata.get("digitized")))
    return f.cache["clipping"]


def _clipping(f: CurveFeatures, *, traced: bool) -> Anomaly | None:
    y = f.current
    span = float(np.ptp(y))
    if span <= 0:
        return None
    runs = clipped_runs(y)
    starts = np.r_[0, np.cumsum(runs.lengths)[:-1]]
    best = None
    for sign, extreme, at in ((1, y.max(), runs.at_max), (-1, y.min(), runs.at_min)):
        if abs(extreme - np.median(y)) < 0.3 * span:
            continue
        k = int(np.flatnonzero(at)[np.argmax(runs.lengths[at])])
        run = int(runs.lengths[k])
        if traced and _flank_rise(y, int(starts[k]), int(starts[k]) + run, sign) < CLIP_FLANK_RISE * span:
            continue  # a rounded top drawn flat within a pixel, not a cut
        score = run / runs.need
        n_at = int(np.sum(runs.lengths[at]))
        if best is None or score > best[0]:
            best = (score, sign, float(extreme), run, n_at)
    if best is None:
        return None
    score, sign, extreme, run, n_at = best
    side = "maximum" if sign > 0 else "minimum"
    return _anomaly(
        "clipping",
        score,
        f"{n_at} points flat at the {side} current {extreme:.4g} (longest run {run}): the instrument's "
        "current range was probably exceeded",
        severity=min(1.0, n_at / max(10.0, 0.02 * y.size)),
        level=extreme,
        run=run,
    )


CLIP_FLANK_RISE = 0.1  # least rise of the flanks, extended over a flat extreme run, as a share of the span


def _flank_rise(y: np.ndarray, a: int, b: int, sign: int) -> float:
    """How far above (``sign`` = 1; below for −1) the flat run ``y[a:b]`` the curve's flanks reach when
    extended to the run's middle: the larger over the two sides of a straight line fitted to as many
    points beyond the run as it is long (at least 3); ``inf`` when neither side has 3 points.

    A current range exceeded cuts a wave while it is still rising: the flanks run into the flat top
    at an angle, and extended they pass well above it.  A peak top read off a figure is flat only
    within a pixel, and the curve rounds over into it: a parabolic top flattened to a depth c of the
    span gives flanks that, fitted this way, reach only ≈ 4.7 c above the run (c is a pixel, well
    under 1 % of a plotted span), while the shallowest cut that matters removes several per cent."""
    n = max(b - a, 3)
    middle = 0.5 * (a + b - 1)
    rise = -math.inf
    for lo, hi in ((max(0, a - n), a), (b, min(y.size, b + n))):
        if hi - lo < 3:
            continue
        x = np.arange(lo, hi, dtype=float)
        _slope, icpt = np.polyfit(x - middle, y[lo:hi], 1)
        rise = max(rise, sign * (icpt - float(y[a])))
    return math.inf if rise == -math.inf else rise


def detect_quantisation(
    voltammogram: Voltammogram,
    analysis: CurveAnalysis | None = None,
    *,
    features: CurveFeatures | None = None,
) -> Anomaly | None:
    """The currents lie on a grid of levels (under half as many distinct values as points, ≥ 95 %
    on the grid) whose step exceeds 1 % of the largest peak height.  Score: step / peak height."""
    f = _features(voltammogram, analysis, features)
    if f.quantum <= 0:
        return None
    ratio = f.quantum / f.scale
    n_levels = int(np.unique(f.current).size)
    return _anomaly(
        "quantisation",
        ratio,
        f"only {n_levels} distinct current levels; the step is {_pct(ratio)} of the largest peak height",
        severity=ratio / 0.1,
        step=f.quantum,
        levels=n_levels,
    )


# ----------------------------------------------------------------------------------------------
# peak shape: forward peak of the first sweep


@dataclass(frozen=True, slots=True)
class _ForwardPeak:
    sweep: int
    index: int  # index of the peak point in the curve
    direction: int  # +1 anodic-going sweep
    potential: float
    height: float  # baseline-corrected, positive in the faradaic direction
    half_rise_V: float  # Ep − E(half height) on the rising side, positive
    fall_V: float  # E(85 % on the falling side) − Ep, positive, NaN when not reached
    beyond_V: float  # how far the sweep goes past the peak
    sigma: float  # noise left in the smoothed current


def _crossing(e: np.ndarray, y: np.ndarray, level: float, j0: int, step: int) -> float:
    """Potential where y first drops below ``level`` walking from index j0 by ``step`` (±1),
    linearly interpolated; NaN when it never does."""
    j = j0
    while 0 <= j + step < y.size:
        if y[j + step] < level:
            t = (y[j] - level) / (y[j] - y[j + step])
            return float(e[j] + t * (e[j + step] - e[j]))
        j += step
    return math.nan


def _shape_smoothed(f: CurveFeatures, a: int, b: int) -> tuple[np.ndarray, float]:
    """The current of one sweep smoothed for shape measurements — a cubic Savitzky–Golay window
    that grows with the noise-to-signal ratio up to 30 mV, well under any peak's width — and the
    noise left in it (the filter passes ≈ 2.25/w of the white-noise variance)."""
    key = ("shape", a, b)
    if key not in f.cache:
        f.cache[key] = _shape_smooth(f, a, b)
    return f.cache[key]


def _shape_smooth(f: CurveFeatures, a: int, b: int) -> tuple[np.ndarray, float]:
    y = np.array(f.current[a:b], dtype=float)
    if f.step_V <= 0:
        return y, f.noise
    rel = f.noise / f.scale if f.scale > 0 else 0.0
    width_V = float(np.clip(0.008 + 0.022 * (math.log10(max(rel, 1e-4)) + 3) / 1.5, 0.008, 0.03))
    w = max(5, round(width_V / f.step_V) | 1)
    w = min(w, (b - a) if (b - a) % 2 else (b - a) - 1)
    if w < 5:
        return y, f.noise
    return savgol_interp(y, w, 3), f.noise * math.sqrt(min(1.0, 2.25 / w))


def _forward_peak(f: CurveFeatures, sweep: int = 0) -> _ForwardPeak | None:
    """The largest peak of a sweep in its faradaic direction, with its shape (baseline: a line
    through the first tenth of the sweep)."""
    a, b = f.sweeps.bounds[sweep]
    d = f.sweeps.direction[sweep]
    e = f.potential[a:b]
    ys, sigma = _shape_smoothed(f, a, b)
    y = d * ys
    m = e.size
    if m < 15:
        return None
    head = max(5, m // 10)
    fit = np.polyfit(e[:head], y[:head], 1) if np.ptp(e[:head]) > 0 else np.array([0.0, y[0]])
    yc = y - np.polyval(fit, e)
    p = int(np.argmax(yc))
    h = float(yc[p])
    if p < 3 or p > m - 2 or h <= max(5 * sigma, 0.05 * f.scale):
        return None
    ep = float(e[p])
    near = np.flatnonzero(yc > 0.95 * h)
    near = near[(near >= p - 50) & (near <= p + 50)]
    if near.size >= 3 and np.ptp(e[near]) > 0:
        c2, c1, c0 = np.polyfit(e[near] - e[p], yc[near], 2)
        if c2 < 0:
            ep = float(e[p] - c1 / (2 * c2))
            h = float(c0 - c1 * c1 / (4 * c2))
    rise = _crossing(e, yc, 0.5 * h, p, -1)
    fall = _crossing(e, yc, 0.85 * h, p, +1)
    if not math.isfinite(rise):
        return None
    return _ForwardPeak(
        sweep,
        a + p,
        d,
        ep,
        h,
        abs(ep - rise),
        abs(fall - ep) if math.isfinite(fall) else math.nan,
        float(abs(e[-1] - ep)),
        sigma,
    )


def _reverse_extreme(
    f: CurveFeatures, peak: _ForwardPeak, window_V: float = 0.5
) -> tuple[float, float] | None:
    """Potential and prominence of the strongest counter-peak on the sweep after ``peak``'s sweep,
    searched from ``window_V`` before the forward peak to a little past it."""
    k = peak.sweep + 1
    if k >= f.sweeps.count:
        return None
    a, b = f.sweeps.bounds[k]
    d = peak.direction
    ys, sigma = _shape_smoothed(f, a, b)
    e, y = f.potential[a:b], -d * ys
    lo, hi = sorted((peak.potential - d * window_V, peak.potential + d * 0.05))
    inside = (e >= lo) & (e <= hi)
    if inside.sum() < 5:
        return None
    idx, props = find_peaks(y, prominence=max(3 * sigma, 1e-300))
    ok = inside[idx] if idx.size else np.zeros(0, dtype=bool)
    if not np.any(ok):
        return math.nan, 0.0
    j = int(np.argmax(np.where(ok, props["prominences"], -np.inf)))
    return float(e[idx[j]]), float(props["prominences"][j])


def detect_ir_distortion(
    voltammogram: Voltammogram,
    analysis: CurveAnalysis | None = None,
    *,
    features: CurveFeatures | None = None,
) -> Anomaly | None:
    """Uncompensated resistance shears the curve (the electrode sees E − i·Ru): the forward peak
    rises slowly and almost linearly, then falls abruptly, and ΔEp widens.  Skew = (E at 85 % on
    the falling side − Ep) / (Ep − E at half height on the rising side): 0.6–0.8 for reversible
    and slow-kinetics peaks alike, below 0.55 once the iR drop at the peak reaches ≈ 40 mV.
    Score 0.58/skew, reported only with ΔEp > 80 mV (CV) or a rise wider than 70 mV (LSV)."""
    f = _features(voltammogram, analysis, features)
    if f.technique not in (Technique.CV, Technique.LSV):
        return None
    peak = _forward_peak(f)
    if peak is None or not math.isfinite(peak.fall_V) or peak.half_rise_V <= 0:
        return None
    skew = peak.fall_V / peak.half_rise_V
    if skew <= 0:
        skew = 0.5 * f.step_V / peak.half_rise_V
    delta_ep = _delta_ep(f, peak, analysis)
    if delta_ep is not None:
        if delta_ep <= 0.080:
            return None
        what = f"ΔEp = {1000 * delta_ep:.0f} mV"
    else:
        if peak.half_rise_V <= 0.070:
            return None
        what = f"|Ep − Ep/2| = {1000 * peak.half_rise_V:.0f} mV"
    score = IR_SKEW / skew
    return _anomaly(
        "ir_distortion",
        score,
        f"{what} with a skewed forward peak (falls to 85% within {1000 * peak.fall_V:.0f} mV after rising "
        f"over {1000 * peak.half_rise_V:.0f} mV from half height; skew {skew:.2f} < {IR_SKEW}): uncompensated "
        "resistance likely",
        severity=min(1.0, (delta_ep or peak.half_rise_V) / 0.3),
        skew=skew,
        delta_ep=delta_ep,
    )


def _delta_ep(f: CurveFeatures, peak: _ForwardPeak, analysis: CurveAnalysis | None) -> float | None:
    """ΔEp of the couple the forward peak belongs to (from the engine if it paired it)."""
    if analysis is not None and analysis.couples:
        best = min(
            analysis.couples,
            key=lambda c: abs(
                analysis.peaks[c.anodic if peak.direction > 0 else c.cathodic].potential.value
                - peak.potential
            ),
        )
        p = analysis.peaks[best.anodic if peak.direction > 0 else best.cathodic]
        if abs(p.potential.value - peak.potential) < 0.02:
            return best.delta_ep.value
    rev = _reverse_extreme(f, peak)
    if rev is None or not math.isfinite(rev[0]) or rev[1] < 0.1 * peak.height:
        return None
    return abs(peak.potential - rev[0])


def _return_sweep_still_rising(f: CurveFeatures, peak: _ForwardPeak) -> bool:
    """Whether the sweep after the forward peak's ends with its current still growing in the
    reverse (faradaic) direction: a return peak lying beyond the window, not a missing one."""
    k = peak.sweep + 1
    a, b = f.sweeps.bounds[k]
    ys, sigma = _shape_smoothed(f, a, b)
    y = -peak.direction * ys
    w = max(3, int(0.08 * (b - a)))
    return bool(y[-1] >= np.max(y[w:]) - 2 * sigma and y[-1] - y[-w] > max(5 * sigma, 0.02 * peak.height))


def detect_missing_return_peak(
    voltammogram: Voltammogram,
    analysis: CurveAnalysis | None = None,
    *,
    features: CurveFeatures | None = None,
) -> Anomaly | None:
    """A CV whose first sweep shows a peak and goes at least 90 mV past it, but whose reverse sweep
    has no counter-peak (no local extremum more prominent than max(5σ, 3 % of the forward height))
    from 0.6 V before the forward peak to 50 mV past it — unless the reverse current is still
    growing at the end of the return sweep (a slow return peak beyond the window).  Score: forward
    height / (20 σ) (σ: noise of the smoothed current).  A return peak under half the forward one (the engine's current
    ratio) is reported with a lower confidence: part of the product is lost (EC)."""
    f = _features(voltammogram, analysis, features)
    if f.technique is not Technique.CV or f.sweeps.count < 2:
        return None
    peak = _forward_peak(f)
    if peak is None or peak.beyond_V < 0.09:
        return None
    rev = _reverse_extreme(f, peak, window_V=0.6)
    if rev is None:
        return None
    direction = "anodic" if peak.direction > 0 else "cathodic"
    limit = max(5.0 * peak.sigma, 0.03 * peak.height)
    if rev[1] <= limit and not _return_sweep_still_rising(f, peak):
        score = peak.height / (20.0 * peak.sigma) if peak.sigma > 0 else math.inf
        return _anomaly(
            "missing_return_peak",
            score,
            f"forward {direction} peak at {peak.potential:.3f} V has no return peak although the scan goes "
            f"{1000 * peak.beyond_V:.0f} mV past it: a following chemical step (EC)",
            severity=0.5,
            potential=peak.potential,
        )
    ratio = _return_ratio(peak, analysis)
    if ratio is not None and ratio < 0.5 and rev[1] < 0.6 * peak.height:
        return _anomaly(
            "missing_return_peak",
            1.0 + 0.4 * (0.5 - ratio),
            f"return peak only {ratio:.2f} of the forward {direction} peak at {peak.potential:.3f} V: "
            "part of the product is lost (a following chemical step, EC)",
            severity=0.3,
            potential=peak.potential,
            ratio=ratio,
        )
    return None


def _return_ratio(peak: _ForwardPeak, analysis: CurveAnalysis | None) -> float | None:
    """Reverse/forward peak-current ratio of the engine's couple containing the forward peak."""
    if analysis is None:
        return None
    for c in analysis.couples:
        fwd = analysis.peaks[c.anodic if peak.direction > 0 else c.cathodic]
        if abs(fwd.potential.value - peak.potential) < 0.02 and c.current_ratio.value > 0:
            r = c.current_ratio.value
            return 1.0 / r if peak.direction > 0 else r
    return None


def detect_truncated(
    voltammogram: Voltammogram,
    analysis: CurveAnalysis | None = None,
    *,
    features: CurveFeatures | None = None,
) -> Anomaly | None:
    """The window cuts through a wave: at the end of a sweep (a CV vertex or the end of an LSV; both
    ends of a DPV/SWV scan) the current is at the sweep's extreme in the faradaic direction and was
    still rising over the last 8 % of the sweep.  Score: that rise / max(8σ, 5 % of the peak height)."""
    f = _features(voltammogram, analysis, features)
    best: tuple[float, float, str] | None = None
    peak_shaped = f.technique in (Technique.DPV, Technique.SWV)
    for k, (a, b) in enumerate(f.sweeps.bounds):
        m = b - a
        if m < 20:
            continue
        e, y = f.potential[a:b], f.smoothed[a:b]
        d = f.sweeps.direction[k]
        if peak_shaped:
            d = 1 if np.max(y) - np.median(y) >= np.median(y) - np.min(y) else -1
            ends = (("start", 0), ("end", m - 1))
        else:
            ends = (("vertex" if k + 1 < f.sweeps.count else "end", m - 1),)
        w = max(3, int(0.08 * m))
        for name, j in ends:
            dy = d * y
            if dy[j] < np.max(dy) - max(2 * f.noise, 1e-3 * f.scale):
                continue
            inner = j - w if j > 0 else j + w
            rise = float(dy[j] - dy[inner])
            limit = max(8.0 * f.noise, 0.05 * f.scale, 2.0 * f.quantum)
            score = rise / limit
            if best is None or score > best[0]:
                best = (score, float(e[j]), name)
    if best is None or best[0] <= 0:
        return None
    score, potential, name = best
    return _anomaly(
        "truncated",
        score,
        f"the current is still rising at the {name} of the scan ({potential:.3f} V): the window cuts through a wave",
        severity=0.6,
        potential=potential,
    )


_END_BAND = 0.01  # the ends of the window: the outer 1 % of its span
_PEAK_CONFIDENCE = 0.5  # the peaks whose tails are counted
_COMPLETE = 0.06  # a forward peak this far (V) from the window's end has been passed, not cut
_TAIL_X0 = 0.8  # tail width over the half-peak width: i/ip = 1/sqrt(1 + x/x0) (x0 ≈ 45 mV at n = 1)


def _tail(peak: FoundPeak, distance: float) -> float:
    """|current| a diffusion peak still carries ``distance`` (V) past it in its sweep direction:
    the reversible wave's decay, i/ip ≈ 1/√(1 + x/x₀) with x₀ = 0.8·|Ep − Ep/2| (45 mV for a
    Nernstian one-electron wave; within 0.02·ip of the simulated wave from 150 to 500 mV past the
    peak, below it nearer, where a window seldom ends).
    Adsorbed (surface) and DPV peaks return to their baseline: no tail."""
    if peak.surface or distance <= 0:
        return 0.0
    hpw = peak.half_peak_width.value if peak.half_peak_width is not None else math.nan
    x0 = _TAIL_X0 * hpw if math.isfinite(hpw) and hpw > 0 else 0.045
    x0 = min(max(x0, 0.02), 0.2)
    return abs(float(peak.height.value)) / math.sqrt(1.0 + distance / x0)


def _end_means(f: CurveFeatures, sel: np.ndarray) -> tuple[dict[int, float], dict[int, float]] | None:
    """Mean current of each sweep direction (+1 positive-going, −1 negative-going) at the low and
    at the high end of the window, over the points ``sel``."""
    e = f.potential[sel]
    lo, hi = float(np.min(e)), float(np.max(e))
    if hi <= lo:
        return None
    band = _END_BAND * (hi - lo)
    direction = np.asarray(f.sweeps.direction)[f.sweeps.segment[sel]]
    y = f.smoothed[sel]
    ends = []
    for near in (e <= lo + band, e >= hi - band):
        means = {
            d: float(np.mean(y[near & (direction == d)]))
            for d in (1, -1)
            if np.count_nonzero(near & (direction == d)) >= 2
        }
        if not means:
            return None
        ends.append(means)
    return ends[0], ends[1]


def detect_background(
    voltammogram: Voltammogram,
    analysis: CurveAnalysis | None = None,
    *,
    features: CurveFeatures | None = None,
) -> Anomaly | None:
    """A sloping or curved background (a resistive leak, a solvent or electrolyte onset) under the
    faradaic signal: the background current changes across the window by much more than the peaks
    explain.  First cycle.  At the vertex (the far end of the first sweep; on a traced curve, whose
    point order is the tracer's, the end where the two sweeps meet with only the charging step
    between them) both sweeps carry the background plus the diffusion tails of the
    forward peaks (:func:`_tail`, from each peak's height and width), and their mean has no charging
    current; at the start end the forward sweep carries the background plus the charging current
    (half the step at the vertex) and nothing faradaic yet.  A single sweep (LSV, DPV) is read the
    same way from its start to its end.  Score: the change of the background from start to vertex
    over the largest peak height (the simulator's severity, whose background is zero at the start).
    It needs the engine's peaks (``analysis``): without them the tails cannot be told from a
    background, and nothing is reported."""
    if analysis is None:
        return None
    f = _features(voltammogram, analysis, features)
    if f.potential.size < 20:  # (curve_features keeps the scale positive)
        return None
    first = int(np.min(f.cycle))
    sel = np.flatnonzero(f.cycle == first)
    ends = _end_means(f, sel)
    if ends is None:
        return None
    e = f.potential[sel]
    e_lo, e_hi = float(np.min(e)), float(np.max(e))
    gaps = [abs(m[1] - m[-1]) if len(m) == 2 else math.inf for m in ends]
    if voltammogram.metadata.get("digitized") and math.isfinite(min(gaps)):
        # a trace's point order is the tracer's: the sweeps meet at the vertex, a charging step apart
        high_vertex = gaps[1] <= gaps[0]
    else:  # the first sweep runs from the start to the vertex
        a, b = f.sweeps.bounds[int(f.sweeps.segment[sel[0]])]
        high_vertex = f.potential[b - 1] >= f.potential[a]
    d = 1 if high_vertex else -1
    start, vertex = (ends[0], ends[1]) if high_vertex else (ends[1], ends[0])
    forward = "anodic" if d > 0 else "cathodic"
    far = e_hi if high_vertex else e_lo
    peaks = [
        p
        for p in analysis.peaks
        if p.cycle == first and math.isfinite(p.height.value) and p.confidence >= _PEAK_CONFIDENCE
    ]
    tail = 0.0
    if f.technique not in (Technique.DPV, Technique.SWV):
        if not any(p.direction == forward and abs(far - p.potential.value) >= _COMPLETE for p in peaks):
            return None  # no complete forward peak: the window may cut through the wave
        clipped = detect_clipping(voltammogram, analysis, features=f)
        if clipped is not None and clipped.confidence >= 0.5:
            return None  # the peak heights are cut: their tails cannot be sized
        tail = d * sum(_tail(p, abs(far - p.potential.value)) for p in peaks if p.direction == forward)
    charging = 0.5 * (vertex[d] - vertex[-d]) if len(vertex) == 2 else 0.0
    bg_vertex = float(np.mean(list(vertex.values()))) - tail
    bg_start = start.get(d, float(np.mean(list(start.values())))) - charging
    change = bg_vertex - bg_start
    ratio = abs(change) / f.scale
    if ratio <= 0:
        return None
    side = "rising" if change > 0 else "falling"
    return _anomaly(
        "background",
        ratio,
        f"the background current changes by {_pct(ratio)} of the largest peak height from the start to "
        f"the vertex ({side}; criterion: above {_pct(THRESHOLDS['background'])})",
        severity=ratio,
        change=change,
        scale=f.scale,
    )


# ----------------------------------------------------------------------------------------------
# cycle-to-cycle changes


def _cycle_sweeps(f: CurveFeatures) -> dict[int, dict[int, slice]]:
    """cycle → {sweep direction → slice of the longest sweep of that direction in that cycle}."""
    out: dict[int, dict[int, slice]] = {}
    for k, (a, b) in enumerate(f.sweeps.bounds):
        c = f.sweep_cycle(k)
        d = f.sweeps.direction[k]
        cur = out.setdefault(c, {}).get(d)
        if cur is None or (cur.stop - cur.start) < b - a:
            out[c][d] = slice(a, b)
    return out


def _usable_cycles(f: CurveFeatures) -> list[int]:
    """Complete cycles: both sweep directions present, at least 90 % as long as the longest."""
    sweeps = _cycle_sweeps(f)
    full = [c for c, s in sorted(sweeps.items()) if len(s) == 2]
    if not full:
        return []
    lengths = {c: sum(s.stop - s.start for s in sweeps[c].values()) for c in full}
    longest = max(lengths.values())
    return [c for c in full if lengths[c] >= 0.9 * longest]


def _end_currents(f: CurveFeatures, cycles: list[int]) -> np.ndarray:
    """Per cycle, the mean smoothed current over the first and last 2 % of its first sweep (the
    start potential and the vertex), where the faradaic current is a mass-transport-limited tail
    that hardly depends on the exact potential: shape (cycles, 2)."""
    sweeps = _cycle_sweeps(f)
    d0 = f.sweeps.direction[0]
    out = []
    for c in cycles:
        s = sweeps[c][d0]
        n = max(3, (s.stop - s.start) // 50)
        out.append((np.mean(f.smoothed[s.start : s.start + n]), np.mean(f.smoothed[s.stop - n : s.stop])))
    return np.asarray(out)


def _common_peak_shift(f: CurveFeatures, cycles: list[int]) -> float:
    """Shift per cycle (V) common to the anodic and cathodic peak potentials, 0 unless both move the
    same way by similar amounts."""
    peaks = _cycle_peaks(f, cycles)
    sa = np.polyfit(cycles, [peaks[c][0] for c in cycles], 1)[0]
    sc = np.polyfit(cycles, [peaks[c][1] for c in cycles], 1)[0]
    if sa * sc <= 0 or max(abs(sa), abs(sc)) > 2 * min(abs(sa), abs(sc)):
        return 0.0
    return float(0.5 * (sa + sc))


#: Under semi-infinite diffusion the tails at both ends of a CV creep towards the current of the
#: return sweep from cycle to cycle (products pile up near the electrode), a few % of the peak over
#: a few cycles; a drift against that direction is reported from 3 %, along it from 7 %.
_DRIFT_ALONG_NATURAL = 7.0 / 3.0
#: A closed single cycle ends on the return tail, about 20 % of the peak below (anodic first) its
#: start for a couple whose window reaches 0.3 V past E½, more with iR; 55 % is beyond that.
_CLOSING_NATURAL = 0.55


def detect_drift(
    voltammogram: Voltammogram,
    analysis: CurveAnalysis | None = None,
    *,
    features: CurveFeatures | None = None,
) -> Anomaly | None:
    """Baseline drift.  Three or more cycles: the currents at the start potential and at the vertex
    (mass-transport-limited tails, insensitive to peak changes or small potential shifts) move by
    the same way from cycle to cycle (tails that change size in opposite directions are fouling or
    depletion, not drift); the smaller of the two changes over cycles 2… (the first starts from a
    uniform solution) is scored against 3 % of the peak height when it runs opposite to the natural
    creep of the tails (towards the return sweep's current), 7 % along it, twice that when the peaks
    move with a drifting reference (the window then slides along the wave), 1.5 × for two cycles.
    One closed cycle: after an anodic-going first sweep a clean CV ends below its start (the
    charging current flips, the return tail is cathodic; vice versa for a cathodic start), by about
    20 % of the peak.  Ending on the other side is scored against 3 % of the peak height, ending
    below by more than 55 % against that."""
    f = _features(voltammogram, analysis, features)
    if f.technique is not Technique.CV:
        return None
    d0 = f.sweeps.direction[0]
    cycles = _usable_cycles(f)
    if len(cycles) >= 3:
        shift = _common_peak_shift(f, cycles)
        cycles = cycles[1:]
        ends = _end_currents(f, cycles)
        k = np.asarray(cycles, dtype=float)
        ks, starts = k, ends[:, 0]
        n = max(3, f.potential.size // (50 * 2 * len(_usable_cycles(f))))
        if abs(f.potential[-1] - f.potential[0]) <= max(3 * f.step_V, 1e-9):  # closes: one more start
            ks = np.append(k, k[-1] + 1)
            starts = np.append(starts, np.mean(f.smoothed[-n:]))
        ds = np.polyfit(ks, starts, 1)[0] * (k[-1] - k[0])
        dv = np.polyfit(k, ends[:, 1], 1)[0] * (k[-1] - k[0])
        if ds * dv <= 0:  # the tails change size (fouling, depletion), they do not move together
            return None
        total = float(math.copysign(min(abs(ds), abs(dv)), ds))
        ratio = abs(total) / f.scale
        factor = _DRIFT_ALONG_NATURAL if d0 * total < 0 else 1.0
        if abs(shift) >= THRESHOLDS["reference_drift"]:
            factor *= 2.0  # the window slides along the wave: the tails change by themselves
        if len(cycles) == 2:
            factor *= 1.5  # a trend from two points
        way = "upwards" if total > 0 else "downwards"
        return _anomaly(
            "drift",
            ratio / factor,
            f"the current at the start and vertex potentials moves {way} by {_pct(ratio)} of the peak height "
            f"from cycle {cycles[0]} to {cycles[-1]}",
            severity=ratio / 0.3,
            shift=total,
        )
    e, y = f.potential, f.smoothed
    span = float(np.ptp(e))
    if (
        len(cycles) != 1
        or f.sweeps.count < 2
        or span <= 0
        or abs(e[-1] - e[0]) > max(3 * f.step_V, 0.01 * span)
    ):
        return None
    n = max(3, e.size // 200)
    mismatch = float(np.mean(y[-n:]) - np.mean(y[:n]))
    ratio = abs(mismatch) / f.scale
    if d0 * mismatch > 3 * f.noise:
        score, side = ratio, "on the side a clean CV cannot end"
    elif d0 * mismatch < 0:
        score, side = ratio * THRESHOLDS["drift"] / _CLOSING_NATURAL, "further than the return tail explains"
    else:
        return None
    return _anomaly(
        "drift",
        score,
        f"the closed cycle ends {_pct(ratio)} of the peak height {'above' if mismatch > 0 else 'below'} where "
        f"it started, {side}: the baseline drifts",
        severity=ratio / 0.3,
        shift=mismatch,
    )


def _cycle_peaks(f: CurveFeatures, cycles: list[int]) -> dict[int, tuple[float, float, float, float]]:
    """Per cycle: (E anodic peak, E cathodic peak, anodic height, cathodic height) from the extremes
    of the smoothed current, refined by a parabola through three points; heights above the chord."""
    key = ("cycle_peaks", tuple(cycles))
    if key in f.cache:
        return f.cache[key]
    sweeps = _cycle_sweeps(f)
    out = {}
    for c in cycles:
        vals = []
        heights = []
        for d in (1, -1):
            s = sweeps[c][d]
            e, y = f.potential[s], d * _shape_smoothed(f, s.start, s.stop)[0]
            j = int(np.argmax(y))
            ep = float(e[j])
            if 0 < j < y.size - 1:
                denom = y[j - 1] - 2 * y[j] + y[j + 1]
                if denom < 0:
                    shift = 0.5 * (y[j - 1] - y[j + 1]) / denom
                    ep = float(e[j] + shift * (e[j + 1] - e[j - 1]) / 2)
            vals.append(ep)
            heights.append(_chord_height(e, y, 1))
        out[c] = (vals[0], vals[1], heights[0], heights[1])
    f.cache[key] = out
    return out


def detect_fouling(
    voltammogram: Voltammogram,
    analysis: CurveAnalysis | None = None,
    *,
    features: CurveFeatures | None = None,
) -> Anomaly | None:
    """Peak currents falling from cycle to cycle: the peak-to-peak current of each complete cycle
    (immune to a baseline offset) fitted linearly/exponentially over three or more cycles (two: half
    weight).  Score: fraction lost from the first to the last cycle, significant fits only.  Not
    reported when the forward peak has no return peak: a following chemical step consumes the
    reactant cycle after cycle, which is chemistry, not fouling."""
    f = _features(voltammogram, analysis, features)
    if f.technique is not Technique.CV:
        return None
    cycles = _usable_cycles(f)
    if len(cycles) < 2:
        return None
    peaks = _cycle_peaks(f, cycles)
    amplitude = np.array([peaks[c][2] + peaks[c][3] for c in cycles])
    if np.any(amplitude <= 0):
        return None
    if len(cycles) >= 3:
        st = cycle_stability(cycles, amplitude)
        loss = 1.0 - st.retained
        if not st.significant:
            loss = min(loss, 0.5 * THRESHOLDS["fouling"])
        rate = st.decay_per_cycle.value
    else:
        loss = 0.5 * (1.0 - amplitude[-1] / amplitude[0])  # two cycles: half weight
        rate = 100 * (1.0 - amplitude[-1] / amplitude[0])
    if loss <= 0:
        return None
    missing = detect_missing_return_peak(voltammogram, analysis, features=f)
    if missing is not None and missing.confidence >= 0.5:
        return None
    return _anomaly(
        "fouling",
        loss,
        f"peak currents fall {rate:.2g}% per cycle ({_pct(loss)} lost from cycle {cycles[0]} to {cycles[-1]}): "
        "electrode fouling or loss of material",
        severity=loss / 0.5,
        decay_per_cycle=rate,
    )


def detect_reference_drift(
    voltammogram: Voltammogram,
    analysis: CurveAnalysis | None = None,
    *,
    features: CurveFeatures | None = None,
) -> Anomaly | None:
    """Anodic and cathodic peak potentials moving the same way from cycle to cycle by similar amounts
    (within a factor two), both trends steady (every step the same way) or significant (95 %
    confidence interval of the slope excludes zero) with three or more cycles: the reference electrode drifts (fouling or iR changes move the
    two peaks oppositely).  Score: the common shift per cycle in volts, against 5 mV per cycle; the
    total must exceed three potential steps."""
    f = _features(voltammogram, analysis, features)
    if f.technique is not Technique.CV:
        return None
    cycles = _usable_cycles(f)
    if len(cycles) < 2:
        return None
    peaks = _cycle_peaks(f, cycles)
    ea = np.array([peaks[c][0] for c in cycles])
    ec = np.array([peaks[c][1] for c in cycles])
    span = cycles[-1] - cycles[0]
    if len(cycles) >= 3:
        fa, fc = linear_fit(cycles, ea), linear_fit(cycles, ec)
        sa, sc = fa.slope, fc.slope
        monotone = all(np.all(np.sign(np.diff(x)) == np.sign(fit.slope)) for x, fit in ((ea, fa), (ec, fc)))
        if not monotone and any(fit.slope_ci[0] <= 0 <= fit.slope_ci[1] for fit in (fa, fc)):
            return None  # neither steady nor significant at 95 %
    else:
        sa, sc = (ea[-1] - ea[0]) / span, (ec[-1] - ec[0]) / span
    if sa * sc <= 0 or max(abs(sa), abs(sc)) > 2 * min(abs(sa), abs(sc)):
        return None
    per_cycle = 0.5 * (sa + sc)
    if abs(per_cycle * span) < 3 * f.step_V:
        return None
    return _anomaly(
        "reference_drift",
        abs(per_cycle),
        f"both peaks move {1000 * per_cycle:+.1f} mV per cycle (cycles {cycles[0]}–{cycles[-1]}): "
        "the reference electrode potential drifts",
        severity=abs(per_cycle * span) / 0.05,
        shift_V_per_cycle=per_cycle,
    )


# ----------------------------------------------------------------------------------------------
# registry

Detector = Callable[..., Anomaly | None]

DETECTORS: Mapping[str, Detector] = MappingProxyType(
    {
        "noise": detect_noise,
        "drift": detect_drift,
        "clipping": detect_clipping,
        "spikes": detect_spikes,
        "ir_distortion": detect_ir_distortion,
        "missing_return_peak": detect_missing_return_peak,
        "reference_drift": detect_reference_drift,
        "truncated": detect_truncated,
        "fouling": detect_fouling,
        "quantisation": detect_quantisation,
        "background": detect_background,
    }
)


#: Kinds a curve traced from a plot image cannot show apart from the tracing: a traced curve has
#: points off the line through their neighbours wherever the tracer stepped onto a crossing trace,
#: a marker, the legend or the other sweep (spikes), and the skew of its forward peak changes with
#: markers, stroke width and overlapping traces as much as with an iR drop.  On the development
#: ECBench (seed 500000, 111 figures) the detectors flagged spikes on 45 figures, 1 of them with
#: visible spikes, and iR distortion on 31 figures, 4 of them with a visible iR drop, and no cut on
#: confidence or severity made more than one flag in five right.  Not run on digitised curves
#: unless asked for by name.
TRACE_UNRELIABLE: frozenset[str] = frozenset({"spikes", "ir_distortion"})


def detect_anomalies(
    voltammogram: Voltammogram,
    analysis: CurveAnalysis | None = None,
    *,
    kinds: Iterable[str] | None = None,
    min_confidence: float = 0.5,
) -> tuple[Anomaly, ...]:
    """Run the detectors (``kinds``; by default all, less :data:`TRACE_UNRELIABLE` on a curve
    digitised from an image) and return the anomalies at or above ``min_confidence``, most
    confident first."""
    if not (0 <= min_confidence <= 1):
        raise ParameterError("min_confidence", min_confidence, "a confidence in 0–1")
    if kinds is None:
        traced = bool(voltammogram.metadata.get("digitized"))
        names = [k for k in DETECTORS if not (traced and k in TRACE_UNRELIABLE)]
    else:
        names = list(kinds)
    unknown = [k for k in names if k not in DETECTORS]
    if unknown:
        raise ParameterError("kinds", unknown, f"anomaly kinds among {sorted(DETECTORS)}")
    f = curve_features(voltammogram, analysis)
    found = []
    for name in names:
        anomaly = DETECTORS[name](voltammogram, analysis, features=f)
        if anomaly is not None and anomaly.confidence >= min_confidence:
            found.append(anomaly)
    return tuple(sorted(found, key=lambda a: -a.confidence))
