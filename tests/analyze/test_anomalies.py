"""Anomaly detectors: each planted artifact is found, clean curves raise no alarm.

Artifacts are planted with the simulator's own physics (:func:`voltlens.simulate.simulate_measurement`:
solved Ru, fouling and reference drift; recorded noise, drift, spikes, clipping, ADC steps), plus an
EC mechanism for the missing return peak and a window cut short for the truncated wave.  Small
synthetic arrays check the detectors' arithmetic on their own.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from voltlens.analyze.anomalies import (
    DETECTORS,
    THRESHOLDS,
    TRACE_UNRELIABLE,
    curve_features,
    detect_anomalies,
    detect_background,
    detect_clipping,
    detect_quantisation,
    detect_spikes,
    logistic_confidence,
)
from voltlens.analyze.engine import analyze_curve
from voltlens.constants import f_inverse_volts
from voltlens.errors import ParameterError
from voltlens.model import Technique, Voltammogram
from voltlens.simulate import (
    EC,
    Artifacts,
    Cell,
    CVWaveform,
    DPVWaveform,
    QuasiReversible,
    Reversible,
    simulate_measurement,
)

SEEDS = [0, 1, 2]
AREA, CONC, D = 7.07e-6, 1.0, 1e-9
F = 96485.33212


def _ip(v: float) -> float:
    """Randles–Ševčík peak current of the base couple (B&F 6.2.19), the signal scale."""
    return 0.4463 * F * AREA * CONC * math.sqrt(f_inverse_volts() * v * D)


def _measure(
    rng, *, kind: str | None = None, species=None, cycles: int = 1, v: float = 0.1, vertex: float = 0.35
):
    ip = _ip(v)
    sp = species or Reversible(e0_V=0.0, concentration_mol_m3=CONC, diffusion_m2_s=D)
    art = {"noise_rms_A": 0.002 * ip, "background_linear_A_per_V": 0.02 * ip}
    ru = 0.0
    if kind == "noise":
        art["noise_rms_A"] = 0.06 * ip
    elif kind == "drift":
        art["drift_A_per_s"] = 0.3 * ip / (cycles * 2 * 0.7 / v)
    elif kind == "spikes":
        art.update(spike_count=3, spike_amplitude_A=0.6 * ip)
    elif kind == "clipping":
        art["clip_A"] = 0.7 * ip
    elif kind == "quantisation":
        art["adc_lsb_A"] = 0.05 * ip
    elif kind == "fouling":
        art["fouling_per_cycle"] = 0.15
    elif kind == "reference_drift":
        art["reference_drift_V_per_cycle"] = 0.02
    elif kind == "ir_distortion":
        ru = 0.07 / ip
    elif kind == "missing_return_peak":
        sp = EC(e0_V=0.0, concentration_mol_m3=CONC, diffusion_m2_s=D, kf_per_s=10 * f_inverse_volts() * v)
    elif kind == "truncated":
        vertex = 0.0
    elif kind == "background":
        art["background_quadratic_A_per_V2"] = 0.8 * ip / 0.7**2  # 80 % of ip at the vertex
    wave = CVWaveform(start_V=-0.35, vertex_V=vertex, scan_rate_V_s=v, step_V=0.002, n_cycles=cycles)
    cell = Cell(area_m2=AREA, cdl_F_m2=0.15, ru_ohm=ru)
    measured, _, _ = simulate_measurement(sp, wave, cell, Artifacts(**art), rng=rng)
    return measured


CYCLES = {"fouling": 4, "reference_drift": 4, "drift": 4}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", sorted(DETECTORS))
def test_planted_artifact_is_found(kind, seed):
    rng = np.random.default_rng(seed)
    v = _measure(rng, kind=kind, cycles=CYCLES.get(kind, 1))
    found = {a.kind: a for a in detect_anomalies(v, analyze_curve(v))}
    assert kind in found, f"{kind} not found; found {sorted(found)}"
    a = found[kind]
    assert 0.5 <= a.confidence <= 1 and 0 <= a.severity <= 1
    assert a.detail and a.evidence["score"] >= a.evidence["threshold"]
    assert set(found) <= {kind, "drift" if kind == "fouling" else kind}, f"extra alarms: {sorted(found)}"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "species",
    [
        Reversible(e0_V=0.0, concentration_mol_m3=CONC, diffusion_m2_s=D),
        QuasiReversible(e0_V=0.0, concentration_mol_m3=CONC, diffusion_m2_s=D, k0_m_s=3e-5, alpha=0.4),
    ],
    ids=["reversible", "quasi-reversible"],
)
@pytest.mark.parametrize("cycles", [1, 4])
def test_clean_curves_raise_no_alarm(species, cycles, seed):
    v = _measure(np.random.default_rng(seed), species=species, cycles=cycles, vertex=0.4)
    assert detect_anomalies(v, analyze_curve(v)) == ()
    assert detect_anomalies(v) == ()  # nor without the engine's analysis


@pytest.mark.parametrize("seed", SEEDS)
def test_clean_dpv_raises_no_alarm(seed):
    rng = np.random.default_rng(seed)
    sp = Reversible(e0_V=0.0, concentration_mol_m3=CONC, diffusion_m2_s=D)
    wave = DPVWaveform(
        start_V=-0.3, end_V=0.3, step_V=0.005, amplitude_V=0.025, pulse_width_s=0.05, period_s=0.1
    )
    v, _, _ = simulate_measurement(sp, wave, Cell(area_m2=AREA), Artifacts(noise_rms_A=1e-9), rng=rng)
    assert v.technique is Technique.DPV
    assert detect_anomalies(v, analyze_curve(v)) == ()


def test_truncated_dpv_peak_at_the_edge():
    sp = Reversible(e0_V=0.0, concentration_mol_m3=CONC, diffusion_m2_s=D)
    wave = DPVWaveform(
        start_V=-0.3, end_V=-0.05, step_V=0.005, amplitude_V=0.025, pulse_width_s=0.05, period_s=0.1
    )
    v, _, _ = simulate_measurement(sp, wave, Cell(area_m2=AREA), Artifacts(), rng=np.random.default_rng(0))
    kinds = {a.kind for a in detect_anomalies(v)}
    assert "truncated" in kinds


# ---------------------------------------------------------------- detectors on synthetic arrays


def _triangle(n: int = 400) -> np.ndarray:
    up = np.linspace(-0.3, 0.3, n // 2)
    return np.concatenate([up, up[::-1]])


def _bump(e: np.ndarray) -> np.ndarray:
    half = e.size // 2
    y = np.exp(-(((e - 0.05) / 0.04) ** 2))
    y[half:] = -np.exp(-(((e[half:] + 0.0) / 0.04) ** 2))
    return 1e-5 * y


def test_quantisation_on_a_grid():
    e = _triangle()
    y = _bump(e)
    lsb = 4e-7  # 4 % of the 10 µA peak
    v = Voltammogram(e, np.round(y / lsb) * lsb)
    a = detect_quantisation(v)
    assert a is not None and a.confidence > 0.9
    assert a.evidence["step"] == pytest.approx(lsb, rel=1e-9)
    assert detect_quantisation(Voltammogram(e, y)) is None


def test_clipping_flat_top_vs_repeated_levels():
    e = _triangle()
    y = _bump(e)
    v = Voltammogram(e, np.clip(y, -0.7e-5, 0.7e-5))
    a = detect_clipping(v)
    assert a is not None and a.confidence > 0.9
    assert a.evidence["level"] == pytest.approx(0.7e-5)
    assert detect_clipping(Voltammogram(e, y)) is None or detect_clipping(Voltammogram(e, y)).confidence < 0.5


def _drawn_and_read(e: np.ndarray, i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A curve as a figure shows it and a digitizer reads it back: the data points joined by straight
    lines (a polyline), sampled every millivolt; a segment between two equal points is a level row
    of pixels and reads back as a run of equal values."""
    grid = np.arange(e[0], e[-1], 1e-3)
    return grid, np.interp(grid, e, i)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_peak_top_drawn_flat_within_a_pixel_is_not_clipping(textbook, seed):
    # a noisy DPV recorded every 10 mV whose two top samples came out level (its maximum, E½ − ΔE/2 by
    # Parry & Osteryoung, midway between them): the figure joins them by a level segment, read back as
    # a run of equal rows at the very top, far longer than any other run — but the curve rounds over
    # into it, no current range was hit
    rng = np.random.default_rng(seed)
    amp, step = 0.05, 0.01
    sim = textbook.simulate_dpv(
        [textbook.Couple(e0=0.105 + amp / 2)], e_start=-0.2, e_end=0.4, step=step, amplitude=amp
    )
    top = float(sim.current.max())
    noisy = sim.current + rng.normal(0.0, 0.005 * top, sim.current.size)
    k = int(np.argmin(np.abs(sim.potential - 0.10)))  # the samples at 0.10 and 0.11 V
    noisy[k : k + 2] = noisy[k : k + 2].mean()
    e, i = _drawn_and_read(sim.potential, noisy)
    runs = np.diff(np.flatnonzero(np.r_[True, np.diff(i) != 0, True]))
    assert np.sum(i == i.max()) >= 8 and np.sum(i == i.max()) > 3 * np.sort(runs)[-2]  # longest, at the top
    a = detect_clipping(Voltammogram(e, i, technique=Technique.DPV, metadata={"digitized": True}))
    assert a is None or a.confidence < 0.5
    # the same curve cut by a current range at 85 % of its peak, drawn and read the same way, is clipped
    e, i = _drawn_and_read(sim.potential, np.minimum(noisy, 0.85 * top))
    a = detect_clipping(Voltammogram(e, i, technique=Technique.DPV, metadata={"digitized": True}))
    assert a is not None and a.confidence > 0.9


