"""Simulated CV, LSV and DPV on a planar macroelectrode: the noise-free truth plus its parts.

Each ``simulate_*`` returns a :class:`SimulatedCurve`: the total current as a
:class:`~voltlens.model.Voltammogram` (faradaic + charging, IUPAC sign) and every species'
own faradaic current, the charging current, and the applied and effective (after reference
offset and iR drop) potentials, so that ground truth for any analysis can be read off exactly.

Effects that change the faradaic response are solved, not painted on: Ru and Cdl come from the
:class:`~.species.Cell`; a reference-electrode offset (``potential_offset_V``: what the electrode
really sees is applied + offset, the recorded potential stays the applied one) and a loss of
active area (``active_fraction`` in 0..1, multiplying each faradaic current — blocked patches
larger than the diffusion layer) are per-sample arrays as long as the programme
(``cv_program(waveform).time_s.size``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..constants import f_inverse_volts
from ..errors import ParameterError
from ..model import PulseSettings, Technique, Voltammogram
from .engine import RawSolution, solve_known_potential, solve_with_resistance
from .kernels import diffusion_weights
from .mechanisms import build_model
from .species import SPECIES_TYPES, Adsorbed, Cell, Species, check_species
from .waveform import (
    CVWaveform,
    DPVWaveform,
    LSVWaveform,
    PotentialProgram,
    cv_program,
    dpv_program,
    lsv_program,
)

__all__ = [
    "ProgramTrace",
    "SimulatedCurve",
    "concentration_series",
    "scan_rate_series",
    "simulate",
    "simulate_cv",
    "simulate_dpv",
    "simulate_lsv",
    "simulate_program",
]

Waveform = CVWaveform | LSVWaveform | DPVWaveform


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, slots=True)
class ProgramTrace:
    """The full-resolution response to a programme (DPV keeps it: the pulses behind each point)."""

    time_s: np.ndarray
    potential_applied_V: np.ndarray
    potential_effective_V: np.ndarray
    faradaic_A: np.ndarray  # (n_species, N)
    charging_A: np.ndarray


@dataclass(frozen=True, slots=True)
class SimulatedCurve:
    """A noise-free simulated measurement and its exact parts (SI units, IUPAC sign).

    ``voltammogram.current == faradaic_A.sum(axis=0) + charging_A``.  For DPV every array is per
    pulse (differential: pulse-end minus pre-pulse sample), ``potential_applied_V`` is the base
    potential and ``potential_effective_V`` the effective potential at the pre-pulse sample;
    ``trace`` keeps the full-resolution response.
    """

    voltammogram: Voltammogram
    faradaic_A: np.ndarray
    charging_A: np.ndarray
    potential_applied_V: np.ndarray
    potential_effective_V: np.ndarray
    species: tuple[Species, ...]
    cell: Cell
    trace: ProgramTrace | None = None
    potential_offset_V: np.ndarray | None = None  # reference offset used in the solve (None: none)
    active_fraction: np.ndarray | None = None  # active-area fraction used in the solve (None: 1)

    @property
    def faradaic_total_A(self) -> np.ndarray:
        return self.faradaic_A.sum(axis=0)


def _species_tuple(species: Sequence[Species] | Species) -> tuple[Species, ...]:
    if isinstance(species, SPECIES_TYPES):
        return (species,)
    if isinstance(species, str | bytes) or not isinstance(species, Sequence):
        raise ParameterError("species", species, "must be a species record or a sequence of them")
    for j, sp in enumerate(species):
        check_species(sp, where=f"species[{j}]")
    return tuple(species)


def _check_cell(cell: Cell) -> None:
    if not isinstance(cell, Cell):
        raise ParameterError("cell", cell, "must be a Cell")


def _per_sample(
    values: np.ndarray | None, n: int, name: str, default: float, lo: float, hi: float
) -> np.ndarray:
    if values is None:
        return np.full(n, default)
    arr = np.asarray(values, dtype=float)
    if arr.shape != (n,):
        raise ParameterError(name, f"shape {arr.shape}", f"must have one value per programme sample ({n},)")
    if not np.all(np.isfinite(arr)) or np.any(arr < lo) or np.any(arr > hi):
        bad = arr[~(np.isfinite(arr) & (arr >= lo) & (arr <= hi))][0]
        raise ParameterError(name, float(bad), f"values must be finite and within [{lo}, {hi}]")
    return arr


def _solve(
    species: tuple[Species, ...],
    potential: np.ndarray,
    dt: float,
    cell: Cell,
    offset: np.ndarray,
    fraction: np.ndarray,
) -> RawSolution:
    n = potential.size
    f = f_inverse_volts(cell.temperature_K)
    weights = diffusion_weights(n - 1, dt)
    models = [build_model(sp, weights, dt, f, cell.area_m2) for sp in species]
    e_total = potential + offset
    capacitance = cell.cdl_F_m2 * cell.area_m2
    if cell.ru_ohm > 0.0:
        raw = solve_with_resistance(models, e_total, dt, cell.ru_ohm, capacitance, fraction)
    else:
        raw = solve_known_potential(models, e_total, dt, capacitance, fraction)
    if not (np.all(np.isfinite(raw.faradaic)) and np.all(np.isfinite(raw.charging))):
        raise ParameterError(
            "species", species, "gave a non-finite current: check the parameters' magnitudes"
        )
    return raw


def _metadata(species: tuple[Species, ...], cell: Cell) -> dict[str, object]:
    return {
        "simulated": True,
        "mechanisms": [type(sp).__name__ for sp in species],
        "ru_ohm": cell.ru_ohm,
        "cdl_F_m2": cell.cdl_F_m2,
    }


def _segments(potential: np.ndarray) -> np.ndarray:
    """0-based index of each monotonic run (holds continue the current run)."""
    step = np.sign(np.diff(potential))
    seg = np.zeros(potential.size, dtype=np.int64)
    last, count = 0.0, 0
    for k, s in enumerate(step.tolist(), start=1):
        if s != 0.0:
            if last != 0.0 and s != last:
                count += 1
            last = s
        seg[k] = count
    return seg


def _curve(
    species: tuple[Species, ...],
    program: PotentialProgram,
    cell: Cell,
    raw: RawSolution,
    mods: tuple[np.ndarray | None, np.ndarray | None],
    *,
    technique: Technique,
    scan_rate: float | None,
    source: str,
) -> SimulatedCurve:
    current = raw.faradaic.sum(axis=0) + raw.charging
    volt = Voltammogram(
        potential=program.potential_V,
        current=current,
        technique=technique,
        time=program.time_s,
        scan_rate=scan_rate,
        cycle=program.cycle,
        segment=program.segment,
        area_m2=cell.area_m2,
        temperature_K=cell.temperature_K,
        metadata=_metadata(species, cell),
        source=source,
    )
    return SimulatedCurve(
        volt,
        _readonly(raw.faradaic),
        _readonly(raw.charging),
        _readonly(program.potential_V),
        _readonly(raw.effective),
        species,
        cell,
        None,
        None if mods[0] is None else _readonly(mods[0]),
        None if mods[1] is None else _readonly(mods[1]),
    )


def _run_program(
    species: Sequence[Species] | Species,
    program: PotentialProgram,
    cell: Cell,
    potential_offset_V: np.ndarray | None,
    active_fraction: np.ndarray | None,
) -> tuple[tuple[Species, ...], RawSolution]:
    sp = _species_tuple(species)
    _check_cell(cell)
    n = program.time_s.size
    offset = _per_sample(potential_offset_V, n, "potential_offset_V", 0.0, -10.0, 10.0)
    fraction = _per_sample(active_fraction, n, "active_fraction", 1.0, 0.0, 1.0)
    return sp, _solve(sp, np.asarray(program.potential_V, dtype=float), program.dt_s, cell, offset, fraction)


def _mods(
    offset: np.ndarray | None, fraction: np.ndarray | None
) -> tuple[np.ndarray | None, np.ndarray | None]:
    return (
        None if offset is None else np.asarray(offset, dtype=float),
        None if fraction is None else np.asarray(fraction, dtype=float),
    )


def _sweep_curve(
    species: Sequence[Species] | Species,
    program: PotentialProgram,
    cell: Cell,
    technique: Technique,
    scan_rate_V_s: float,
    potential_offset_V: np.ndarray | None,
    active_fraction: np.ndarray | None,
) -> SimulatedCurve:
    sp, raw = _run_program(species, program, cell, potential_offset_V, active_fraction)
    mods = _mods(potential_offset_V, active_fraction)
    return _curve(
        sp,
        program,
        cell,
        raw,
        mods,
        technique=technique,
        scan_rate=scan_rate_V_s,
        source=f"<simulated {technique.value}>",
    )


def simulate_cv(
    species: Sequence[Species] | Species,
    waveform: CVWaveform,
    cell: Cell,
    *,
    potential_offset_V: np.ndarray | None = None,
    active_fraction: np.ndarray | None = None,
) -> SimulatedCurve:
    """Cyclic voltammogram (one point per potential step, starting with the start potential at t = 0)."""
    return _sweep_curve(
        species,
        cv_program(waveform),
        cell,
        Technique.CV,
        waveform.scan_rate_V_s,
        potential_offset_V,
        active_fraction,
    )


def simulate_lsv(
    species: Sequence[Species] | Species,
    waveform: LSVWaveform,
    cell: Cell,
    *,
    potential_offset_V: np.ndarray | None = None,
    active_fraction: np.ndarray | None = None,
) -> SimulatedCurve:
    """Linear sweep voltammogram (one sweep; ``cycle`` all 1, ``segment`` all 0)."""
    return _sweep_curve(
        species,
        lsv_program(waveform),
        cell,
        Technique.LSV,
        waveform.scan_rate_V_s,
        potential_offset_V,
        active_fraction,
    )


def simulate_program(
    species: Sequence[Species] | Species,
    time_s: np.ndarray,
    potential_V: np.ndarray,
    cell: Cell,
    *,
    potential_offset_V: np.ndarray | None = None,
    active_fraction: np.ndarray | None = None,
    technique: Technique | str = Technique.CV,
) -> SimulatedCurve:
    """Currents for any uniformly sampled potential programme.

    ``time_s`` must be evenly spaced; the cell is at rest at the first sample (its current is 0).
    Between samples the potential is taken as linear (a sweep); a jump between two samples acts
    as a step half-way between them.  Simulating a CV's own programme up to the switch and then holding the switching
    potential gives the exact decaying-forward-current baseline of Nicholson's method.
    """
    t = np.asarray(time_s, dtype=float)
    e = np.asarray(potential_V, dtype=float)
    if t.ndim != 1 or t.size < 2:
        raise ParameterError("time_s", f"shape {t.shape}", "must be one-dimensional with at least 2 samples")
    if e.shape != t.shape:
        raise ParameterError("potential_V", f"shape {e.shape}", f"must match time_s {t.shape}")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(e))):
        raise ParameterError("time_s/potential_V", "non-finite value", "must be finite")
    steps = np.diff(t)
    dt = float(steps.mean())
    if dt <= 0 or np.max(np.abs(steps - dt)) > 1e-6 * dt:
        raise ParameterError(
            "time_s", f"steps {steps.min():.6g}..{steps.max():.6g} s", "must be evenly spaced and increasing"
        )
    rates = np.abs(np.diff(e)) / dt
    moving = rates[rates > 0]
    scan_rate = float(moving.mean()) if moving.size and np.ptp(moving) <= 1e-6 * moving.mean() else None
    program = PotentialProgram(t, e, np.ones(t.size, dtype=np.int64), _segments(e))
    sp, raw = _run_program(species, program, cell, potential_offset_V, active_fraction)
    mods = _mods(potential_offset_V, active_fraction)
    return _curve(
        sp,
        program,
        cell,
        raw,
        mods,
        technique=Technique(technique),
        scan_rate=scan_rate,
        source="<simulated programme>",
    )


def simulate_dpv(
    species: Sequence[Species] | Species,
    waveform: DPVWaveform,
    cell: Cell,
    *,
    substeps_per_pulse: int = 20,
) -> SimulatedCurve:
    """Differential pulse voltammogram: δi = i(pulse end) − i(before the pulse), plotted at the base potential.

    The programme is solved on a grid of about ``pulse_width_s / substeps_per_pulse`` (20 gives the
    peak current within 0.1 % of a converged grid); charging that
    survives the sampling needs Ru > 0 (time constant Ru·A·Cdl), as in a real cell.
    """
    program, sampling = dpv_program(waveform, substeps_per_pulse=substeps_per_pulse)
    sp, raw = _run_program(species, program, cell, None, None)

    def differential(a: np.ndarray) -> np.ndarray:
        return a[..., sampling.pulse_windows].mean(axis=-1) - a[..., sampling.pre_windows].mean(axis=-1)

    faradaic = differential(raw.faradaic)
    charging = differential(raw.charging)
    effective = raw.effective[sampling.pre_windows].mean(axis=-1)
    sign = waveform.direction
    pulse = PulseSettings(
        amplitude_V=sign * waveform.amplitude_V,
        width_s=waveform.pulse_width_s,
        step_V=waveform.step_V,
        period_s=waveform.period_s,
        sample_s=waveform.sample_s,
    )
    volt = Voltammogram(
        potential=sampling.base_V,
        current=faradaic.sum(axis=0) + charging,
        technique=Technique.DPV,
        time=program.time_s[sampling.pulse_windows[:, -1]],
        scan_rate=waveform.step_V / waveform.period_s,
        cycle=np.ones(sampling.base_V.size, dtype=np.int64),
        segment=np.zeros(sampling.base_V.size, dtype=np.int64),
        pulse=pulse,
        area_m2=cell.area_m2,
        temperature_K=cell.temperature_K,
        metadata=_metadata(sp, cell),
        source="<simulated DPV>",
    )
    trace = ProgramTrace(
        _readonly(program.time_s),
        _readonly(program.potential_V),
        _readonly(raw.effective),
        _readonly(raw.faradaic),
        _readonly(raw.charging),
    )
    return SimulatedCurve(
        volt,
        _readonly(faradaic),
        _readonly(charging),
        _readonly(sampling.base_V),
        _readonly(effective),
        sp,
        cell,
        trace,
    )


def simulate(
    species: Sequence[Species] | Species, waveform: Waveform, cell: Cell, **options: object
) -> SimulatedCurve:
    """Dispatch on the waveform type to :func:`simulate_cv`, :func:`simulate_lsv` or :func:`simulate_dpv`."""
    if isinstance(waveform, CVWaveform):
        return simulate_cv(species, waveform, cell, **options)  # type: ignore[arg-type]
    if isinstance(waveform, LSVWaveform):
        return simulate_lsv(species, waveform, cell, **options)  # type: ignore[arg-type]
    if isinstance(waveform, DPVWaveform):
        return simulate_dpv(species, waveform, cell, **options)  # type: ignore[arg-type]
    raise ParameterError("waveform", waveform, "must be a CVWaveform, LSVWaveform or DPVWaveform")


def scan_rate_series(
    species: Sequence[Species] | Species,
    waveform: CVWaveform | LSVWaveform,
    cell: Cell,
    scan_rates: Sequence[float],
) -> list[SimulatedCurve]:
    """The same experiment at each scan rate (V/s), in the order given."""
    if not isinstance(waveform, CVWaveform | LSVWaveform):
        raise ParameterError("waveform", waveform, "must be a CVWaveform or LSVWaveform")
    rates = list(scan_rates)
    if not rates:
        raise ParameterError("scan_rates", rates, "must list at least one scan rate")
    return [simulate(species, dataclasses.replace(waveform, scan_rate_V_s=v), cell) for v in rates]


def _with_concentration(species: tuple[Species, ...], c: float) -> tuple[Species, ...]:
    out = []
    for sp in species:
        if isinstance(sp, Adsorbed):
            out.append(sp)  # surface layers do not scale with the bulk concentration
        else:
            out.append(dataclasses.replace(sp, concentration_mol_m3=c))
    return tuple(out)


def concentration_series(
    species: Callable[[float], Sequence[Species] | Species] | Sequence[Species] | Species,
    waveform: Waveform,
    cell: Cell,
    concentrations_mol_m3: Sequence[float],
    *,
    include_blank: bool = True,
) -> list[SimulatedCurve]:
    """One curve per concentration (mol/m³ = mM), in order, with a blank (0) first unless already listed.

    ``species`` is either a factory ``c -> species`` or species whose dissolved members all get
    concentration c.  Each curve's ``voltammogram.metadata["concentration_mol_m3"]`` records c.
    The blank carries only the background (charging), so a detection limit has a ground truth.
    """
    concs = [float(c) for c in concentrations_mol_m3]
    if not concs:
        raise ParameterError("concentrations_mol_m3", concs, "must list at least one concentration")
    for c in concs:
        if not (math.isfinite(c) and c >= 0):
            raise ParameterError(
                "concentrations_mol_m3", c, "concentrations must be finite and ≥ 0 (mol/m³ = mM)"
            )
    if include_blank and 0.0 not in concs:
        concs = [0.0, *concs]
    if callable(species) and not isinstance(species, SPECIES_TYPES):
        make = species
    else:
        base = _species_tuple(species)  # type: ignore[arg-type]

        def make(c: float) -> tuple[Species, ...]:
            return _with_concentration(base, c)

    curves = []
    for c in concs:
        curve = simulate(make(c), waveform, cell)
        meta = {**curve.voltammogram.metadata, "concentration_mol_m3": c}
        curves.append(dataclasses.replace(curve, voltammogram=curve.voltammogram.replace(metadata=meta)))
    return curves
