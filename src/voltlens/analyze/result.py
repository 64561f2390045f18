"""Records the analysis engine returns: measured quantities with uncertainty, peaks, couples,
anomalies, one curve's analysis and a series analysis.

Pure data in SI units.  The JSON contract (pydantic, ``voltlens schema analysis``) is built from
these in :mod:`voltlens.analyze.contract`; nothing here knows about JSON or files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..model import Direction, Voltammogram

if TYPE_CHECKING:
    from .series import CalibrationStudy, CycleStability, ScanRateStudy

__all__ = [
    "Analysis",
    "Anomaly",
    "CurveAnalysis",
    "Evidence",
    "FoundCouple",
    "FoundPeak",
    "Quantity",
    "Reversibility",
    "SeriesAnalysis",
]

Reversibility = Literal["reversible", "quasi-reversible", "irreversible"]


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with its unit and its standard uncertainty (1σ, same unit)."""

    value: float
    unit: str
    uncertainty: float = math.nan

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", float(self.value))
        object.__setattr__(self, "uncertainty", abs(float(self.uncertainty)))


@dataclass(frozen=True, slots=True)
class FoundPeak:
    """A peak the engine found.  ``height`` is baseline-corrected and signed like the current
    (anodic positive).  ``baseline_potential_V``/``baseline_current`` describe the baseline drawn
    under the peak (for overlays)."""

    direction: Direction
    cycle: int
    segment: int
    potential: Quantity  # V
    height: Quantity  # A, or A/m² for current densities
    baseline_at_peak: float
    half_width: Quantity | None = None  # V, full width at half height
    charge: Quantity | None = None  # C (or C/m²)
    prominence: float = math.nan
    snr: float = math.nan
    confidence: float = 0.5
    shoulder: bool = False
    index: int = -1  # index of the peak point in the voltammogram arrays
    baseline_potential_V: np.ndarray = field(default_factory=lambda: np.empty(0))
    baseline_current: np.ndarray = field(default_factory=lambda: np.empty(0))
    half_peak_width: Quantity | None = None  # V, |Ep − Ep/2| (CV); 56.5/n mV for a Nernstian wave
    surface: bool = False  # the current returns to the baseline after the peak (adsorbed layer)
    couple: int | None = None  # index into CurveAnalysis.couples, None for a lone peak
    reversibility: Reversibility | None = None  # for a lone peak: what its shape says
    reasons: tuple[str, ...] = ()
    n_electrons: Quantity | None = None  # apparent n from the peak shape (DPV: W½ at the pulse amplitude)
    switch_off: bool = False  # a return-sweep "peak" that is only the earlier current dying away


@dataclass(frozen=True, slots=True)
class FoundCouple:
    """An anodic/cathodic peak pair (indices into ``CurveAnalysis.peaks``) and its diagnostics."""

    anodic: int
    cathodic: int
    e_half: Quantity  # V
    delta_ep: Quantity  # V
    current_ratio: Quantity  # |ipa/ipc|, dimensionless
    reversibility: Reversibility
    confidence: float
    reasons: tuple[str, ...] = ()
    n_electrons: Quantity | None = None
    psi: float | None = None  # Nicholson ψ
    k0: Quantity | None = None  # m/s, needs scan rate and D
    cycle: int = 1
    matsuda_ayabe_lambda: float | None = None  # Λ = √π ψ (equal D), inf when Nernstian
    apparent_ru_ohm: float | None = None  # iR drop seen by the semi-integral analysis (Ω, or Ω·m²)


@dataclass(frozen=True, slots=True)
class Anomaly:
    """Something that makes the data less trustworthy, with a confidence in 0–1."""

    # noise, drift, clipping, spikes, ir_distortion, missing_return_peak, reference_drift, truncated,
    # fouling, quantisation, background — see voltlens.analyze.anomalies.DETECTORS
    kind: str
    confidence: float
    detail: str
    severity: float = math.nan  # 0 (cosmetic) … 1 (the numbers cannot be trusted)
    evidence: dict[str, Any] = field(default_factory=dict)
    cycle: int | None = None  # the cycle it concerns, None for the whole curve


@dataclass(frozen=True, slots=True)
class CurveAnalysis:
    """Everything the engine measured on one voltammogram."""

    voltammogram: Voltammogram
    noise: Quantity  # RMS noise of the current, A (or A/m²)
    peaks: tuple[FoundPeak, ...] = ()
    couples: tuple[FoundCouple, ...] = ()
    anomalies: tuple[Anomaly, ...] = ()
    smoothed_current: np.ndarray | None = None
    notes: tuple[str, ...] = ()
    cycle_stability: SeriesAnalysis | None = None  # kind "cycles", filled by voltlens.analyze.analyze


@dataclass(frozen=True, slots=True)
class SeriesAnalysis:
    """A scan-rate, concentration or cycle-stability study over several curves."""

    kind: Literal["scan_rate", "concentration", "cycles"]
    values: dict[str, Any]
    findings: tuple[str, ...] = ()
    study: ScanRateStudy | CalibrationStudy | CycleStability | None = None  # the typed study
    curves: tuple[int, ...] = ()  # indices (into Analysis.curves) of the curves it used, in order


@dataclass(frozen=True, slots=True)
class Evidence:
    """A number quoted in the interpretation and where it lives in the JSON contract."""

    text: str  # as printed, e.g. "62 mV"
    path: str  # JSON path in the contract, e.g. "curves[0].couples[0].delta_Ep"
    value: float  # the number as printed, in ``unit``
    unit: str


@dataclass(frozen=True, slots=True)
class Analysis:
    """The analysis of one or several voltammograms: per-curve results, an optional series study,
    and a plain-language interpretation written from the numbers."""

    curves: tuple[CurveAnalysis, ...]
    series: SeriesAnalysis | None = None
    interpretation: str = ""
    evidence: tuple[Evidence, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (source, what it holds / why it was skipped)
