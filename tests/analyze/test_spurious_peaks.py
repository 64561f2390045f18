"""Spurious peaks planted in simulated curves (truth from voltlens.truth via curve_label): a current
quantised by the instrument's ADC, its white noise well under one level step, is read with the
quantisation error (RMS LSB/√12) as its noise, not with the floating-point rounding of the stored
levels, so the staircase's stairs are no peaks; and a broad quasi-reversible DPV wave, which two
narrower fitted shapes match better than one, is one peak where the data show no dip between them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voltlens.analyze.engine import analyze_curve
from voltlens.analyze.preprocess import estimate_noise
from voltlens.simulate import DPVWaveform, QuasiReversible, Reversible
from voltlens.simulate.species import Cell
from voltlens.synth.sample import curve_label, simulate_curve
from voltlens.synth.scenario import CurveSpec


@pytest.mark.parametrize("seed", range(3))
def test_quantised_noise_is_the_quantisation_error(seed):
    # a slow curve, white noise a tenth of the level step, quantised, with two spikes: the error of
    # each point is uniform over one step, RMS q/√12; the spikes' few large steps do not inflate it
    rng = np.random.default_rng(seed)
    q = 3.7e-8 * (1.0 + 0.1 * seed)
    e = np.linspace(0.0, 0.6, 400)
    clean = 6e-7 * np.exp(-(((e - 0.3) / 0.08) ** 2)) - 2e-7 * e
    y = np.round((clean + rng.normal(0.0, 0.1 * q, e.size)) / q) * q
    y[rng.choice(e.size, 2, replace=False)] += 40.0 * q
    est = estimate_noise(y, levels=True)
    assert 0.5 * q / math.sqrt(12.0) < est < 2.0 * q / math.sqrt(12.0)


# a reversible DPV of 66 points quantised to a ninth of its peak, with spikes (ECBench-like draw)
QUANTISED_DPV = CurveSpec(
    "DPV",
    (Reversible(e0_V=0.469, concentration_mol_m3=0.622, diffusion_m2_s=4.34e-10),),
    ("reversible",),
    DPVWaveform(
        start_V=0.081, end_V=0.731, step_V=0.01, amplitude_V=0.01, pulse_width_s=0.025, period_s=0.125
    ),
    Cell(area_m2=7.9e-07),
    {
        "background": {"slope_A_per_V": -1.35e-07, "curvature_A_per_V2": -4.58e-07, "onset_A": 0.0},
        "quantization": {"lsb_A": 3.75e-08},
        "spikes": {"count": 3.0, "amplitude_A": 1.55e-06},
    },
)


@pytest.mark.parametrize(
    "seed",
    [
        *range(9),
        pytest.param(
            9,
            marks=pytest.mark.xfail(
                strict=True,
                reason="a stair near the end of the window still passes as a peak (known, unfixed)",
            ),
        ),
    ],
)
def test_quantised_dpv_gives_one_peak(seed):
    # one peak, at the reversible DPV position (truth: voltlens.truth via curve_label), nothing on
    # the stairs of the quantised baseline
    measured, clean, injected = simulate_curve(QUANTISED_DPV, np.random.default_rng(seed))
    label = curve_label(QUANTISED_DPV, measured, clean, injected)
    res = analyze_curve(measured)
    assert len(label.peaks) == 1
    found = [round(p.potential.value, 3) for p in res.peaks]
    assert len(res.peaks) == 1, f"peaks at {found}, truth {label.peaks[0].potential_V:.3f}"
    assert abs(res.peaks[0].potential.value - label.peaks[0].potential_V) < 0.015


# a slow quasi-reversible DPV peak (k0 = 6e-6 m/s against a 10 ms pulse): broader than the
# reversible shape, with white noise of 6 % of its height
BROAD_DPV = CurveSpec(
    "DPV",
    (
        QuasiReversible(
            e0_V=-0.666, concentration_mol_m3=6.11, diffusion_m2_s=3.56e-10, k0_m_s=6e-06, alpha=0.53
        ),
    ),
    ("quasi-reversible",),
    DPVWaveform(
        start_V=-0.937, end_V=-0.343, step_V=0.005, amplitude_V=0.01, pulse_width_s=0.01, period_s=0.08
    ),
    Cell(area_m2=2.01e-06),
    {"noise": {"rms_A": 1.31e-07}},
)


def test_broad_dpv_peak_is_one_peak():
    # two narrower fitted shapes may match a broad wave better than one, but the data show no dip
    # between them: one peak (the truth has one, voltlens.truth via curve_label) in all but at
    # most one of 30 noise draws
    split = []
    for seed in range(30):
        measured, clean, injected = simulate_curve(BROAD_DPV, np.random.default_rng(seed))
        label = curve_label(BROAD_DPV, measured, clean, injected)
        assert len(label.peaks) == 1
        res = analyze_curve(measured)
        if len(res.peaks) != 1:
            split.append((seed, [round(p.potential.value, 3) for p in res.peaks]))
    assert len(split) <= 1, f"read as several peaks: {split}"


# two reversible DPV peaks 90 mV apart (n = 1: FWHM ≈ 90 mV, so the valley between them is shallow)
DOUBLET_DPV = CurveSpec(
    "DPV",
    (
        Reversible(e0_V=-0.30, concentration_mol_m3=1.0, diffusion_m2_s=1e-9),
        Reversible(e0_V=-0.21, concentration_mol_m3=1.0, diffusion_m2_s=1e-9),
    ),
    ("reversible", "reversible"),
    DPVWaveform(start_V=-0.6, end_V=0.1, step_V=0.004, amplitude_V=0.025, pulse_width_s=0.05, period_s=0.1),
    Cell(area_m2=7.07e-06),
    {"noise": {"rms_A": 2e-9}},
)


@pytest.mark.parametrize("seed", range(3))
def test_resolved_dpv_doublet_keeps_both_peaks(seed):
    # the data dip between the two tops by many noise σ: both peaks stay (truth: curve_label)
    measured, clean, injected = simulate_curve(DOUBLET_DPV, np.random.default_rng(seed))
    label = curve_label(DOUBLET_DPV, measured, clean, injected)
    res = analyze_curve(measured)
    found = sorted(p.potential.value for p in res.peaks)
    truth = sorted(p.potential_V for p in label.peaks)
    assert len(truth) == 2
    assert len(found) == 2, f"peaks at {found}, truth {truth}"
    assert np.allclose(found, truth, atol=0.01)
