"""A couple seen through Ru beside a neighbour whose semi-integral moves inside the couple's return window —
an EC couple whose product has decayed: its surface refills from the bulk, with no current of its own,
while the first couple's return wave runs.  Planted on the local textbook simulator (``textbook``
fixture) with the exact faradaic current, so only the semi-integral analysis is under test."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voltlens.analyze.convolution import couple_kinetics

D = 1e-9
F_RT = 96485.33212 / (8.314462618 * 298.15)
LAMBDA_1 = math.sqrt(D * F_RT * 0.1)  # k0 (m/s) of Matsuda–Ayabe Λ = 1 at 0.1 V/s


def _beside_ec(textbook, first, *, ru, kc):
    """Semi-integral analysis of ``first`` (E° = 0 V) with an EC couple at 0.3 V (product decaying at
    ``kc`` /s) on the same sweep; the forward window ends between the two waves."""
    s = textbook.simulate_cv(
        [first, textbook.Couple(0.3, kc=kc)],
        e_start=-0.4,
        e_vertex=0.75,
        scan_rate=0.1,
        ru=ru,
        with_hold=False,
    )
    n1, e = s.n_forward, s.potential
    faradaic = s.faradaic.sum(axis=0)
    valley = int(np.argmin(np.abs(e[:n1] - 0.15)))
    kin = couple_kinetics(
        e,
        faradaic,
        faradaic,
        [(0, valley), (n1, e.size)],
        dt=0.01,
        scan_rate=0.1,
        temperature_K=298.15,
        smooth_points=31,
    )
    assert kin is not None
    return kin


@pytest.mark.parametrize("kc", [3.0, 10.0, 30.0])
@pytest.mark.parametrize("ru", [300.0, 1000.0])
def test_nernstian_couple_beside_a_decaying_ec_neighbour_shows_its_ru(textbook, ru, kc):
    """A Nernstian couple through 300 or 1000 Ω: the EC neighbour's semi-integral falls by several per
    cent of the plateau during the couple's return wave.  Counted as the couple's own, it bent E(μ)
    (residual 3–6 mV, Ru half the planted one or less, none at 300 Ω); read from the couple's own
    current it is a Nernstian couple (n = 1, sub-mV residual) with the planted Ru."""
    kin = _beside_ec(textbook, textbook.Couple(0.0), ru=ru, kc=kc)
    assert kin.nernst_rms_V < 0.001
    assert kin.nernst_n == pytest.approx(1.0, abs=0.05)
    assert kin.nernst_ru_ohm == pytest.approx(ru, rel=0.12)
    assert kin.lam >= 15  # the free Butler–Volmer fit finds no slow electron transfer


@pytest.mark.parametrize("kc", [3.0, 10.0])
@pytest.mark.parametrize("lam", [2.0, 5.0])
def test_slow_couple_beside_a_decaying_ec_neighbour_keeps_its_kinetics(textbook, lam, kc):
    """The same neighbour beside slow electron transfer (Λ = 2 or 5, no Ru, ΔEp 68–81 mV): the free
    Butler–Volmer fit finds Λ near the planted one (it found none, Λ = ∞, from the increments), and the
    purely Nernstian + iR fit stays well above it, so no apparent Ru is taken for the ΔEp excess."""
    kin = _beside_ec(textbook, textbook.Couple(0.0, k0=lam * LAMBDA_1), ru=0.0, kc=kc)
    assert lam / 2 <= kin.lam <= 2 * lam
    assert kin.nernst_rms_V > 3 * kin.rms_V
