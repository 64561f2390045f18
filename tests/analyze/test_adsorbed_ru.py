"""Adsorbed layers seen through an uncompensated resistance over a curved background: the layer's
current is cleared of the background left under its wave before its converted fraction is read —
planted on the local textbook simulator (``textbook`` fixture) and on :mod:`voltlens.simulate`."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from voltlens.analyze.convolution import layer_current
from voltlens.analyze.engine import analyze_curve
from voltlens.model import Voltammogram

CURVATURE = 2e-6  # A/V²: a background bowing by 0.3 µA over ±0.4 V, half a 1e-6 mol/m² layer's peak


def _layer_over_curved_background(textbook, gamma, ru, seed):
    s = textbook.simulate_cv(
        [textbook.Couple(0.0, gamma=gamma)],
        e_start=-0.4,
        e_vertex=0.4,
        scan_rate=0.1,
        ru=ru,
        noise=1e-8,
        rng=np.random.default_rng(seed),
        with_hold=False,
    )
    current = s.current + CURVATURE * s.potential**2
    return Voltammogram(s.potential, current, time=s.time, scan_rate=0.1, source="planted.csv")


@pytest.mark.parametrize(("gamma", "ru"), [(1e-6, 20000.0), (2e-6, 10000.0)])
@pytest.mark.parametrize("seed", [0, 1])
def test_nernstian_layer_through_ru_over_a_curved_background_is_reversible(textbook, gamma, ru, seed):
    """A Nernstian adsorbed layer (ΔEp = 0 without Ru, B&F §14.3) seen through 10–20 kΩ, its peaks
    45 mV apart, over a background bowing by half its peak: the background left under the wave put
    the converted fraction off and the layer was read slow (Laviron); cleared of it, E(θ) + Ru·i fits
    both sweeps and the layer is reversible with about the planted Ru."""
    v = _layer_over_curved_background(textbook, gamma, ru, seed)
    (c,) = analyze_curve(v).couples
    assert c.delta_ep.value > 0.040
    assert c.reversibility == "reversible", c.reasons
    assert c.apparent_ru_ohm == pytest.approx(ru, rel=0.2)


@pytest.mark.parametrize("k0", [1.0, 2.0])
@pytest.mark.parametrize("ru", [0.0, 3000.0])
def test_slow_layer_over_a_curved_background_stays_quasi_reversible(labelled_cv, k0, ru):
    """A layer with slow (Laviron) electron transfer, k0 = 1–2 /s at 0.1 V/s (ΔEp 60–100 mV), with and without Ru,
    over the same curved background: clearing the background does not hide its kinetics."""
    from voltlens.simulate.species import Adsorbed
    from voltlens.simulate.waveform import CVWaveform

    layer = Adsorbed(e0_V=0.0, coverage_mol_m2=2e-6, k0_per_s=k0)
    m, _ = labelled_cv([layer], CVWaveform(-0.5, 0.5, 0.1), ru=ru)
    m = replace(m, current=m.current + CURVATURE * m.potential**2)
    (c,) = analyze_curve(m).couples
    assert c.reversibility == "quasi-reversible", c.reasons


def test_layer_current_clears_a_straight_background_and_balances_the_sweeps():
    """A layer's current (a sech² wave each way, B&F §14.3) with a straight background left under
    each wave and 10 % more charge on the return sweep: the straight line through the wave's ends
    goes, and the return sweep converts the forward sweep's charge."""
    x = np.linspace(-6.0, 6.0, 201)
    wave = 1.0 / np.cosh(x / 2.0) ** 2
    fwd = wave + 0.05 + 0.01 * x
    ret = -1.1 * wave + 0.03 - 0.02 * x
    current = np.concatenate([np.zeros(20), fwd, np.zeros(20), ret, np.zeros(20)])
    windows = [(0, 241), (241, current.size)]
    got = layer_current(current, windows)
    assert got[20:221] == pytest.approx(wave - wave[0], abs=1e-3)
    assert float(np.sum(got[241:])) == pytest.approx(-float(np.sum(got[:241])), rel=1e-9)


