"""Differential pulse voltammetry against Parry & Osteryoung (1965) and B&F §7.3.4.

For a reversible couple with pulses short against the period: δi_max = nFAC (D/(π t_p))^½ (1−σ)/(1+σ),
σ = exp(nFΔE/2RT), at E = E½ − ΔE/2; the half-height width follows from the same Cottrell
superposition, δi ∝ P(1−σ²)/((σ+P)(1+Pσ)), P = exp(nf(E + ΔE/2 − E½)), and tends to 3.52 RT/nF
as ΔE → 0 (≈90, 98, 122 mV at 10, 50, 100 mV, reference table).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from voltlens.constants import FARADAY, f_inverse_volts
from voltlens.simulate import (
    Cell,
    DPVWaveform,
    QuasiReversible,
    Reversible,
    concentration_series,
    simulate_dpv,
)

from .helpers import half_height_width, peak

AREA = 7.07e-6
D = 1e-9
F_RT = f_inverse_volts(298.15)
TABLE_WIDTH_mV = {0.01: 90, 0.05: 98, 0.1: 122}


def _po_width(delta_e: float) -> float:
    e = np.linspace(-0.5, 0.5, 100001)
    sigma = math.exp(F_RT * delta_e / 2)
    p = np.exp(F_RT * (e + delta_e / 2))
    return half_height_width(
        e, p * (1 - sigma**2) / ((sigma + p) * (1 + p * sigma)), -1 if delta_e > 0 else 1
    )


@pytest.mark.parametrize("amplitude", [0.01, 0.05, 0.1])
@pytest.mark.parametrize("direction", [1, -1])
def test_reversible_dpv_peak_position_height_and_width(amplitude, direction):
    initially = "red" if direction > 0 else "ox"
    sp = Reversible(e0_V=0.05, concentration_mol_m3=1.0, diffusion_m2_s=D, initially=initially)
    t_p = 0.01
    w = DPVWaveform(0.05 - direction * 0.3, 0.05 + direction * 0.3, 0.004, amplitude, t_p, 0.25)
    volt = simulate_dpv(sp, w, Cell(area_m2=AREA)).voltammogram
    delta_e = direction * amplitude  # signed pulse amplitude
    ep, ip = peak(volt.potential, volt.current, direction)
    assert ep == pytest.approx(0.05 - delta_e / 2, abs=1e-3)
    sigma = math.exp(F_RT * delta_e / 2)
    parry_osteryoung = FARADAY * AREA * 1.0 * math.sqrt(D / (math.pi * t_p)) * (1 - sigma) / (1 + sigma)
    assert ip == pytest.approx(-parry_osteryoung, rel=0.01)  # B&F: cathodic positive; here anodic positive
    width = half_height_width(volt.potential, volt.current, direction)
    assert width == pytest.approx(_po_width(delta_e), abs=1e-3)
    assert width * 1e3 == pytest.approx(TABLE_WIDTH_mV[amplitude], abs=2.0)
    assert volt.pulse is not None and volt.pulse.amplitude_V == pytest.approx(delta_e)


def test_quasi_reversible_dpv_is_smaller_and_wider():
    w = DPVWaveform(-0.4, 0.4, 0.005, 0.05, 0.05, 0.5)
    cell = Cell(area_m2=AREA)
    rev = Reversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D)
    slow = QuasiReversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D, k0_m_s=2e-6)
    a, b = simulate_dpv(rev, w, cell).voltammogram, simulate_dpv(slow, w, cell).voltammogram
    assert peak(b.potential, b.current, 1)[1] < 0.9 * peak(a.potential, a.current, 1)[1]
    assert half_height_width(b.potential, b.current, 1) > half_height_width(a.potential, a.current, 1) + 0.01


def test_dpv_is_linear_in_concentration_with_a_blank():
    w = DPVWaveform(-0.2, 0.2, 0.01, 0.05, 0.05, 0.1)
    cell = Cell(area_m2=AREA, ru_ohm=50.0, cdl_F_m2=0.2)
    curves = concentration_series(
        Reversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D), w, cell, [0.01, 0.1, 1.0]
    )
    concs = [c.voltammogram.metadata["concentration_mol_m3"] for c in curves]
    assert concs == [0.0, 0.01, 0.1, 1.0]
    blank = curves[0]
    assert np.all(blank.faradaic_A == 0.0)
    heights = [c.faradaic_total_A.max() for c in curves[1:]]
    assert np.allclose(np.array(heights) / np.array(concs[1:]), heights[-1], rtol=0.01)


def test_residual_charging_survives_only_with_resistance():
    """A pure RC cell: δi = (ΔE/Ru)·e^{−t_p/RuC} at the pulse end (the base transient has died)."""
    area, cdl, ru = AREA, 0.2, 2000.0
    tau = ru * cdl * area
    w = DPVWaveform(-0.2, 0.2, 0.005, 0.05, 0.005, 0.1)
    with_r = simulate_dpv([], w, Cell(area_m2=area, ru_ohm=ru, cdl_F_m2=cdl))
    assert np.allclose(with_r.charging_A, 0.05 / ru * math.exp(-0.005 / tau), rtol=0.01)
    without_r = simulate_dpv([], w, Cell(area_m2=area, cdl_F_m2=cdl))
    assert np.allclose(without_r.voltammogram.current, 0.0)
    assert with_r.trace is not None and with_r.trace.time_s.size > with_r.voltammogram.n_points