@pytest.mark.parametrize("level", [0.6, 0.9])
def test_a_clipped_cv_read_off_a_figure_is_still_clipping(textbook, level):
    # a Nernstian CV whose current range was exceeded (both peaks cut at ``level`` of the
    # Randles–Ševčík ip), traced from a figure: the flanks run into the flat tops at an angle
    sim = textbook.simulate_cv([textbook.Couple(e0=0.0)], e_start=-0.35, e_vertex=0.35, with_hold=False)
    ip = textbook.randles_sevcik(1, AREA, CONC, D, 0.1)
    cut = np.clip(sim.current, -level * ip, level * ip)
    a = detect_clipping(Voltammogram(sim.potential, cut, metadata={"digitized": True}))
    assert a is not None and a.confidence > 0.9


@pytest.mark.parametrize("seed", SEEDS)
def test_spikes_are_single_points(seed):
    rng = np.random.default_rng(seed)
    e = _triangle()
    y = _bump(e) + rng.normal(0, 2e-8, e.size)
    where = rng.choice(np.r_[20:180, 220:380], size=2, replace=False)
    spiky = y.copy()
    spiky[where] += 5e-6
    a = detect_spikes(Voltammogram(e, spiky))
    assert a is not None and a.confidence > 0.9
    assert set(a.evidence["indices"]) == set(where.tolist())
    b = detect_spikes(Voltammogram(e, y))
    assert b is None or b.confidence < 0.5


