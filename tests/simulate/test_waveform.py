"""Waveforms expand to the programmes an instrument would apply."""

from __future__ import annotations

import numpy as np
import pytest

from voltlens.errors import ParameterError
from voltlens.simulate import CVWaveform, DPVWaveform, LSVWaveform, cv_program, dpv_program, lsv_program


def test_cv_program_shape_cycles_segments():
    w = CVWaveform(0.5, -0.5, 0.1, 0.001, n_cycles=3)
    p = cv_program(w)
    assert p.potential_V[0] == 0.5 and p.time_s[0] == 0.0
    assert p.potential_V.size == 1 + 3 * 2000
    assert np.allclose(np.diff(p.time_s), 0.01)
    assert np.allclose(np.abs(np.diff(p.potential_V)), 0.001)
    assert set(np.unique(p.cycle)) == {1, 2, 3}
    assert list(np.unique(p.segment)) == [0, 1, 2, 3, 4, 5]
    vertices = np.flatnonzero(np.diff(np.sign(np.diff(p.potential_V)))) + 1
    assert np.allclose(p.potential_V[vertices], [-0.5, 0.5, -0.5, 0.5, -0.5])
    # each vertex belongs to the sweep that ends there
    assert p.segment[1000] == 0 and p.segment[1001] == 1


def test_cv_end_potential_and_step_rounding():
    p = cv_program(CVWaveform(0.0, 0.7, 1.0, 0.003, end_V=-0.2))
    step = 0.7 / round(0.7 / 0.003)
    assert np.allclose(np.abs(np.diff(p.potential_V)), step)
    assert p.potential_V.max() == pytest.approx(0.7)
    assert p.potential_V[-1] == pytest.approx(-0.2, abs=step / 2)
    assert np.allclose(np.diff(p.time_s), step / 1.0)


def test_lsv_program_is_one_sweep():
    p = lsv_program(LSVWaveform(-0.2, 0.4, 0.05, 0.002))
    assert p.potential_V[0] == -0.2 and p.potential_V[-1] == pytest.approx(0.4)
    assert np.all(np.diff(p.potential_V) > 0)
    assert np.all(p.segment == 0) and np.all(p.cycle == 1)


@pytest.mark.parametrize(("start", "end"), [(-0.3, 0.3), (0.3, -0.3)])
def test_dpv_program_timing(start, end):
    w = DPVWaveform(start, end, 0.005, 0.05, 0.05, 0.5, sample_s=0.01)
    p, s = dpv_program(w)
    dt = p.dt_s
    sign = 1 if end > start else -1
    assert s.base_V.size == 121
    assert np.allclose(s.base_V, start + sign * 0.005 * np.arange(121))
    # the pulse-end sample is one pulse width after the pulse starts (the jump acts half-way)
    first_pulse = s.pulse_windows[0, -1]
    pulse_samples = np.flatnonzero(p.potential_V[: first_pulse + 1] == start + sign * 0.05)
    assert (pulse_samples.size - 0.5) * dt == pytest.approx(0.05)
    # one period between successive pulse ends
    assert np.allclose(np.diff(p.time_s[s.pulse_windows[:, -1]]), 0.5)
    # pre-pulse samples are at the base, pulse samples on the pulse
    assert np.allclose(p.potential_V[s.pre_windows], s.base_V[:, None])
    assert np.allclose(p.potential_V[s.pulse_windows], s.base_V[:, None] + sign * 0.05)
    assert s.pulse_windows.shape[1] == round(0.01 / dt)


@pytest.mark.parametrize(
    ("factory", "name"),
    [
        (lambda: CVWaveform(0.5, -0.5, -0.1), "CVWaveform.scan_rate_V_s"),
        (lambda: CVWaveform(0.5, 0.5, 0.1), "CVWaveform.vertex_V"),
        (lambda: CVWaveform(0.5, -0.5, 0.1, n_cycles=0), "CVWaveform.n_cycles"),
        (lambda: CVWaveform(0.5, -0.5, 0.1, end_V=-0.7), "CVWaveform.end_V"),
        (lambda: CVWaveform(0.5, -0.5, 0.1, step_V=2.0), "CVWaveform.step_V"),
        (lambda: LSVWaveform(0.1, 0.1, 0.1), "LSVWaveform.end_V"),
        (lambda: DPVWaveform(0, 0.5, 0.005, 0.05, 0.05, 0.04), "DPVWaveform.period_s"),
        (lambda: DPVWaveform(0, 0.5, 0.005, -0.05, 0.05, 0.5), "DPVWaveform.amplitude_V"),
        (lambda: DPVWaveform(0, 0.5, 0.005, 0.05, 0.05, 0.5, sample_s=0.06), "DPVWaveform.sample_s"),
    ],
)
def test_bad_waveforms_raise_named_errors(factory, name):
    with pytest.raises(ParameterError) as info:
        factory()
    assert info.value.name == name


def test_too_many_samples_refused():
    with pytest.raises(ParameterError, match="samples"):
        cv_program(CVWaveform(1.0, -1.0, 0.1, 1e-6, n_cycles=2))
