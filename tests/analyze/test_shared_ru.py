"""One uncompensated resistance for every couple of a curve, a couple's return window kept to its
own potentials, and a couple read from its own current beside an EC neighbour whose semi-integral
relaxes inside its return window — planted on the local textbook simulator (``textbook`` fixture)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voltlens.analyze.convolution import couple_kinetics
from voltlens.analyze.engine import analyze_curve
from voltlens.model import Voltammogram

D = 1e-9
F_RT = 96485.33212 / (8.314462618 * 298.15)
LAMBDA_1 = math.sqrt(D * F_RT * 0.1)  # k0 (m/s) of Matsuda–Ayabe Λ = 1 at 0.1 V/s


def _two_couples(textbook, couples, ru, seed=0):
    s = textbook.simulate_cv(
        couples,
        e_start=-0.4,
        e_vertex=0.75,
        scan_rate=0.1,
        ru=ru,
        noise=2e-8,
        rng=np.random.default_rng(seed),
        with_hold=False,
    )
    return Voltammogram(s.potential, s.current, time=s.time, scan_rate=0.1, source="planted.csv")


@pytest.mark.parametrize("ru", [500.0, 1000.0, 2000.0])
def test_two_nernstian_couples_through_one_ru_are_both_reversible(textbook, ru):
    """Two Nernstian couples 350 mV apart seen through the same Ru (ΔEp 83–146 mV each): the
    semi-integral analysis of the first is spoiled by the second's current in its return window,
    but the excess of ΔEp per unit current is the cell's, so the iR drop the second couple shows
    explains the first one's ΔEp as well — both reversible (Λ → ∞), with the planted Ru."""
    v = _two_couples(textbook, [textbook.Couple(0.0), textbook.Couple(0.35)], ru)
    couples = analyze_curve(v).couples
    assert len(couples) == 2
    for c in couples:
        assert c.delta_ep.value > 0.075  # clearly wider than 59 mV
        assert c.reversibility == "reversible", c.reasons
        assert c.apparent_ru_ohm == pytest.approx(ru, rel=0.15)


@pytest.mark.parametrize("ru", [1000.0, 2000.0])
@pytest.mark.parametrize("lam", [1.0, 3.0])
def test_slow_couple_beside_a_nernstian_one_keeps_its_kinetic_excess(textbook, ru, lam):
    """The same cell with the first couple slow (Λ = 1 or 3, quasi-reversible): the iR drop seen on
    the Nernstian couple does not account for all of its ΔEp, so it stays quasi-reversible."""
    slow = textbook.Couple(0.0, k0=lam * LAMBDA_1)
    v = _two_couples(textbook, [slow, textbook.Couple(0.35)], ru)
    couples = sorted(analyze_curve(v).couples, key=lambda c: c.e_half.value)
    assert len(couples) == 2
    assert couples[0].reversibility == "quasi-reversible", couples[0].reasons
    assert couples[1].reversibility == "reversible", couples[1].reasons


def _beside_ec(textbook, first, *, ru, kc):
    """Semi-integral analysis of ``first`` (E° = 0 V) with an EC couple at 0.3 V (product decaying at
    ``kc`` /s) on the same sweep, from the exact faradaic current; the forward window ends between
    the two waves, the return window runs from the vertex."""
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
    valley = int(np.argmin(np.abs(e[:n1] - 0.15)))  # between the two forward waves
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


@pytest.mark.parametrize("kc", [1.0, 3.0, 10.0])
def test_return_window_from_the_vertex_keeps_out_a_later_ec_couple(textbook, kc):
    """A Nernstian couple at 0 V followed by an EC couple at 0.3 V whose product decays (kc 1–10 /s):
    on the way back that couple's own semi-integral falls while the potential crosses its wave.  A
    return window opened at the switching potential must not count that fall as the first couple's:
    its Nernstian fit then finds n = 1 (the planted one) with a residual of a few mV, not tens."""
    kin = _beside_ec(textbook, textbook.Couple(0.0), ru=0.0, kc=kc)
    assert kin.nernst_n == pytest.approx(1.0, abs=0.1)
    assert kin.nernst_rms_V < 0.010


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


@pytest.mark.parametrize("ru", [10000.0, 20000.0])
def test_nernstian_layer_through_ru_is_reversible(textbook, ru):
    """A Nernstian adsorbed layer (2e-10 mol/cm², ΔEp = 0 without Ru) seen through 10–20 kΩ: the
    peaks part by 45–78 mV, all of it iR drop.  Without a kinetic term the layer's E(θ) + Ru·i fits
    both sweeps about as well as with one, so the layer is reversible with the planted Ru."""
    s = textbook.simulate_cv(
        [textbook.Couple(0.0, gamma=2e-6)],
        e_start=-0.4,
        e_vertex=0.4,
        scan_rate=0.1,
        ru=ru,
        noise=1e-8,
        rng=np.random.default_rng(0),
        with_hold=False,
    )
    v = Voltammogram(s.potential, s.current, time=s.time, scan_rate=0.1, source="planted.csv")
    (c,) = analyze_curve(v).couples
    assert c.delta_ep.value > 0.040
    assert c.reversibility == "reversible", c.reasons
    assert c.apparent_ru_ohm == pytest.approx(ru, rel=0.15)


@pytest.mark.parametrize("ru", [0.0, 3000.0])
@pytest.mark.parametrize("k0", [1.0, 2.0, 5.0])
def test_slow_layer_stays_quasi_reversible(labelled_cv, k0, ru):
    """A layer with slow (Laviron) electron transfer, k0 = 1–5 /s at 0.1 V/s (ΔEp 27–106 mV), with and
    without Ru: the kinetic term is needed, so the layer stays quasi-reversible."""
    from voltlens.simulate.species import Adsorbed
    from voltlens.simulate.waveform import CVWaveform

    layer = Adsorbed(e0_V=0.0, coverage_mol_m2=2e-6, k0_per_s=k0)
    m, _ = labelled_cv([layer], CVWaveform(-0.5, 0.5, 0.1), ru=ru)
    (c,) = analyze_curve(m).couples
    assert c.reversibility == "quasi-reversible", c.reasons