@pytest.mark.parametrize("seed", SEEDS)
def test_a_digitised_curve_is_not_checked_for_spikes_or_ir_unless_asked(seed):
    """Spikes planted in a curve are found in instrument data; in a curve traced from a plot the
    same points are the tracer's as often as the cell's, so the default run leaves them out and a
    run asking for them by name still finds them."""
    rng = np.random.default_rng(seed)
    e = _triangle()
    spiky = _bump(e) + rng.normal(0, 2e-8, e.size)
    spiky[rng.choice(np.r_[20:180, 220:380], size=2, replace=False)] += 5e-6
    measured = Voltammogram(e, spiky)
    traced = Voltammogram(e, spiky, metadata={"digitized": True})
    assert "spikes" in {a.kind for a in detect_anomalies(measured)}
    assert {a.kind for a in detect_anomalies(traced)} & TRACE_UNRELIABLE == set()
    assert [a.kind for a in detect_anomalies(traced, kinds=["spikes"])] == ["spikes"]


def test_features_scale_is_the_peak_height():
    e = _triangle()
    f = curve_features(Voltammogram(e, _bump(e)))
    assert f.scale == pytest.approx(1e-5, rel=0.05)
    assert len(f.sweeps.bounds) == 2


def test_logistic_confidence():
    assert logistic_confidence(1.0, 1.0) == pytest.approx(0.5)
    assert logistic_confidence(2.0, 1.0) > 0.9
    assert logistic_confidence(0.5, 1.0) < 0.1
    assert logistic_confidence(0.0, 1.0) == 0.0
    assert logistic_confidence(math.inf, 1.0) == 1.0


