"""Sweep numbering and the sign-convention heuristic used by the readers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from voltlens import SignConvention, Technique
from voltlens.io._sweeps import (
    cycles_from_segments,
    estimate_scan_rate,
    infer_sign_convention,
    sweep_segments,
)


def _triangle(vertices: list[float], step: float) -> tuple[np.ndarray, list[int]]:
    parts, ends = [np.array([vertices[0]])], []
    for a, b in itertools.pairwise(vertices):
        n = round(abs(b - a) / step)
        parts.append(np.linspace(a, b, n + 1)[1:])
        ends.append(sum(p.size for p in parts) - 1)
    return np.concatenate(parts), ends[:-1]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_segments_survive_noise_and_repeated_points(seed):
    rng = np.random.default_rng(seed)
    vertices = [0.0, 0.8, -0.2, 0.8, -0.2, 0.3]
    e, turns = _triangle(vertices, 0.002)
    noisy = e + rng.normal(0, 0.0015, e.size)  # noise comparable to the step
    repeat = rng.integers(1, 4, e.size)  # every point written 1-3 times (slow ADC)
    noisy = np.repeat(noisy, repeat)
    true_turns = np.cumsum(repeat)[turns] - 1
    seg = sweep_segments(noisy)
    assert int(seg.max()) + 1 == len(vertices) - 1
    found = np.flatnonzero(np.diff(seg)) + 1  # first index of each new sweep
    assert np.all(np.abs(found - true_turns) <= 3 * repeat.max() + 10)
    assert np.all(np.diff(seg) >= 0)


def test_segments_of_a_monotonic_sweep_and_a_flat_record():
    assert sweep_segments(np.linspace(0, 1, 50)).tolist() == [0] * 50
    assert sweep_segments(np.zeros(10)).tolist() == [0] * 10
    e, _ = _triangle([0.5, -0.5, 0.5], 0.01)
    seg = sweep_segments(e)
    assert seg[0] == 0 and seg[-1] == 1
    assert e[seg == 0].min() == pytest.approx(-0.5)  # the vertex belongs to the sweep ending there


def test_cycles_are_pairs_of_sweeps():
    assert cycles_from_segments(np.array([0, 0, 1, 1, 2, 3, 4])).tolist() == [1, 1, 1, 1, 2, 2, 3]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sign_heuristic_on_simulated_cvs(seed):
    from cvsim.mechanisms import E_rev

    rng = np.random.default_rng(seed)
    e0 = rng.uniform(-0.3, 0.3)
    for start, switch in (
        (e0 - 0.35, e0 + 0.35),
        (e0 + 0.35, e0 - 0.35),
    ):  # oxidation-first and reduction-first
        e, i = E_rev(start, switch, e0, rng.uniform(0.01, 1.0), 1.0, 1e-5, 1e-5).simulate()
        i = i + 0.05 * np.abs(i).max() * np.sign(np.gradient(e))  # some double-layer charging
        conv, score = infer_sign_convention(e, i, Technique.CV, 2)
        assert conv == SignConvention.IUPAC and score > 0.05
        conv, score = infer_sign_convention(e, -i, Technique.CV, 2)
        assert conv == SignConvention.US and score < -0.05


def test_sign_heuristic_abstains_for_lsv_and_flat_loops():
    e = np.linspace(0.0, 1.0, 100)
    assert infer_sign_convention(e, -np.exp(e), Technique.LSV, 1)[0] is None  # e.g. ORR swept positive
    e2 = np.r_[e, e[::-1]]
    assert infer_sign_convention(e2, np.r_[np.exp(e), np.exp(e[::-1])], Technique.CV, 2)[0] is None


def test_scan_rate_estimate():
    e, _ = _triangle([0.0, 0.5, 0.0], 0.001)
    t = np.arange(e.size) * 0.02  # 1 mV per 20 ms = 50 mV/s
    assert estimate_scan_rate(e, t) == pytest.approx(0.05)
    assert estimate_scan_rate(e, np.zeros(e.size)) is None
