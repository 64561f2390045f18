"""Recorded artefacts have the stated physical size, and every injected effect is reported."""

from __future__ import annotations

import numpy as np
import pytest

from voltlens.errors import ParameterError
from voltlens.simulate import (
    Artifacts,
    Cell,
    CVWaveform,
    DPVWaveform,
    Reversible,
    apply_artifacts,
    simulate_cv,
    simulate_dpv,
    simulate_measurement,
)

AREA = 7.07e-6
SPECIES = Reversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=1e-9, initially="ox")
FAST = CVWaveform(0.4, -0.4, 1.0, 0.001)  # 1 kHz sampling: mains is resolved


@pytest.fixture(scope="module")
def clean():
    return simulate_cv(SPECIES, FAST, Cell(AREA))


def test_all_off_changes_nothing(clean):
    volt, injected = apply_artifacts(clean, Artifacts(), rng=np.random.default_rng(0))
    assert injected == []
    assert np.array_equal(volt.current, clean.voltammogram.current)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_white_and_pink_noise_have_their_rms(clean, seed):
    art = Artifacts(noise_rms_A=1e-7)
    volt, injected = apply_artifacts(clean, art, rng=np.random.default_rng(seed))
    residual = volt.current - clean.voltammogram.current
    assert np.sqrt(np.mean(residual**2)) == pytest.approx(1e-7, rel=0.08)
    again, _ = apply_artifacts(clean, art, rng=np.random.default_rng(seed))
    assert np.array_equal(again.current, volt.current)
    assert [a.kind for a in injected] == ["white_noise"] and 0 < injected[0].severity <= 1
    rng = np.random.default_rng(seed)
    power = 0.0
    for _ in range(20):
        pink, _ = apply_artifacts(clean, Artifacts(pink_noise_rms_A=1e-7), rng=rng)
        residual = pink.current - clean.voltammogram.current
        assert np.sqrt(np.mean(residual**2)) == pytest.approx(1e-7, rel=1e-9)
        power = power + np.abs(np.fft.rfft(residual))[1:] ** 2
    freq = np.arange(1, power.size + 1)
    assert np.polyfit(np.log10(freq), np.log10(power), 1)[0] == pytest.approx(-1.0, abs=0.15)


def test_mains_drift_background(clean):
    art = Artifacts(
        mains_amplitude_A=5e-8,
        mains_frequency_Hz=60.0,
        drift_A_per_s=1e-7,
        background_linear_A_per_V=2e-7,
        background_quadratic_A_per_V2=1e-7,
    )
    volt, injected = apply_artifacts(clean, art, rng=np.random.default_rng(3))
    v = clean.voltammogram
    de = v.potential - v.potential[0]
    smooth = 1e-7 * v.time + 2e-7 * de + 1e-7 * de**2
    mains = volt.current - v.current - smooth
    assert np.max(np.abs(mains)) == pytest.approx(5e-8, rel=0.01)
    spectrum = np.abs(np.fft.rfft(mains))
    freq = np.fft.rfftfreq(mains.size, float(v.time[1] - v.time[0]))
    assert freq[np.argmax(spectrum)] == pytest.approx(60.0, abs=1.0)
    assert {a.kind for a in injected} == {"background", "drift", "mains"}


def test_onsets_spikes_clipping_and_quantisation(clean):
    peak = float(np.max(np.abs(clean.voltammogram.current)))
    art = Artifacts(
        cathodic_onset_V=-0.35,
        onset_current_A=1e-7,
        spike_count=4,
        spike_amplitude_A=0.5 * peak,
        clip_A=0.9 * peak,
        adc_lsb_A=peak / 1000,
    )
    volt, injected = apply_artifacts(clean, art, rng=np.random.default_rng(7))
    kinds = [a.kind for a in injected]
    assert kinds == ["background", "spikes", "clipping", "quantisation"]
    spikes = injected[1]
    assert spikes.params["count"] == 4 and len(spikes.params["indices"]) == 4
    assert np.max(np.abs(volt.current)) <= 0.9 * peak + peak / 2000
    counts = volt.current / (peak / 1000)
    assert np.allclose(counts, np.round(counts))
    at_vertex = np.argmin(clean.voltammogram.potential)
    assert volt.current[at_vertex] - clean.voltammogram.current[at_vertex] == pytest.approx(
        -1e-7 * np.exp(0.05 / 0.03), rel=0.01, abs=peak / 1000
    )
    assert all(0.0 <= a.severity <= 1.0 for a in injected)


def test_solved_effects_are_reported_and_required():
    w = CVWaveform(0.4, -0.4, 0.1, 0.002, n_cycles=2)
    art = Artifacts(fouling_per_cycle=0.1, reference_drift_V_per_cycle=0.005, noise_rms_A=1e-9)
    cell = Cell(AREA, ru_ohm=100.0, cdl_F_m2=0.2)
    measured, truth, injected = simulate_measurement(SPECIES, w, cell, art, rng=np.random.default_rng(0))
    kinds = {a.kind for a in injected}
    assert kinds == {
        "uncompensated_resistance",
        "double_layer_charging",
        "fouling",
        "reference_drift",
        "white_noise",
    }
    assert truth.active_fraction is not None and truth.potential_offset_V is not None
    assert measured.metadata["artifacts"] == [a.kind for a in injected]
    with pytest.raises(ParameterError, match="fouling_per_cycle"):
        apply_artifacts(simulate_cv(SPECIES, w, cell), art, rng=np.random.default_rng(0))


def test_dpv_sees_differential_drift():
    w = DPVWaveform(-0.2, 0.2, 0.01, 0.05, 0.05, 0.2)
    clean = simulate_dpv(SPECIES, w, Cell(AREA))
    volt, _ = apply_artifacts(clean, Artifacts(drift_A_per_s=1e-6), rng=np.random.default_rng(0))
    assert np.allclose(volt.current - clean.voltammogram.current, 1e-6 * 0.05)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"noise_rms_A": -1.0}, "Artifacts.noise_rms_A"),
        ({"fouling_per_cycle": 1.0}, "Artifacts.fouling_per_cycle"),
        ({"clip_A": 0.0}, "Artifacts.clip_A"),
        ({"spike_count": 2.5}, "Artifacts.spike_count"),
    ],
)
def test_bad_artifacts_are_named(kwargs, name):
    with pytest.raises(ParameterError) as info:
        Artifacts(**kwargs)
    assert info.value.name == name


def test_rng_must_be_a_generator(clean):
    with pytest.raises(ParameterError, match="rng"):
        apply_artifacts(clean, Artifacts(), rng=42)  # type: ignore[arg-type]
