"""Plain-language interpretation written from the numbers of an analysis report.

Deterministic templates, no language model.  Every number quoted is taken from the report (the
JSON contract, :class:`~voltlens.analyze.contract.AnalysisReport`) and recorded as an
:class:`~voltlens.analyze.result.Evidence` with its JSON path, so a reader — or a test — can
check that the text says what the data say.  Every judgement names its criterion (ΔEp against
the 57–60/n mV of a reversible couple, the 0.5/1.0 log–log slopes, the LOD definition) and
doubts (anomalies, low confidence) are stated, not hidden.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .contract import (
    AnalysisReport,
    ConcentrationSeriesOut,
    CoupleOut,
    CurveOut,
    PeakOut,
    QuantityOut,
    ScanRateSeriesOut,
)
from .result import Evidence

__all__ = ["ANOMALY_WORDS", "LOW_CONFIDENCE", "Interpretation", "interpret"]

LOW_CONFIDENCE = 0.5  # findings below this are called doubtful
MAX_CURVES_IN_FULL = 4  # a longer series describes its curves briefly

ANOMALY_WORDS = {
    "noise": "the noise is large compared with the peaks",
    "drift": "the baseline drifts",
    "clipping": "the current is clipped at the instrument's range",
    "spikes": "isolated spikes disturb the current",
    "ir_distortion": "uncompensated resistance (iR drop) distorts the peaks and widens ΔEp",
    "missing_return_peak": "a forward peak has no (or too small a) return peak",
    "reference_drift": "the reference potential drifts between cycles",
    "truncated": "the potential window cuts through a wave",
    "fouling": "the peak currents decay from cycle to cycle (fouling)",
    "quantisation": "the current is coarsely quantised",
    "background": "a sloping or curved background underlies the peaks",
}

_PREFIXES = (("", 1.0), ("m", 1e-3), ("µ", 1e-6), ("n", 1e-9), ("p", 1e-12), ("f", 1e-15))


@dataclass(frozen=True, slots=True)
class Interpretation:
    """The text and the numbers it quotes."""

    text: str
    evidence: tuple[Evidence, ...] = ()


@dataclass
class _Quoter:
    """Formats numbers for the text and records where each came from."""

    evidence: list[Evidence] = field(default_factory=list)

    def fixed(self, value: float, decimals: int, unit: str, path: str, *, show_unit: bool = True) -> str:
        """``value`` (already in ``unit``) with a fixed number of decimals."""
        number = f"{value:.{decimals}f}"
        if number.startswith("-") and float(number) == 0:
            number = number[1:]
        text = f"{number} {unit}".strip() if show_unit else number
        self.evidence.append(Evidence(text=text, path=path, value=float(number), unit=unit))
        return text

    def sig(self, value: float, unit: str, path: str, *, digits: int = 3, prefix: bool = True) -> str:
        """``value`` in ``unit`` with ``digits`` significant digits and, for units that take one,
        an engineering prefix (µA, mV ...)."""
        scale, p = 1.0, ""
        if prefix and value != 0:
            p, scale = next(((pr, sc) for pr, sc in _PREFIXES if abs(value) >= sc * 0.9995), _PREFIXES[-1])
        number = f"{value / scale:.{digits}g}"
        unit_text = f"{p}{unit}"
        text = f"{number} {unit_text}".strip()
        self.evidence.append(Evidence(text=text, path=path, value=float(number), unit=unit_text))
        return text

    def sci(self, value: float, unit: str, path: str, *, digits: int = 2) -> str:
        """``value`` in scientific notation (``7.2e-06 cm2/s``)."""
        number = f"{value:.{digits - 1}e}"
        text = f"{number} {unit}".strip()
        self.evidence.append(Evidence(text=text, path=path, value=float(number), unit=unit))
        return text

    def conf(self, value: float, path: str) -> str:
        return self.fixed(value, 2, "", path, show_unit=False)

    def count(self, n: int, path: str) -> str:
        """A count of the items of the list at ``path``."""
        self.evidence.append(Evidence(text=str(n), path=path, value=float(n), unit="count"))
        return str(n)


def _decimals(uncertainty: float | None, minimum: int = 2) -> int:
    """Decimals that show two significant digits of an uncertainty (at least ``minimum``, at most 4)."""
    if uncertainty is None or not math.isfinite(uncertainty) or uncertainty <= 0:
        return minimum
    return int(min(4, max(minimum, 1 - math.floor(math.log10(uncertainty)))))


def _finite(q: QuantityOut | None) -> bool:
    return q is not None and q.value is not None and math.isfinite(q.value)


def _mv(q: _Quoter, quantity: QuantityOut, path: str) -> str:
    return q.fixed(1000 * quantity.value, 0, "mV", f"{path}.value")


def _potential(q: _Quoter, quantity: QuantityOut, path: str) -> str:
    return q.fixed(quantity.value, 3, "V", f"{path}.value")


def _current(q: _Quoter, quantity: QuantityOut, path: str) -> str:
    return q.sig(quantity.value, quantity.unit, f"{path}.value")


def _scan_rate(q: _Quoter, quantity: QuantityOut, path: str) -> str:
    return q.sig(quantity.value, "V/s", f"{path}.value", prefix=False)


def _n_of(couple: CoupleOut) -> int:
    if _finite(couple.n_electrons):
        return max(1, round(couple.n_electrons.value))
    return 1


def _electron_words(n: int) -> str:
    return {1: "one-electron", 2: "two-electron", 3: "three-electron"}.get(n, f"{n}-electron")


def _forward_direction(curve: CurveOut, couple: CoupleOut) -> str:
    a, c = curve.peaks[couple.anodic_peak], curve.peaks[couple.cathodic_peak]
    return "anodic" if (a.cycle, a.segment) <= (c.cycle, c.segment) else "cathodic"


def _couple_sentence(
    q: _Quoter, curve: CurveOut, i: int, j: int, couple: CoupleOut, anomalies: set[str]
) -> str:
    path = f"curves[{i}].couples[{j}]"
    n = _n_of(couple)
    rev_mv = round(59 / n)
    parts = [f"Couple at E½ = {_potential(q, couple.E_half, path + '.E_half')}: "]
    at = ""
    if _finite(curve.scan_rate):
        at = f" at {_scan_rate(q, curve.scan_rate, f'curves[{i}].scan_rate')}"
    dep = _mv(q, couple.delta_Ep, path + ".delta_Ep")
    if couple.reversibility == "reversible":
        parts.append(
            f"ΔEp = {dep}{at}, close to the {rev_mv} mV of a reversible {_electron_words(n)} couple "
            "(2.218 RT/nF, 57–60/n mV): reversible electron transfer"
        )
    elif couple.reversibility == "quasi-reversible":
        parts.append(
            f"ΔEp = {dep}{at}, wider than the {rev_mv} mV of a reversible {_electron_words(n)} couple: "
            "quasi-reversible electron transfer (Nicholson)"
        )
        if "ir_distortion" in anomalies:
            parts.append(", though part of the widening may be iR drop")
    else:
        parts.append(
            f"ΔEp = {dep}{at}, far above the {rev_mv} mV of a reversible {_electron_words(n)} couple: "
            "irreversible electron transfer"
        )
    if _finite(couple.k0):
        parts.append(f"; k0 ≈ {q.sci(couple.k0.value, 'cm/s', path + '.k0.value')} from Nicholson's ψ")
    parts.append(". ")
    if _finite(couple.current_ratio):
        ratio = couple.current_ratio.value
        text = q.fixed(ratio, 2, "", path + ".current_ratio.value", show_unit=False)
        forward = _forward_direction(curve, couple)
        small_return = (forward == "anodic" and ratio > 1.25) or (forward == "cathodic" and ratio < 0.8)
        if small_return:
            sign = ">" if ratio > 1 else "<"
            reverse = "cathodic" if forward == "anodic" else "anodic"
            tail = " with the missing-return-peak check firing" if "missing_return_peak" in anomalies else ""
            parts.append(
                f"ipa/ipc = {text} {sign} 1: the {reverse} return peak is smaller than the {forward} forward "
                f"peak{tail}, which suggests a following chemical step (EC). "
            )
        elif 0.8 <= ratio <= 1.25:
            parts.append(f"ipa/ipc = {text}, close to 1 as expected for a stable product. ")
        else:
            parts.append(f"ipa/ipc = {text}. ")
    if couple.confidence < LOW_CONFIDENCE:
        parts.append(
            f"This pairing is uncertain (confidence {q.conf(couple.confidence, path + '.confidence')}). "
        )
    return "".join(parts)


def _peak_list(q: _Quoter, curve: CurveOut, i: int, peaks: list[tuple[int, PeakOut]]) -> str:
    items = []
    for k, p in peaks:
        path = f"curves[{i}].peaks[{k}]"
        item = f"{p.direction} at {_potential(q, p.potential, path + '.potential')} ({_current(q, p.current, path + '.current')}"
        if p.confidence < LOW_CONFIDENCE:
            item += f", low confidence {q.conf(p.confidence, path + '.confidence')}"
        items.append(item + ")")
    return "; ".join(items)


def _first_cycle_peaks(curve: CurveOut) -> list[tuple[int, PeakOut]]:
    if not curve.peaks:
        return []
    first = min(p.cycle for p in curve.peaks)
    return [(k, p) for k, p in enumerate(curve.peaks) if p.cycle == first]


def _curve_text(q: _Quoter, curve: CurveOut, i: int, *, brief: bool, several: bool) -> str:
    head = f"{curve.source} ({curve.technique}): " if several else f"{curve.technique} curve: "
    anomalies = {a.kind for a in curve.anomalies}
    parts = [head]
    peaks = _first_cycle_peaks(curve)
    if not peaks:
        parts.append("no peak found. ")
    elif brief:
        parts.append(f"{q.count(len(curve.peaks), f'curves[{i}].peaks')} peak(s). ")
    else:
        if len(peaks) < len(curve.peaks):
            parts.append(f"peaks in the first cycle: {_peak_list(q, curve, i, peaks)}. ")
        else:
            parts.append(
                f"{q.count(len(peaks), f'curves[{i}].peaks')} peak(s): {_peak_list(q, curve, i, peaks)}. "
            )
        first_cycle = {k for k, _ in peaks}
        for j, couple in enumerate(curve.couples):
            if couple.anodic_peak in first_cycle or couple.cathodic_peak in first_cycle:
                parts.append(_couple_sentence(q, curve, i, j, couple, anomalies))
        paired = {c.anodic_peak for c in curve.couples} | {c.cathodic_peak for c in curve.couples}
        lone = [p for k, p in peaks if k not in paired]
        if curve.technique == "CV" and lone and "missing_return_peak" in anomalies:
            parts.append("A forward peak without a return peak points to a following chemical step (EC). ")
    if not brief and curve.cycle_stability is not None and curve.cycle_stability.significant:
        cs = curve.cycle_stability
        rate = q.fixed(
            cs.decay_per_cycle.value, 1, "%/cycle", f"curves[{i}].cycle_stability.decay_per_cycle.value"
        )
        way = "decays" if cs.decay_per_cycle.value > 0 else "grows (negative decay)"
        parts.append(f"The {cs.direction} peak current {way} by {rate} ({cs.model} fit over the cycles). ")
    if curve.anomalies:
        items = []
        for k, a in enumerate(curve.anomalies):
            words = ANOMALY_WORDS.get(a.kind, a.kind.replace("_", " "))
            items.append(
                f"{words} (confidence {q.conf(a.confidence, f'curves[{i}].anomalies[{k}].confidence')})"
            )
        parts.append("Doubts: " + "; ".join(items) + ". ")
    return "".join(parts).strip()


def _scan_rate_text(q: _Quoter, s: ScanRateSeriesOut) -> str:
    lo = min(x.value for x in s.scan_rates)
    hi = max(x.value for x in s.scan_rates)
    ilo = min(range(len(s.scan_rates)), key=lambda k: s.scan_rates[k].value)
    ihi = max(range(len(s.scan_rates)), key=lambda k: s.scan_rates[k].value)
    parts = [
        f"Scan-rate study over {q.count(len(s.scan_rates), 'series.scan_rates')} curves "
        f"({q.sig(lo, 'V/s', f'series.scan_rates[{ilo}].value', prefix=False)} to "
        f"{q.sig(hi, 'V/s', f'series.scan_rates[{ihi}].value', prefix=False)}), "
        f"{s.direction} peak: "
    ]
    dec = _decimals(s.log_log_slope.uncertainty)
    slope = q.fixed(s.log_log_slope.value, dec, "", "series.log_log_slope.value", show_unit=False)
    words = {
        "diffusion": "diffusion-controlled",
        "surface": "surface-controlled (adsorbed or confined species)",
        "mixed": "between diffusion and surface control (mixed)",
        "undetermined": "neither diffusion- nor surface-controlled; the regime is undetermined",
    }[s.regime]
    if s.log_log_slope.uncertainty is not None:
        se = q.fixed(
            s.log_log_slope.uncertainty, dec, "", "series.log_log_slope.uncertainty", show_unit=False
        )
        ci_lo = q.fixed(s.log_log_slope_ci.low, dec, "", "series.log_log_slope_ci.low", show_unit=False)
        ci_hi = q.fixed(s.log_log_slope_ci.high, dec, "", "series.log_log_slope_ci.high", show_unit=False)
        parts.append(f"log|ip| vs log v slope {slope} ± {se} (95% CI {ci_lo} to {ci_hi}): {words} ")
    else:
        parts.append(f"log|ip| vs log v slope {slope} (two points, no interval): {words} ")
    parts.append("(criterion: 0.5 for planar diffusion, 1.0 for a surface-confined layer). ")
    if s.regime_confidence < LOW_CONFIDENCE:
        parts.append(
            f"The call is uncertain (confidence {q.conf(s.regime_confidence, 'series.regime_confidence')}). "
        )
    if _finite(s.diffusion_coefficient):
        d = q.sci(s.diffusion_coefficient.value, "cm2/s", "series.diffusion_coefficient.value")
        parts.append(f"Randles–Ševčík (ip = 0.4463 nFAC (nFvD/RT)^½) gives D = {d}. ")
    if s.irreversible and _finite(s.alpha_n) and _finite(s.peak_potential_slope):
        shift = q.fixed(
            1000 * abs(s.peak_potential_slope.value), 1, "mV/decade", "series.peak_potential_slope.value"
        )
        an = q.fixed(
            s.alpha_n.value, _decimals(s.alpha_n.uncertainty), "", "series.alpha_n.value", show_unit=False
        )
        parts.append(
            f"Ep moves {shift} of scan rate, so αn = {an} (an irreversible wave shifts 29.6/(αn) mV per decade). "
        )
    if s.delta_Ep_trend == "increasing" and _finite(s.delta_Ep_slope):
        g = q.fixed(1000 * s.delta_Ep_slope.value, 1, "mV/decade", "series.delta_Ep_slope.value")
        parts.append(
            f"ΔEp grows by {g} of scan rate: slow electron transfer (quasi-reversible) or uncompensated resistance. "
        )
    elif s.delta_Ep_trend == "constant" and s.delta_Ep is not None:
        parts.append("ΔEp does not change with scan rate, as for a reversible couple. ")
    for finding in s.findings:
        parts.append(finding.rstrip(".") + ". ")
    return "".join(parts).strip()


def _lod_text(q: _Quoter, s: ConcentrationSeriesOut) -> str:
    if not s.detection_limits:
        return ""
    order = sorted(range(len(s.detection_limits)), key=lambda k: s.detection_limits[k].name != s.headline_lod)
    out = []
    for rank, k in enumerate(order):
        d = s.detection_limits[k]
        path = f"series.detection_limits[{k}]"
        lod = q.sig(d.lod.value, d.lod.unit, path + ".lod.value", prefix=False) if _finite(d.lod) else "n/a"
        text = f"LOD = {lod}"
        if _finite(d.loq):
            text += f", LOQ = {q.sig(d.loq.value, d.loq.unit, path + '.loq.value', prefix=False)}"
        text += f" ({d.definition}; σ: {d.sigma_source})"
        out.append(("Headline: " if rank == 0 else "Also ") + text)
    return ". ".join(out) + ". "


def _concentration_text(q: _Quoter, s: ConcentrationSeriesOut) -> str:
    unit = s.concentrations[0].unit if s.concentrations else ""
    n = len(s.concentrations)
    slope = q.sig(s.slope.value, s.slope.unit, "series.slope.value")
    parts = [
        f"Calibration over {q.count(n, 'series.concentrations')} standards, {s.direction} peak current: slope {slope}"
    ]
    if s.slope.uncertainty is not None:
        parts.append(f" ± {q.sig(s.slope.uncertainty, s.slope.unit, 'series.slope.uncertainty', digits=2)}")
    parts.append(
        f", intercept {q.sig(s.intercept.value, s.intercept.unit, 'series.intercept.value')}, "
        f"R² = {q.fixed(s.r_squared.value, 4, '', 'series.r_squared.value', show_unit=False)}. "
    )
    lr = s.linear_range
    low = (
        q.sig(lr.low.value, unit, "series.linear_range.low.value", prefix=False)
        if lr.low.value
        else f"0 {unit}"
    )
    high = q.sig(lr.high.value, unit, "series.linear_range.high.value", prefix=False)
    parts.append(f"Linear from {low} to {high}")
    if lr.excluded:
        n_out = q.count(len(lr.excluded), "series.linear_range.excluded")
        parts.append(
            f"; {n_out} higher point(s) bend away and were left out of the fit ({lr.excluded[0].reason})"
        )
    parts.append(". ")
    parts.append(_lod_text(q, s))
    if s.r_squared.value is not None and s.r_squared.value < 0.99:
        parts.append("R² below 0.99: the calibration is poor. ")
    return "".join(parts).strip()


def interpret(report: AnalysisReport) -> Interpretation:
    """Plain-language text for a report, and the evidence for every number in it."""
    q = _Quoter()
    paragraphs = []
    several = len(report.curves) > 1
    brief = len(report.curves) > MAX_CURVES_IN_FULL
    if not report.curves:
        return Interpretation("No curve to analyse.", ())
    if several:
        paragraphs.append(f"{q.count(len(report.curves), 'curves')} curves analysed.")
    for i, curve in enumerate(report.curves):
        show_full = not brief or i == 0 or curve.anomalies
        paragraphs.append(_curve_text(q, curve, i, brief=not show_full, several=several))
    if isinstance(report.series, ScanRateSeriesOut):
        paragraphs.append(_scan_rate_text(q, report.series))
    elif isinstance(report.series, ConcentrationSeriesOut):
        paragraphs.append(_concentration_text(q, report.series))
    if report.skipped:
        paragraphs.append("Skipped: " + "; ".join(f"{s.source} ({s.reason})" for s in report.skipped) + ".")
    return Interpretation("\n".join(p for p in paragraphs if p), tuple(q.evidence))
