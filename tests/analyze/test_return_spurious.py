"""Later-sweep maxima planted in simulated curves (truth from voltlens.truth via curve_label): on the
return sweep of an irreversible couple nothing of the return direction is driven until its far
return wave, so a maximum of the corrected current where the current itself still flows the
forward way (the forward current dying faster than its continued baseline, with the charging
current's turn and a sloped background) is no peak; a real return wave, small (EC) or standing on
another couple's diffusion-limited current of the opposite direction, is still found."""

from __future__ import annotations

import numpy as np
import pytest

from voltlens.analyze.engine import analyze_curve
from voltlens.simulate import EC, CVWaveform, Irreversible, Reversible
from voltlens.simulate.species import Cell
from voltlens.synth.sample import curve_label, simulate_curve
from voltlens.synth.scenario import CurveSpec


def _read(spec: CurveSpec, seed: int = 0):
    measured, clean, injected = simulate_curve(spec, np.random.default_rng(seed))
    return analyze_curve(measured), curve_label(spec, measured, clean, injected)


def _later(peaks):
    return [p for p in peaks if p.segment > 0]


def _near(found, truth, tol=0.02):
    return [
        p
        for p in found
        if p.direction == truth.direction
        and p.segment == truth.segment
        and abs(p.potential.value - truth.potential_V) <= tol
    ]


# a two-electron irreversible reduction at 0.71 V/s, its return wave 450 mV away; a large
# double-layer capacitance and a curved background (ECBench-like draw), no noise
IRREVERSIBLE = CurveSpec(
    "CV",
    (
        Irreversible(
            e0_V=-0.655,
            concentration_mol_m3=0.132,
            diffusion_m2_s=1.25e-09,
            k0_m_s=6.1e-08,
            alpha=0.49,
            n=2,
            initially="ox",
        ),
    ),
    ("irreversible",),
    CVWaveform(start_V=-0.185, vertex_V=-1.042, scan_rate_V_s=0.71, step_V=0.001, n_cycles=2),
    Cell(area_m2=7.9e-07, cdl_F_m2=0.40),
    {
        "background": {"slope_A_per_V": 1.13e-07, "curvature_A_per_V2": -1.02e-08, "onset_A": 2.68e-07},
        "charging": {"cdl_F_m2": 0.40},
    },
)


def test_irreversible_return_sweep_has_only_its_return_wave():
    res, label = _read(IRREVERSIBLE)
    truth = [t for t in label.peaks if t.segment > 0]
    assert truth  # the return (oxidation) wave of each cycle
    for p in _later(res.peaks):
        assert any(
            t.direction == p.direction
            and t.segment == p.segment
            and abs(t.potential_V - p.potential.value) <= 0.02
            for t in truth
        ), f"spurious s{p.segment} {p.direction} E={p.potential.value:.3f}"
    for t in truth:
        assert len(_near(res.peaks, t)) == 1
    # the first return wave measured from the current held where the forward process stopped, not
    # from a dying-current "peak" before it (the second cycle's height is not checked here)
    first = _near(res.peaks, truth[0])[0]
    assert abs(first.height.value - truth[0].current_A) <= 0.1 * abs(truth[0].current_A)


# an irreversible reduction and, 400 mV beyond it, a dilute reversible couple: its small return
# (oxidation) wave stands on the first couple's cathodic diffusion-limited current, the current at
# its peak still cathodic
ON_OTHER_TAIL = CurveSpec(
    "CV",
    (
        Irreversible(
            e0_V=-0.10,
            concentration_mol_m3=2.0,
            diffusion_m2_s=1e-09,
            k0_m_s=1e-07,
            alpha=0.5,
            n=1,
            initially="ox",
        ),
        Reversible(e0_V=-0.60, concentration_mol_m3=0.4, diffusion_m2_s=1e-09, initially="ox"),
    ),
    ("irreversible", "reversible"),
    CVWaveform(start_V=0.20, vertex_V=-0.90, scan_rate_V_s=0.1, step_V=0.002, n_cycles=1),
    Cell(area_m2=3.14e-06),
    {},
)

# an EC couple whose product decays fast: a small return wave
SMALL_EC = CurveSpec(
    "CV",
    (
        EC(
            e0_V=-0.30,
            concentration_mol_m3=1.0,
            diffusion_m2_s=1e-09,
            kf_per_s=0.5,
            kb_per_s=0.0,
            initially="ox",
        ),
    ),
    ("EC",),
    CVWaveform(start_V=0.10, vertex_V=-0.70, scan_rate_V_s=0.1, step_V=0.002, n_cycles=1),
    Cell(area_m2=3.14e-06, cdl_F_m2=0.2),
    {
        "charging": {"cdl_F_m2": 0.2},
        "background": {"slope_A_per_V": 2e-07, "curvature_A_per_V2": 0.0, "onset_A": 0.0},
    },
)


@pytest.mark.parametrize("spec", [ON_OTHER_TAIL, SMALL_EC], ids=["on_other_tail", "small_ec"])
def test_real_return_wave_still_found(spec):
    res, label = _read(spec)
    truth = [t for t in label.peaks if t.segment > 0]
    assert truth
    for t in truth:
        found = _near(res.peaks, t)
        assert len(found) == 1, f"missed s{t.segment} {t.direction} E={t.potential_V:.3f}"
        assert abs(abs(found[0].height.value) - abs(t.current_A)) <= 0.15 * abs(t.current_A)
