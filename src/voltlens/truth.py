"""Exact ground truth of a simulated voltammogram: its peaks and couples.

Computed from each species' noise-free faradaic current and the known parameters — never from
what the analysis engine finds.  The background under a peak is defined as an expert reads it:
zero before the first sweep; for every later sweep, the faradaic current that would have flowed
had the potential been held where that sweep began (Nicholson's decaying-current baseline).

What the data can show (:func:`peak_knowability`).  A peak of one species' current is not always a
peak anyone can see or measure in the recorded curve, so each truth peak is also labelled with what
is knowable about it — decided from the noise-free currents and the stated artifact sizes, never
from what an engine finds:

* **visible** — its height is at least ``VISIBLE_FRACTION`` (2 %) of the recorded curve's current
  range (isolated spikes removed by a 5-point median) and at least ``NOISE_K`` (3) times the rms of
  the injected white + 1/f noise.  A 4 nA adsorbed wave beside a 10 mM solution species' 300 µA
  wave is below what any reader, human or program, can see;
* **resolvable** — the summed faradaic current of all species on that sweep turns over (has a local
  maximum) within ``VISIBLE_WINDOW_V`` of it, and that maximum is not nearer another truth peak of
  the same sweep and direction.  Two waves closer than their own width give one maximum in the
  data: the larger is the observable (merged) peak — it must be found, but its Ep and ip include
  the other wave and are not scored; the smaller (a shoulder without its own maximum) is not
  required at all;
* **ip_knowable** — the recorded current near the peak did not reach the clipping level.  A peak
  whose top 60–92 % was cut off has no measurable height, and no position either: its flat top
  spans tens to hundreds of mV, so the truth cannot say where within it a reader should put Ep;
  it is not required (an analysis peak on it is matched, not spurious).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

from .constants import thermal_voltage
from .labels import CoupleLabel, PeakLabel

__all__ = [
    "PeakKnowability",
    "SpeciesTruthInfo",
    "couple_labels",
    "matsuda_ayabe_class",
    "peak_knowability",
    "peak_labels",
]

PEAK_PROMINENCE = 0.02  # of the species' largest |current|: below this a bump is not a peak
VISIBLE_WINDOW_V = 0.03  # the species' own current must turn over within this of a peak
VISIBLE_FRACTION = 0.02  # of the recorded curve's current range: the smallest peak one can see
NOISE_K = 3.0  # a peak lower than this many noise rms is not distinguishable from the noise


@dataclass(frozen=True, slots=True)
class SpeciesTruthInfo:
    """What the truth needs to know about one species besides its current."""

    mechanism: str  # reversible, quasi-reversible, irreversible, EC, EE, adsorbed
    n: float
    e0_V: tuple[float, ...]  # one formal potential, two for EE
    lambda_: float | None  # Matsuda–Ayabe Λ (None: Nernstian or surface-confined)
    alpha: float = 0.5


@dataclass(frozen=True, slots=True)
class PeakKnowability:
    """What the recorded curve shows of one truth peak (see the module docstring)."""

    visible: bool
    resolvable: bool  # has its own maximum in the summed current
    merged: bool  # shares that maximum with a smaller wave: Ep and ip include the other wave
    ip_knowable: bool  # not clipped
    reasons: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        """Must an analysis find it where the truth puts it (a peak of its own, not cut off)?"""
        return self.visible and self.resolvable and self.ip_knowable

    @property
    def measurable(self) -> bool:
        """Are its Ep and ip, as the truth gives them, what the data shows?"""
        return self.required and not self.merged and self.ip_knowable


def _despiked_range(current: np.ndarray) -> float:
    from scipy.ndimage import median_filter

    smooth = median_filter(np.asarray(current, dtype=float), size=5, mode="nearest")
    return float(np.ptp(smooth)) if smooth.size else 0.0


def _sweep_maxima(e: np.ndarray, total: np.ndarray, sign: float, scale: float) -> np.ndarray:
    """Potentials of the local maxima of sign·total on one sweep (tiny wiggles ignored)."""
    signed = sign * total
    idx, _ = find_peaks(signed, prominence=1e-3 * scale)
    return e[idx]


def peak_knowability(
    peaks: Sequence[PeakLabel],
    *,
    potential_V: np.ndarray,
    segment: np.ndarray,
    faradaic_A: np.ndarray,
    recorded_potential_V: np.ndarray,
    recorded_current_A: np.ndarray,
    recorded_segment: np.ndarray,
    noise_rms_A: float = 0.0,
    clip_A: float | None = None,
    differential: bool = False,
) -> list[PeakKnowability]:
    """Per truth peak: visible, resolvable (or merged) and whether its ip is knowable.

    ``potential_V``, ``segment`` and ``faradaic_A`` (species × points) are the noise-free simulation
    the truth ``peaks`` were computed from; ``recorded_*`` the measured curve (with its artifacts);
    ``noise_rms_A`` the rms of the random noise injected; ``clip_A`` the clipping level, if any.
    """
    floor = max(VISIBLE_FRACTION * _despiked_range(recorded_current_A), NOISE_K * noise_rms_A)
    total = np.asarray(faradaic_A, dtype=float).sum(axis=0)
    scale = float(np.max(np.abs(total))) or 1.0
    maxima: dict[tuple[int, str], np.ndarray] = {}
    for s in {p.segment for p in peaks}:
        sel = segment == s
        for direction, sign in (("anodic", 1.0), ("cathodic", -1.0)):
            maxima[(s, direction)] = _sweep_maxima(potential_V[sel], total[sel], sign, scale)
    # each observed maximum belongs to the nearest truth peak of its sweep and direction
    owns = [False] * len(peaks)
    for key, emax in maxima.items():
        group = [i for i, p in enumerate(peaks) if (p.segment, p.direction) == key]
        for em in emax:
            near = [i for i in group if abs(peaks[i].potential_V - em) <= VISIBLE_WINDOW_V]
            if near:
                owns[min(near, key=lambda j: abs(peaks[j].potential_V - em))] = True
    out = []
    for i, p in enumerate(peaks):
        reasons = []
        visible = abs(p.current_A) >= floor
        if not visible:
            reasons.append(f"|ip| {abs(p.current_A):.3g} A below the visibility floor {floor:.3g} A")
        resolvable = owns[i]
        merged = resolvable and any(
            not owns[j]
            and abs(q.current_A) >= floor
            and (q.segment, q.direction) == (p.segment, p.direction)
            and abs(q.potential_V - p.potential_V) <= 2 * VISIBLE_WINDOW_V
            for j, q in enumerate(peaks)
        )
        if not resolvable:
            reasons.append("no maximum of its own in the summed current (unresolved from a neighbour)")
        elif merged:
            reasons.append("merged with a neighbouring wave into one maximum")
        ip_knowable = True
        if clip_A is not None:
            ip_knowable = not _clipped_near(
                p, recorded_potential_V, recorded_current_A, recorded_segment, clip_A
            )
            if not ip_knowable:
                reasons.append(f"the recorded current reaches the clipping level {clip_A:.3g} A at the peak")
        out.append(PeakKnowability(visible, resolvable, merged, ip_knowable, tuple(reasons)))
    return out


def _clipped_near(p: PeakLabel, e: np.ndarray, i: np.ndarray, seg: np.ndarray, clip_A: float) -> bool:
    sel = np.flatnonzero(seg == p.segment)
    if sel.size == 0:
        return False
    near = sel[np.abs(e[sel] - p.potential_V) <= VISIBLE_WINDOW_V]
    return bool(near.size and np.any(np.abs(i[near]) >= clip_A * (1.0 - 1e-9)))


def matsuda_ayabe_class(lam: float | None, alpha: float) -> str:
    """Reversible Λ ≥ 15; quasi-reversible 15 > Λ > 10^(−2(1+α)); irreversible below."""
    if lam is None or lam >= 15.0:
        return "reversible"
    return "quasi-reversible" if lam > 10.0 ** (-2.0 * (1.0 + alpha)) else "irreversible"


def matsuda_ayabe_lambda(
    k0_m_s: float, diffusion_m2_s: float, scan_rate_V_s: float, n: float, temperature_K: float
) -> float:
    f = n / thermal_voltage(temperature_K)
    return k0_m_s / math.sqrt(diffusion_m2_s * f * scan_rate_V_s)


def _crossing(x: np.ndarray, y: np.ndarray, start: int, step: int, level: float) -> float | None:
    """x where y first falls below ``level`` walking from ``start`` by ``step`` (linear interpolation)."""
    j = start
    while 0 <= j + step < y.size:
        if y[j + step] < level <= y[j]:
            t = (y[j] - level) / (y[j] - y[j + step])
            return float(x[j] + t * (x[j + step] - x[j]))
        j += step
    return None


def _refine(e: np.ndarray, y: np.ndarray, baseline: np.ndarray, k: int) -> tuple[float, float, float]:
    """Peak potential, height and baseline refined between samples by a parabola through 3 points."""
    y0, y1, y2 = y[k - 1], y[k], y[k + 1]
    denom = y0 - 2.0 * y1 + y2
    delta = 0.0 if denom >= 0 else float(np.clip(0.5 * (y0 - y2) / denom, -0.5, 0.5))
    side = k + 1 if delta >= 0 else k - 1
    frac = abs(delta)
    e_peak = float(e[k] + frac * (e[side] - e[k]))
    height = float(y1 - 0.25 * (y0 - y2) * delta)
    base = float(baseline[k] + frac * (baseline[side] - baseline[k]))
    return e_peak, height, base


def _peak_charge(t: np.ndarray, y: np.ndarray, k: int) -> float:
    """∫ corrected current dt over the contiguous region around ``k`` above 1% of the peak."""
    level = 0.01 * y[k]
    lo = k
    while lo > 0 and y[lo - 1] > level:
        lo -= 1
    hi = k
    while hi < y.size - 1 and y[hi + 1] > level:
        hi += 1
    return float(np.trapezoid(y[lo : hi + 1], t[lo : hi + 1]))


def _has_visible_extremum(signed: np.ndarray, k: int, half_window: int) -> bool:
    """Does the species' own current (signed so the peak is a maximum) turn over near ``k``?

    A bump that exists only relative to the held baseline — the forward current dying away on the
    return sweep of an irreversible or EC wave — is not a peak anyone would see or report.
    """
    lo, hi = max(1, k - half_window), min(signed.size - 1, k + half_window + 1)
    d = np.diff(signed[lo - 1 : hi + 1])
    return bool(np.any((d[:-1] > 0) & (d[1:] <= 0)))


def _turns_over(signed: np.ndarray) -> bool:
    """Whether the current has an interior local maximum (a visible peak needs one)."""
    d = np.diff(signed)
    return bool(np.any((d[:-1] > 0) & (d[1:] <= 0)))


def _segment_peaks(
    *,
    t: np.ndarray,
    e: np.ndarray,
    current: np.ndarray,
    baseline: np.ndarray,
    sign: float,
    scale: float,
) -> list[tuple[int, dict]]:
    """(index, peak fields) of the peaks of ``sign``·(current − baseline) within one sweep."""
    corrected = sign * (current - baseline)
    if corrected.size < 5:
        return []
    idx, _ = find_peaks(corrected, prominence=PEAK_PROMINENCE * scale, height=PEAK_PROMINENCE * scale)
    step = float(np.median(np.abs(np.diff(e)))) or 1e-3
    half_window = max(2, round(VISIBLE_WINDOW_V / step))
    found = []
    for k in idx:
        if (
            k == 0
            or k == corrected.size - 1
            or not _has_visible_extremum(sign * current, int(k), half_window)
        ):
            continue
        half = 0.5 * corrected[k]
        left = _crossing(e, corrected, k, -1, half)
        right = _crossing(e, corrected, k, +1, half)
        e_peak, height, base = _refine(e, corrected, baseline, int(k))
        found.append(
            (
                int(k),
                {
                    "direction": "anodic" if sign > 0 else "cathodic",
                    "potential_V": e_peak,
                    "current_A": sign * height,
                    "baseline_A": base,
                    "half_width_V": abs(right - left) if left is not None and right is not None else None,
                    "half_peak_potential_V": left,  # along the sweep the rising side comes first
                    "charge_C": sign * _peak_charge(t, corrected, int(k)),
                },
            )
        )
    return found


def _sweep_peaks(
    *,
    t: np.ndarray,
    e: np.ndarray,
    current: np.ndarray,
    baseline: np.ndarray,
    sign: float,
    scale: float,
    hold_from: Callable[[int], np.ndarray] | None,
) -> list[dict]:
    """Peaks of one species on one sweep; each later wave measured on the held tail of the wave before.

    ``hold_from(j)`` gives the species' current over the sweep from point j on had the potential been
    held at point j (the valley between two waves): the exact background of the second wave of an
    EE couple, as an expert extrapolates the first wave's decay under it.
    """
    found = _segment_peaks(t=t, e=e, current=current, baseline=baseline, sign=sign, scale=scale)
    if len(found) < 2 or hold_from is None:
        return [fields for _, fields in found]
    result = [found[0][1]]
    previous = found[0][0]
    for k, fields in found[1:]:
        valley = previous + int(np.argmin(sign * (current - baseline)[previous : k + 1]))
        held = np.array(baseline, dtype=float)
        held[valley:] = hold_from(valley)
        again = _segment_peaks(t=t, e=e, current=current, baseline=held, sign=sign, scale=scale)
        near = [(abs(j - k), f) for j, f in again if j > valley]
        result.append(min(near, key=lambda pair: pair[0])[1] if near else fields)
        previous = k
    return result


def _valley_held_baseline(
    current: np.ndarray,
    baseline: np.ndarray,
    sign: float,
    scale: float,
    e: np.ndarray,
    hold_from: Callable[[int], np.ndarray],
) -> np.ndarray:
    """The background of a later sweep's first wave: held at the vertex, or at the valley before it.

    Nicholson's baseline — the current the species would carry had the potential been held where
    the sweep began — is the continuation of the previous sweep's wave only while that wave's
    process is still driven.  For a reversible couple it is: the return sweep starts far past E0,
    the forward process stays diffusion-limited and the real current follows the held decay into
    the return wave, so the current corrected by the held baseline rises monotonically from the
    vertex to the return peak.  For an irreversible (or slow quasi-reversible) couple whose return
    wave lies hundreds of mV after the vertex, the forward process stops as soon as the potential
    moves back (its rate falls by a Tafel factor per 60/α mV): the real current dies to ≈ 0 long
    before the return wave, while the vertex-held current still decays as a Cottrell t^-1/2 tail
    (e.g. 2 µA under a 8 µA wave 40 s later).  Measured against that tail the corrected current
    first rises (the dying forward current, a bump no one sees as a peak) and then falls to a valley
    before the return wave proper: exactly the two-wave shape of an EE sweep.  So the same rule as
    for an EE couple's second wave applies: the background is the current the species would carry
    had the potential been held at that valley — ≈ 0 where the forward process has stopped, as any
    expert reads it.  When there is no such bump before the first visible peak (every reversible
    couple) the vertex-held baseline is returned unchanged.
    """
    corrected = sign * (current - baseline)
    if corrected.size < 5:
        return baseline
    # any turn-over of the corrected current counts (the noise-free simulation has no wiggles): a
    # Cottrell tail falling by a few % of the wave between the bump and the valley is still one
    idx, _ = find_peaks(corrected, prominence=1e-3 * scale)
    step = float(np.median(np.abs(np.diff(e)))) or 1e-3
    half_window = max(2, round(VISIBLE_WINDOW_V / step))
    signed = sign * current
    bump = None
    for k in idx:
        if 0 < k < corrected.size - 1 and _has_visible_extremum(signed, int(k), half_window):
            if bump is None:
                return baseline
            valley = bump + int(np.argmin(corrected[bump : k + 1]))
            held = np.array(baseline, dtype=float)
            held[valley:] = hold_from(valley)
            return held
        bump = int(k)
    return baseline


def peak_labels(
    *,
    time_s: np.ndarray,
    potential_V: np.ndarray,
    segment: np.ndarray,
    cycle: np.ndarray,
    faradaic_A: np.ndarray,
    held_current: Callable[[int, int, int], np.ndarray] | None,
    differential: bool = False,
) -> list[PeakLabel]:
    """Every peak of every species on every sweep, in time order.

    ``held_current(species, i0, i1)`` returns that species' current over points ``i0..i1-1`` had the
    potential been held from point ``i0`` on (``None`` for DPV, whose differential current has a
    zero background).  The background of the first wave of a sweep is zero on the first sweep and
    the current held from the sweep's start on later sweeps (Nicholson).  For DPV
    (``differential=True``) a positive differential current is an anodic peak.
    """
    peaks: list[PeakLabel] = []
    for k in range(faradaic_A.shape[0]):
        scale = float(np.max(np.abs(faradaic_A[k]))) or 1.0
        for s in np.unique(segment):
            sel = np.flatnonzero(segment == s)
            e, cur, t = potential_V[sel], faradaic_A[k, sel], time_s[sel]
            first, stop = int(sel[0]), int(sel[-1]) + 1
            if differential or held_current is None:
                base, hold_from = np.zeros_like(cur), None
            else:
                base = np.zeros_like(cur)  # the first sweep's; later sweeps get the held current below

                def hold_from(j: int, k: int = k, first: int = first, stop: int = stop) -> np.ndarray:
                    return held_current(k, first + j, stop)

            signs = (1.0, -1.0) if differential else (1.0 if e[-1] > e[0] else -1.0,)
            if not any(_turns_over(sign * cur) for sign in signs):
                continue  # no visible peak is possible: skip the (costly) held-current simulation
            if not differential and held_current is not None and s != segment[0]:
                base = held_current(k, first, stop)
            for sign in signs:
                sweep_base = base
                if hold_from is not None and s != segment[0]:
                    sweep_base = _valley_held_baseline(cur, base, sign, scale, e, hold_from)
                for fields in _sweep_peaks(
                    t=t, e=e, current=cur, baseline=sweep_base, sign=sign, scale=scale, hold_from=hold_from
                ):
                    peaks.append(PeakLabel(cycle=int(cycle[first]), segment=int(s), species=k, **fields))
    peaks.sort(key=lambda p: (p.segment, p.species, p.potential_V))
    return peaks


def couple_labels(
    peaks: Sequence[PeakLabel],
    species: Sequence[SpeciesTruthInfo],
    *,
    temperature_K: float,
) -> list[CoupleLabel]:
    """Pair each species' anodic and cathodic peaks of the same cycle into couples.

    One couple per species and cycle; an EE species with two resolved waves gives two couples
    (paired in order of potential), merged waves one couple with n = 2.
    """
    couples: list[CoupleLabel] = []
    del temperature_K  # the class comes from Λ, already computed per species
    for k, info in enumerate(species):
        for cyc in sorted({p.cycle for p in peaks if p.species == k}):
            an = [
                i
                for i, p in enumerate(peaks)
                if p.species == k and p.cycle == cyc and p.direction == "anodic"
            ]
            ca = [
                i
                for i, p in enumerate(peaks)
                if p.species == k and p.cycle == cyc and p.direction == "cathodic"
            ]
            if not an or not ca:
                continue
            an.sort(key=lambda i: peaks[i].potential_V)
            ca.sort(key=lambda i: peaks[i].potential_V)
            if info.mechanism == "EE":
                pairs = list(zip(an, ca, strict=False)) if len(an) == len(ca) else [(an[0], ca[0])]
                n_of = 1.0 if len(an) == len(ca) == 2 else 2.0
            else:
                pairs = [(an[0], ca[-1] if len(ca) == 1 else ca[0])]
                n_of = info.n
            for ia, ic in pairs:
                pa, pc = peaks[ia], peaks[ic]
                lam = None if info.mechanism == "adsorbed" else info.lambda_
                couples.append(
                    CoupleLabel(
                        species=k,
                        cycle=cyc,
                        anodic=ia,
                        cathodic=ic,
                        E_half_V=0.5 * (pa.potential_V + pc.potential_V),
                        delta_Ep_V=abs(pa.potential_V - pc.potential_V),
                        current_ratio=abs(pa.current_A / pc.current_A),
                        n=n_of,
                        reversibility=matsuda_ayabe_class(lam, info.alpha),  # type: ignore[arg-type]
                        matsuda_ayabe_lambda=None if lam is None or not math.isfinite(lam) else lam,
                    )
                )
    return couples
