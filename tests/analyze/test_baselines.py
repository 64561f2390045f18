"""Baselines under kinetic waves, checked against independent truths: the textbook semi-integral
simulator of ``conftest.py`` (each species' own faradaic current, Nicholson's held-current baseline
for the return peak) and planted backgrounds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voltlens.analyze.background import Region, fit_background
from voltlens.analyze.engine import analyze_curve
from voltlens.analyze.preprocess import split_sweeps
from voltlens.model import Technique, Voltammogram

D = 1e-9


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("start", [0.20, 0.25])
def test_slow_wave_started_near_its_foot(textbook, seed, start):
    """A slow couple (Λ = 0.03, α = 0.42: |Ep − Ep/2| ≈ 110 mV) whose foot reaches back to the start
    potential: the only stretch where no faradaic current is assumed holds 2–3 e-folds of the
    foot.  Fitted there without its exponential term, the background line tilts and takes 8 % off
    the forward peak; both peaks must come within 5 % of the simulator's own currents."""
    v = 0.05
    f = textbook.F / (textbook.R * 298.15)
    couple = textbook.Couple(e0=0.0, k0=0.03 * math.sqrt(D * f * v), alpha=0.42, reduced=False, d=D)
    sim = textbook.simulate_cv(
        [couple],
        e_start=start,
        e_vertex=-0.45,
        scan_rate=v,
        step=1e-3,
        noise=2e-9,
        rng=np.random.default_rng(seed),
    )
    _assert_both_peaks_match(textbook, sim, couple, v)


def test_background_fit_where_a_process_has_stopped():
    """On a return sweep where the forward process has stopped (``Region.hold``) the faradaic
    current has died away: a planted background comes back from those rows, its charging step
    included.  Read as the frozen continuation of the history instead (a diffusion tail that is
    not there), the same rows bias it."""
    e = np.r_[np.linspace(-0.2, 0.5, 351), np.linspace(0.5, -0.2, 351)[1:]]
    sweeps = split_sweeps(e)
    direction = np.where(np.arange(e.size) < 351, 1.0, -1.0)
    true = 1e-7 + 2e-7 * e + 3e-7 * direction
    faradaic = np.zeros(e.size)
    faradaic[100:300] = np.sin(np.linspace(0.0, np.pi, 200)) ** 2 * 2e-6  # a wave that dies away
    rng = np.random.default_rng(12)
    y = true + faradaic + rng.normal(0.0, 2e-9, e.size)
    held = [Region(0, 90), Region(460, e.size, 459, hold=True)]
    bg = fit_background(y, e, sweeps, held, noise=2e-9, scale=2e-6)
    assert bg is not None
    assert np.max(np.abs(bg.values - true)) < 5e-9
    continued = [Region(0, 90), Region(460, e.size, 459)]
    wrong = fit_background(y, e, sweeps, continued, noise=2e-9, scale=2e-6)
    assert wrong is not None
    assert np.max(np.abs(wrong.values - true)) > 5e-8


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("e_final", [0.22, 0.28])
def test_charging_from_the_turn_when_no_row_sees_it(textbook, seed, e_final):
    """A slow couple (Λ = 0.3) whose return sweep stops 100–150 mV past its return peak: the wave
    is active over all of that sweep and up to the turn, so every row of the background fit lies on
    the forward foot and none can tell the charging current (here 11 % of the peak).  The jump of
    the current at the turning point is that charging current changing sign (the faradaic current
    is continuous there); left out, the return peak stands on the wrong baseline (+85 %).  Both
    peaks must come within 5 % of the simulator's own currents."""
    v = 0.24
    f = textbook.F / (textbook.R * 298.15)
    couple = textbook.Couple(e0=0.45, k0=0.3 * math.sqrt(D * f * v), reduced=True, d=D, conc=0.05)
    sim = textbook.simulate_cv(
        [couple],
        e_start=0.15,
        e_vertex=0.7,
        e_final=e_final,
        scan_rate=v,
        step=2e-3,
        cdl=0.3,
        noise=1e-9,
        rng=np.random.default_rng(seed),
    )
    _assert_both_peaks_match(textbook, sim, couple, v)


def _assert_both_peaks_match(textbook, sim, couple, v: float) -> None:
    """The engine finds the couple's two peaks within 5 mV and 5 % of the simulator's own."""
    res = analyze_curve(Voltammogram(sim.potential, sim.current, Technique.CV, time=sim.time, scan_rate=v))
    truths = textbook.truth_peaks(sim, [couple])
    assert len(truths) == 2
    for direction, ep, ip, _ in truths:
        (found,) = [p for p in res.peaks if p.direction == direction]
        assert abs(found.potential.value - ep) <= 0.005
        assert found.height.value == pytest.approx(ip, rel=0.05), direction
