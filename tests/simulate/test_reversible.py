"""Reversible (Nernstian) couple on a planar electrode against Bard & Faulkner §6.2 and Nicholson (1966)."""

from __future__ import annotations

import numpy as np
import pytest

from voltlens.constants import thermal_voltage
from voltlens.simulate import (
    Cell,
    CVWaveform,
    LSVWaveform,
    Reversible,
    cv_program,
    half_wave_potential_V,
    scan_rate_series,
    simulate_cv,
    simulate_lsv,
    simulate_program,
)

from .helpers import cv_peaks, peak, randles_sevcik

AREA = 7.07e-6
CELL = Cell(area_m2=AREA)
D = 1e-9


@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("initially", ["red", "ox"])
def test_randles_sevcik_and_peak_geometry(n, initially):
    """ip within 1 % of B&F 6.2.19; Ep − E½ = ±28.5/n mV (6.2.4); |Ep − Ep/2| = 56.5/n mV (6.2.21)."""
    sign = 1 if initially == "red" else -1
    sp = Reversible(e0_V=0.05, concentration_mol_m3=2.0, diffusion_m2_s=D, n=n, initially=initially)
    curve = simulate_lsv(sp, LSVWaveform(0.05 - sign * 0.4, 0.05 + sign * 0.3, 0.1, 0.0005), CELL)
    v = curve.voltammogram
    ep, ip = peak(v.potential, v.current, sign)
    assert abs(ip) == pytest.approx(randles_sevcik(n, AREA, 2.0, D, 0.1), rel=0.01)
    rt_f = thermal_voltage()
    assert (ep - 0.05) * sign == pytest.approx(1.109 * rt_f / n, abs=0.5e-3)
    half = v.potential[np.argmin(np.abs(sign * v.current[: np.argmax(sign * v.current)] - abs(ip) / 2))]
    assert abs(ep - half) == pytest.approx(2.20 * rt_f / n, abs=1e-3)


def test_peak_separation_and_half_wave_potential():
    """ΔEp 57–60 mV at a usual switching potential (B&F table 6.2.1); the midpoint is E½ (6.2.3)."""
    sp = Reversible(
        e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D, diffusion_product_m2_s=0.5e-9, initially="ox"
    )
    (epc, _), (epa, _) = cv_peaks(simulate_cv(sp, CVWaveform(0.4, -0.3, 0.1, 0.001), CELL), first_sign=-1)
    assert 0.057 <= epa - epc <= 0.060
    assert 0.5 * (epa + epc) == pytest.approx(half_wave_potential_V(sp), abs=1e-3)


def test_peak_current_scales_with_root_scan_rate():
    """log ip vs log v slope 0.50 ± 0.01 (diffusion control)."""
    sp = Reversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D, initially="ox")
    rates = [0.01, 0.1, 1.0, 10.0]
    curves = scan_rate_series(sp, LSVWaveform(0.3, -0.3, 0.1, 0.001), CELL, rates)
    heights = [abs(peak(c.voltammogram.potential, c.voltammogram.current, -1)[1]) for c in curves]
    slope = np.polyfit(np.log10(rates), np.log10(heights), 1)[0]
    assert slope == pytest.approx(0.5, abs=0.01)
    assert [c.voltammogram.scan_rate for c in curves] == rates


def test_temperature_enters_through_f():
    cell = Cell(area_m2=AREA, temperature_K=348.15)
    sp = Reversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D, initially="ox")
    v = simulate_lsv(sp, LSVWaveform(0.4, -0.3, 0.1, 0.001), cell).voltammogram
    ep, ip = peak(v.potential, v.current, -1)
    assert abs(ip) == pytest.approx(randles_sevcik(1, AREA, 1.0, D, 0.1, 348.15), rel=0.01)
    assert ep == pytest.approx(-1.109 * thermal_voltage(348.15), abs=0.5e-3)


