"""Peak widths, n of slow couples, and the dying current of an irreversible wave under ADC
quantisation, each against an independent truth: the textbook Nernstian |Ep − Ep/2| = 56.5/n mV
(Bard & Faulkner 6.2.19) on the local semi-integral simulator, and the exact truth of
:mod:`voltlens.truth` (Matsuda–Ayabe class from the simulated k0) for simulated curves."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voltlens.analyze.engine import analyze_curve
from voltlens.constants import f_inverse_volts
from voltlens.model import Voltammogram
from voltlens.simulate import CVWaveform, Irreversible

AREA = 7.07e-6
D = 1e-9
F_ = f_inverse_volts()


@pytest.mark.parametrize("seed", range(4))
def test_nernstian_half_peak_width_on_a_coarse_grid(textbook, seed):
    # 5 mV steps and 1 % noise: the grid point that noise makes the highest is up to a step from the
    # apex; the width is read from the fitted apex, within 3 mV of 56.5/n mV
    rng = np.random.default_rng(seed)
    couple = textbook.Couple(e0=0.0)
    ip = textbook.randles_sevcik(1, AREA, 1.0, D, 0.1)
    sim = textbook.simulate_cv(
        [couple], e_start=-0.35, e_vertex=0.35, step=0.005, noise=0.01 * ip, rng=rng, with_hold=False
    )
    v = Voltammogram(potential=sim.potential, current=sim.current, scan_rate=0.1, time=sim.time)
    fwd = [p for p in analyze_curve(v).peaks if p.segment == 0]
    assert len(fwd) == 1 and fwd[0].half_peak_width is not None
    assert fwd[0].half_peak_width.value == pytest.approx(0.0565, abs=0.003)


@pytest.mark.parametrize(("ru", "seed"), [(0.0, 1), (500.0, 2)])
def test_two_electron_irreversible_couple_is_irreversible(ru, seed, labelled_cv, textbook):
    # n = 2, Λ = 3·10⁻⁴: ΔEp ≈ 0.45 V, which for n = 1 would read Λ ≈ 0.02 (quasi-reversible); the two
    # half-peak widths, 47.7/(αn) and 47.7/((1−α)n) mV, tell n = 2, also when an iR drop of about
    # 20 mV at the peaks broadens them (their estimate falls to ≈ 1.6)
    lam = 3e-4
    k0 = lam * math.sqrt(D * 2 * F_ * 0.1)
    sp = Irreversible(
        e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D, k0_m_s=k0, alpha=0.45, n=2, initially="ox"
    )
    wave = CVWaveform(start_V=0.45, vertex_V=-0.55, scan_rate_V_s=0.1, step_V=0.002)
    ip = textbook.randles_sevcik(1, AREA, 1.0, D, 0.1)  # 1 mM at 0.1 V/s: the noise scale
    v, label = labelled_cv([sp], wave, artifacts={"noise": {"rms_A": 0.003 * ip}}, ru=ru, seed=seed)
    (tc,) = label.couples
    assert tc.reversibility == "irreversible" and tc.delta_Ep_V > 0.3
    (c,) = analyze_curve(v).couples
    assert c.reversibility == "irreversible"
    assert c.n_electrons is not None and c.n_electrons.value == 2


@pytest.mark.parametrize("seed", range(3))
def test_quantised_dying_current_is_not_a_return_peak(seed, labelled_cv):
    # an ADC step larger than the noise: after the forward process of an irreversible couple has
    # stopped, the flat current's quantisation steps must not pass for the turn-over of a peak
    lam = 1.2e-4
    sp = Irreversible(
        e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D, alpha=0.4, k0_m_s=lam * math.sqrt(D * F_ * 0.03)
    )
    wave = CVWaveform(start_V=-0.76, vertex_V=0.61, scan_rate_V_s=0.03, step_V=0.001, n_cycles=2)
    _, clean = labelled_cv([sp], wave, seed=seed)
    ip = max(abs(p.current_A) for p in clean.peaks)
    arts = {"noise": {"rms_A": 0.023 * ip}, "quantization": {"lsb_A": 0.032 * ip}}
    v, label = labelled_cv([sp], wave, artifacts=arts, seed=40 + seed)
    res = analyze_curve(v)
    truth_e = [(p.segment, p.potential_V) for p in label.peaks]
    spurious = [
        p
        for p in res.peaks
        if not any(s == p.segment and abs(e - p.potential.value) < 0.03 for s, e in truth_e)
    ]
    assert not spurious, [(p.segment, round(p.potential.value, 3)) for p in spurious]
    first = [e for s, e in truth_e if s == 0]  # and the forward wave itself is still found
    assert first and all(
        any(p.segment == 0 and abs(p.potential.value - e) < 0.03 for p in res.peaks) for e in first
    ), (first, [(p.segment, round(p.potential.value, 3)) for p in res.peaks])


def _sig_digits(x: np.ndarray, digits: int) -> np.ndarray:
    """``x`` written with ``digits`` significant digits, as a text export does."""
    return np.array([float(f"{v:.{digits - 1}e}") for v in x])


@pytest.mark.parametrize("seed", range(2))
def test_clipped_peaks_are_not_reported_and_the_others_are_kept(textbook, seed):
    # a 10 mM couple whose forward and return peaks exceed the current range (cut at 60 % of their
    # height) beside a 1 mM couple: the clipped tops have no knowable Ep or ip and are not reported,
    # the small couple's peaks are (Nernstian Ep = E° ± 28.5 mV; its ip, read beside the cut-off
    # wave, is 2–6 % high here: not asserted)
    rng = np.random.default_rng(seed)
    big, small = textbook.Couple(e0=0.25, conc=10.0), textbook.Couple(e0=-0.15, conc=1.0)
    ip_big = textbook.randles_sevcik(1, AREA, 10.0, D, 0.1)
    sim = textbook.simulate_cv(
        [big, small], e_start=-0.45, e_vertex=0.55, noise=0.002 * ip_big, rng=rng, with_hold=False
    )
    ceiling = 0.6 * ip_big
    current = np.clip(sim.current, -ceiling, ceiling)
    v = Voltammogram(potential=sim.potential, current=current, scan_rate=0.1, time=sim.time)
    res = analyze_curve(v)
    assert all(abs(p.potential.value - 0.25) > 0.1 for p in res.peaks), "a peak on a clipped top"
    fwd = [p for p in res.peaks if p.segment == 0]
    assert len(fwd) == 1 and abs(fwd[0].potential.value - (-0.15 + 0.0285)) < 0.005
    assert any(p.segment == 1 and abs(p.potential.value - (-0.15 - 0.0285)) < 0.005 for p in res.peaks)


@pytest.mark.parametrize("digits", [3, 4])
def test_a_rounded_apex_is_not_clipping(textbook, digits):
    # a file written with few significant digits has its longest run of equal values at the peak
    # top, one resolution step above its neighbours: not a cut-off top, the peak is reported
    sim = textbook.simulate_cv([textbook.Couple(e0=0.0)], e_start=-0.35, e_vertex=0.35, with_hold=False)
    v = Voltammogram(
        potential=sim.potential, current=_sig_digits(sim.current, digits), scan_rate=0.1, time=sim.time
    )
    ip = textbook.randles_sevcik(1, AREA, 1.0, D, 0.1)
    peaks = analyze_curve(v).peaks
    assert len(peaks) == 2
    assert peaks[0].height.value == pytest.approx(ip, rel=0.02)
