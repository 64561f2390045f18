"""Simulated voltammetry with known ground truth (semi-integral method, planar macroelectrode).

Species (SI units; frozen, validated records): :class:`Reversible`, :class:`QuasiReversible`,
:class:`Irreversible`, :class:`EC`, :class:`EE`, :class:`Adsorbed`; the :class:`Cell` (area,
temperature, Ru, Cdl).  Waveforms: :class:`CVWaveform`, :class:`LSVWaveform`, :class:`DPVWaveform`
and the programmes they expand to (:func:`cv_program` …).  Simulation: :func:`simulate_cv`,
:func:`simulate_lsv`, :func:`simulate_dpv`, :func:`simulate_program` (any uniformly sampled
potential programme), :func:`simulate` (dispatch), :func:`scan_rate_series`,
:func:`concentration_series`.  Measurement artefacts: :class:`Artifacts`, :func:`apply_artifacts`,
:func:`solve_modifiers`, :func:`simulate_measurement`.

Units: V, A, s, m², m²/s (D), m/s (k0 of a dissolved couple), 1/s (homogeneous rate constants and
the k0 of a surface layer), mol/m³ = mM (concentration), mol/m² (coverage), F/m² (Cdl), Ω (Ru).
Currents follow the IUPAC sign (anodic positive).

Numerics: the convolution (semi-integral) formulation of Oldham & Myland (2011) with product-
integration weights exact for a piecewise-linear current (second order, no half-step lag); every
output sample is the current at that instant.  Without Ru the lower-triangular system is solved
in vectorised blocks (≈2 ms for a 2,000-point CV); with Ru each step solves the iR drop and the
double layer self-consistently (≈15–25 ms).  At 1 mV steps: Randles–Ševčík to 1e-4, peak
potentials to 0.01 mV, cvsim peaks within 0.5 % and 0.45 mV; DPV within 0.3 % of Parry–Osteryoung.
A potential jump between two samples acts half-way between them.
"""

from __future__ import annotations

from .artifacts import Artifacts, InjectedArtifact, apply_artifacts, simulate_measurement, solve_modifiers
from .species import (
    EC,
    EE,
    Adsorbed,
    Cell,
    Irreversible,
    QuasiReversible,
    Reversible,
    Species,
    half_wave_potential_V,
    kinetic_parameter,
)
from .voltammetry import (
    ProgramTrace,
    SimulatedCurve,
    concentration_series,
    scan_rate_series,
    simulate,
    simulate_cv,
    simulate_dpv,
    simulate_lsv,
    simulate_program,
)
from .waveform import (
    CVWaveform,
    DPVSampling,
    DPVWaveform,
    LSVWaveform,
    PotentialProgram,
    cv_program,
    dpv_program,
    lsv_program,
)

__all__ = [
    "EC",
    "EE",
    "Adsorbed",
    "Artifacts",
    "CVWaveform",
    "Cell",
    "DPVSampling",
    "DPVWaveform",
    "InjectedArtifact",
    "Irreversible",
    "LSVWaveform",
    "PotentialProgram",
    "ProgramTrace",
    "QuasiReversible",
    "Reversible",
    "SimulatedCurve",
    "Species",
    "apply_artifacts",
    "concentration_series",
    "cv_program",
    "dpv_program",
    "half_wave_potential_V",
    "kinetic_parameter",
    "lsv_program",
    "scan_rate_series",
    "simulate",
    "simulate_cv",
    "simulate_dpv",
    "simulate_lsv",
    "simulate_measurement",
    "simulate_program",
    "solve_modifiers",
]
