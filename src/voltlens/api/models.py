"""Request and response models of the REST API, the MCP tools and :mod:`voltlens.client` (pydantic only).

Analyses are returned as :class:`~voltlens.analyze.contract.AnalysisReport`, the same contract as
``voltlens analyze --json``; the models here add what the other endpoints return (an answer to a
question, a comparison) and what callers send (curves as arrays, options, a question).
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from ..analyze.contract import AnalysisReport, EvidenceOut, QuantityOut

__all__ = [
    "INTENTS",
    "AnalyzeRequest",
    "AskAnswer",
    "AskRequest",
    "CompareReport",
    "CompareRequest",
    "CompareRow",
    "CurveIn",
    "ErrorBody",
    "ErrorOut",
    "FormFields",
    "Health",
    "OptionsIn",
    "SeriesRequest",
]

Intent = Literal[
    "peak_count",
    "peak_potentials",
    "peak_currents",
    "e_half",
    "delta_ep",
    "current_ratio",
    "reversibility",
    "anomalies",
    "scan_rate_dependence",
    "trend",
    "detection_limit",
    "calibration",
]
#: What the rule-based ask engine can answer (``AskRequest.intent`` picks one without wording).
INTENTS: tuple[str, ...] = get_args(Intent)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, ser_json_inf_nan="null")


class CurveIn(_In):
    """One voltammogram as arrays.  Units are SI unless ``potential_unit``/``current_unit`` say
    otherwise (e.g. "mV", "µA"); current is IUPAC-signed (anodic positive) unless
    ``sign_convention`` is "US"."""

    potential: list[float] = Field(min_length=2, description="electrode potential, one per point")
    current: list[float] = Field(min_length=2, description="current, one per point")
    technique: Literal["CV", "LSV", "DPV", "SWV"] = "CV"
    scan_rate: float | None = Field(None, gt=0, description="V/s")
    cycle: list[int] | None = Field(None, description="1-based cycle number per point")
    potential_unit: str = "V"
    current_unit: str = "A"
    sign_convention: Literal["IUPAC", "US"] = "IUPAC"
    reference_electrode: str | None = Field(None, max_length=200)
    area_cm2: float | None = Field(None, gt=0)
    source: str = Field("<array>", max_length=200, description="a name for this curve in the report")
    metadata: dict[str, str | float | int | bool | None] = Field({}, max_length=64)


class OptionsIn(_In):
    """Analysis options, shared by every request (JSON fields, or form fields next to ``files``)."""

    concentrations: list[float] | None = Field(
        None, description="one per curve, in concentration_unit; 0 marks a blank (calibration series)"
    )
    scan_rates: list[float] | None = Field(None, description="V/s, one per curve (scan-rate series)")
    concentration_unit: str = Field("mM", max_length=32)
    diffusion_cm2_s: float | None = Field(None, gt=0, description="diffusion coefficient, for k0")
    area_cm2: float | None = Field(None, gt=0, description="electrode area where the data do not state it")
    concentration_mM: float | None = Field(None, gt=0, description="bulk concentration, for Randles–Ševčík D")


class AnalyzeRequest(OptionsIn):
    """JSON body of ``POST /v1/analyze``."""

    curves: list[CurveIn] = Field(min_length=1)


class SeriesRequest(AnalyzeRequest):
    """JSON body of ``POST /v1/series``: a scan-rate or concentration study over the curves."""

    kind: Literal["scan_rate", "concentration"] = "scan_rate"


class CompareRequest(AnalyzeRequest):
    """JSON body of ``POST /v1/compare``: each curve against the ``reference`` curve."""

    reference: int = Field(0, ge=0, description="index of the curve the others are compared with")


class AskRequest(AnalyzeRequest):
    """JSON body of ``POST /v1/ask``."""

    question: str = Field(min_length=1, max_length=2000)
    intent: Intent | None = Field(None, description="skip the wording: ask for one of the known answers")
    include_report: bool = Field(False, description="add the full analysis report to the answer")


class FormFields(OptionsIn):
    """The form fields a multipart request may carry next to its ``files``."""

    question: str | None = Field(None, min_length=1, max_length=2000)
    intent: Intent | None = None
    include_report: bool = False
    kind: Literal["scan_rate", "concentration"] = "scan_rate"
    reference: int = Field(0, ge=0)


class AskAnswer(_Out):
    """An answer, its structured form, the numbers it rests on and how far to trust it."""

    question: str
    answered: bool = Field(description="false: the engine cannot answer this from the data")
    intent: str | None = Field(description="which known question the engine took it for")
    answer: str = Field(description="one or two plain sentences")
    structured: dict[str, Any] = Field(description="the answer as data (numbers in SI units, V and A)")
    evidence: list[EvidenceOut] = Field(description="each number used, with its JSON path in the report")
    confidence: float = Field(ge=0.0, le=1.0)
    backend: str = "engine"
    report: AnalysisReport | None = None


class CompareRow(_Out):
    curve: int
    source: str
    technique: str
    n_peaks: int
    main_peak_potential: QuantityOut | None
    main_peak_current: QuantityOut | None
    E_half: QuantityOut | None
    delta_Ep: QuantityOut | None
    peak_shift_vs_reference: QuantityOut | None = Field(
        description="main peak potential minus the reference's"
    )
    current_ratio_vs_reference: QuantityOut | None = Field(
        description="main peak current over the reference's"
    )
    anomalies: list[str]


class CompareReport(_Out):
    reference: int
    rows: list[CompareRow]
    summary: str
    analysis: AnalysisReport


class ErrorBody(_Out):
    code: str = Field(description="machine-readable kind, e.g. bad_json, too_many_points, data_error")
    message: str = Field(description="what is wrong, naming the field or file")
    field: str | None = None


class ErrorOut(_Out):
    """Every 4xx/5xx response."""

    error: ErrorBody


class Health(_Out):
    status: Literal["ok"] = "ok"
    version: str
    backend: str
    image_analysis: bool
    pid: int
