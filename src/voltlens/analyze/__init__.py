"""Analysis of voltammograms: peaks and couples per curve, anomalies, series studies, interpretation.

``analyze(voltammograms, *, concentrations=None, scan_rates=None, ...)`` runs the per-curve engine
(:func:`voltlens.analyze.engine.analyze_curve`) on each curve, adds the anomaly detectors
(:mod:`~voltlens.analyze.anomalies`), a scan-rate or concentration study over the curves and a
cycle-stability study within multi-cycle CVs (:mod:`~voltlens.analyze.series`), and writes a
plain-language interpretation (:mod:`~voltlens.analyze.interpret`).  :func:`combine` does the same
from curve analyses already made.  :func:`~voltlens.analyze.contract.to_json` turns the result into
the published JSON contract.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from ..errors import ParameterError, VoltlensError
from ..model import Technique, Voltammogram
from .anomalies import DETECTORS, detect_anomalies
from .contract import analysis_schema, build_report, report_of, to_json
from .interpret import interpret
from .result import (
    Analysis,
    Anomaly,
    CurveAnalysis,
    Evidence,
    FoundCouple,
    FoundPeak,
    Quantity,
    SeriesAnalysis,
)
from .series import calibration_study, cycle_stability, scan_rate_study

if TYPE_CHECKING:
    from ..digitize.result import DigitizedFigure

__all__ = [
    "DETECTORS",
    "Analysis",
    "Anomaly",
    "CurveAnalysis",
    "Evidence",
    "FoundCouple",
    "FoundPeak",
    "Quantity",
    "SeriesAnalysis",
    "analysis_schema",
    "analyze",
    "combine",
    "detect_anomalies",
    "report_of",
    "to_json",
]

SERIES_WINDOW_V = {"scan_rate": 0.25, "concentration": 0.1}  # how far the tracked peak may move
BLANK_WINDOW_V = 0.05
BLANK_MIN_CONFIDENCE = 0.5


def _as_list(voltammograms: Voltammogram | Sequence[Voltammogram]) -> list[Voltammogram]:
    """The curves to analyse; a digitised figure gives its curves, and curves straight from the
    digitizer are put on an even potential grid first, as the CLI does."""
    from .pipeline import as_voltammograms, prepared_digitized

    if hasattr(voltammograms, "digitization") and hasattr(voltammograms, "curves"):
        return as_voltammograms(voltammograms, str(getattr(voltammograms, "source", "figure")))
    if isinstance(voltammograms, Voltammogram):
        return [prepared_digitized(voltammograms)]
    out = list(voltammograms)
    for k, v in enumerate(out):
        if not isinstance(v, Voltammogram):
            raise ParameterError(f"voltammograms[{k}]", type(v).__name__, "a voltlens.Voltammogram")
    return [prepared_digitized(v) for v in out]


def _check_per_curve(name: str, values: Sequence[float] | None, n: int) -> list[float] | None:
    if values is None:
        return None
    out = [float(x) for x in values]
    if len(out) != n:
        raise ParameterError(name, out, f"one value per curve ({n} curves)")
    if not all(math.isfinite(x) for x in out):
        raise ParameterError(name, out, "finite numbers")
    return out


def analyze(
    voltammograms: Voltammogram | Sequence[Voltammogram] | DigitizedFigure,
    *,
    concentrations: Sequence[float] | None = None,
    scan_rates: Sequence[float] | None = None,
    concentration_unit: str = "mM",
    diffusion_m2_s: float | None = None,
    area_m2: float | None = None,
    concentration_mol_m3: float | None = None,
    n_electrons: float = 1.0,
    min_anomaly_confidence: float = 0.5,
    skipped: Sequence[tuple[str, str]] = (),
    confidence: float = 0.95,
) -> Analysis:
    """Analyse one or several voltammograms.

    ``scan_rates`` (V/s, one per curve) override what the curves state; ``concentrations`` (in
    ``concentration_unit``, 0 for a blank) make a calibration series, its peak heights measured on
    the analyte curves less a compatible blank (:mod:`~voltlens.analyze.blank`).  Several curves
    whose stated scan rates differ make a scan-rate series on their own.  ``area_m2`` fills in a
    missing electrode area; with ``concentration_mol_m3`` (mol/m³ = mM) the scan-rate study gives
    the Randles–Ševčík D.
    ``diffusion_m2_s`` lets the engine turn ΔEp into k0.  ``skipped`` lists (source, reason) of inputs
    the caller left out, to be reported.
    """
    from .engine import analyze_curve

    vs = _as_list(voltammograms)
    if not vs:
        raise ParameterError("voltammograms", [], "at least one voltammogram")
    rates = _check_per_curve("scan_rates", scan_rates, len(vs))
    if rates is not None and not all(r > 0 for r in rates):
        raise ParameterError("scan_rates", rates, "positive scan rates in V/s")
    if area_m2 is not None and not (math.isfinite(area_m2) and area_m2 > 0):
        raise ParameterError("area_m2", area_m2, "a positive electrode area in m²")
    prepared = []
    for k, v in enumerate(vs):
        changes = {}
        if rates is not None:
            changes["scan_rate"] = rates[k]
        if area_m2 is not None and v.area_m2 is None:
            changes["area_m2"] = area_m2
        prepared.append(v.replace(**changes) if changes else v)
    curves = [analyze_curve(v, diffusion_m2_s=diffusion_m2_s) for v in prepared]
    return combine(
        curves,
        concentrations=concentrations,
        series="scan_rate" if rates is not None else None,
        concentration_unit=concentration_unit,
        area_m2=area_m2,
        concentration_mol_m3=concentration_mol_m3,
        n_electrons=n_electrons,
        min_anomaly_confidence=min_anomaly_confidence,
        skipped=skipped,
        confidence=confidence,
        diffusion_m2_s=diffusion_m2_s,
    )


def combine(
    curves: Sequence[CurveAnalysis],
    *,
    concentrations: Sequence[float] | None = None,
    series: Literal["scan_rate", "concentration"] | None = None,
    concentration_unit: str = "mM",
    area_m2: float | None = None,
    concentration_mol_m3: float | None = None,
    n_electrons: float = 1.0,
    min_anomaly_confidence: float = 0.5,
    skipped: Sequence[tuple[str, str]] = (),
    confidence: float = 0.95,
    diffusion_m2_s: float | None = None,
) -> Analysis:
    """Anomalies, cycle stability, a series study and the interpretation for analysed curves.

    The series is a calibration when ``concentrations`` are given, a scan-rate study when
    ``series="scan_rate"`` or when the curves state two or more different scan rates, else none.
    A calibration with a compatible blank analyses its analyte curves again less the blank, with
    ``diffusion_m2_s`` (as the curves were analysed with, :func:`~voltlens.analyze.engine.analyze_curve`).
    """
    curves = list(curves)
    conc = _check_per_curve("concentrations", concentrations, len(curves))
    if conc is not None and series == "scan_rate":
        raise ParameterError("concentrations", conc, "either concentrations or scan rates, not both")
    if conc is not None and any(c < 0 for c in conc):
        raise ParameterError("concentrations", conc, "non-negative concentrations (0 for a blank)")
    curves = [_with_anomalies(c, min_anomaly_confidence) for c in curves]
    curves = [_with_cycle_stability(c, confidence) for c in curves]
    notes: list[str] = []
    study = None
    if conc is not None:
        study = _concentration_series(curves, conc, concentration_unit, confidence, notes, diffusion_m2_s)
    elif series == "scan_rate" or _differing_scan_rates(curves):
        study = _scan_rate_series(curves, area_m2, concentration_mol_m3, n_electrons, confidence, notes)
    curves_t = tuple(curves)
    report = build_report(curves_t, study, skipped=tuple(skipped))
    interp = interpret(report)
    text = interp.text
    if notes:
        text = text + "\n" + " ".join(notes)
    return Analysis(
        curves=curves_t,
        series=study,
        interpretation=text,
        evidence=interp.evidence,
        skipped=tuple((str(s), str(r)) for s, r in skipped),
    )


# ----------------------------------------------------------------------------------------------
# per curve


def _with_anomalies(curve: CurveAnalysis, min_confidence: float) -> CurveAnalysis:
    """The engine's anomalies merged with the detectors' (one per kind, the more confident)."""
    found = detect_anomalies(curve.voltammogram, curve, min_confidence=min_confidence)
    best: dict[str, Anomaly] = {}
    for a in (*curve.anomalies, *found):
        if a.kind not in best or a.confidence > best[a.kind].confidence:
            best[a.kind] = a
    merged = tuple(sorted(best.values(), key=lambda a: -a.confidence))
    return dataclasses.replace(curve, anomalies=merged)


def _first_cycle(curve: CurveAnalysis) -> int:
    return min((p.cycle for p in curve.peaks), default=1)


def _main_peak(curve: CurveAnalysis, direction: str | None = None, cycle: int | None = None) -> int | None:
    """Index of the largest peak (in ``direction``) of a cycle (default: the first), preferring
    peaks of the cycle's first sweep, then confident non-shoulder peaks."""
    cyc = _first_cycle(curve) if cycle is None else cycle
    cands = [
        k
        for k, p in enumerate(curve.peaks)
        if p.cycle == cyc
        and (direction is None or p.direction == direction)
        and math.isfinite(p.height.value)
    ]
    if not cands:
        return None
    first_sweep = min(curve.peaks[k].segment for k in cands)
    return max(
        cands,
        key=lambda k: (
            curve.peaks[k].segment == first_sweep,  # the forward sweep: the cleanest baseline
            not curve.peaks[k].shoulder,
            curve.peaks[k].confidence >= 0.5,
            abs(curve.peaks[k].height.value),
        ),
    )


