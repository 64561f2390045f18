"""analyze_curve against simulated curves with exact truth (voltlens.simulate + voltlens.truth) and
against textbook numbers: Randles–Ševčík, ΔEp = 57–62 mV, ipa/ipc = 1 on Nicholson's baseline,
Nicholson's ψ → k0, EC ratio < 1, DPV peaks at E½ − ΔE/2."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voltlens.analyze.engine import analyze_curve
from voltlens.constants import f_inverse_volts
from voltlens.errors import ParameterError
from voltlens.simulate import EC, CVWaveform, DPVWaveform, Irreversible, QuasiReversible, Reversible
from voltlens.simulate.species import Cell
from voltlens.synth.sample import curve_label, simulate_curve
from voltlens.synth.scenario import CurveSpec

AREA = 7.07e-6
D = 1e-9
F_ = f_inverse_volts()


def _run(species, waveform, *, technique="CV", artifacts=None, cdl=0.0, ru=0.0, seed=0):
    mechs = tuple(type(s).__name__ for s in species)
    spec = CurveSpec(
        technique,
        tuple(species),
        mechs,
        waveform,
        Cell(area_m2=AREA, ru_ohm=ru, cdl_F_m2=cdl),
        artifacts or {},
    )
    measured, clean, injected = simulate_curve(spec, np.random.default_rng(seed))
    label = curve_label(spec, measured, clean, injected)
    return measured, label


def _match(res, label, tol=0.005):
    """Truth peak → found peak (same direction and cycle, nearest potential within tol)."""
    out = {}
    for ti, tp in enumerate(label.peaks):
        cands = [
            (abs(fp.potential.value - tp.potential_V), fi)
            for fi, fp in enumerate(res.peaks)
            if fp.direction == tp.direction and fp.cycle == tp.cycle
        ]
        if cands and min(cands)[0] <= tol:
            out[ti] = min(cands)[1]
    return out


def _rs(n, conc, v):
    return 0.4463 * n * 96485.33212 * AREA * conc * math.sqrt(n * F_ * v * D)


def test_reversible_couple_textbook():
    sp = Reversible(e0_V=0.2, concentration_mol_m3=1.0, diffusion_m2_s=D)
    v, _label = _run(
        [sp],
        CVWaveform(start_V=-0.15, vertex_V=0.55, scan_rate_V_s=0.1),
        artifacts={"noise": {"rms_A": 4e-8}},
        seed=1,
    )
    res = analyze_curve(v)
    assert len(res.couples) == 1
    c = res.couples[0]
    assert 0.057 <= c.delta_ep.value <= 0.062
    assert abs(c.current_ratio.value - 1.0) <= 0.05
    assert c.reversibility == "reversible"
    assert c.n_electrons is not None and c.n_electrons.value == 1.0
    fwd = res.peaks[c.anodic]
    assert fwd.height.value == pytest.approx(_rs(1, 1.0, 0.1), rel=0.02)
    assert abs(c.e_half.value - 0.2) < 0.003


def test_two_couples_each_135_mV_pair_correctly():
    # ψ ≈ 0.28 gives n·ΔEp ≈ 135 mV (Nicholson); two such couples 0.45 V apart
    k0 = 0.28 * math.sqrt(math.pi * D * F_ * 0.1)
    sp = [
        QuasiReversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D, k0_m_s=k0),
        QuasiReversible(e0_V=0.45, concentration_mol_m3=1.0, diffusion_m2_s=D, k0_m_s=k0),
    ]
    v, label = _run(
        sp,
        CVWaveform(start_V=-0.4, vertex_V=0.85, scan_rate_V_s=0.1, step_V=0.002),
        artifacts={"noise": {"rms_A": 5e-8}},
        cdl=0.2,
        seed=2,
    )
    res = analyze_curve(v)
    assert len(res.couples) == 2
    truth = sorted(c.delta_Ep_V for c in label.couples)
    found = sorted(c.delta_ep.value for c in res.couples)
    for t, f in zip(truth, found, strict=True):
        assert abs(f - t) < 0.01
        assert 0.11 < f < 0.16  # never ~0.59 V from crossing the couples
    for c in res.couples:
        assert c.reversibility == "quasi-reversible"
        assert abs(res.peaks[c.anodic].potential.value - res.peaks[c.cathodic].potential.value) < 0.2


@pytest.mark.parametrize("psi", [0.3, 1.0, 4.0])
def test_nicholson_psi_gives_k0(psi):
    v_scan = 0.1
    k0 = psi * math.sqrt(math.pi * D * F_ * v_scan)
    sp = QuasiReversible(e0_V=0.1, concentration_mol_m3=1.0, diffusion_m2_s=D, k0_m_s=k0)
    v, _ = _run(
        [sp],
        CVWaveform(start_V=-0.35, vertex_V=0.55, scan_rate_V_s=v_scan),
        artifacts={"noise": {"rms_A": 2e-8}},
        seed=3,
    )
    res = analyze_curve(v, diffusion_m2_s=D, n_electrons=1)
    (c,) = res.couples
    assert c.k0 is not None
    assert c.k0.value == pytest.approx(k0, rel=0.2)


def test_ec_return_ratio_below_one():
    kf = 0.3 * 0.1 * F_  # λ = kf RT/(F v) = 0.3
    sp = EC(e0_V=0.1, concentration_mol_m3=1.0, diffusion_m2_s=D, kf_per_s=kf)
    v, _ = _run(
        [sp],
        CVWaveform(start_V=-0.25, vertex_V=0.45, scan_rate_V_s=0.1),
        artifacts={"noise": {"rms_A": 4e-8}},
        seed=4,
    )
    res = analyze_curve(v)
    (c,) = res.couples
    ratio_rf = abs(res.peaks[c.cathodic].height.value / res.peaks[c.anodic].height.value)
    assert ratio_rf < 0.9
    assert c.reversibility == "reversible"  # fast electron transfer, the product is lost


def test_irreversible_is_classified_irreversible():
    lam = 3e-4
    k0 = lam * math.sqrt(D * F_ * 0.1)
    sp = Irreversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D, k0_m_s=k0)
    v, _ = _run(
        [sp],
        CVWaveform(start_V=-0.3, vertex_V=0.9, scan_rate_V_s=0.1, step_V=0.002),
        artifacts={"noise": {"rms_A": 4e-8}},
        seed=5,
    )
    res = analyze_curve(v)
    fwd = [p for p in res.peaks if p.direction == "anodic" and p.segment == 0]
    assert len(fwd) == 1
    assert fwd[0].reversibility == "irreversible"


@pytest.mark.parametrize("seed", range(6))
def test_planted_peaks_found(seed):
    rng = np.random.default_rng(100 + seed)
    n_couples = 1 + int(rng.integers(0, 2))
    e0s = [float(rng.uniform(-0.2, 0.0))]
    if n_couples == 2:
        e0s.append(e0s[0] + float(rng.uniform(0.3, 0.45)))
    species = []
    for e0 in e0s:
        if rng.random() < 0.5:
            species.append(Reversible(e0_V=e0, concentration_mol_m3=1.0, diffusion_m2_s=D))
        else:
            lam = float(np.exp(rng.uniform(np.log(0.3), np.log(4.0))))
            species.append(
                QuasiReversible(
                    e0_V=e0, concentration_mol_m3=1.0, diffusion_m2_s=D, k0_m_s=lam * math.sqrt(D * F_ * 0.1)
                )
            )
    ip = _rs(1, 1.0, 0.1)
    arts = {
        "noise": {"rms_A": ip * float(rng.uniform(0.003, 0.015))},
        "background": {
            "slope_A_per_V": ip * float(rng.uniform(-0.3, 0.3)),
            "curvature_A_per_V2": 0.0,
            "onset_A": 0.0,
        },
    }
    wave = CVWaveform(start_V=e0s[0] - 0.35, vertex_V=e0s[-1] + 0.4, scan_rate_V_s=0.1, step_V=0.002)
    v, label = _run(species, wave, artifacts=arts, cdl=float(rng.uniform(0.1, 0.4)), seed=seed)
    res = analyze_curve(v)
    window = float(np.ptp(v.potential))
    match = _match(res, label, tol=max(0.005, 0.01 * window))
    assert len(match) == len(label.peaks)  # nothing missed
    assert len(res.peaks) == len(label.peaks)  # nothing spurious
    for ti, fi in match.items():
        truth = label.peaks[ti].current_A
        assert res.peaks[fi].height.value == pytest.approx(truth, rel=0.05)
        assert res.peaks[fi].height.uncertainty > 0


@pytest.mark.parametrize("amplitude", [0.01, 0.05])
def test_dpv_overlapping_peaks_80_mV_apart(amplitude):
    sp = [
        Reversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=D),
        Reversible(e0_V=0.08, concentration_mol_m3=1.0, diffusion_m2_s=D),
    ]
    wave = DPVWaveform(
        start_V=-0.3, end_V=0.4, step_V=0.004, amplitude_V=amplitude, pulse_width_s=0.05, period_s=0.2
    )
    v, label = _run(
        sp, wave, technique="DPV", seed=6, artifacts={"noise": {"rms_A": 2e-9 if amplitude < 0.03 else 1e-8}}
    )
    res = analyze_curve(v)
    assert len(res.peaks) == 2
    found = sorted(p.potential.value for p in res.peaks)
    # E_max = E½ − ΔE/2 (Parry & Osteryoung)
    for e, e0 in zip(found, (0.0, 0.08), strict=True):
        assert abs(e - (e0 - amplitude / 2)) < 0.005
    truth = sorted(p.potential_V for p in label.peaks)
    assert np.allclose(found, truth, atol=0.005)


def test_keyword_validation():
    sp = Reversible(e0_V=0.2, concentration_mol_m3=1.0, diffusion_m2_s=D)
    v, _ = _run([sp], CVWaveform(start_V=-0.1, vertex_V=0.5, scan_rate_V_s=0.1, step_V=0.005))
    with pytest.raises(ParameterError, match="min_snr"):
        analyze_curve(v, min_snr=-1)
    with pytest.raises(ParameterError, match="alpha"):
        analyze_curve(v, alpha=1.5)
    with pytest.raises(ParameterError, match="diffusion_m2_s"):
        analyze_curve(v, diffusion_m2_s=0.0)
