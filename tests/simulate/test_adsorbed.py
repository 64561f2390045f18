"""Surface-confined Langmuir layer: B&F §14.3 (reversible) and Laviron (J. Electroanal. Chem. 1979, 101, 19)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voltlens.constants import FARADAY, GAS_CONSTANT, thermal_voltage
from voltlens.simulate import Adsorbed, Cell, CVWaveform, scan_rate_series, simulate_cv

from .helpers import cv_peaks, half_height_width

AREA = 7.07e-6
CELL = Cell(area_m2=AREA)
GAMMA = 1e-6  # mol/m² = 1e-10 mol/cm²


@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("initially", ["red", "ox"])
def test_reversible_layer_peak_width_and_separation(n, initially):
    sign = 1 if initially == "red" else -1
    sp = Adsorbed(e0_V=0.1, coverage_mol_m2=GAMMA, n=n, initially=initially)
    v = 0.2
    curve = simulate_cv(sp, CVWaveform(0.1 - sign * 0.35, 0.1 + sign * 0.35, v, 0.001), CELL)
    (ef, i_f), (er, i_r) = cv_peaks(curve, first_sign=sign)
    expected = n**2 * FARADAY**2 * AREA * GAMMA * v / (4 * GAS_CONSTANT * 298.15)
    assert abs(i_f) == pytest.approx(expected, rel=0.01)
    assert abs(i_r) == pytest.approx(expected, rel=0.01)
    assert abs(ef - er) < 0.5e-3  # ΔEp ≈ 0
    assert ef == pytest.approx(0.1, abs=0.5e-3)
    volt = curve.voltammogram
    fwd = volt.segment == 0
    assert half_height_width(volt.potential[fwd], volt.current[fwd], sign) == pytest.approx(
        3.53 * thermal_voltage() / n, abs=2e-3
    )
    charge = np.trapezoid(volt.current[fwd], volt.time[fwd])
    assert abs(charge) == pytest.approx(n * FARADAY * AREA * GAMMA, rel=1e-3)


def test_layer_peak_current_is_proportional_to_scan_rate():
    sp = Adsorbed(e0_V=0.0, coverage_mol_m2=GAMMA, initially="ox")
    rates = [0.01, 0.1, 1.0, 10.0]
    curves = scan_rate_series(sp, CVWaveform(0.3, -0.3, 1.0, 0.001), CELL, rates)
    heights = [abs(cv_peaks(c, first_sign=-1)[0][1]) for c in curves]
    assert np.polyfit(np.log10(rates), np.log10(heights), 1)[0] == pytest.approx(1.0, abs=0.01)


def test_slow_layer_follows_laviron():
    """Far from reversibility Epa − E°′ = (RT/(1−α)nF) ln((1−α)nFv/(RT k0)) and charge is conserved."""
    k0, v, alpha = 1.0, 1.0, 0.5
    sp = Adsorbed(e0_V=0.0, coverage_mol_m2=GAMMA, k0_per_s=k0, alpha=alpha, initially="red")
    curve = simulate_cv(sp, CVWaveform(-0.6, 0.6, v, 0.001), CELL)
    (epa, _), (epc, _) = cv_peaks(curve, first_sign=1)
    rt_f = thermal_voltage()
    assert epa == pytest.approx(rt_f / (1 - alpha) * math.log((1 - alpha) * v / (rt_f * k0)), abs=2e-3)
    assert epc == pytest.approx(-rt_f / alpha * math.log(alpha * v / (rt_f * k0)), abs=2e-3)
    volt = curve.voltammogram
    fwd = volt.segment == 0
    assert np.trapezoid(volt.current[fwd], volt.time[fwd]) == pytest.approx(FARADAY * AREA * GAMMA, rel=1e-3)


def test_separation_grows_as_the_layer_slows():
    separations = []
    for k0 in (1e4, 100.0, 10.0):
        sp = Adsorbed(e0_V=0.0, coverage_mol_m2=GAMMA, k0_per_s=k0, initially="red")
        (epa, _), (epc, _) = cv_peaks(simulate_cv(sp, CVWaveform(-0.5, 0.5, 1.0), CELL), first_sign=1)
        separations.append(epa - epc)
    assert separations[0] < 1e-3 < separations[1] < separations[2]