def _with_cycle_stability(curve: CurveAnalysis, confidence: float) -> CurveAnalysis:
    """Decay of the main peak over the cycles of a multi-cycle CV (first cycle left out when four
    or more are present: it starts from a uniform solution and differs for physical reasons)."""
    v = curve.voltammogram
    if v.technique is not Technique.CV or v.n_cycles < 3 or not curve.peaks:
        return curve
    k0 = _main_peak(curve)
    if k0 is None:
        return curve
    ref = curve.peaks[k0]
    cycles, heights = [], []
    for c in sorted({p.cycle for p in curve.peaks}):
        near = [
            p
            for p in curve.peaks
            if p.cycle == c
            and p.direction == ref.direction
            and abs(p.potential.value - ref.potential.value) < 0.1
        ]
        if near:
            best = max(near, key=lambda p: abs(p.height.value))
            if abs(best.height.value) > 0:
                cycles.append(c)
                heights.append(abs(best.height.value))
    if len(cycles) >= 4:
        cycles, heights = cycles[1:], heights[1:]
    if len(cycles) < 3:
        return curve
    st = cycle_stability(cycles, heights, confidence=confidence)
    series = SeriesAnalysis(
        kind="cycles",
        values={"direction": ref.direction, "decay_percent_per_cycle": st.decay_per_cycle.value},
        findings=(),
        study=st,
    )
    return dataclasses.replace(curve, cycle_stability=series)


