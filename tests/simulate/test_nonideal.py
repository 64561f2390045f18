"""Effects solved with the faradaic response: Ru, Cdl, fouling, reference drift (B&F §1.2, §1.3.4)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voltlens.constants import FARADAY, f_inverse_volts
from voltlens.errors import ParameterError
from voltlens.simulate import (
    EE,
    Adsorbed,
    Artifacts,
    Cell,
    CVWaveform,
    QuasiReversible,
    Reversible,
    cv_program,
    simulate_cv,
    solve_modifiers,
)

from .helpers import cv_peaks

AREA = 7.07e-6
D = 1e-9


def _semi_integral(current: np.ndarray, dt: float) -> np.ndarray:
    """Independent first-order semi-integration (trapezoidal mean current per interval, exact kernel)."""
    mid = 0.5 * (current[1:] + current[:-1])
    k = np.arange(current.size)
    w = 2 / math.sqrt(math.pi) * (np.sqrt(k[1:]) - np.sqrt(k[:-1])) * math.sqrt(dt)
    return np.array([np.dot(mid[:m][::-1], w[:m]) for m in range(current.size)])


@pytest.mark.parametrize("ru", [200.0, 2000.0])
def test_resistance_solution_obeys_ohm_and_nernst(ru):
    """E_eff = E − Ru·i exactly, and the surface concentrations from the current's semi-integral are
    in Nernst equilibrium at E_eff (checked with an independent quadrature)."""
    sp = Reversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D, initially="ox")
    c = simulate_cv(sp, CVWaveform(0.5, -0.5, 0.1, 0.002), Cell(area_m2=AREA, ru_ohm=ru, cdl_F_m2=0.2))
    v = c.voltammogram
    assert np.allclose(c.potential_effective_V, v.potential - ru * v.current, rtol=0, atol=1e-9)
    integral = _semi_integral(c.faradaic_A[0], float(v.time[1] - v.time[0]))
    c_ox = 1.0 + integral / (FARADAY * AREA * math.sqrt(D))
    c_red = -integral / (FARADAY * AREA * math.sqrt(D))
    both = (c_ox > 0.05) & (c_red > 0.05)
    implied = np.log(c_ox[both] / c_red[both]) / f_inverse_volts(298.15)
    assert np.max(np.abs(implied - c.potential_effective_V[both])) < 0.5e-3


def test_peak_separation_widens_with_current():
    separations = []
    for conc in (0.25, 1.0, 4.0):
        sp = QuasiReversible(
            e0_V=0.0, concentration_mol_m3=conc, diffusion_m2_s=D, k0_m_s=1e-4, initially="ox"
        )
        (epc, ipc), (epa, ipa) = cv_peaks(
            simulate_cv(sp, CVWaveform(0.4, -0.4, 0.1), Cell(AREA, ru_ohm=300.0)), first_sign=-1
        )
        separations.append(epa - epc)
        ir_sum = 300.0 * (ipa - ipc)
    clean = QuasiReversible(e0_V=0.0, concentration_mol_m3=4.0, diffusion_m2_s=D, k0_m_s=1e-4, initially="ox")
    (epc, _), (epa, _) = cv_peaks(simulate_cv(clean, CVWaveform(0.4, -0.4, 0.1), Cell(AREA)), first_sign=-1)
    assert separations[0] < separations[1] < separations[2]
    assert separations[2] - (epa - epc) > ir_sum  # at least the ohmic drop at both peaks


@pytest.mark.parametrize("ru", [0.0, 500.0])
def test_charging_current_is_area_cdl_scan_rate(ru):
    cdl, v = 0.25, 0.5
    c = simulate_cv([], CVWaveform(0.3, -0.3, v, 0.001, n_cycles=2), Cell(AREA, ru_ohm=ru, cdl_F_m2=cdl))
    seg = c.voltammogram.segment
    i_c = AREA * cdl * v
    for s in range(4):
        settled = np.flatnonzero(seg == s)[50:]
        sign = -1 if s % 2 == 0 else 1
        assert np.allclose(c.charging_A[settled], sign * i_c, rtol=1e-6)
    assert np.array_equal(c.voltammogram.current, c.charging_A)


def test_charging_rises_with_the_cell_time_constant():
    cdl, v, ru = 0.2, 1.0, 5000.0
    tau = ru * cdl * AREA
    c = simulate_cv([], CVWaveform(0.0, -0.2, v, 0.0005), Cell(AREA, ru_ohm=ru, cdl_F_m2=cdl))
    t = c.voltammogram.time
    early = (t > 0) & (t < 5 * tau)
    expected = -AREA * cdl * v * (1 - np.exp(-t[early] / tau))
    assert np.allclose(c.charging_A[early], expected, rtol=0.01, atol=1e-3 * AREA * cdl * v)


def test_fouling_scales_each_cycle_inside_the_solve():
    sp = Reversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D, initially="ox")
    w = CVWaveform(0.4, -0.4, 0.1, 0.002, n_cycles=3)
    art = Artifacts(fouling_per_cycle=0.2)
    mods = solve_modifiers(art, cv_program(w))
    fouled = simulate_cv(sp, w, Cell(AREA, ru_ohm=100.0), **mods)
    clean = simulate_cv(sp, w, Cell(AREA, ru_ohm=100.0))
    for cycle in (1, 2, 3):
        f = cv_peaks(fouled, first_sign=-1, cycle=cycle)[0][1]
        c = cv_peaks(clean, first_sign=-1, cycle=cycle)[0][1]
        if cycle == 1:
            assert f == pytest.approx(c, rel=1e-9)
        else:  # less current → less iR drop: not a plain rescaling of the clean curve
            assert f / c == pytest.approx(0.8 ** (cycle - 1), rel=0.02)
            assert f / c != pytest.approx(0.8 ** (cycle - 1), rel=1e-6)
    assert fouled.active_fraction is not None and fouled.active_fraction.min() == pytest.approx(0.64)


def test_reference_drift_shifts_the_waves_not_the_recorded_potential():
    sp = Adsorbed(e0_V=0.0, coverage_mol_m2=1e-6, initially="ox")  # sharp peaks locate E°′ exactly
    w = CVWaveform(0.3, -0.3, 0.1, 0.001, n_cycles=3)
    art = Artifacts(reference_drift_V_per_cycle=0.01)
    c = simulate_cv(sp, w, Cell(AREA), **solve_modifiers(art, cv_program(w)))
    assert np.array_equal(c.voltammogram.potential, cv_program(w).potential_V)
    for cycle in (1, 2, 3):
        (ef, _), (er, _) = cv_peaks(c, first_sign=-1, cycle=cycle)
        # the electrode sees E + drift, so the wave appears at E°′ − drift on the recorded axis
        assert ef == pytest.approx(-0.01 * (cycle - 1), abs=0.5e-3)
        assert er == pytest.approx(-0.01 * (cycle - 1), abs=0.5e-3)


def test_ee_with_resistance_and_several_species():
    species = [
        EE(e0_1_V=0.1, e0_2_V=-0.2, concentration_mol_m3=1.0, diffusion_m2_s=D, initially="ox"),
        Adsorbed(e0_V=-0.4, coverage_mol_m2=5e-7, initially="ox"),
    ]
    c = simulate_cv(species, CVWaveform(0.4, -0.6, 0.1, 0.002), Cell(AREA, ru_ohm=300.0, cdl_F_m2=0.2))
    v = c.voltammogram
    assert np.allclose(v.current, c.faradaic_A.sum(axis=0) + c.charging_A)
    assert np.allclose(c.potential_effective_V, v.potential - 300.0 * v.current, atol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"potential_offset_V": np.zeros(5)}, "potential_offset_V"),
        ({"active_fraction": np.full(601, 1.5)}, "active_fraction"),
    ],
)
def test_solve_arrays_are_checked(kwargs, name):
    sp = Reversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D)
    with pytest.raises(ParameterError) as info:
        simulate_cv(sp, CVWaveform(0.3, 0.0, 0.1, 0.001), Cell(AREA), **kwargs)
    assert info.value.name == name
