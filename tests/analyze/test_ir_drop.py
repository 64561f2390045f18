"""iR-broadened reversible couples: planted with a known Ru in the independent textbook simulator
(tests/analyze/conftest.py), classified reversible with the apparent Ru found; slow electron transfer
without Ru is not mistaken for an iR drop; the apparent Ru reaches the JSON contract; a settled
return tail does not spoil the semi-integral fit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voltlens.analyze.contract import curve_out
from voltlens.analyze.convolution import couple_kinetics
from voltlens.analyze.engine import analyze_curve
from voltlens.analyze.semiintegral import semi_derivative, semi_integral
from voltlens.model import Voltammogram

F_RT = 96485.33212 / (8.314462618 * 298.15)
D = 1e-9


def _cv(textbook, couple, *, ru=0.0, noise=0.0, seed=0):
    s = textbook.simulate_cv(
        [couple],
        e_start=-0.4,
        e_vertex=0.45,
        scan_rate=0.1,
        step=1e-3,
        ru=ru,
        noise=noise,
        rng=np.random.default_rng(seed),
        with_hold=False,
    )
    return Voltammogram(s.potential, s.current, time=s.time, scan_rate=0.1, source="planted.csv"), s


@pytest.mark.parametrize("ru", [1000.0, 3000.0])
def test_ir_broadened_reversible_couple_is_reversible_with_its_ru(textbook, ru):
    v, s = _cv(textbook, textbook.Couple(0.0), ru=ru, noise=2e-9)
    ip = float(np.max(s.faradaic))
    res = analyze_curve(v)
    (c,) = res.couples
    assert c.delta_ep.value > 0.059 + 0.5 * ru * ip  # ΔEp clearly widened by the iR drop
    assert c.reversibility == "reversible", c.reasons
    assert c.apparent_ru_ohm == pytest.approx(ru, rel=0.08)
    assert any("iR drop" in r for r in c.reasons)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("ru", [350.0, 400.0])
def test_small_ir_drop_of_a_nernstian_couple_is_reversible(textbook, ru, seed):
    """ΔEp 75–77 mV, of which Ru explains only 11–13 mV (below the 15 mV that guards against Ru and
    slow kinetics trading off): where the fit with free kinetics finds none at all (Λ = ∞), the
    couple is still Nernstian, its ΔEp widened by the iR drop."""
    v, s = _cv(textbook, textbook.Couple(0.0), ru=ru, noise=2e-8, seed=seed)
    ip = float(np.max(s.faradaic))
    (c,) = analyze_curve(v).couples
    assert 0.070 < c.delta_ep.value < 0.059 + 2.5 * ru * ip  # widened by about 2·Ru·ip, not by more
    assert c.reversibility == "reversible", c.reasons
    assert c.apparent_ru_ohm == pytest.approx(ru, rel=0.15)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("ru", [200.0, 250.0, 300.0])
def test_very_small_ir_drop_of_a_nernstian_couple_is_reversible(textbook, ru, seed):
    """ΔEp 68–72 mV, of which Ru explains only 5–9 mV (below even the 10 mV floor kept where free
    kinetics find none): the Nernstian + iR fit leaves under 1 mV and free kinetics find no
    hysteresis (Λ = ∞), so nothing is left for slow kinetics to trade off against — Nernstian, its
    ΔEp widened by the iR drop (Matsuda–Ayabe: k0 → ∞)."""
    v, s = _cv(textbook, textbook.Couple(0.0), ru=ru, noise=2e-8, seed=seed)
    ip = float(np.max(s.faradaic))
    (c,) = analyze_curve(v).couples
    assert 0.066 < c.delta_ep.value < 0.059 + 2.5 * ru * ip  # widened by about 2·Ru·ip
    assert c.reversibility == "reversible", c.reasons


@pytest.mark.parametrize("lam", [2.0, 4.0])
def test_slow_electron_transfer_with_a_small_ru_stays_quasi_reversible(textbook, lam):
    """The same 200 Ω beside slow electron transfer (Λ = 2–4 < 15: ΔEp 79–89 mV): the free kinetics
    find the hysteresis, so the small iR part does not make it Nernstian."""
    k0 = lam * math.sqrt(D * F_RT * 0.1)  # Matsuda–Ayabe Λ = k0/√(D f v)
    v, _ = _cv(textbook, textbook.Couple(0.0, k0=k0), ru=200.0, noise=2e-8)
    (c,) = analyze_curve(v).couples
    assert c.reversibility == "quasi-reversible", c.reasons


@pytest.mark.parametrize("lam", [0.3, 1.0])
def test_slow_electron_transfer_without_ru_stays_quasi_reversible(textbook, lam):
    k0 = lam * math.sqrt(D * F_RT * 0.1)  # Matsuda–Ayabe Λ = k0/√(D f v)
    v, _ = _cv(textbook, textbook.Couple(0.0, k0=k0), noise=2e-9)
    (c,) = analyze_curve(v).couples
    assert c.reversibility == "quasi-reversible", c.reasons


def test_apparent_ru_is_exported_in_the_contract(textbook):
    v, _ = _cv(textbook, textbook.Couple(0.0), ru=2000.0)
    out = curve_out(analyze_curve(v)).model_dump(mode="json")
    (couple,) = out["couples"]
    assert couple["apparent_ru"]["unit"] == "ohm"
    assert couple["apparent_ru"]["value"] == pytest.approx(2000.0, rel=0.08)


@pytest.mark.parametrize("left_over", [0.05, 0.06, 0.08])
def test_a_settled_return_tail_does_not_spoil_the_nernstian_fit(textbook, left_over):
    """A Nernstian couple with Ru = 3000 Ω whose corrected current carries an error after its return
    wave that leaves 5–8 % of the plateau in the semi-integral (an imperfect background, integrated):
    over the rest of the return sweep the converted fraction stays put while the potential sweeps
    on, which no E(μ) relation describes.  The semi-integral analysis still finds the couple
    Nernstian with the planted Ru and n = 1."""
    s = textbook.simulate_cv(
        [textbook.Couple(0.0)],
        e_start=-0.4,
        e_vertex=0.45,
        scan_rate=0.1,
        step=1e-3,
        ru=3000.0,
        with_hold=False,
    )
    n1, n = s.n_forward, s.potential.size
    faradaic = s.faradaic.sum(axis=0) if s.faradaic.ndim > 1 else s.faradaic
    plateau = semi_integral(faradaic)[n1 - 1]
    k = np.arange(n)
    settled = 0.5 * (1.0 + np.tanh((k - (n1 + 0.85 * (n - n1))) / 15.0))  # past the return wave
    error = semi_derivative(left_over * plateau * settled)
    kin = couple_kinetics(
        s.potential,
        faradaic + error,
        faradaic + error,
        [(0, n1), (n1, n)],
        dt=0.01,
        scan_rate=0.1,
        temperature_K=298.15,
        smooth_points=29,
    )
    assert kin is not None
    assert kin.nernst_rms_V < 0.003
    assert kin.nernst_ru_ohm == pytest.approx(3000.0, rel=0.05)
    assert kin.nernst_n == pytest.approx(1.0, abs=0.05)
