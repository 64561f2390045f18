"""The published JSON contract of an analysis (schema version "1"), as pydantic v2 models.

``voltlens analyze FILE... --json`` prints :class:`AnalysisReport`; ``voltlens schema analysis``
prints its JSON Schema (:func:`analysis_schema`).  Every number is a :class:`QuantityOut`
(value, unit, uncertainty); every finding carries a confidence in 0–1; NaN and ±inf never reach
JSON (they become null).  Units on the wire: V, V/s, A — or A/cm2 for current densities
(converted from the SI A/m² inside) — C (or C/cm2), cm2/s for diffusion coefficients, cm/s for
rate constants, the user's concentration unit for calibrations.

The contract may grow (new optional fields), never shrink: consumers must ignore fields they do
not know.  The minimum every version keeps::

    {"schema_version": "1",
     "curves": [{"source", "technique", "scan_rate", "peaks": [...], "couples": [...], "anomalies": [...]}],
     "series": {"kind": "scan_rate"|"concentration", ...} | null,
     "interpretation": str}
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from .. import __version__
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

__all__ = [
    "SCHEMA_VERSION",
    "AnalysisReport",
    "AnomalyOut",
    "ConcentrationSeriesOut",
    "CoupleOut",
    "CurveOut",
    "PeakOut",
    "QuantityOut",
    "ScanRateSeriesOut",
    "analysis_schema",
    "build_report",
    "curve_out",
    "quantity_out",
    "report_of",
    "series_out",
    "to_json",
]

SCHEMA_VERSION = "1"
M2_PER_CM2 = 1e-4  # 1 A/m² = 1e-4 A/cm²; 1 m²/s = 1e4 cm²/s


def _finite_or_none(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, int | float | np.floating | np.integer):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def _clean_json(value: Any) -> Any:
    """A JSON-safe copy: tuples as lists, numpy scalars as Python numbers, NaN/inf as None."""
    if isinstance(value, dict):
        return {str(k): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    return _finite_or_none(value)


FiniteFloat = Annotated[float | None, BeforeValidator(_finite_or_none)]
Confidence = Annotated[float, Field(ge=0.0, le=1.0, description="confidence in 0–1")]


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True, ser_json_inf_nan="null", json_schema_serialization_defaults_required=True
    )


class QuantityOut(_Model):
    """A number with its unit and standard uncertainty (1σ, same unit); null where unknown."""

    value: FiniteFloat
    unit: str
    uncertainty: FiniteFloat = None


class IntervalOut(_Model):
    """A confidence interval."""

    low: FiniteFloat
    high: FiniteFloat
    unit: str
    level: float = Field(0.95, description="coverage probability")


class PeakOut(_Model):
    direction: Literal["anodic", "cathodic"]
    cycle: int
    potential: QuantityOut
    current: QuantityOut = Field(description="baseline-corrected peak current, A or A/cm2, anodic positive")
    confidence: Confidence
    segment: int = 0
    baseline_current: QuantityOut | None = None
    half_width: QuantityOut | None = Field(None, description="full width at half height, V")
    half_peak_width: QuantityOut | None = Field(
        None, description="|Ep − Ep/2| of a sweep peak, V (56.5/n mV for a Nernstian wave)"
    )
    reversibility: Literal["reversible", "quasi-reversible", "irreversible"] | None = Field(
        None, description="what a peak without a partner says of its electron transfer, from its width"
    )
    charge: QuantityOut | None = None
    shoulder: bool = False


class CoupleOut(_Model):
    E_half: QuantityOut
    delta_Ep: QuantityOut
    current_ratio: QuantityOut = Field(description="|ipa/ipc|")
    reversibility: Literal["reversible", "quasi-reversible", "irreversible"]
    confidence: Confidence
    anodic_peak: int = Field(description="index into this curve's peaks")
    cathodic_peak: int = Field(description="index into this curve's peaks")
    n_electrons: QuantityOut | None = None
    k0: QuantityOut | None = Field(None, description="standard rate constant, cm/s")
    reasons: list[str] = []
    apparent_ru: QuantityOut | None = Field(
        None,
        description="uncompensated resistance seen by the semi-integral (convolution) analysis of the couple, "
        "ohm (ohm*cm2 when the current is a density); null when that analysis does not fit well enough to quote",
    )


class AnomalyOut(_Model):
    kind: str
    confidence: Confidence
    detail: str
    severity: FiniteFloat = Field(None, description="0 cosmetic … 1 the numbers cannot be trusted")
    cycle: int | None = None


class CycleStabilityOut(_Model):
    direction: Literal["anodic", "cathodic"]
    cycles: list[int]
    peak_currents: list[QuantityOut]
    model: Literal["linear", "exponential"]
    decay_per_cycle: QuantityOut = Field(description="percent of the peak current lost per cycle")
    retained: QuantityOut = Field(description="last fitted peak current over the first")
    significant: bool


class CurveOut(_Model):
    source: str
    technique: Literal["CV", "LSV", "DPV", "SWV"]
    scan_rate: QuantityOut | None
    peaks: list[PeakOut]
    couples: list[CoupleOut]
    anomalies: list[AnomalyOut]
    n_points: int = 0
    n_cycles: int = 1
    current_unit: Literal["A", "A/cm2"] = "A"
    reference_electrode: str | None = None
    noise: QuantityOut | None = Field(None, description="RMS noise of the current")
    cycle_stability: CycleStabilityOut | None = None
    notes: list[str] = []
    digitization: dict[str, Any] | None = Field(
        None,
        description="for curves read from a plot image: calibration residuals, OCR confidence, coverage, "
        "per-axis pixel size in data units and the per-point uncertainty propagated into every number",
    )


class DetectionLimitOut(_Model):
    name: Literal["iupac_blank", "ich_blank", "ich_residual"]
    definition: str
    lod: QuantityOut
    loq: QuantityOut | None
    sigma: QuantityOut
    sigma_source: str


class ExcludedPointOut(_Model):
    curve: int
    concentration: QuantityOut
    reason: str


class LinearRangeOut(_Model):
    low: QuantityOut
    high: QuantityOut
    excluded: list[ExcludedPointOut]
    test: str


class BlankOut(_Model):
    n: int
    mean: QuantityOut | None
    sd: QuantityOut | None
    source: str | None


class ScanRateSeriesOut(_Model):
    kind: Literal["scan_rate"] = "scan_rate"
    curves: list[int] = Field(description="indices into curves")
    direction: Literal["anodic", "cathodic"]
    scan_rates: list[QuantityOut]
    peak_currents: list[QuantityOut]
    peak_potentials: list[QuantityOut] | None = None
    delta_Ep: list[QuantityOut] | None = None
    log_log_slope: QuantityOut
    log_log_slope_ci: IntervalOut
    regime: Literal["diffusion", "surface", "mixed", "undetermined"]
    regime_confidence: Confidence
    criterion: str
    randles_sevcik_slope: QuantityOut = Field(description="slope of |ip| vs v^½")
    diffusion_coefficient: QuantityOut | None = Field(None, description="Randles–Ševčík D, cm2/s")
    peak_potential_slope: QuantityOut | None = Field(None, description="dEp/dlog10(v), V per decade")
    irreversible: bool = False
    alpha_n: QuantityOut | None = None
    delta_Ep_slope: QuantityOut | None = Field(None, description="dΔEp/dlog10(v), V per decade")
    delta_Ep_trend: Literal["constant", "increasing", "decreasing"] | None = None
    findings: list[str] = []


class ConcentrationSeriesOut(_Model):
    kind: Literal["concentration"] = "concentration"
    curves: list[int] = Field(description="indices into curves")
    direction: Literal["anodic", "cathodic"]
    concentrations: list[QuantityOut]
    responses: list[QuantityOut]
    slope: QuantityOut
    slope_ci: IntervalOut
    intercept: QuantityOut
    intercept_ci: IntervalOut
    r_squared: QuantityOut
    residual_sd: QuantityOut = Field(description="s_y/x")
    residuals: list[QuantityOut]
    linear_range: LinearRangeOut
    detection_limits: list[DetectionLimitOut]
    headline_lod: str | None = Field(description="name of the detection limit to quote first")
    blank: BlankOut
    blank_subtracted: int | None = Field(
        None,
        description="index into curves of the blank subtracted from every analyte curve before its peak was "
        "measured; null when the peaks were measured on the raw curves",
    )
    findings: list[str] = []


Series = Annotated[ScanRateSeriesOut | ConcentrationSeriesOut, Field(discriminator="kind")]


class EvidenceOut(_Model):
    text: str
    path: str
    value: FiniteFloat
    unit: str


class SkippedOut(_Model):
    source: str
    reason: str


class AnalysisReport(_Model):
    """What ``voltlens analyze --json`` prints."""

    schema_version: Literal["1"] = SCHEMA_VERSION
    curves: list[CurveOut]
    series: Series | None
    interpretation: str
    evidence: list[EvidenceOut] = Field(
        [], description="each number quoted in the interpretation and its JSON path in this report"
    )
    skipped: list[SkippedOut] = []
    generator: str = f"voltlens {__version__}"


# ----------------------------------------------------------------------------------------------
# building the report from the records


def quantity_out(q: Quantity | None, *, scale: float = 1.0, unit: str | None = None) -> QuantityOut | None:
    if q is None:
        return None
    return QuantityOut(value=q.value * scale, unit=unit or q.unit, uncertainty=q.uncertainty * abs(scale))


def _q(value: float, unit: str, uncertainty: float | None = None) -> QuantityOut:
    return QuantityOut(value=value, unit=unit, uncertainty=uncertainty)


def _current_scale(curve: CurveAnalysis) -> tuple[float, str]:
    """Scale from the record's current unit to the wire unit, and that unit."""
    if curve.voltammogram.current_is_density:
        return M2_PER_CM2, "A/cm2"
    return 1.0, "A"


