"""A couple first seen on a later cycle gets its own semi-integral analysis — planted on the local
textbook simulator (``textbook`` fixture): the first cycle turns back before the couple's wave, the
second sweeps through it, so the couple's surface is still at rest when its own cycle starts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voltlens.analyze.engine import analyze_curve
from voltlens.model import Voltammogram

D = 1e-9
F_RT = 96485.33212 / (8.314462618 * 298.15)
LAMBDA_1 = math.sqrt(D * F_RT * 0.1)  # k0 (m/s) of Matsuda–Ayabe Λ = 1 at 0.1 V/s
STEP = 1e-3
RATE = 0.1


def _sweep(e_start: float, e_vertex: float) -> np.ndarray:
    n = round(abs(e_vertex - e_start) / STEP)
    fwd = e_start + np.sign(e_vertex - e_start) * STEP * np.arange(1, n + 1)
    rev = e_vertex + np.sign(e_start - e_vertex) * STEP * np.arange(1, n + 1)
    return np.concatenate([fwd, rev])


def _widening_window(textbook, couple, ru: float, seed: int = 0) -> Voltammogram:
    """Cycle 1: −0.3 → 0 → −0.3 V (250 mV short of the couple at 0.25 V); cycle 2: −0.3 → 0.6 →
    −0.3 V.  Simulated through the fixture's sequential solver for this potential programme."""
    e = np.concatenate([_sweep(-0.3, 0.0), _sweep(-0.3, 0.6)])
    dt = STEP / RATE
    sim = textbook.Sim([couple], e, dt, area=7.07e-6, temperature=298.15, cdl=0.0, ru=ru)
    _, total, _ = sim.run(-0.3)
    current = total + np.random.default_rng(seed).normal(0.0, 2e-8, e.size)
    return Voltammogram(e, current, time=dt * np.arange(1, e.size + 1), scan_rate=RATE, source="planted.csv")


@pytest.mark.parametrize("ru", [500.0, 1000.0, 2000.0])
def test_nernstian_couple_first_seen_on_cycle_two_shows_its_ru(textbook, ru):
    """A Nernstian couple through 500–2000 Ω (ΔEp 81–138 mV), reached only on the second cycle: its
    own forward and return sweeps show Nernstian behaviour with the planted Ru, so it is reversible
    (it had no semi-integral analysis at all when that ran on the first cycle only)."""
    couples = analyze_curve(_widening_window(textbook, textbook.Couple(0.25), ru)).couples
    assert len(couples) == 1
    c = couples[0]
    assert c.delta_ep.value > 0.075
    assert c.reversibility == "reversible", c.reasons
    assert c.apparent_ru_ohm == pytest.approx(ru, rel=0.15)


@pytest.mark.parametrize("lam", [1.0, 3.0])
def test_slow_couple_first_seen_on_cycle_two_stays_quasi_reversible(textbook, lam):
    """Guard: the same programme with slow electron transfer (Λ = 1 or 3) and no Ru is still read
    quasi-reversible, and a Nernstian couple without Ru reversible."""
    slow = analyze_curve(_widening_window(textbook, textbook.Couple(0.25, k0=lam * LAMBDA_1), 0.0)).couples
    assert [c.reversibility for c in slow] == ["quasi-reversible"]
    fast = analyze_curve(_widening_window(textbook, textbook.Couple(0.25), 0.0)).couples
    assert [c.reversibility for c in fast] == ["reversible"]