def test_oxidation_first_mirrors_reduction_first():
    ox = Reversible(e0_V=0.1, concentration_mol_m3=1.0, diffusion_m2_s=D, initially="ox")
    red = Reversible(e0_V=0.1, concentration_mol_m3=1.0, diffusion_m2_s=D, initially="red")
    a = simulate_cv(ox, CVWaveform(0.4, -0.2, 0.05), CELL).voltammogram
    b = simulate_cv(red, CVWaveform(-0.2, 0.4, 0.05), CELL).voltammogram
    assert np.allclose(0.2 - a.potential, b.potential)
    assert np.allclose(-a.current, b.current, rtol=1e-9, atol=1e-15)


def test_nicholson_reverse_ratio_with_exact_baseline():
    """The exact reverse baseline (forward current decaying at the held switching potential) leaves
    ipa/ipc = 1, and Nicholson's zero-baseline formula gives the same ratio (Anal. Chem. 1966, 38, 1406)."""
    sp = Reversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D, initially="ox")
    wave = CVWaveform(0.35, -0.25, 0.1, 0.001)
    curve = simulate_cv(sp, wave, CELL)
    program = cv_program(wave)
    switch = int(np.argmin(program.potential_V))
    held = np.where(
        np.arange(program.potential_V.size) > switch, program.potential_V[switch], program.potential_V
    )
    baseline = simulate_program(sp, program.time_s, held, CELL).voltammogram.current
    v = curve.voltammogram
    assert np.allclose(
        baseline[: switch + 1], v.current[: switch + 1], rtol=0, atol=1e-10 * np.max(np.abs(v.current))
    )
    rev = v.segment == 1
    (_, ipc), (_, ipa0) = cv_peaks(curve, first_sign=-1)
    k = np.argmax(v.current * rev)
    assert (v.current[k] - baseline[k]) / abs(ipc) == pytest.approx(1.0, abs=0.01)
    isp0 = abs(v.current[switch])
    nicholson = ipa0 / abs(ipc) + 0.485 * isp0 / abs(ipc) + 0.086
    assert nicholson == pytest.approx(1.0, abs=0.02)


def test_two_couples_superpose_and_cycles_are_causal():
    a = Reversible(e0_V=0.2, concentration_mol_m3=1.0, diffusion_m2_s=D, initially="ox")
    b = Reversible(e0_V=-0.2, concentration_mol_m3=0.5, diffusion_m2_s=0.6e-9, n=2, initially="ox")
    w1 = CVWaveform(0.5, -0.5, 0.2, 0.002)
    w3 = CVWaveform(0.5, -0.5, 0.2, 0.002, n_cycles=3)
    both = simulate_cv([a, b], w3, CELL)
    alone = [simulate_cv(s, w3, CELL) for s in (a, b)]
    assert both.faradaic_A.shape == (2, both.voltammogram.n_points)
    assert np.allclose(both.faradaic_A[0], alone[0].faradaic_A[0], rtol=1e-12, atol=1e-20)
    assert np.allclose(
        both.voltammogram.current, alone[0].voltammogram.current + alone[1].voltammogram.current
    )
    one = simulate_cv([a, b], w1, CELL).voltammogram
    scale = np.max(np.abs(one.current))
    assert np.allclose(both.voltammogram.current[: one.n_points], one.current, rtol=0, atol=1e-10 * scale)
    assert both.voltammogram.n_cycles == 3
    fwd = [
        peak(both.voltammogram.potential[s], both.voltammogram.current[s], -1)
        for s in ((both.voltammogram.segment == 2 * c) & (both.voltammogram.potential > 0) for c in range(3))
    ]
    assert all(abs(e - (0.2 - 1.109 * thermal_voltage())) < 2e-3 for e, _ in fwd)
    assert abs(fwd[1][1]) < abs(fwd[0][1])  # the second scan starts from a depleted diffusion layer
    assert abs(fwd[2][1] - fwd[1][1]) < abs(fwd[1][1] - fwd[0][1])  # settling toward a periodic state