def _confidence(value: float) -> float:
    return float(np.clip(value, 0.0, 1.0)) if math.isfinite(value) else 0.0


def peak_out(peak: FoundPeak, scale: float, unit: str) -> PeakOut:
    charge_unit = "C/cm2" if unit == "A/cm2" else "C"
    return PeakOut(
        direction=peak.direction,
        cycle=peak.cycle,
        segment=peak.segment,
        potential=quantity_out(peak.potential, unit="V"),
        current=quantity_out(peak.height, scale=scale, unit=unit),
        baseline_current=_q(peak.baseline_at_peak * scale, unit),
        confidence=_confidence(peak.confidence),
        half_width=quantity_out(peak.half_width, unit="V"),
        half_peak_width=quantity_out(peak.half_peak_width, unit="V"),
        reversibility=peak.reversibility,
        charge=quantity_out(peak.charge, scale=scale, unit=charge_unit),
        shoulder=peak.shoulder,
    )


def couple_out(couple: FoundCouple, scale: float = 1.0, unit: str = "A") -> CoupleOut:
    """The wire form of a couple; ``scale``/``unit``: the current's, as for :func:`peak_out`."""
    ru = couple.apparent_ru_ohm
    return CoupleOut(
        E_half=quantity_out(couple.e_half, unit="V"),
        delta_Ep=quantity_out(couple.delta_ep, unit="V"),
        current_ratio=quantity_out(couple.current_ratio, unit="1"),
        reversibility=couple.reversibility,
        confidence=_confidence(couple.confidence),
        anodic_peak=couple.anodic,
        cathodic_peak=couple.cathodic,
        n_electrons=quantity_out(couple.n_electrons, unit="1"),
        k0=quantity_out(couple.k0, scale=100.0, unit="cm/s"),
        reasons=list(couple.reasons),
        apparent_ru=None
        if ru is None or not math.isfinite(ru)
        else _q(ru / scale, "ohm*cm2" if unit == "A/cm2" else "ohm"),
    )