# ----------------------------------------------------------------------------------------------
# series


def _differing_scan_rates(curves: list[CurveAnalysis]) -> bool:
    rates = [c.voltammogram.scan_rate for c in curves]
    if len(curves) < 2 or any(r is None for r in rates):
        return False
    return len({round(math.log10(r), 3) for r in rates}) >= 2


def _series_direction(curves: list[CurveAnalysis]) -> str | None:
    votes: Counter[str] = Counter()
    for c in curves:
        k = _main_peak(c)
        if k is not None:
            votes[c.peaks[k].direction] += 1
    return votes.most_common(1)[0][0] if votes else None


def _tracked_peaks(
    curves: list[CurveAnalysis], direction: str, window_V: float, blanks: set[int] = frozenset()
) -> list[int | None]:
    """Per curve, the index of the peak followed through the series: the largest first-cycle peak of
    ``direction`` within ``window_V`` of the median position (blanks: a confident peak close by)."""
    first = [_main_peak(c, direction) for c in curves]
    ref_e = [
        curves[i].peaks[k].potential.value for i, k in enumerate(first) if k is not None and i not in blanks
    ]
    if not ref_e:
        return [None] * len(curves)
    e_ref = float(np.median(ref_e))
    out: list[int | None] = []
    for i, c in enumerate(curves):
        cyc = _first_cycle(c)
        win = BLANK_WINDOW_V if i in blanks else window_V
        cands = [
            k
            for k, p in enumerate(c.peaks)
            if p.cycle == cyc
            and p.direction == direction
            and abs(p.potential.value - e_ref) <= win
            and math.isfinite(p.height.value)
            and (i not in blanks or p.confidence >= BLANK_MIN_CONFIDENCE)
        ]
        out.append(max(cands, key=lambda k: abs(c.peaks[k].height.value)) if cands else None)
    return out


