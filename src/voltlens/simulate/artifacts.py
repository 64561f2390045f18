"""Measurement non-idealities with physical parameters, and the record of what was injected.

:class:`Artifacts` lists every effect; each field defaults to "off".  Two kinds:

* **solved** — they change the faradaic response and so must enter the solve: uncompensated
  resistance and double-layer capacitance (fields of :class:`~.species.Cell`), electrode fouling
  (``fouling_per_cycle``: the active area is multiplied by 1 − f at each new cycle) and reference
  drift (``reference_drift_V_per_cycle``: the electrode sees applied + drift·(cycle − 1), the
  recorded potential stays the applied one).  :func:`solve_modifiers` turns the last two into the
  per-sample arrays ``simulate_cv`` takes.
* **recorded** — added to the clean current by :func:`apply_artifacts`, in instrument order:
  background (linear + quadratic in E − E_start, exponential solvent/HER onsets), slow drift
  (A/s), mains pick-up (sine of ``mains_frequency_Hz`` on the time axis), white and 1/f noise
  (each scaled to its stated RMS in A), spikes (single-sample, ± amplitude), then current-range
  clipping (|i| ≤ ``clip_A``) and ADC quantisation (multiples of ``adc_lsb_A``).

For DPV the recorded effects act on the differential current as an instrument would see them:
drift becomes drift·t_pulse and mains the difference of the two sampled sines.

:class:`InjectedArtifact` severity (0..1) is relative to the clean signal scale S (largest |faradaic|,
else largest |current|): noise and mains RMS/amplitude over 0.1·S; spikes |amplitude|/S; drift
and background their largest excursion over S; clipping the fraction of the clean range cut off;
ADC the LSB over 0.05·S; Ru its largest iR drop over 0.1 V; Cdl the largest charging current over S;
fouling the area lost by the last cycle; reference drift the total offset over 50 mV.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..model import Technique, Voltammogram
from .species import Cell, Species
from .voltammetry import SimulatedCurve, simulate
from .waveform import CVWaveform, DPVWaveform, LSVWaveform, PotentialProgram, cv_program, lsv_program

__all__ = ["Artifacts", "InjectedArtifact", "apply_artifacts", "simulate_measurement", "solve_modifiers"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Artifacts:
    """Non-ideal effects, all off by default (SI units)."""

    noise_rms_A: float = 0.0
    pink_noise_rms_A: float = 0.0
    mains_amplitude_A: float = 0.0
    mains_frequency_Hz: float = 50.0
    spike_count: int = 0
    spike_amplitude_A: float = 0.0
    drift_A_per_s: float = 0.0
    background_offset_A: float = 0.0
    background_linear_A_per_V: float = 0.0
    background_quadratic_A_per_V2: float = 0.0
    anodic_onset_V: float | None = None
    cathodic_onset_V: float | None = None
    onset_current_A: float = 0.0  # |current| of an exponential onset at its onset potential
    onset_width_V: float = 0.03  # e-fold width of the onsets
    clip_A: float | None = None
    adc_lsb_A: float = 0.0
    fouling_per_cycle: float = 0.0
    reference_drift_V_per_cycle: float = 0.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ParameterError(f"Artifacts.{f.name}", value, "must be a finite number")
        for name in ("noise_rms_A", "pink_noise_rms_A", "mains_amplitude_A", "adc_lsb_A", "onset_current_A"):
            if getattr(self, name) < 0:
                raise ParameterError(f"Artifacts.{name}", getattr(self, name), "must be ≥ 0")
        if self.mains_frequency_Hz <= 0:
            raise ParameterError(
                "Artifacts.mains_frequency_Hz", self.mains_frequency_Hz, "must be > 0 (50 or 60 Hz)"
            )
        if not isinstance(self.spike_count, int) or self.spike_count < 0:
            raise ParameterError("Artifacts.spike_count", self.spike_count, "must be an integer ≥ 0")
        if self.onset_width_V <= 0:
            raise ParameterError("Artifacts.onset_width_V", self.onset_width_V, "must be > 0 V")
        if self.clip_A is not None and self.clip_A <= 0:
            raise ParameterError("Artifacts.clip_A", self.clip_A, "must be > 0 A (or None for no clipping)")
        if not 0.0 <= self.fouling_per_cycle < 1.0:
            raise ParameterError("Artifacts.fouling_per_cycle", self.fouling_per_cycle, "must be in [0, 1)")


@dataclass(frozen=True, slots=True)
class InjectedArtifact:
    """One effect present in a synthetic measurement: its kind, a 0..1 severity and its parameters."""

    kind: str
    severity: float
    params: dict[str, Any] = field(default_factory=dict)


def _cycle_of(program: PotentialProgram | np.ndarray) -> np.ndarray:
    cycle = program.cycle if isinstance(program, PotentialProgram) else np.asarray(program)
    if cycle.ndim != 1 or cycle.size == 0:
        raise ParameterError(
            "program", f"shape {cycle.shape}", "must be a PotentialProgram or a 1-D cycle array"
        )
    return cycle.astype(float)


def solve_modifiers(
    artifacts: Artifacts, program: PotentialProgram | np.ndarray
) -> dict[str, np.ndarray | None]:
    """``potential_offset_V`` and ``active_fraction`` arrays for the solved artefacts of one programme.

    Use as ``simulate_cv(sp, w, cell, **solve_modifiers(art, cv_program(w)))``; None where off.
    """
    cycle = _cycle_of(program)
    offset = None
    fraction = None
    if artifacts.reference_drift_V_per_cycle:
        offset = artifacts.reference_drift_V_per_cycle * (cycle - 1.0)
    if artifacts.fouling_per_cycle:
        fraction = (1.0 - artifacts.fouling_per_cycle) ** (cycle - 1.0)
    return {"potential_offset_V": offset, "active_fraction": fraction}


def _scale(curve: SimulatedCurve) -> float:
    for values in (curve.faradaic_A.sum(axis=0), curve.voltammogram.current):
        peak = float(np.max(np.abs(values))) if values.size else 0.0
        if peak > 0:
            return peak
    return 1e-9


def _clip01(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


def _pink(n: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS noise with a 1/f power spectrum (per sample index)."""
    spectrum = rng.standard_normal(n // 2 + 1) + 1j * rng.standard_normal(n // 2 + 1)
    freq = np.arange(n // 2 + 1, dtype=float)
    freq[0] = 1.0
    spectrum /= np.sqrt(freq)
    spectrum[0] = 0.0
    out = np.fft.irfft(spectrum, n)
    rms = float(np.sqrt(np.mean(out**2)))
    return out / rms if rms > 0 else out


def _background(volt: Voltammogram, art: Artifacts) -> np.ndarray:
    de = volt.potential - volt.potential[0]
    bg = (
        art.background_offset_A
        + art.background_linear_A_per_V * de
        + art.background_quadratic_A_per_V2 * de**2
    )
    if art.onset_current_A:
        if art.anodic_onset_V is not None:
            bg = bg + art.onset_current_A * np.exp(
                np.minimum((volt.potential - art.anodic_onset_V) / art.onset_width_V, 50)
            )
        if art.cathodic_onset_V is not None:
            bg = bg - art.onset_current_A * np.exp(
                np.minimum(-(volt.potential - art.cathodic_onset_V) / art.onset_width_V, 50)
            )
    return bg


def _times(volt: Voltammogram) -> np.ndarray:
    if volt.time is not None:
        return np.asarray(volt.time, dtype=float)
    if volt.scan_rate:
        return np.concatenate([[0.0], np.cumsum(np.abs(np.diff(volt.potential)))]) / volt.scan_rate
    raise ParameterError("curve", volt.source, "has no time axis for drift or mains interference")


def apply_artifacts(
    curve: SimulatedCurve, artifacts: Artifacts, *, rng: np.random.Generator
) -> tuple[Voltammogram, list[InjectedArtifact]]:
    """The recorded effects added to a clean curve, and every effect present (solved ones included).

    Solved effects are only reported: fouling and reference drift must already be in the curve
    (pass :func:`solve_modifiers` to the simulation, or use :func:`simulate_measurement`).
    """
    if not isinstance(curve, SimulatedCurve):
        raise ParameterError("curve", curve, "must be a SimulatedCurve")
    if not isinstance(artifacts, Artifacts):
        raise ParameterError("artifacts", artifacts, "must be an Artifacts record")
    if not isinstance(rng, np.random.Generator):
        raise ParameterError("rng", rng, "must be a numpy.random.Generator")
    volt = curve.voltammogram
    scale = _scale(curve)
    injected = _solved_records(curve, artifacts, scale)
    current = np.array(volt.current, dtype=float)
    n = current.size
    is_dpv = volt.technique == Technique.DPV and volt.pulse is not None

    if any(
        (
            artifacts.background_offset_A,
            artifacts.background_linear_A_per_V,
            artifacts.background_quadratic_A_per_V2,
        )
    ) or (
        artifacts.onset_current_A
        and (artifacts.anodic_onset_V is not None or artifacts.cathodic_onset_V is not None)
    ):
        bg = _background(volt, artifacts)
        current += bg
        params = {
            k: getattr(artifacts, k)
            for k in (
                "background_offset_A",
                "background_linear_A_per_V",
                "background_quadratic_A_per_V2",
                "anodic_onset_V",
                "cathodic_onset_V",
                "onset_current_A",
                "onset_width_V",
            )
        }
        injected.append(InjectedArtifact("background", _clip01(float(np.max(np.abs(bg))) / scale), params))
    if artifacts.drift_A_per_s:
        t = _times(volt)
        drift = artifacts.drift_A_per_s * (np.full(n, volt.pulse.width_s) if is_dpv else t - t[0])
        current += drift
        injected.append(
            InjectedArtifact(
                "drift",
                _clip01(float(np.max(np.abs(drift))) / scale),
                {"drift_A_per_s": artifacts.drift_A_per_s},
            )
        )
    if artifacts.mains_amplitude_A:
        t = _times(volt)
        w = 2 * math.pi * artifacts.mains_frequency_Hz
        phase = rng.uniform(0, 2 * math.pi)
        mains = artifacts.mains_amplitude_A * np.sin(w * t + phase)
        if is_dpv:
            mains = mains - artifacts.mains_amplitude_A * np.sin(w * (t - volt.pulse.width_s) + phase)
        current += mains
        injected.append(
            InjectedArtifact(
                "mains",
                _clip01(artifacts.mains_amplitude_A / (0.1 * scale)),
                {
                    "amplitude_A": artifacts.mains_amplitude_A,
                    "frequency_Hz": artifacts.mains_frequency_Hz,
                    "phase": phase,
                },
            )
        )
    if artifacts.noise_rms_A:
        current += artifacts.noise_rms_A * rng.standard_normal(n)
        injected.append(
            InjectedArtifact(
                "white_noise",
                _clip01(artifacts.noise_rms_A / (0.1 * scale)),
                {"rms_A": artifacts.noise_rms_A},
            )
        )
    if artifacts.pink_noise_rms_A:
        current += artifacts.pink_noise_rms_A * _pink(n, rng)
        injected.append(
            InjectedArtifact(
                "pink_noise",
                _clip01(artifacts.pink_noise_rms_A / (0.1 * scale)),
                {"rms_A": artifacts.pink_noise_rms_A},
            )
        )
    if artifacts.spike_count and artifacts.spike_amplitude_A:
        count = min(artifacts.spike_count, n)
        where = np.sort(rng.choice(n, size=count, replace=False))
        signs = rng.choice([-1.0, 1.0], size=count)
        current[where] += signs * artifacts.spike_amplitude_A
        injected.append(
            InjectedArtifact(
                "spikes",
                _clip01(abs(artifacts.spike_amplitude_A) / scale),
                {"count": count, "amplitude_A": artifacts.spike_amplitude_A, "indices": where.tolist()},
            )
        )
    if artifacts.clip_A is not None:
        lost = max(0.0, float(np.max(np.abs(current))) - artifacts.clip_A)
        clipped = np.abs(current) > artifacts.clip_A
        current = np.clip(current, -artifacts.clip_A, artifacts.clip_A)
        if clipped.any():
            injected.append(
                InjectedArtifact(
                    "clipping",
                    _clip01(lost / max(float(np.max(np.abs(volt.current))), 1e-300)),
                    {"clip_A": artifacts.clip_A, "n_clipped": int(clipped.sum())},
                )
            )
    if artifacts.adc_lsb_A:
        current = np.round(current / artifacts.adc_lsb_A) * artifacts.adc_lsb_A
        injected.append(
            InjectedArtifact(
                "quantisation", _clip01(artifacts.adc_lsb_A / (0.05 * scale)), {"lsb_A": artifacts.adc_lsb_A}
            )
        )
    meta = {**volt.metadata, "artifacts": [a.kind for a in injected]}
    return volt.replace(current=current, metadata=meta), injected


def _solved_records(curve: SimulatedCurve, art: Artifacts, scale: float) -> list[InjectedArtifact]:
    out = []
    cell = curve.cell
    if cell.ru_ohm > 0:
        total = curve.faradaic_A.sum(axis=0) + curve.charging_A
        drop = cell.ru_ohm * float(np.max(np.abs(total)))
        out.append(
            InjectedArtifact(
                "uncompensated_resistance",
                _clip01(drop / 0.1),
                {"ru_ohm": cell.ru_ohm, "max_ir_drop_V": drop},
            )
        )
    if cell.cdl_F_m2 > 0:
        out.append(
            InjectedArtifact(
                "double_layer_charging",
                _clip01(float(np.max(np.abs(curve.charging_A))) / scale),
                {"cdl_F_m2": cell.cdl_F_m2, "capacitance_F": cell.cdl_F_m2 * cell.area_m2},
            )
        )
    volt = curve.voltammogram
    cycle = volt.cycle if volt.cycle is not None else np.ones(volt.n_points, dtype=np.int64)
    mods = solve_modifiers(art, cycle)
    if art.fouling_per_cycle:
        if curve.active_fraction is None or not np.allclose(curve.active_fraction, mods["active_fraction"]):
            raise ParameterError(
                "Artifacts.fouling_per_cycle",
                art.fouling_per_cycle,
                "is solved: simulate with solve_modifiers(...) first",
            )
        lost = 1.0 - float(np.min(curve.active_fraction))
        out.append(
            InjectedArtifact("fouling", _clip01(lost), {"fraction_lost_per_cycle": art.fouling_per_cycle})
        )
    if art.reference_drift_V_per_cycle:
        if curve.potential_offset_V is None or not np.allclose(
            curve.potential_offset_V, mods["potential_offset_V"]
        ):
            raise ParameterError(
                "Artifacts.reference_drift_V_per_cycle",
                art.reference_drift_V_per_cycle,
                "is solved: simulate with solve_modifiers(...) first",
            )
        total = float(np.max(np.abs(curve.potential_offset_V)))
        out.append(
            InjectedArtifact(
                "reference_drift",
                _clip01(total / 0.05),
                {"drift_V_per_cycle": art.reference_drift_V_per_cycle},
            )
        )
    return out


def simulate_measurement(
    species: Sequence[Species] | Species,
    waveform: CVWaveform | LSVWaveform | DPVWaveform,
    cell: Cell,
    artifacts: Artifacts,
    *,
    rng: np.random.Generator,
) -> tuple[Voltammogram, SimulatedCurve, list[InjectedArtifact]]:
    """Solve with the solved artefacts, then add the recorded ones: (measurement, clean truth, artefacts)."""
    options: dict[str, Any] = {}
    if isinstance(waveform, CVWaveform | LSVWaveform):
        program = cv_program(waveform) if isinstance(waveform, CVWaveform) else lsv_program(waveform)
        options = {k: v for k, v in solve_modifiers(artifacts, program).items() if v is not None}
    elif artifacts.fouling_per_cycle or artifacts.reference_drift_V_per_cycle:
        raise ParameterError(
            "artifacts", artifacts, "fouling and reference drift per cycle need a CV or LSV waveform"
        )
    curve = simulate(species, waveform, cell, **options)
    measured, injected = apply_artifacts(curve, artifacts, rng=rng)
    return measured, curve, injected
