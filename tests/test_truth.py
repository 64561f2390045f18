"""Ground-truth labels agree with textbook electrochemistry (reference/electrochemistry.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voltlens.constants import FARADAY, thermal_voltage
from voltlens.simulate import (
    EC,
    EE,
    Adsorbed,
    Cell,
    CVWaveform,
    DPVWaveform,
    Irreversible,
    QuasiReversible,
    Reversible,
)
from voltlens.synth.sample import curve_label, simulate_curve
from voltlens.synth.scenario import CurveSpec
from voltlens.truth import matsuda_ayabe_class, peak_knowability

AREA = 7.07e-6  # m² (3 mm disk)
D = 1e-9  # m²/s
C = 1.0  # mol/m³
VT = thermal_voltage()


def _label(species, waveform, technique="CV", cell=None):
    spec = CurveSpec(technique, tuple(species), ("x",) * len(species), waveform, cell or Cell(area_m2=AREA))
    measured, clean, injected = simulate_curve(spec, np.random.default_rng(0))
    return curve_label(spec, measured, clean, injected)


@pytest.mark.parametrize("initially", ["red", "ox"])
@pytest.mark.parametrize("v", [0.02, 0.5])
def test_reversible_truth_matches_randles_sevcik_and_nicholson(initially: str, v: float) -> None:
    start, vertex = (-0.45, 0.45) if initially == "red" else (0.45, -0.45)
    lab = _label(
        [Reversible(e0_V=0.0, concentration_mol_m3=C, diffusion_m2_s=D, initially=initially)],
        CVWaveform(start_V=start, vertex_V=vertex, scan_rate_V_s=v),
    )
    ip_rs = 0.4463 * FARADAY * AREA * C * math.sqrt(v * D / VT)
    forward = lab.peaks[0]
    assert abs(abs(forward.current_A) / ip_rs - 1) < 0.005
    assert abs(abs(forward.potential_V) - 1.109 * VT) < 0.0007
    assert forward.half_peak_potential_V is not None
    assert abs(abs(forward.potential_V - forward.half_peak_potential_V) - 2.20 * VT) < 0.001
    (couple,) = lab.couples
    assert 0.0565 <= couple.delta_Ep_V <= 0.060  # 57.0 mV far from the switch (B&F table 6.2.1)
    assert abs(couple.E_half_V) < 0.0007
    assert abs(couple.current_ratio - 1) < 0.01  # Nicholson's baseline makes the ratio exactly 1
    assert couple.reversibility == "reversible"


def test_irreversible_truth_peak_current_and_class() -> None:
    alpha, v = 0.5, 0.1
    k0 = 1e-4 * math.sqrt(D * v / VT)  # Λ = 1e-4
    lab = _label(
        [Irreversible(e0_V=0.0, concentration_mol_m3=C, diffusion_m2_s=D, k0_m_s=k0, alpha=alpha)],
        CVWaveform(start_V=-0.3, vertex_V=1.2, scan_rate_V_s=v),
    )
    ip = 0.4958 * FARADAY * AREA * C * math.sqrt(D) * math.sqrt((1 - alpha) * v / VT)
    forward = lab.peaks[0]
    assert forward.direction == "anodic"
    assert abs(forward.current_A / ip - 1) < 0.01
    assert abs(abs(forward.potential_V - forward.half_peak_potential_V) - 1.857 * VT / (1 - alpha)) < 0.0015
    assert not any(p.direction == "cathodic" for p in lab.peaks) or all(
        c.reversibility == "irreversible" for c in lab.couples
    )


@pytest.mark.parametrize(
    ("lam", "expected"),
    [
        (100.0, "reversible"),
        (20.0, "reversible"),
        (1.0, "quasi-reversible"),
        (0.002, "quasi-reversible"),
        (1e-4, "irreversible"),
        (None, "reversible"),
    ],
)
def test_matsuda_ayabe_classes(lam: float | None, expected: str) -> None:
    assert matsuda_ayabe_class(lam, 0.5) == expected


def test_quasi_reversible_couple_is_labelled_by_lambda() -> None:
    v = 0.1
    k0 = 0.5 * math.sqrt(D * v / VT)
    lab = _label(
        [QuasiReversible(e0_V=0.0, concentration_mol_m3=C, diffusion_m2_s=D, k0_m_s=k0)],
        CVWaveform(start_V=-0.5, vertex_V=0.5, scan_rate_V_s=v),
    )
    (couple,) = lab.couples
    assert couple.reversibility == "quasi-reversible"
    assert couple.matsuda_ayabe_lambda == pytest.approx(0.5, rel=1e-6)
    assert couple.delta_Ep_V > 0.07


def test_fast_ec_loses_its_return_peak() -> None:
    v = 0.1
    lab = _label(
        [EC(e0_V=0.0, concentration_mol_m3=C, diffusion_m2_s=D, kf_per_s=50 * v / VT)],
        CVWaveform(start_V=-0.4, vertex_V=0.4, scan_rate_V_s=v),
    )
    assert [p.direction for p in lab.peaks] == ["anodic"]
    assert lab.couples == []


def test_adsorbed_truth_charge_is_nfa_gamma() -> None:
    gamma, v = 1e-6, 0.1
    lab = _label(
        [Adsorbed(e0_V=0.1, coverage_mol_m2=gamma)], CVWaveform(start_V=-0.3, vertex_V=0.5, scan_rate_V_s=v)
    )
    forward = lab.peaks[0]
    assert forward.charge_C == pytest.approx(FARADAY * AREA * gamma, rel=0.01)
    assert forward.current_A == pytest.approx(FARADAY**2 * AREA * gamma * v / (4 * VT * FARADAY), rel=0.01)
    assert forward.half_width_V == pytest.approx(3.53 * VT, abs=0.002)
    (couple,) = lab.couples
    assert couple.delta_Ep_V < 0.002 and couple.matsuda_ayabe_lambda is None


def test_ee_separated_waves_give_two_couples_in_order() -> None:
    lab = _label(
        [EE(e0_1_V=0.0, e0_2_V=0.4, concentration_mol_m3=C, diffusion_m2_s=D)],
        CVWaveform(start_V=-0.4, vertex_V=0.8, scan_rate_V_s=0.1),
    )
    first, second = (p for p in lab.peaks if p.segment == 0)
    # the second wave sits on the held tail of the first and is itself a one-electron wave
    assert second.baseline_A > 0.2 * first.current_A
    assert second.current_A == pytest.approx(first.current_A, rel=0.01)
    halves = sorted(c.E_half_V for c in lab.couples)
    assert len(halves) == 2
    assert halves[0] == pytest.approx(0.0, abs=0.004) and halves[1] == pytest.approx(0.4, abs=0.004)


@pytest.mark.parametrize("amplitude", [0.01, 0.05, 0.1])
def test_dpv_truth_follows_parry_osteryoung(amplitude: float) -> None:
    tp = 0.02  # Parry–Osteryoung holds when the period is long against the pulse
    lab = _label(
        [Reversible(e0_V=0.0, concentration_mol_m3=C, diffusion_m2_s=D)],
        DPVWaveform(
            start_V=-0.4, end_V=0.4, step_V=0.002, amplitude_V=amplitude, pulse_width_s=tp, period_s=1.0
        ),
        technique="DPV",
    )
    (peak,) = lab.peaks
    sigma = math.exp(amplitude / (2 * VT))
    di = FARADAY * AREA * C * math.sqrt(D / (math.pi * tp)) * abs((1 - sigma) / (1 + sigma))
    assert peak.direction == "anodic"
    assert peak.potential_V == pytest.approx(-amplitude / 2, abs=0.0015)
    assert peak.current_A == pytest.approx(di, rel=0.02)
    assert lab.couples == []


def _knowability(species, waveform, *, noise_rms_A=0.0, clip_A=None):
    spec = CurveSpec("CV", tuple(species), ("x",) * len(species), waveform, Cell(area_m2=AREA))
    measured, clean, injected = simulate_curve(spec, np.random.default_rng(0))
    current = measured.current if clip_A is None else np.clip(measured.current, -clip_A, clip_A)
    lab = curve_label(spec, measured, clean, injected)
    known = peak_knowability(
        lab.peaks,
        potential_V=clean.potential_applied_V,
        segment=clean.voltammogram.segment,
        faradaic_A=clean.faradaic_A,
        recorded_potential_V=measured.potential,
        recorded_current_A=current,
        recorded_segment=measured.segment,
        noise_rms_A=noise_rms_A,
        clip_A=clip_A,
    )
    return lab, known


def test_a_lone_textbook_peak_is_visible_resolvable_and_measurable() -> None:
    lab, known = _knowability(
        [Reversible(e0_V=0.0, concentration_mol_m3=C, diffusion_m2_s=D)],
        CVWaveform(start_V=-0.4, vertex_V=0.4, scan_rate_V_s=0.1),
    )
    assert len(known) == len(lab.peaks) == 2
    assert all(k.required and k.measurable and not k.reasons for k in known)


def test_tiny_adsorbed_wave_beside_a_large_solution_wave_is_not_visible() -> None:
    # Γ = 1e-9 mol/m² gives ip = n²F²AΓv/4RT ≈ 7 nA beside a ≈ 20 µA diffusion wave of 10 mM
    big = Reversible(e0_V=-0.2, concentration_mol_m3=10.0, diffusion_m2_s=D)
    tiny = Adsorbed(e0_V=0.25, coverage_mol_m2=1e-9)
    lab, known = _knowability([big, tiny], CVWaveform(start_V=-0.5, vertex_V=0.5, scan_rate_V_s=0.1))
    for p, k in zip(lab.peaks, known, strict=True):
        assert k.visible == (p.species == 0)
    # the same wave above 3× the noise and 2 % of the range on its own is visible
    lab, known = _knowability([tiny], CVWaveform(start_V=-0.2, vertex_V=0.6, scan_rate_V_s=0.1))
    assert known and all(k.visible for k in known)


def test_two_waves_closer_than_their_width_make_one_observable_peak() -> None:
    a = Reversible(e0_V=0.0, concentration_mol_m3=C, diffusion_m2_s=D)
    b = Reversible(e0_V=0.02, concentration_mol_m3=0.5 * C, diffusion_m2_s=D)
    lab, known = _knowability([a, b], CVWaveform(start_V=-0.4, vertex_V=0.45, scan_rate_V_s=0.1))
    forward = [(p, k) for p, k in zip(lab.peaks, known, strict=True) if p.segment == 0]
    assert len(forward) == 2
    (_, kl), (_, ks) = sorted(forward, key=lambda pk: -abs(pk[0].current_A))
    assert kl.required and kl.merged and not kl.measurable  # to be found; Ep, ip include the other
    assert not ks.resolvable and not ks.required
    # 300 mV apart both are peaks of their own
    c = Reversible(e0_V=0.3, concentration_mol_m3=0.5 * C, diffusion_m2_s=D)
    lab, known = _knowability([a, c], CVWaveform(start_V=-0.4, vertex_V=0.7, scan_rate_V_s=0.1))
    assert all(k.required and k.measurable for k in known)


def test_clipped_peak_has_no_knowable_height() -> None:
    sp = Reversible(e0_V=0.0, concentration_mol_m3=C, diffusion_m2_s=D)
    wave = CVWaveform(start_V=-0.4, vertex_V=0.4, scan_rate_V_s=0.1)
    ip = 0.4463 * FARADAY * AREA * C * math.sqrt(0.1 * D / VT)
    _, known = _knowability([sp], wave, clip_A=0.3 * ip)  # cuts the top 70 % off both peaks
    assert known and all(k.visible and k.resolvable and not k.ip_knowable for k in known)
    assert not any(k.required or k.measurable for k in known)


def test_irreversible_return_wave_is_measured_from_the_valley_not_the_vertex() -> None:
    # Λ = 1e-4: the return (reduction) wave lies ~0.9 V after the vertex; the oxidation stops as
    # soon as the potential moves back, so the recorded current is ≈ 0 before the return wave and
    # an expert's baseline there is ≈ 0 — not the vertex-held Cottrell tail (µA-sized here)
    alpha, v = 0.5, 0.1
    k0 = 1e-4 * math.sqrt(D * v / VT)
    wave = CVWaveform(start_V=-0.3, vertex_V=1.2, scan_rate_V_s=v)
    species = Irreversible(e0_V=0.45, concentration_mol_m3=C, diffusion_m2_s=D, k0_m_s=k0, alpha=alpha)
    spec = CurveSpec("CV", (species,), ("x",), wave, Cell(area_m2=AREA))
    measured, clean, injected = simulate_curve(spec, np.random.default_rng(0))
    lab = curve_label(spec, measured, clean, injected)
    forward = next(p for p in lab.peaks if p.segment == 0)
    ret = next(p for p in lab.peaks if p.segment == 1 and p.direction == "cathodic")
    # the species' own current on the return sweep, between the vertex and the return wave
    seg = clean.voltammogram.segment == 1
    e, i = clean.potential_applied_V[seg], clean.faradaic_A[0, seg]
    between = (e < forward.potential_V) & (e > ret.potential_V)
    assert np.min(np.abs(i[between])) < 0.005 * forward.current_A  # the forward current dies out
    assert ret.potential_V < forward.potential_V - 0.5
    assert abs(ret.baseline_A) < 0.02 * abs(ret.current_A)
    raw = float(np.interp(ret.potential_V, e[::-1], i[::-1]))
    assert ret.current_A == pytest.approx(raw, rel=0.02)  # ip is what the data show at Ep


@pytest.mark.parametrize("lam", [100.0, 1.0])
def test_fast_couples_keep_nicholsons_vertex_held_baseline(lam: float) -> None:
    # the return sweep of a reversible or fast quasi-reversible couple has no valley: its baseline
    # stays the current held at the vertex, which is large (the forward wave is diffusion-limited)
    v = 0.1
    k0 = lam * math.sqrt(D * v / VT)
    lab = _label(
        [QuasiReversible(e0_V=0.0, concentration_mol_m3=C, diffusion_m2_s=D, k0_m_s=k0)],
        CVWaveform(start_V=-0.4, vertex_V=0.4, scan_rate_V_s=v),
    )
    forward = next(p for p in lab.peaks if p.segment == 0)
    ret = next(p for p in lab.peaks if p.segment == 1)
    assert ret.baseline_A > 0.2 * forward.current_A
    if lam >= 15:
        (couple,) = lab.couples
        assert abs(couple.current_ratio - 1) < 0.01
