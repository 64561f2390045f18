"""Couple pairing and Nicholson's ψ, against the reference table and hand-made peak lists."""

from __future__ import annotations

import math

import pytest

from voltlens.analyze.couples import NICHOLSON_TABLE, k0_from_psi, nicholson_psi, pair_peaks
from voltlens.analyze.result import FoundPeak, Quantity
from voltlens.constants import f_inverse_volts


def _pk(direction, e, h, cycle=1):
    return FoundPeak(
        direction=direction,
        cycle=cycle,
        segment=0 if direction == "anodic" else 1,
        potential=Quantity(e, "V", 0.001),
        height=Quantity(h, "A", 1e-8),
        baseline_at_peak=0.0,
    )


def test_two_couples_135_mV_are_not_cross_paired():
    peaks = [
        _pk("cathodic", 0.0, -1e-5),
        _pk("anodic", 0.135, 1e-5),
        _pk("cathodic", 0.452, -1.1e-5),
        _pk("anodic", 0.587, 1.1e-5),
    ]
    pairs = pair_peaks(peaks)
    assert sorted(pairs) == [(1, 0), (3, 2)]
    for a, c in pairs:
        assert abs(peaks[a].potential.value - peaks[c].potential.value) == pytest.approx(0.135)


def test_lone_peak_stays_unpaired_and_cycles_are_separate():
    peaks = [
        _pk("anodic", 0.3, 1e-5),
        _pk("cathodic", 0.24, -1e-5, cycle=2),
        _pk("anodic", 0.3, 1e-5, cycle=2),
        _pk("cathodic", -2.0, -1e-5),
    ]
    assert pair_peaks(peaks) == [(2, 1)]


@pytest.mark.parametrize(("psi", "dep"), NICHOLSON_TABLE)
def test_table_round_trip(psi, dep):
    got, status = nicholson_psi(dep)
    assert status == "table"
    assert got == pytest.approx(psi, rel=1e-6)


def test_psi_limits():
    assert nicholson_psi(0.058) == (math.inf, "reversible")
    psi, status = nicholson_psi(0.4)
    assert status == "extrapolated" and 0 < psi < 0.1


def test_k0_formula():
    d, v = 1e-9, 0.1
    k0 = k0_from_psi(1.0, diffusion_m2_s=d, scan_rate=v)
    assert k0 == pytest.approx(math.sqrt(math.pi * d * f_inverse_volts() * v))