def _couple_delta_ep(curve: CurveAnalysis, k: int) -> float:
    for c in curve.couples:
        if k in (c.anodic, c.cathodic):
            return c.delta_ep.value
    return math.nan


def _scan_rate_series(
    curves: list[CurveAnalysis],
    area_m2: float | None,
    concentration_mol_m3: float | None,
    n_electrons: float,
    confidence: float,
    notes: list[str],
) -> SeriesAnalysis | None:
    direction = _series_direction(curves)
    if direction is None:
        notes.append("No peak was found, so no scan-rate study was made.")
        return None
    tracked = _tracked_peaks(curves, direction, SERIES_WINDOW_V["scan_rate"])
    use = [i for i, k in enumerate(tracked) if k is not None and curves[i].voltammogram.scan_rate]
    missing = [curves[i].voltammogram.source for i, k in enumerate(tracked) if k is None]
    if missing:
        notes.append(
            "The scan-rate study leaves out " + ", ".join(missing) + " (no matching peak or scan rate)."
        )
    use.sort(key=lambda i: curves[i].voltammogram.scan_rate)
    if len(use) < 2 or len({curves[i].voltammogram.scan_rate for i in use}) < 2:
        notes.append("Fewer than two different scan rates with a peak: no scan-rate study.")
        return None
    v = np.array([curves[i].voltammogram.scan_rate for i in use])
    peaks = [curves[i].peaks[tracked[i]] for i in use]
    ip = np.array([p.height.value for p in peaks])
    ep = np.array([p.potential.value for p in peaks])
    dep = np.array([_couple_delta_ep(curves[i], tracked[i]) for i in use])
    density = curves[use[0]].voltammogram.current_is_density
    area = 1.0 if density else (curves[use[0]].voltammogram.area_m2 or area_m2)
    study = scan_rate_study(
        v,
        ip,
        peak_potentials=ep,
        delta_ep=dep if np.any(np.isfinite(dep)) else None,
        n_electrons=n_electrons,
        area_m2=area if concentration_mol_m3 is not None else None,
        concentration_mol_m3=concentration_mol_m3 if area is not None else None,
        confidence=confidence,
    )
    return SeriesAnalysis(
        kind="scan_rate",
        values={"direction": direction, "log_log_slope": study.log_fit.slope, "regime": study.regime},
        findings=study.findings,
        study=study,
        curves=tuple(use),
    )


def _noise_derived_blank_sd(
    curves: list[CurveAnalysis], tracked: list[int | None], blanks: list[int]
) -> float | None:
    """The standard deviation of a peak current measured in a blank, from the blank's noise: the
    blank's RMS noise times the engine's ratio of height uncertainty to noise for the analyte peaks
    (1 when that ratio is unknown)."""
    noise = [curves[i].noise.value for i in blanks if math.isfinite(curves[i].noise.value)]
    if not noise:
        return None
    ratios = []
    for c, k in zip(curves, tracked, strict=True):
        if k is None:
            continue
        u, n = c.peaks[k].height.uncertainty, c.noise.value
        if math.isfinite(u) and u > 0 and math.isfinite(n) and n > 0:
            ratios.append(u / n)
    gain = float(np.median(ratios)) if ratios else 1.0
    return float(np.mean(noise)) * gain


