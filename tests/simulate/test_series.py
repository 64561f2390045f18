"""Series of experiments (scan rate, concentration with a blank) and the general programme entry point."""

from __future__ import annotations

import numpy as np
import pytest

from voltlens.errors import ParameterError
from voltlens.model import Technique
from voltlens.simulate import (
    Adsorbed,
    Cell,
    CVWaveform,
    LSVWaveform,
    Reversible,
    concentration_series,
    cv_program,
    scan_rate_series,
    simulate,
    simulate_cv,
    simulate_program,
)

from .helpers import cv_peaks

CELL = Cell(area_m2=7.07e-6, cdl_F_m2=0.2)
SPECIES = Reversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=1e-9, initially="ox")


def test_concentration_series_has_a_blank_and_is_linear():
    curves = concentration_series(SPECIES, CVWaveform(0.3, -0.3, 0.1, 0.002), CELL, [0.5, 1.0, 2.0])
    assert [c.voltammogram.metadata["concentration_mol_m3"] for c in curves] == [0.0, 0.5, 1.0, 2.0]
    blank = curves[0]
    assert np.all(blank.faradaic_A == 0)
    assert np.allclose(blank.voltammogram.current, blank.charging_A)
    assert np.any(blank.charging_A != 0)
    heights = np.array([-cv_peaks(c, first_sign=-1)[0][1] for c in curves[1:]])
    faradaic = np.array([-c.faradaic_total_A.min() for c in curves[1:]])
    assert np.allclose(faradaic / [0.5, 1.0, 2.0], faradaic[1], rtol=1e-9)
    assert np.all(np.diff(heights) > 0)


def test_concentration_series_accepts_a_factory():
    def make(c):
        return [
            Reversible(e0_V=0.1, concentration_mol_m3=c, diffusion_m2_s=1e-9),
            Adsorbed(e0_V=-0.2, coverage_mol_m2=1e-6),
        ]

    curves = concentration_series(make, LSVWaveform(-0.4, 0.4, 0.1, 0.002), Cell(7.07e-6), [0.0, 1.0])
    assert len(curves) == 2
    assert np.all(curves[0].faradaic_A[0] == 0) and np.any(curves[0].faradaic_A[1] != 0)


def test_scan_rate_series_and_dispatch():
    curves = scan_rate_series(SPECIES, CVWaveform(0.3, -0.3, 0.1, 0.002), CELL, [0.05, 0.5])
    assert [c.voltammogram.scan_rate for c in curves] == [0.05, 0.5]
    assert curves[1].voltammogram.time[-1] == pytest.approx(curves[0].voltammogram.time[-1] / 10)
    assert simulate(SPECIES, LSVWaveform(0.3, -0.3, 0.1), CELL).voltammogram.technique == Technique.LSV
    with pytest.raises(ParameterError, match="waveform"):
        simulate(SPECIES, "cv", CELL)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="concentrations_mol_m3"):
        concentration_series(SPECIES, LSVWaveform(0.3, -0.3, 0.1), CELL, [-1.0])


def test_program_reproduces_the_cv_and_records_the_truth():
    w = CVWaveform(0.3, -0.3, 0.2, 0.002, n_cycles=2)
    p = cv_program(w)
    a = simulate_cv(SPECIES, w, CELL)
    b = simulate_program(SPECIES, p.time_s, p.potential_V, CELL)
    assert np.allclose(a.voltammogram.current, b.voltammogram.current, rtol=0, atol=1e-12)
    assert np.array_equal(b.voltammogram.segment, p.segment)
    assert b.voltammogram.scan_rate == pytest.approx(0.2)
    v = a.voltammogram
    assert v.area_m2 == 7.07e-6 and v.temperature_K == 298.15 and v.current[0] == 0.0
    assert not v.current.flags.writeable and not a.faradaic_A.flags.writeable


@pytest.mark.parametrize(
    ("time", "potential", "name"),
    [
        (np.array([0.0, 0.1, 0.3]), np.zeros(3), "time_s"),
        (np.arange(4.0), np.zeros(3), "potential_V"),
        (np.arange(1.0), np.zeros(1), "time_s"),
    ],
)
def test_program_inputs_are_checked(time, potential, name):
    with pytest.raises(ParameterError) as info:
        simulate_program(SPECIES, time, potential, CELL)
    assert info.value.name == name


def test_species_argument_is_checked():
    with pytest.raises(ParameterError, match=r"species\[1\]"):
        simulate_cv([SPECIES, "ferrocene"], CVWaveform(0.3, -0.3, 0.1), CELL)  # type: ignore[list-item]
    with pytest.raises(ParameterError, match="cell"):
        simulate_cv(SPECIES, CVWaveform(0.3, -0.3, 0.1), 7.07e-6)  # type: ignore[arg-type]
