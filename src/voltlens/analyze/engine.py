"""The analysis entry point: one voltammogram in, a :class:`CurveAnalysis` out.

:func:`analyze_curve` dispatches on the technique: CV and LSV go through sweep splitting, the
background fit of :mod:`voltlens.analyze.background`, the semi-integral baselines of
:mod:`voltlens.analyze.peaks` and couple pairing, where the semi-integral (convolution) analysis
of :mod:`voltlens.analyze.convolution` tells an iR-widened Nernstian couple from a slow one; DPV
and SWV through the shape fitting of :mod:`voltlens.analyze.dpv`.  Pure: no I/O, no global state.
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import STANDARD_TEMPERATURE
from ..errors import DataError, ParameterError
from ..model import Technique, Voltammogram
from .convolution import CoupleKinetics, couple_kinetics
from .couples import find_couples
from .dpv import find_pulse_peaks
from .peaks import SweepFit, fit_sweeps
from .preprocess import preprocess
from .result import CurveAnalysis, Quantity

__all__ = ["analyze_curve"]


def _positive(name: str, value: float | None, *, allow_zero: bool = False) -> None:
    if value is None:
        return
    ok = np.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        raise ParameterError(name, value, "a positive finite number" if not allow_zero else "≥ 0 and finite")


def analyze_curve(
    v: Voltammogram,
    *,
    diffusion_m2_s: float | None = None,
    n_electrons: float | None = None,
    min_snr: float = 5.0,
    scan_rate: float | None = None,
    alpha: float = 0.5,
    temperature_K: float | None = None,
    uncompensated_resistance_ohm: float | None = None,
    smooth: bool = True,
    despike: bool = True,
    max_couple_separation_V: float = 1.5,
    min_half_width_V: float = 0.008,
) -> CurveAnalysis:
    """Find and measure every peak of ``v`` and, for CV, pair them into couples.

    Parameters (all keyword-only):

    diffusion_m2_s, n_electrons
        Known D (m²/s) and n; with the scan rate, D turns Nicholson's ψ into k0 (m/s).  n
        defaults to the estimate from peak widths and ΔEp.
    min_snr
        A peak must stand ``min_snr`` × the RMS noise above its baseline.
    scan_rate
        V/s, overrides ``v.scan_rate`` (for charges and k0).
    alpha
        Transfer coefficient assumed for ψ extrapolation and the Matsuda–Ayabe limit.
    temperature_K
        Defaults to ``v.temperature_K`` or 298.15 K.
    uncompensated_resistance_ohm
        When known, the potential axis is corrected to E − i·Ru before analysis.
    smooth, despike
        Switch off adaptive Savitzky–Golay smoothing or spike removal.
    max_couple_separation_V
        Anodic and cathodic peaks further apart than this are never paired.
    min_half_width_V
        Narrowest |Ep − Ep/2| accepted (default 8 mV; an n = 4 Nernstian wave has 14 mV).
    """
    if not isinstance(v, Voltammogram):
        raise ParameterError("v", type(v).__name__, "a Voltammogram")
    _positive("diffusion_m2_s", diffusion_m2_s)
    _positive("n_electrons", n_electrons)
    _positive("min_snr", min_snr)
    _positive("scan_rate", scan_rate)
    _positive("temperature_K", temperature_K)
    _positive("uncompensated_resistance_ohm", uncompensated_resistance_ohm, allow_zero=True)
    _positive("max_couple_separation_V", max_couple_separation_V)
    _positive("min_half_width_V", min_half_width_V, allow_zero=True)
    if not (0.0 < alpha < 1.0):
        raise ParameterError("alpha", alpha, "a transfer coefficient strictly between 0 and 1")
    temp = temperature_K or v.temperature_K or STANDARD_TEMPERATURE
    rate = scan_rate or v.scan_rate
    unit = "A/m²" if v.current_is_density else "A"
    notes: list[str] = []

    potential = np.asarray(v.potential, dtype=float)
    current = np.asarray(v.current, dtype=float)
    if uncompensated_resistance_ohm:
        amps = current
        if v.current_is_density:
            if v.area_m2 is None:
                raise ParameterError(
                    "uncompensated_resistance_ohm",
                    uncompensated_resistance_ohm,
                    "needs the electrode area (v.area_m2) when the current is a density",
                )
            amps = current * v.area_m2
        potential = potential - amps * uncompensated_resistance_ohm
        notes.append(f"potential corrected for Ru = {uncompensated_resistance_ohm:g} Ω")
    if np.ptp(potential) <= 0:
        raise DataError(v.source, "the potential never changes", field="potential")
    traced = bool(v.metadata.get("digitized"))  # read off a plot: pixel rows, not sampled data

    prep = preprocess(
        potential,
        current,
        cycle=v.cycle,
        despike=despike,
        smoothing=smooth,
        traced=traced,
    )
    if prep.spikes.size:
        notes.append(f"{prep.spikes.size} spike point(s) replaced")
    noise = Quantity(prep.noise, unit, prep.noise / math.sqrt(2.0 * max(v.n_points - 1, 1)))

    if v.technique in (Technique.DPV, Technique.SWV):
        amp = v.pulse.amplitude_V if v.pulse is not None else None
        if amp is None and v.technique is Technique.DPV:
            notes.append("pulse amplitude unknown: DPV widths read as the small-amplitude limit")
        if v.technique is Technique.SWV:
            amp = None  # the net SWV peak is fitted with a free width
        peaks = find_pulse_peaks(
            prep,
            amplitude_V=amp,
            min_snr=min_snr,
            temperature_K=temp,
            unit=unit,
            digitized=traced,
        )
        return CurveAnalysis(
            voltammogram=v,
            noise=noise,
            peaks=tuple(peaks),
            couples=(),
            smoothed_current=prep.smoothed,
            notes=tuple(notes),
        )

    time = v.time if v.time is not None else None
    fit = fit_sweeps(
        prep,
        time=time,
        scan_rate=rate,
        min_snr=min_snr,
        min_half_width_V=min_half_width_V,
        unit=unit,
        drop_clipped=not traced,
    )
    raw_peaks = fit.peaks
    if v.technique is Technique.LSV or prep.sweeps.count == 1:
        return CurveAnalysis(
            voltammogram=v,
            noise=noise,
            peaks=tuple(raw_peaks),
            couples=(),
            smoothed_current=prep.smoothed,
            notes=tuple(notes),
        )
    return_range = {}
    for j, (_a, _b) in enumerate(prep.sweeps.bounds[:-1]):
        na, nb = prep.sweeps.bounds[j + 1]
        seg = potential[na:nb]
        return_range[j] = (float(seg.min()), float(seg.max()))
    peaks, couples = find_couples(
        raw_peaks,
        scan_rate=rate,
        diffusion_m2_s=diffusion_m2_s,
        n_electrons=n_electrons,
        temperature_K=temp,
        alpha=alpha,
        max_separation_V=max_couple_separation_V,
        return_range=return_range,
        kinetics=_kinetics_of(fit, prep, time, rate, temp),
    )
    if any(c.psi is not None and c.reasons and "extrapolated" in " ".join(c.reasons) for c in couples):
        notes.append("some ψ values lie beyond Nicholson's table and are extrapolated")
    if diffusion_m2_s is None and any(c.psi is not None for c in couples):
        notes.append("k0 not computed: pass diffusion_m2_s (and a scan rate) to turn ψ into k0")
    return CurveAnalysis(
        voltammogram=v,
        noise=noise,
        peaks=peaks,
        couples=couples,
        smoothed_current=prep.smoothed,
        notes=tuple(notes),
    )


def _wave_window(fit: SweepFit, prep, k: int) -> tuple[int, int]:
    """Index range of peak k's wave: between the valleys that separate it from its neighbours on
    the same sweep (or the sweep's ends)."""
    pk = fit.peaks[k]
    a, b = prep.sweeps.bounds[pk.segment]
    s = prep.sweeps.direction[pk.segment]
    same = sorted(p.index for p in fit.peaks if p.segment == pk.segment)
    pos = same.index(pk.index)
    f = fit.faradaic
    lo = a if pos == 0 else same[pos - 1] + int(np.argmin(s * f[same[pos - 1] : pk.index + 1]))
    hi = b if pos == len(same) - 1 else pk.index + int(np.argmin(s * f[pk.index : same[pos + 1] + 1]))
    return lo, hi


def _kinetics_of(fit: SweepFit, prep, time, rate, temp):
    """kinetics(ia, ic) → (semi-integral analysis, ΔEp explained by its Ru) for a pair of peaks.

    Computed on the first cycle, where the semi-integral starts from rest, and reused for the
    same couple (E½ within 30 mV) in later cycles.  A later cycle's couple with no first-cycle couple
    that near (first seen there, or moved by reference drift) is fitted on its own forward and return
    sweeps, where the forward sweep runs the way the first one did: a full cycle has swept the couple
    back past its wave, so its surface is near rest again (not so for a wave first met on a return
    sweep, the product of a reaction on the sweep before)."""
    peaks = fit.peaks
    total = fit.faradaic + fit.charging
    dt = (
        float(np.median(np.diff(time)))
        if time is not None and len(time) > 1
        else (prep.step_V / rate if rate else 0.0)
    )
    first: dict[float, CoupleKinetics | None] = {}
    own: dict[tuple[int, int], CoupleKinetics | None] = {}  # later cycles' couples fitted on their own

    def kinetics(ia: int, ic: int) -> tuple[CoupleKinetics | None, float | None]:
        pa, pc = peaks[ia], peaks[ic]
        surface = pa.surface and pc.surface
        if pa.surface != pc.surface or not rate or dt <= 0:
            return None, None
        fwd, ret = sorted((ia, ic), key=lambda k: peaks[k].index)
        e_half = 0.5 * (pa.potential.value + pc.potential.value)
        known = [k for k in first if abs(k - e_half) < 0.03]
        if known:
            kin = first[known[0]]
        elif (fwd, ret) in own:
            kin = own[fwd, ret]
        elif peaks[fwd].segment % 2 == 0 and peaks[ret].segment == peaks[fwd].segment + 1:
            windows = [_wave_window(fit, prep, fwd), _wave_window(fit, prep, ret)]
            kin = couple_kinetics(
                prep.potential,
                fit.surface if surface else fit.faradaic,
                total,
                windows,
                dt=dt,
                scan_rate=rate,
                temperature_K=temp,
                surface=surface,
                smooth_points=int(0.03 / max(prep.step_V, 1e-6)) // 2 * 2 + 1,
            )
            if peaks[fwd].segment == 0:
                first[e_half] = kin
            else:
                own[fwd, ret] = kin
        else:
            return None, None
        if kin is None:
            return None, None
        ru = kin.nernst_ru_ohm if math.isfinite(kin.nernst_ru_ohm) else kin.ru_ohm
        return kin, ru * float(total[pa.index] - total[pc.index])

    return kinetics