def anomaly_out(anomaly: Anomaly) -> AnomalyOut:
    return AnomalyOut(
        kind=anomaly.kind,
        confidence=_confidence(anomaly.confidence),
        detail=anomaly.detail,
        severity=anomaly.severity,
        cycle=anomaly.cycle,
    )


def _cycle_stability_out(series: SeriesAnalysis | None, scale: float, unit: str) -> CycleStabilityOut | None:
    if series is None or series.study is None:
        return None
    st = series.study
    return CycleStabilityOut(
        direction=series.values.get("direction", "anodic"),
        cycles=[int(k) for k in st.cycles],
        peak_currents=[_q(i * scale, unit) for i in st.currents],
        model=st.model,
        decay_per_cycle=quantity_out(st.decay_per_cycle),
        retained=_q(st.retained, "1"),
        significant=st.significant,
    )


def _with_digitization(peak: PeakOut, digit: dict[str, Any] | None, scale: float) -> PeakOut:
    """Add the digitizer's per-point uncertainty (one sigma, in quadrature) to a peak's numbers."""
    if not digit:
        return peak
    s_e = digit.get("potential_sigma_V") or 0.0
    s_i = (digit.get("current_sigma_A") or 0.0) * scale

    def widen(q: QuantityOut, extra: float) -> QuantityOut:
        base = q.uncertainty if q.uncertainty is not None else 0.0
        return q.model_copy(update={"uncertainty": math.hypot(base, extra)})

    return peak.model_copy(
        update={"potential": widen(peak.potential, s_e), "current": widen(peak.current, s_i)}
    )


