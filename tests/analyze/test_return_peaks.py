"""Return-sweep peaks and couple classes where the engine used to be wrong, each planted in a curve
simulated by :mod:`voltlens.simulate` and checked against the exact truth of :mod:`voltlens.truth`
(per species, relative to the true background) or against a textbook criterion:

* the return wave of an irreversible couple, measured from the current held at the valley after the
  forward current died away, on a long noisy flat stretch (the valley value must not carry the
  deepest dip of the noise);
* a slow couple hundreds of mV wide whose return wave is smaller than the forward one is not a fast
  couple with a follow-up reaction (EC): that leaves ΔEp near 59/n mV (Bard & Faulkner §12.3);
* an EE couple whose two Nernstian steps overlap (apparent n between 1 and 2), widened by iR drop,
  is reversible, as the truth's Matsuda–Ayabe class says."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voltlens.analyze.couples import describe_couple
from voltlens.analyze.engine import analyze_curve
from voltlens.analyze.result import FoundPeak, Quantity
from voltlens.constants import f_inverse_volts
from voltlens.simulate import EE, CVWaveform, Irreversible

AREA = 7.07e-6
D = 1e-9
F_ = f_inverse_volts()
IP = 0.4463 * 96485.33212 * AREA * 1.0 * math.sqrt(F_ * 0.1 * D)  # Randles–Ševčík, n = 1, 1 mM, 0.1 V/s


def _return_errors(res, label) -> list[float]:
    """ip/ip,true − 1 of every return-sweep truth peak, matched within 20 mV (missed: +inf)."""
    out = []
    for tp in label.peaks:
        if tp.segment == 0:
            continue
        near = [
            fp
            for fp in res.peaks
            if fp.segment == tp.segment
            and fp.direction == tp.direction
            and abs(fp.potential.value - tp.potential_V) <= 0.02
        ]
        out.append(near[0].height.value / tp.current_A - 1.0 if near else math.inf)
    return out


def test_irreversible_return_wave_on_a_noisy_valley_is_unbiased(labelled_cv):
    # the return wave lies ~0.85 V after the vertex; the valley before it is a flat stretch of
    # several hundred points with noise at 3 % of the forward peak (≈ 6 % of the return peak)
    lam = 1e-4
    sp = Irreversible(
        e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D, k0_m_s=lam * math.sqrt(D * F_ * 0.1)
    )
    wave = CVWaveform(start_V=-0.9, vertex_V=0.9, scan_rate_V_s=0.1, step_V=0.001)
    errors = []
    for seed in range(8):
        v, label = labelled_cv([sp], wave, artifacts={"noise": {"rms_A": 0.03 * IP}}, seed=100 + seed)
        assert any(abs(p.baseline_A) < 0.02 * abs(p.current_A) for p in label.peaks if p.segment == 1)
        errors += _return_errors(analyze_curve(v), label)
    errors = np.array(errors)
    assert errors.size == 8 and np.all(np.abs(errors) <= 0.05), np.round(errors, 3)
    # the valley's own (smoothed) value sits on the deepest dip of the noise there: +4 % on average
    assert abs(float(np.mean(errors))) <= 0.025, np.round(errors, 3)


def _peak(direction, e, h, hw, index, segment):
    return FoundPeak(
        direction=direction,
        cycle=1,
        segment=segment,
        potential=Quantity(e, "V", 0.001),
        height=Quantity(h, "A", 1e-9),
        baseline_at_peak=0.0,
        index=index,
        half_peak_width=Quantity(hw, "V", 0.001),
    )


@pytest.mark.parametrize("dep", [0.30, 0.43, 0.60])
def test_wide_slow_couple_with_a_small_return_wave_is_not_read_as_ec(dep):
    # forward |Ep − Ep/2| = 40 mV (narrower than the 47.7/(αn) mV of an irreversible wave, as a
    # background misread makes it), return wave broad and half as high, n not given: whatever n
    # (1 or more), n·ΔEp ≥ 300 mV is Λ < 0.1 by Matsuda–Ayabe — never a reversible couple
    fwd = _peak("cathodic", -0.2, -2e-6, 0.040, 100, 0)
    ret = _peak("anodic", -0.2 + dep, 1.1e-6, 0.095, 900, 1)
    c = describe_couple(ret, fwd, 1, 0, scan_rate=0.1)
    assert c.reversibility != "reversible", c.reasons
    assert c.matsuda_ayabe_lambda is not None and c.matsuda_ayabe_lambda < 0.5


def test_fast_couple_with_a_follow_up_reaction_stays_reversible():
    # the control: a Nernstian-width forward wave, ΔEp 70 mV, the return wave half as high (EC)
    fwd = _peak("anodic", 0.1, 2e-6, 0.029, 100, 0)
    ret = _peak("cathodic", 0.03, -1e-6, 0.030, 300, 1)
    c = describe_couple(fwd, ret, 0, 1, scan_rate=0.1)
    assert c.reversibility == "reversible", c.reasons


@pytest.mark.parametrize(
    ("e0_2", "ru"), [(-0.04, 1000.0), (-0.02, 1000.0), (0.0, 1000.0), (0.0, 2000.0), (-0.04, 4000.0)]
)
def test_overlapping_ee_steps_widened_by_ir_drop_are_reversible(e0_2, ru, labelled_cv):
    # two Nernstian one-electron steps within 40 mV: one wave with an apparent n between 1 and 2,
    # ΔEp widened to 130–300 mV by the iR drop (Ru·ip ≈ 50–200 mV for the two-electron current)
    sp = EE(e0_1_V=0.0, e0_2_V=e0_2, concentration_mol_m3=1.0, diffusion_m2_s=D)
    wave = CVWaveform(start_V=-0.4, vertex_V=0.4, scan_rate_V_s=0.1, step_V=0.001)
    v, label = labelled_cv([sp], wave, artifacts={"noise": {"rms_A": 0.002 * IP}}, ru=ru, seed=3)
    (tc,) = label.couples
    res = analyze_curve(v)
    (c,) = res.couples
    assert tc.reversibility == "reversible"
    assert c.delta_ep.value > 0.1  # far beyond the Nernstian ΔEp: only the iR analysis can tell
    assert c.reversibility == tc.reversibility, c.reasons


@pytest.mark.parametrize("e0_2", [-0.04, 0.03])
def test_overlapping_ee_steps_with_slow_electron_transfer_stay_quasi_reversible(e0_2, labelled_cv):
    # the control: the same overlapping steps, each with Matsuda–Ayabe Λ = 1 (quasi-reversible by
    # its definition, whatever the truth label of an EE species says) and a little Ru
    k0 = 1.0 * math.sqrt(D * F_ * 0.1)
    sp = EE(e0_1_V=0.0, e0_2_V=e0_2, concentration_mol_m3=1.0, diffusion_m2_s=D, k0_1_m_s=k0, k0_2_m_s=k0)
    wave = CVWaveform(start_V=-0.5, vertex_V=0.5, scan_rate_V_s=0.1, step_V=0.001)
    v, _label = labelled_cv([sp], wave, artifacts={"noise": {"rms_A": 0.002 * IP}}, ru=500.0, seed=4)
    (c,) = analyze_curve(v).couples
    assert c.reversibility == "quasi-reversible", c.reasons
