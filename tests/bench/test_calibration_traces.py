"""The engine backend's calibration read off digitized traces (``raw_calibration``): overlapping
curves of a series are traced by the digitizer only where they differ, so every trace but one may
be cut to the peak's region.  Truth: the simulated faradaic DPV peak per mM (voltlens.simulate)
under a steep solvent wave shared by every curve."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

CONCS = [1.62, 3.24, 4.85, 6.47, 8.09]


@cache
def _simulated():
    from voltlens.simulate import Cell, DPVWaveform, Reversible, concentration_series

    sp = Reversible(e0_V=-0.3, concentration_mol_m3=1.0, diffusion_m2_s=1e-9, initially="ox")
    wave = DPVWaveform(
        start_V=-0.02, end_V=-0.56, step_V=0.004, amplitude_V=0.05, pulse_width_s=0.05, period_s=0.1
    )
    return concentration_series(sp, wave, Cell(area_m2=7.07e-6), CONCS)


def _series(seed: int):
    sims = _simulated()
    top = sims[-1]
    truth = float(np.max(np.abs(top.faradaic_A.sum(axis=0)))) / CONCS[-1]  # the peak per mM, from zero
    rng = np.random.default_rng(seed)
    curves = []
    for k, s in enumerate(sims):
        v = s.voltammogram
        solvent = -truth * CONCS[-1] * 6.0 * np.exp(-(v.potential + 0.56) / 0.03)
        v = v.replace(current=v.current + solvent + rng.normal(0.0, 2e-3 * truth, v.n_points))
        if k < len(sims) - 1:  # traced only where the curves part: around the peak
            v = v.select((v.potential > -0.42) & (v.potential < -0.23))
        curves.append(v)
    return [v.metadata["concentration_mol_m3"] for v in curves], curves, truth


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sensitivity_read_where_every_trace_was_traced(seed: int) -> None:
    from voltlens.bench.engine_backend import raw_calibration

    conc, curves, truth = _series(seed)
    assert conc[0] == 0.0  # the blank
    cal = raw_calibration(conc, curves)
    assert cal is not None and cal.slope == pytest.approx(truth, rel=0.05)