def test_layer_current_balances_each_return_against_its_own_forward_sweep():
    """Two cycles of a layer losing a third of its coverage between them: each return sweep is
    balanced against the forward sweep just before it, not against the first cycle's."""
    x = np.linspace(-6.0, 6.0, 201)
    wave = 1.0 / np.cosh(x / 2.0) ** 2
    gap = np.zeros(20)
    sweeps = [wave, -1.1 * wave, (2 / 3) * wave, -(2 / 3) * 1.1 * wave]
    current = np.concatenate([gap, *[np.concatenate([w, gap]) for w in sweeps]])
    windows = [(0, 241), (241, 462), (462, 683), (683, current.size)]
    got = layer_current(current, windows)
    q = [float(np.sum(got[a:b])) for a, b in windows]
    assert q[1] == pytest.approx(-q[0], rel=1e-9)
    assert q[3] == pytest.approx(-q[2], rel=1e-9)
    assert q[2] == pytest.approx((2 / 3) * q[0], rel=1e-3)  # a forward sweep is never rescaled


def test_layer_current_leaves_a_small_return_unbalanced():
    """A layer returning a fifth of its charge (chemically irreversible) is not a background error:
    its return sweep is not scaled up fivefold."""
    x = np.linspace(-6.0, 6.0, 201)
    wave = 1.0 / np.cosh(x / 2.0) ** 2
    current = np.concatenate([np.zeros(20), wave, np.zeros(20), -0.2 * wave, np.zeros(20)])
    got = layer_current(current, [(0, 241), (241, current.size)])
    assert float(np.sum(got[241:])) == pytest.approx(-0.2 * float(np.sum(got[:241])), rel=1e-3)


@pytest.mark.parametrize("ru", [10000.0, 20000.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_nernstian_layer_on_later_cycles_shares_the_first_cycles_ru(textbook, ru, seed):
    """Three cycles of one Nernstian layer through 10–20 kΩ (ΔEp 45–78 mV, all iR drop) with the
    reference stepping by 40 mV each cycle: only the first cycle's couple is analysed by the
    semi-integral fit (the later ones' E½ moved away from it), and it is Nernstian through Ru; the
    same layer on the later cycles, with the same ΔEp at the same current, is read with the same
    Ru — reversible on every cycle."""
    s = textbook.simulate_cv(
        [textbook.Couple(0.0, gamma=2e-6)],
        e_start=-0.4,
        e_vertex=0.4,
        scan_rate=0.1,
        ru=ru,
        cycles=3,
        noise=1e-8,
        rng=np.random.default_rng(seed),
        with_hold=False,
    )
    per_cycle = s.time[-1] / 3
    potential = s.potential + 0.04 * np.floor(s.time / per_cycle - 1e-9)
    v = Voltammogram(potential, s.current, time=s.time, scan_rate=0.1, source="planted.csv")
    couples = analyze_curve(v).couples
    assert len(couples) == 3
    for c in couples:
        assert c.delta_ep.value > 0.040
        assert c.reversibility == "reversible", c.reasons
        assert c.apparent_ru_ohm == pytest.approx(ru, rel=0.15)


@pytest.mark.parametrize("k0", [1.0, 5.0])
@pytest.mark.parametrize("ru", [5000.0, 20000.0])
def test_slow_layer_beside_a_nernstian_layer_keeps_its_kinetic_excess(labelled_cv, k0, ru):
    """A Nernstian layer and a slow (Laviron, k0 = 1–5 /s at 0.1 V/s) layer of the same coverage
    through one Ru: the iR drop the Nernstian layer shows does not account for all of the slow
    layer's ΔEp, so it stays quasi-reversible while the Nernstian one is reversible."""
    from voltlens.simulate.species import Adsorbed
    from voltlens.simulate.waveform import CVWaveform

    layers = [
        Adsorbed(e0_V=-0.2, coverage_mol_m2=2e-6),
        Adsorbed(e0_V=0.25, coverage_mol_m2=2e-6, k0_per_s=k0),
    ]
    m, _ = labelled_cv(layers, CVWaveform(-0.6, 0.7, 0.1), ru=ru)
    fast, slow = sorted(analyze_curve(m).couples, key=lambda c: c.e_half.value)
    assert fast.reversibility == "reversible", fast.reasons
    assert slow.reversibility == "quasi-reversible", slow.reasons


def test_layer_current_with_a_straight_window_is_left_as_it_is():
    """A window whose current is a straight line (flat, pixel-quantised) carries no charge once its
    ends' line is taken away: nothing to balance, and no division by its zero charge."""
    x = np.linspace(-6.0, 6.0, 201)
    wave = 1.0 / np.cosh(x / 2.0) ** 2
    got = layer_current(np.r_[wave, np.full(30, -0.25)], [(0, 201), (201, 231)])
    assert np.all(np.isfinite(got))
    assert got[201:] == pytest.approx(0.0, abs=1e-12)
