"""The return peak's height where the background differs between the sweeps, planted in curves
simulated by :mod:`voltlens.simulate` and checked against the exact truth of :mod:`voltlens.truth`
(per species, from Nicholson's baseline: the current had the potential been held at the vertex):

* a slow drift of the current, linear in time, is the same additive current on both sweeps at the
  same time, not at the same potential: on the forward sweep alone it is a slope, on the return it
  tilts the other way.  Only rows of the return sweep where no wave is active can tell it from a
  sloped background — where the return sweep comes back over the first sweep's foot (past every
  wave found) the species are back where they started, so the current there is the continued one;
* guards: a clean reversible couple keeps ipa/ipc = 1 (Nicholson), and a couple whose product
  decays (EC: the return current dies faster than the frozen continuation) keeps its return peak.
"""

from __future__ import annotations

import math

import pytest

from voltlens.analyze.engine import analyze_curve
from voltlens.simulate import EC, CVWaveform, Reversible

D = 1e-9
WAVE = CVWaveform(start_V=-0.2, vertex_V=0.45, scan_rate_V_s=0.05, step_V=0.002)


def _ratios(res, label) -> list[float]:
    """ip/ip,true of every truth peak, matched within 20 mV on its sweep (missed: inf)."""
    out = []
    for tp in label.peaks:
        near = [
            fp
            for fp in res.peaks
            if fp.segment == tp.segment
            and fp.direction == tp.direction
            and abs(fp.potential.value - tp.potential_V) <= 0.02
        ]
        out.append(near[0].height.value / tp.current_A if near else math.inf)
    return out


@pytest.mark.parametrize("drift", [0.6, -0.6])
@pytest.mark.parametrize("seed", [0, 1])
def test_return_peak_under_a_drift_linear_in_time(drift, seed, labelled_cv):
    # a drift of 60 % of the peak current over the experiment: on the old baseline (fitted only
    # before the forward wave and around the vertex) the return peak was off by ±33 %
    sp = Reversible(e0_V=0.1, concentration_mol_m3=1.0, diffusion_m2_s=D)
    artifacts = {"drift": {"fraction_of_ip": drift}, "noise": {"rms_A": 5e-8}}
    v, label = labelled_cv([sp], WAVE, artifacts=artifacts, seed=seed)
    assert [p.segment for p in label.peaks] == [0, 1]
    ratios = _ratios(analyze_curve(v), label)
    assert all(abs(r - 1.0) <= 0.03 for r in ratios), ratios


def test_clean_reversible_couple_keeps_unit_peak_ratio(labelled_cv):
    sp = Reversible(e0_V=0.1, concentration_mol_m3=1.0, diffusion_m2_s=D)
    v, label = labelled_cv([sp], WAVE, artifacts={"noise": {"rms_A": 5e-8}}, seed=3)
    res = analyze_curve(v)
    fwd, ret = (p for p in res.peaks if p.segment in (0, 1))
    # Nicholson: ipa/ipc = 1 for a stable product, measured from the decaying forward current
    assert abs(abs(ret.height.value / fwd.height.value) - 1.0) <= 0.03
    assert all(abs(r - 1.0) <= 0.03 for r in _ratios(res, label))


@pytest.mark.parametrize("kf", [0.5])
def test_follow_up_reaction_return_peak_is_kept(kf, labelled_cv):
    # the product decays: the return current past the return wave falls below the frozen
    # continuation, which a drift term must not absorb
    sp = EC(e0_V=0.1, concentration_mol_m3=1.0, diffusion_m2_s=D, kf_per_s=kf)
    v, label = labelled_cv([sp], WAVE, artifacts={"noise": {"rms_A": 5e-8}}, seed=4)
    ratios = _ratios(analyze_curve(v), label)
    assert len(ratios) == 2 and all(abs(r - 1.0) <= 0.05 for r in ratios), ratios