def curve_out(curve: CurveAnalysis) -> CurveOut:
    v = curve.voltammogram
    scale, unit = _current_scale(curve)
    digit = v.metadata.get("digitization")
    return CurveOut(
        source=v.source,
        technique=v.technique.value,
        scan_rate=None if v.scan_rate is None else _q(v.scan_rate, "V/s"),
        peaks=[_with_digitization(peak_out(p, scale, unit), digit, scale) for p in curve.peaks],
        couples=[couple_out(c, scale, unit) for c in curve.couples],
        anomalies=[anomaly_out(a) for a in curve.anomalies],
        n_points=v.n_points,
        n_cycles=v.n_cycles,
        current_unit=unit,
        reference_electrode=v.reference_electrode,
        noise=quantity_out(curve.noise, scale=scale, unit=unit),
        cycle_stability=_cycle_stability_out(curve.cycle_stability, scale, unit),
        notes=list(curve.notes),
        digitization=_clean_json(dict(digit)) if digit else None,
    )


def _interval(ci: tuple[float, float], unit: str, level: float, scale: float = 1.0) -> IntervalOut:
    lo, hi = ci[0] * scale, ci[1] * scale
    return IntervalOut(low=min(lo, hi), high=max(lo, hi), unit=unit, level=level)


def _scan_rate_out(series: SeriesAnalysis, curves: tuple[CurveAnalysis, ...]) -> ScanRateSeriesOut:
    st = series.study
    scale, unit = _current_scale(curves[series.curves[0]]) if series.curves else (1.0, "A")
    sign = -1.0 if series.values.get("direction") == "cathodic" else 1.0
    fit = st.log_fit
    d = st.diffusion
    ep_fit, dep_fit = st.ep_fit, st.delta_ep_fit
    return ScanRateSeriesOut(
        curves=list(series.curves),
        direction=series.values.get("direction", "anodic"),
        scan_rates=[_q(x, "V/s") for x in st.scan_rates],
        peak_currents=[_q(sign * i * scale, unit) for i in st.peak_currents],
        peak_potentials=None if st.peak_potentials is None else [_q(e, "V") for e in st.peak_potentials],
        delta_Ep=None if st.delta_ep is None else [_q(e, "V") for e in st.delta_ep],
        log_log_slope=_q(fit.slope, "1", fit.slope_se),
        log_log_slope_ci=_interval(fit.slope_ci, "1", fit.confidence),
        regime=st.regime,
        regime_confidence=_confidence(st.regime_confidence),
        criterion=st.criterion,
        randles_sevcik_slope=_q(st.sqrt_fit.slope * scale, f"{unit}/(V/s)^0.5", st.sqrt_fit.slope_se * scale),
        diffusion_coefficient=None if d is None else _q(d.value * 1e4, "cm2/s", d.uncertainty * 1e4),
        peak_potential_slope=None if ep_fit is None else _q(ep_fit.slope, "V/decade", ep_fit.slope_se),
        irreversible=st.irreversible,
        alpha_n=quantity_out(st.alpha_n),
        delta_Ep_slope=None if dep_fit is None else _q(dep_fit.slope, "V/decade", dep_fit.slope_se),
        delta_Ep_trend=st.delta_ep_trend,
        findings=list(series.findings),
    )


