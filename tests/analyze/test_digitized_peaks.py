"""Peaks of curves read off a plot (``metadata['digitized']``): a pixel-quantised trace, left to right,
checked against the textbook simulation's own peaks (the ``textbook`` fixture)."""

from __future__ import annotations

import numpy as np
import pytest

from voltlens.analyze import analyze
from voltlens.model import Technique, Voltammogram


def _as_plotted(e, i, technique: Technique, *, n_columns: int, n_rows: int = 400) -> Voltammogram:
    """The curve as a digitizer returns it: left to right, one point per pixel column, the current
    rounded to the pixel rows."""
    order = np.argsort(e)
    e, i = np.asarray(e, dtype=float)[order], np.asarray(i, dtype=float)[order]
    cols = np.linspace(e[0], e[-1], n_columns)
    cur = np.interp(cols, e, i)
    row = np.ptp(cur) / n_rows
    cur = np.round(cur / row) * row
    return Voltammogram(cols, cur, technique=technique, metadata={"digitized": True})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reductive_lsv_read_left_to_right_gives_its_cathodic_peaks(textbook, seed: int) -> None:
    rng = np.random.default_rng(seed)
    e1 = float(rng.uniform(-0.2, 0.0))
    e2 = e1 - float(rng.uniform(0.35, 0.5))
    couples = [textbook.Couple(e0=e1, reduced=False), textbook.Couple(e0=e2, reduced=False)]
    sim = textbook.simulate_cv(couples, e_start=e1 + 0.35, e_vertex=e2 - 0.3, with_hold=False)
    n = sim.n_forward
    truth = [ep for d, ep, _ip, _j in textbook.truth_peaks(sim, couples) if d == "cathodic"]
    assert len(truth) == 2
    v = _as_plotted(sim.potential[:n], sim.current[:n], Technique.LSV, n_columns=int(rng.integers(300, 500)))
    peaks = analyze([v]).curves[0].peaks
    sure = [p for p in peaks if p.confidence >= 0.5]
    assert {p.direction for p in sure} == {"cathodic"}
    for ep in truth:
        assert min(abs(float(p.potential.value) - ep) for p in sure) < 0.01


@pytest.mark.parametrize("seed", range(8))
def test_digitized_dpv_on_a_rising_baseline_gives_both_peaks_and_no_other(textbook, seed: int) -> None:
    """Two DPV peaks of unequal height on a curved baseline rising into an onset, drawn with a little
    noise: the nearly noise-free pixel trace must not buy baseline curvature with extra components."""
    rng = np.random.default_rng(seed)
    e1 = float(rng.uniform(-0.3, -0.1))
    e2 = e1 + float(rng.uniform(0.35, 0.5))
    small = float(rng.uniform(0.35, 0.55))
    couples = [textbook.Couple(e0=e1, conc=small), textbook.Couple(e0=e2)]
    sim = textbook.simulate_dpv(couples, e_start=e1 - 0.3, e_end=e2 + 0.3, step=2e-3)
    e = sim.potential
    top = float(np.max(sim.current))
    background = top * (0.24 * ((e - e[0]) / np.ptp(e)) ** 2 + 0.6 * np.exp((e - e[-1]) / 0.08))
    drawn = sim.current + background + rng.normal(0.0, 0.01 * top, e.size)
    v = _as_plotted(e, drawn, Technique.DPV, n_columns=int(rng.integers(250, 400)))
    found = [float(p.potential.value) for p in analyze([v]).curves[0].peaks]
    truth = [float(e[int(np.argmax(sim.faradaic[j]))]) for j in range(2)]
    for ep in truth:
        assert min(abs(x - ep) for x in found) < 0.015
    for x in found:
        assert min(abs(x - ep) for ep in truth) < 0.015


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_oxidative_lsv_read_left_to_right_stays_as_it_is(textbook, seed: int) -> None:
    rng = np.random.default_rng(seed)
    e0 = float(rng.uniform(-0.1, 0.1))
    couples = [textbook.Couple(e0=e0, reduced=True)]
    sim = textbook.simulate_cv(couples, e_start=e0 - 0.3, e_vertex=e0 + float(rng.uniform(0.25, 0.6)))
    n = sim.n_forward
    truth = [ep for d, ep, _ip, _j in textbook.truth_peaks(sim, couples) if d == "anodic"]
    v = _as_plotted(sim.potential[:n], sim.current[:n], Technique.LSV, n_columns=int(rng.integers(300, 500)))
    sure = [p for p in analyze([v]).curves[0].peaks if p.confidence >= 0.5]
    assert [p.direction for p in sure] == ["anodic"]
    assert float(sure[0].potential.value) == pytest.approx(truth[0], abs=0.01)