def _blank_subtracted(
    curves: list[CurveAnalysis], blanks: list[int], diffusion_m2_s: float | None
) -> tuple[list[CurveAnalysis], int | None, str]:
    """The series' analyte curves less a blank (:func:`voltlens.analyze.blank.subtract_blank`, the
    first blank compatible with every analyte curve) analysed again, that blank's index, and a note
    saying so; the blanks themselves are kept as they are.  ``(curves, None, note)`` (raw readings)
    when no blank is compatible with every analyte curve or a curve less it cannot be analysed, the
    note saying why; ``(curves, None, "")`` when there is no analyte or no blank."""
    from .blank import blank_incompatibility, subtract_blank
    from .engine import analyze_curve

    analyte = [i for i in range(len(curves)) if i not in blanks]
    if not blanks or not analyte:
        return curves, None, ""
    why = ""
    for b in blanks:
        blank = curves[b].voltammogram
        # every analyte curve checked before any is analysed again (subtract_blank checks once more:
        # a few sweep splits, next to an analysis)
        why = next((r for i in analyte if (r := blank_incompatibility(curves[i].voltammogram, blank))), "")
        if why:
            continue
        out = list(curves)
        try:
            for i in analyte:
                out[i] = analyze_curve(
                    subtract_blank(curves[i].voltammogram, blank), diffusion_m2_s=diffusion_m2_s
                )
        except VoltlensError as err:
            why = str(err)
            continue
        return (
            out,
            b,
            f"Peak heights were measured on the curves less the blank (curve {b + 1}, {blank.source}).",
        )
    return curves, None, f"Peak heights were measured on the raw curves: {why}."


def _concentration_series(
    curves: list[CurveAnalysis],
    conc: list[float],
    unit: str,
    confidence: float,
    notes: list[str],
    diffusion_m2_s: float | None,
) -> SeriesAnalysis | None:
    blanks = [i for i, c in enumerate(conc) if c == 0]
    analyte = [c for i, c in enumerate(curves) if i not in blanks]
    direction = _series_direction(analyte or curves)
    if direction is None:
        notes.append("No peak was found, so no calibration was made.")
        return None
    window = SERIES_WINDOW_V["concentration"]
    tracked = _tracked_peaks(curves, direction, window, set(blanks))
    measured, blank, note = _blank_subtracted(curves, blanks, diffusion_m2_s)
    if blank is not None:
        d_sub = _series_direction([c for i, c in enumerate(measured) if i not in blanks]) or direction
        t_sub = _tracked_peaks(measured, d_sub, window, set(blanks))
        # on curves less a blank the blanks' own responses are zero by construction (the one
        # subtracted) or background differences, not peaks: they stay out of the line, and s_blank
        # comes from the blanks' noise
        t_sub = [None if i in blanks else k for i, k in enumerate(t_sub)]
        n_raw = sum(k is not None for i, k in enumerate(tracked) if i not in blanks)
        if sum(k is not None for k in t_sub) >= n_raw:
            direction, tracked = d_sub, t_sub
        else:  # the subtraction lost peaks the raw curves show (a blank traced in part)
            note = "Peak heights were measured on the raw curves: fewer peaks were found less the blank."
            measured, blank = curves, None
    if note:
        notes.append(note)
    responses = np.array(
        [abs(measured[i].peaks[k].height.value) if k is not None else np.nan for i, k in enumerate(tracked)]
    )
    missing = [curves[i].voltammogram.source for i, k in enumerate(tracked) if k is None and i not in blanks]
    if missing:
        notes.append("The calibration leaves out " + ", ".join(missing) + " (no matching peak).")
    blank_sd = None
    measured_blanks = [i for i in blanks if tracked[i] is not None]
    if len(measured_blanks) < 2 and blanks:
        blank_sd = _noise_derived_blank_sd(measured, tracked, blanks)
        if blank_sd is not None and blank is not None:
            blank_sd *= math.sqrt(2.0)  # a blank less a blank: the noise of both
    finite = np.isfinite(responses)
    if finite.sum() < 2 or len({conc[i] for i in np.flatnonzero(finite)}) < 2:
        notes.append("Fewer than two different concentrations with a peak: no calibration.")
        return None
    density = curves[0].voltammogram.current_is_density
    study = calibration_study(
        conc,
        responses,
        blank_sd=blank_sd,
        blank_sd_source="from the RMS noise of the blank curve(s), scaled by the engine's peak-height uncertainty per unit noise"
        + (" and by √2 (a blank less a blank)" if blank is not None else ""),
        concentration_unit=unit,
        response_unit="A/m2" if density else "A",
        confidence=confidence,
    )
    response_u = [
        measured[i].peaks[k].height.uncertainty if k is not None else math.nan for i, k in enumerate(tracked)
    ]
    return SeriesAnalysis(
        kind="concentration",
        values={
            "direction": direction,
            "slope": study.fit.slope,
            "response_uncertainties": response_u,
            "blank_curve": blank,
        },
        findings=study.findings,
        study=study,
        curves=tuple(range(len(curves))),
    )