def _concentration_out(series: SeriesAnalysis, curves: tuple[CurveAnalysis, ...]) -> ConcentrationSeriesOut:
    st = series.study
    fit = st.fit
    cu = st.concentration_unit
    scale, unit = _current_scale(curves[series.curves[0]]) if series.curves else (1.0, "A")
    s_unit = f"{unit}/{cu}"
    index = list(series.curves)
    return ConcentrationSeriesOut(
        curves=index,
        direction=series.values.get("direction", "anodic"),
        concentrations=[_q(c, cu) for c in st.concentrations],
        responses=[
            _q(r * scale, unit, u * scale)
            for r, u in zip(
                st.responses,
                series.values.get("response_uncertainties", [math.nan] * len(st.responses)),
                strict=True,
            )
        ],
        slope=_q(fit.slope * scale, s_unit, fit.slope_se * scale),
        slope_ci=_interval(fit.slope_ci, s_unit, fit.confidence, scale),
        intercept=_q(fit.intercept * scale, unit, fit.intercept_se * scale),
        intercept_ci=_interval(fit.intercept_ci, unit, fit.confidence, scale),
        r_squared=_q(fit.r_squared, "1"),
        residual_sd=_q(fit.s_yx * scale, unit),
        residuals=[_q(r * scale, unit) for r in st.residuals],
        linear_range=LinearRangeOut(
            low=_q(st.linear_range[0], cu),
            high=_q(st.linear_range[1], cu),
            excluded=[
                ExcludedPointOut(
                    curve=index[i] if i < len(index) else i,
                    concentration=_q(st.concentrations[i], cu),
                    reason=reason,
                )
                for i, reason in st.excluded
            ],
            test=st.linearity_test,
        ),
        detection_limits=[
            DetectionLimitOut(
                name=d.name,
                definition=d.definition,
                lod=quantity_out(d.lod),
                loq=quantity_out(d.loq),
                sigma=_q(d.sigma * scale, unit),
                sigma_source=d.sigma_source,
            )
            for d in st.detection_limits
        ],
        headline_lod=st.headline,
        blank=BlankOut(
            n=st.n_blank,
            mean=None if st.blank_mean is None else _q(st.blank_mean * scale, unit),
            sd=None if st.blank_sd is None else _q(st.blank_sd * scale, unit),
            source=st.blank_sd_source,
        ),
        blank_subtracted=series.values.get("blank_curve"),
        findings=list(series.findings),
    )


def series_out(
    series: SeriesAnalysis | None, curves: tuple[CurveAnalysis, ...]
) -> ScanRateSeriesOut | ConcentrationSeriesOut | None:
    if series is None or series.study is None:
        return None
    if series.kind == "scan_rate":
        return _scan_rate_out(series, curves)
    if series.kind == "concentration":
        return _concentration_out(series, curves)
    return None


def build_report(
    curves: tuple[CurveAnalysis, ...],
    series: SeriesAnalysis | None = None,
    *,
    interpretation: str = "",
    evidence: tuple[Evidence, ...] = (),
    skipped: tuple[tuple[str, str], ...] = (),
) -> AnalysisReport:
    """The contract object for some analysed curves (and a series over them)."""
    return AnalysisReport(
        curves=[curve_out(c) for c in curves],
        series=series_out(series, curves),
        interpretation=interpretation,
        evidence=[EvidenceOut(text=e.text, path=e.path, value=e.value, unit=e.unit) for e in evidence],
        skipped=[SkippedOut(source=s, reason=r) for s, r in skipped],
    )


def report_of(analysis: Analysis) -> AnalysisReport:
    """The contract object of a finished :class:`~voltlens.analyze.result.Analysis`."""
    return build_report(
        analysis.curves,
        analysis.series,
        interpretation=analysis.interpretation,
        evidence=analysis.evidence,
        skipped=analysis.skipped,
    )


def to_json(analysis: Analysis | AnalysisReport, *, indent: int | None = 2) -> str:
    """The contract as JSON text (strict JSON: no NaN or Infinity)."""
    report = analysis if isinstance(analysis, AnalysisReport) else report_of(analysis)
    data = report.model_dump(mode="json")
    return json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False)


def analysis_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of :class:`AnalysisReport`."""
    schema = AnalysisReport.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://voltlens.invalid/schema/analysis/{SCHEMA_VERSION}.json"
    return schema