def test_registry_and_errors():
    assert set(DETECTORS) == set(THRESHOLDS)
    assert {
        "noise",
        "drift",
        "clipping",
        "spikes",
        "ir_distortion",
        "missing_return_peak",
        "reference_drift",
        "truncated",
        "fouling",
        "quantisation",
        "background",
    } == set(DETECTORS)
    e = _triangle()
    v = Voltammogram(e, _bump(e))
    with pytest.raises(ParameterError, match="kinds"):
        detect_anomalies(v, kinds=["nonsense"])
    with pytest.raises(ParameterError, match="min_confidence"):
        detect_anomalies(v, min_confidence=2)
    assert detect_anomalies(v, kinds=["noise"]) == ()
    assert detect_background(v) is None  # the diffusion tails need the engine's peaks


_BACKGROUNDS = {  # shape → Artifacts fields for a background of size x·ip at the vertex (window 0.7 V)
    "linear": lambda x, ip: {"background_linear_A_per_V": x * ip / 0.7},
    "quadratic": lambda x, ip: {"background_quadratic_A_per_V2": -x * ip / 0.7**2},
    "onset": lambda x, ip: {"anodic_onset_V": 0.31, "onset_current_A": x * ip / math.exp(0.04 / 0.03)},
}


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("shape", sorted(_BACKGROUNDS))
@pytest.mark.parametrize("size", [0.1, 0.5, 0.9])
def test_background_is_sized_like_the_simulator(shape, size, seed):
    """The detector's severity is the simulator's (largest |background| over the largest faradaic
    current, injected with the curve) within 0.12, whatever the shape; none below its threshold.
    Strong charging (0.3 F/m²) and an EC return peak must not read as a background."""
    rng = np.random.default_rng(seed)
    ip = _ip(0.1)
    art = {"noise_rms_A": 0.002 * ip, **_BACKGROUNDS[shape](size, ip)}
    wave = CVWaveform(start_V=-0.35, vertex_V=0.35, scan_rate_V_s=0.1, step_V=0.002)
    sp = Reversible(e0_V=0.0, concentration_mol_m3=CONC, diffusion_m2_s=D)
    v, _, injected = simulate_measurement(
        sp, wave, Cell(area_m2=AREA, cdl_F_m2=0.3), Artifacts(**art), rng=rng
    )
    truth = max((a.severity for a in injected if a.kind == "background"), default=0.0)
    a = detect_background(v, analyze_curve(v))
    found = a.severity if a is not None and a.confidence >= 0.5 else 0.0
    assert abs(truth - THRESHOLDS["background"]) > 0.1, (
        f"planted {truth:.2f}: too near the threshold to judge"
    )
    if truth < THRESHOLDS["background"]:
        assert found == 0.0, f"{shape} {truth:.2f}: flagged at {found:.2f}"
    else:
        assert abs(found - truth) <= 0.12, f"{shape}: severity {found:.2f}, simulator {truth:.2f}"


@pytest.mark.parametrize("seed", SEEDS)
def test_no_background_on_an_ec_or_a_dpv_curve(seed):
    rng = np.random.default_rng(seed)
    ec = EC(e0_V=0.0, concentration_mol_m3=CONC, diffusion_m2_s=D, kf_per_s=10 * f_inverse_volts() * 0.1)
    v = _measure(rng, species=ec)
    a = detect_background(v, analyze_curve(v))
    assert a is None or a.confidence < 0.5
    sp = Reversible(e0_V=0.0, concentration_mol_m3=CONC, diffusion_m2_s=D)
    wave = DPVWaveform(
        start_V=-0.3, end_V=0.3, step_V=0.005, amplitude_V=0.025, pulse_width_s=0.05, period_s=0.1
    )
    ip = float(
        np.max(np.abs(simulate_measurement(sp, wave, Cell(area_m2=AREA), Artifacts(), rng=rng)[0].current))
    )
    for x, flagged in ((0.0, False), (0.8, True)):
        art = Artifacts(noise_rms_A=0.002 * ip, background_linear_A_per_V=x * ip / 0.6)
        d, _, _ = simulate_measurement(sp, wave, Cell(area_m2=AREA), art, rng=rng)
        a = detect_background(d, analyze_curve(d))
        assert (a is not None and a.confidence >= 0.5) is flagged
        if flagged:
            assert abs(a.severity - 0.8) <= 0.12
