"""Preprocessing must not move peaks or invent them: sweeps, noise, spikes, smoothing."""

from __future__ import annotations

import numpy as np
import pytest

from voltlens.analyze.engine import analyze_curve
from voltlens.analyze.preprocess import clipped_runs, estimate_noise, preprocess, remove_spikes, split_sweeps
from voltlens.model import Voltammogram
from voltlens.simulate import CVWaveform, Reversible, simulate_cv
from voltlens.simulate.species import Cell

D = 1e-9


def _clean_cv(step=0.001):
    sp = Reversible(e0_V=0.2, concentration_mol_m3=1.0, diffusion_m2_s=D)
    return simulate_cv(
        [sp], CVWaveform(start_V=-0.1, vertex_V=0.5, scan_rate_V_s=0.1, step_V=step), Cell(area_m2=7.07e-6)
    )


@pytest.mark.parametrize("seed", range(3))
def test_sweeps_survive_noisy_and_repeated_potentials(seed):
    rng = np.random.default_rng(seed)
    up = np.linspace(-0.2, 0.6, 400)
    e = np.concatenate([up, up[::-1], up, up[::-1]])
    e = np.repeat(e, rng.integers(1, 3, e.size))  # repeated points
    e = e + rng.normal(0, 0.0005, e.size)  # noisy potential
    sw = split_sweeps(e)
    assert sw.count == 4
    assert sw.direction == (1, -1, 1, -1)


@pytest.mark.parametrize("seed", range(3))
def test_noise_estimate_is_unbiased(seed):
    rng = np.random.default_rng(seed)
    clean = _clean_cv().voltammogram.current
    sigma = 1e-7
    est = estimate_noise(clean + rng.normal(0, sigma, clean.size))
    assert est == pytest.approx(sigma, rel=0.1)


def test_smoothing_does_not_move_peak():
    sim = _clean_cv()
    v = sim.voltammogram
    rng = np.random.default_rng(0)
    noisy = v.current + rng.normal(0, 2e-7, v.current.size)
    prep = preprocess(v.potential, noisy)
    assert prep.window > 5
    n1 = int(np.argmax(v.potential)) + 1
    # smooth the clean curve with the window chosen for the noisy one
    from voltlens.analyze.preprocess import smooth

    sm = smooth(v.current, window=prep.window, sweeps=prep.sweeps)
    e = v.potential[:n1]

    def apex(y):
        k = int(np.argmax(y))
        c = np.polyfit(e[k - 3 : k + 4] - e[k], y[k - 3 : k + 4], 2)
        return e[k] - c[1] / (2 * c[0])

    ep_clean, ep_smooth = apex(v.current[:n1]), apex(sm[:n1])
    assert abs(ep_smooth - ep_clean) < 0.0005


def test_spikes_are_removed_and_create_no_peak():
    v = _clean_cv().voltammogram
    rng = np.random.default_rng(1)
    cur = v.current + rng.normal(0, 5e-8, v.current.size)
    ip = float(np.max(v.current))
    spiked = cur.copy()
    where = [100, 250, 520, 800]
    for k, sgn in zip(where, (1, -1, 1, -1), strict=True):
        spiked[k] += sgn * 0.8 * ip
    _cleaned, idx = remove_spikes(spiked, noise=5e-8)
    assert set(where) <= set(idx.tolist())
    base = analyze_curve(Voltammogram(v.potential, cur, scan_rate=0.1))
    res = analyze_curve(Voltammogram(v.potential, spiked, scan_rate=0.1))
    assert len(res.peaks) == len(base.peaks) == 2
    for a, b in zip(res.peaks, base.peaks, strict=True):
        assert abs(a.potential.value - b.potential.value) < 0.002


@pytest.mark.parametrize(
    ("n", "window", "order"), [(1000, 21, 3), (50, 7, 3), (1001, 101, 3), (9, 9, 3), (30, 5, 2)]
)
def test_fast_savitzky_golay_equals_scipy(n, window, order):
    from scipy.signal import savgol_coeffs, savgol_filter

    from voltlens.analyze.preprocess import savgol_interp, savgol_nearest, savgol_weights

    y = np.cumsum(np.random.default_rng(n).normal(size=n))
    scale = np.max(np.abs(y))
    assert (
        np.max(np.abs(savgol_interp(y, window, order) - savgol_filter(y, window, order, mode="interp")))
        < 1e-11 * scale
    )
    assert (
        np.max(np.abs(savgol_nearest(y, window, order) - savgol_filter(y, window, order, mode="nearest")))
        < 1e-11 * scale
    )
    assert np.allclose(savgol_weights(window, order), savgol_coeffs(window, order), atol=1e-13)


@pytest.mark.parametrize("seed", [None, 0, 1])
def test_sharp_top_of_a_coarse_dpv_peak_is_no_spike(textbook, seed):
    """A DPV peak sampled every 10 mV bends several times faster at its top than two points away, so
    its top departs from the chord between its neighbours by more than their curvature explains — yet
    it is a smooth peak (under the tent of its flanks), not a spike: it is kept and its height read
    (textbook Parry–Osteryoung simulation, conftest)."""
    couple = textbook.Couple(0.0)
    kw = {"noise": 0.0} if seed is None else {"noise": 5e-10, "rng": np.random.default_rng(seed)}
    s = textbook.simulate_dpv([couple], e_start=-0.3, e_end=0.3, step=0.01, amplitude=0.025, **kw)
    ip = float(np.max(s.faradaic))
    _cleaned, idx = remove_spikes(s.current, noise=max(estimate_noise(s.current), 1e-300))
    top = int(np.argmax(s.current))
    assert not any(abs(int(k) - top) <= 2 for k in idx)
    (pk,) = analyze_curve(Voltammogram(s.potential, s.current, technique="DPV")).peaks
    assert pk.height.value == pytest.approx(ip, rel=0.03)


@pytest.mark.parametrize("level", [0.5, 0.8])
def test_clipped_runs_mark_exactly_the_points_beyond_the_range(textbook, level):
    # a CV cut at ±level × its forward peak (the instrument's range): the top and bottom masks are
    # the points whose true current lies beyond the cut, and nothing else
    sim = textbook.simulate_cv([textbook.Couple(e0=0.0)], e_start=-0.35, e_vertex=0.35, with_hold=False)
    ceiling = level * float(np.max(sim.current))
    runs = clipped_runs(np.clip(sim.current, -ceiling, ceiling))
    assert np.array_equal(runs.top, sim.current >= ceiling)
    assert np.array_equal(runs.bottom, sim.current <= -ceiling)
    assert not clipped_runs(sim.current).top.any()  # the unclipped curve has no cut
