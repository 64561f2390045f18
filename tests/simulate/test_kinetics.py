"""Electrode kinetics and coupled chemistry against closed-form results.

Irreversible: B&F 6.3.4/6.3.6/6.3.8.  Quasi-reversible: Nicholson's ψ table (Anal. Chem. 1965, 37,
1351), switching far past the wave.  EC: the reverse peak fades as kf grows; in the pure kinetic
zone (λ = kf RT/nFv ≫ 1) the wave is Ep = E½ + 0.780 RT/nF − (RT/2nF) ln λ for a reduction
(mirrored here: the product of the reduction is removed, so the wave moves anodic), with the
irreversible-shaped peak 0.4958 nFAC (nFDv/RT)^½ (Nicholson & Shain 1964; B&F §12.3).  EE: widely
separated steps give independent one-electron waves; strongly inverted potentials one
two-electron Nernstian wave at the mean formal potential (B&F §6.2; Polcyn & Shain 1966).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from voltlens.constants import FARADAY, thermal_voltage
from voltlens.simulate import (
    EC,
    EE,
    Cell,
    CVWaveform,
    Irreversible,
    LSVWaveform,
    QuasiReversible,
    Reversible,
    scan_rate_series,
    simulate_cv,
    simulate_lsv,
)

from .helpers import cv_peaks, peak, randles_sevcik

AREA = 7.07e-6
CELL = Cell(area_m2=AREA)
D = 1e-9
RT_F = thermal_voltage()


@pytest.mark.parametrize(("alpha", "n"), [(0.3, 1), (0.5, 1), (0.7, 2)])
def test_irreversible_peak_current_width_and_shift(alpha, n):
    sp = Irreversible(
        e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D, k0_m_s=1e-9, alpha=alpha, n=n, initially="ox"
    )
    rates = [0.01, 0.1, 1.0]
    curves = scan_rate_series(sp, LSVWaveform(0.1, -1.3, 0.1, 0.001), CELL, rates)
    peaks = [peak(c.voltammogram.potential, c.voltammogram.current, -1) for c in curves]
    an = alpha * n
    for (ep, ip), v, c in zip(peaks, rates, curves, strict=True):
        bf_638 = 0.4958 * n * FARADAY * AREA * 1.0 * math.sqrt(D * an * v / RT_F)
        assert abs(ip) == pytest.approx(bf_638, rel=0.01)
        i = c.voltammogram.current
        k = int(np.argmin(i))
        half = c.voltammogram.potential[:k][np.argmin(np.abs(i[:k] - ip / 2))]
        assert abs(ep - half) == pytest.approx(1.857 * RT_F / an, abs=1e-3)  # B&F 6.3.6
    shifts = -np.diff([ep for ep, _ in peaks])
    assert shifts == pytest.approx([0.5 * math.log(10) * RT_F / an] * 2, abs=1e-3)  # 29.6/(αn) mV per decade


NICHOLSON = {20: 61, 7: 63, 5: 65, 3: 68, 2: 72, 1: 84, 0.75: 92, 0.5: 105, 0.35: 121, 0.25: 141}


@pytest.mark.parametrize(("psi", "delta_ep_mV"), sorted(NICHOLSON.items()))
def test_nicholson_working_curve(psi, delta_ep_mV):
    """n·ΔEp vs ψ = k0/(π D f v)^½ (equal D, α = 0.5) within 3 mV."""
    v = 0.1
    k0 = psi * math.sqrt(math.pi * D * v / RT_F)
    sp = QuasiReversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D, k0_m_s=k0, initially="ox")
    (epc, _), (epa, _) = cv_peaks(simulate_cv(sp, CVWaveform(0.4, -0.3, v, 0.0005), CELL), first_sign=-1)
    assert (epa - epc) * 1e3 == pytest.approx(delta_ep_mV, abs=3.0)


def test_quasi_reversible_tends_to_reversible():
    fast = QuasiReversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D, k0_m_s=10.0, initially="ox")
    rev = Reversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D, initially="ox")
    w = CVWaveform(0.3, -0.3, 0.1)
    a, b = simulate_cv(fast, w, CELL).voltammogram.current, simulate_cv(rev, w, CELL).voltammogram.current
    assert np.max(np.abs(a - b)) < 1e-3 * np.max(np.abs(b))


def test_ec_without_chemistry_is_the_plain_couple():
    ec = EC(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D, kf_per_s=0.0, initially="ox")
    rev = Reversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D, initially="ox")
    w = CVWaveform(0.3, -0.3, 0.1)
    assert np.allclose(
        simulate_cv(ec, w, CELL).voltammogram.current, simulate_cv(rev, w, CELL).voltammogram.current
    )


def test_ec_return_peak_shrinks_as_kf_grows():
    ratios = []
    for kf in (0.01, 0.1, 1.0, 10.0):
        sp = EC(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D, kf_per_s=kf, initially="red")
        (_, ipa), (_, ipc) = cv_peaks(simulate_cv(sp, CVWaveform(-0.3, 0.3, 0.1), CELL), first_sign=1)
        ratios.append(abs(ipc) / ipa)
    assert all(a > b for a, b in itertools.pairwise(ratios))
    assert ratios[-1] < 0.2


@pytest.mark.parametrize("kf", [1e3, 1e4, 1e5])
def test_ec_pure_kinetic_zone(kf):
    v = 0.1
    sp = EC(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D, kf_per_s=kf, initially="ox")
    c = simulate_lsv(sp, LSVWaveform(0.5, -0.3, v, 0.0005), CELL).voltammogram
    ep, ip = peak(c.potential, c.current, -1)
    lam = kf * RT_F / v
    assert ep == pytest.approx(-0.780 * RT_F + 0.5 * RT_F * math.log(lam), abs=1e-3)
    assert abs(ip) == pytest.approx(0.4958 * FARADAY * AREA * math.sqrt(D * v / RT_F), rel=0.01)


def test_ee_separated_waves_are_one_electron_waves():
    sp = EE(e0_1_V=0.0, e0_2_V=-0.4, concentration_mol_m3=1.0, diffusion_m2_s=D, initially="ox")
    v = simulate_lsv(sp, LSVWaveform(0.4, -0.8, 0.1, 0.0005), CELL).voltammogram
    first = v.potential > -0.2
    ep, ip = peak(v.potential[first], v.current[first], -1)
    assert ep == pytest.approx(-1.109 * RT_F, abs=1e-3)
    assert abs(ip) == pytest.approx(randles_sevcik(1, AREA, 1.0, D, 0.1), rel=0.01)
    second = v.potential < -0.3
    assert peak(v.potential[second], v.current[second], -1)[0] == pytest.approx(-0.4 - 1.109 * RT_F, abs=3e-3)


def test_ee_inverted_potentials_merge_into_a_two_electron_wave():
    sp = EE(e0_1_V=0.0, e0_2_V=0.3, concentration_mol_m3=1.0, diffusion_m2_s=D, initially="ox")
    v = simulate_lsv(sp, LSVWaveform(0.5, -0.3, 0.1, 0.0005), CELL).voltammogram
    ep, ip = peak(v.potential, v.current, -1)
    assert ep == pytest.approx(0.15 - 1.109 * RT_F / 2, abs=1e-3)
    assert abs(ip) == pytest.approx(randles_sevcik(2, AREA, 1.0, D, 0.1), rel=0.01)
