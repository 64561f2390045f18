"""The JSON contract of ground-truth labels written by ``voltlens synth`` (one line of
``labels.jsonl`` per sample) and published by ``voltlens schema labels``.

Values are SI (V, A, s, C) with the unit in the field name.  Everything a model or a benchmark
needs to score an answer is here: every peak and couple computed from the noise-free faradaic
current, every injected artifact with its severity, series truths, the style and the exact
data↔pixel transform of the image.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ArtifactLabel",
    "CoupleLabel",
    "CurveLabel",
    "PeakLabel",
    "SampleLabel",
    "SeriesLabel",
    "labels_schema",
]

LABELS_SCHEMA_VERSION = "1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PeakLabel(_Strict):
    direction: Literal["anodic", "cathodic"]
    cycle: int = Field(ge=1)
    segment: int = Field(ge=0)
    species: int = Field(ge=0, description="index into the curve's species list")
    potential_V: float
    current_A: float = Field(
        description="faradaic peak current relative to the true background, signed (anodic > 0)"
    )
    baseline_A: float = Field(
        description="true background under the peak (Nicholson: current had the potential been held)"
    )
    half_width_V: float | None = Field(
        description="full width at half height of the background-corrected peak; null when the peak does not fall "
        "below half height on both sides within its sweep"
    )
    half_peak_potential_V: float | None = Field(
        description="Ep/2: potential of half height on the rising side"
    )
    charge_C: float | None = Field(description="background-corrected charge under the peak")


class CoupleLabel(_Strict):
    species: int = Field(ge=0)
    cycle: int = Field(ge=1)
    anodic: int = Field(ge=0, description="index into the curve's peaks")
    cathodic: int = Field(ge=0, description="index into the curve's peaks")
    E_half_V: float
    delta_Ep_V: float
    current_ratio: float = Field(description="|ipa/ipc|")
    n: float
    reversibility: Literal["reversible", "quasi-reversible", "irreversible"]
    matsuda_ayabe_lambda: float | None = Field(
        description="Λ = k0/(D n f v)^½; null when infinite (Nernstian) or for a surface-confined couple"
    )


class ArtifactLabel(_Strict):
    kind: str
    severity: float = Field(ge=0.0, le=1.0)
    params: dict[str, Any] = Field(default_factory=dict)


class SpeciesLabel(_Strict):
    mechanism: Literal["reversible", "quasi-reversible", "irreversible", "EC", "EE", "adsorbed"]
    params: dict[str, Any]
    reversibility: Literal["reversible", "quasi-reversible", "irreversible"]
    E_half_V: float | None = Field(description="reversible half-wave potential E°′ + (RT/nF) ln √(D_R/D_O)")


class CurveLabel(_Strict):
    technique: Literal["CV", "LSV", "DPV", "SWV"]
    legend: str | None
    waveform: dict[str, Any]
    cell: dict[str, Any]
    species: list[SpeciesLabel]
    peaks: list[PeakLabel]
    couples: list[CoupleLabel]
    artifacts: list[ArtifactLabel]
    scan_rate_V_s: float | None
    concentration_mol_m3: float | None = Field(
        description="bulk concentration of species 0 (series variable)"
    )
    n_points: int
    current_range_A: tuple[float, float]
    potential_range_V: tuple[float, float]


class SeriesLabel(_Strict):
    kind: Literal["scan_rate", "concentration", "overlay", "cycles"]
    variable: str
    values: list[float]
    peak_currents_A: list[float | None] = Field(description="forward-peak current of species 0 in each curve")
    log_log_slope: float | None = None
    theoretical_log_log_slope: float | None = None
    sensitivity_A_per_mol_m3: float | None = None
    intercept_A: float | None = None
    blank_noise_A: float | None = None
    lod_mol_m3: float | None = Field(
        default=None, description="IUPAC 3·s_blank/S with s_blank the blank's noise RMS"
    )
    lod_definition: str | None = None


class SampleLabel(_Strict):
    schema_version: Literal["1"] = LABELS_SCHEMA_VERSION
    id: str
    index: int = Field(ge=0)
    image: str = Field(description="image path relative to the dataset directory")
    kind: Literal["single", "overlay", "scan_rate_series", "concentration_series"]
    technique: Literal["CV", "LSV", "DPV", "SWV"]
    curves: list[CurveLabel]
    series: SeriesLabel | None
    style: dict[str, Any]
    transform: dict[str, Any]
    degradation: dict[str, Any] | None
    render_meta: dict[str, Any] = Field(default_factory=dict)


def labels_schema() -> dict[str, Any]:
    """The JSON Schema of one line of ``labels.jsonl``."""
    schema = SampleLabel.model_json_schema()
    schema["$id"] = "https://voltlens.dev/schema/labels-v1.json"
    schema["title"] = "voltlens sample label"
    return schema
